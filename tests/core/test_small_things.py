"""Small things people notice: one date format and time zone, the 405 page, malformed query
parameters, named and sized XLSX sheets, the new-plan form's currency and org tree, the
compare view's baseline."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.template import Context, Template
from django.test import Client
from django.utils import translation
from openpyxl import load_workbook

from allocation.models import OrgUnit
from allocation.selectors import company_currency
from allocation.services import plan_scenario_create
from salesalloc.core.dates import local_date, local_datetime
from salesalloc.core.export import column_widths, sheet_title, xlsx_bytes
from tests.allocation.test_plan_support import make_plan
from tests.factories import OrgUnitFactory

pytestmark = pytest.mark.django_db

UTC = dt.UTC


def _client(company, username: str, language: str = "en") -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(company.users[username])
    return client


# --- one time zone and date format ---------------------------------------------------------


def test_a_moment_is_shown_in_the_configured_zone_in_one_format(settings):
    settings.TIME_ZONE = "Asia/Shanghai"
    moment = dt.datetime(2019, 3, 31, 22, 5, 9, tzinfo=UTC)  # 06:05 the next day in Shanghai

    assert local_datetime(moment) == "2019-04-01 06:05"
    assert local_date(moment) == "2019-04-01"
    rendered = Template("{% load ui %}{{ m|when }} / {{ m|day }} / {{ d|day }}").render(
        Context({"m": moment, "d": dt.date(2019, 3, 31)})
    )
    assert rendered == "2019-04-01 06:05 / 2019-04-01 / 2019-03-31"
    with translation.override("zh-hans"):
        assert Template("{% load ui %}{{ m|when }}").render(Context({"m": moment})) == (
            "2019-04-01 06:05"
        )


def test_exports_write_moments_in_the_configured_zone(settings):
    settings.TIME_ZONE = "Asia/Shanghai"
    moment = dt.datetime(2019, 3, 31, 22, 5, tzinfo=UTC)

    sheet = load_workbook(io.BytesIO(xlsx_bytes(["at"], [[moment]]))).active

    assert sheet["A2"].value == dt.datetime(2019, 4, 1, 6, 5)  # noqa: DTZ001 - Excel is naive
    assert sheet["A2"].number_format == "yyyy-mm-dd hh:mm"


# --- XLSX: named sheets, sensible widths ------------------------------------------------------


def test_xlsx_sheets_are_named_and_columns_fit_their_content():
    data = xlsx_bytes(
        ["code", "customer name", "amount"],
        [["C-1", "北京东方贸易有限公司", Decimal("1234567.50")], ["C-22", "Acme", Decimal("5")]],
        sheet="Orders: 2019/Q1",
    )
    sheet = load_workbook(io.BytesIO(data))["Orders  2019 Q1"]

    # header "customer name" is 13 wide, the Chinese name 10 characters x 2 = 20, plus 2
    assert sheet.column_dimensions["B"].width == 22
    assert sheet.column_dimensions["A"].width == 8  # at least 8
    assert sheet.column_dimensions["C"].width == len("1,234,567.50") + 2
    assert sheet["C2"].number_format == "#,##0.00##"
    assert sheet["A1"].font.b
    assert sheet.freeze_panes == "A2"


def test_sheet_titles_and_widths_stay_within_excels_limits():
    assert sheet_title("a" * 40 + "[x]") == "a" * 31
    assert sheet_title("///") == "Sheet1"
    assert column_widths(["x"], [["y" * 500]]) == [60]


def test_every_export_gets_a_named_sheet(company):
    make_plan(company)
    response = _client(company, "admin").get("/reports/variance/", {"export": "xlsx"})

    book = load_workbook(io.BytesIO(response.content))
    assert book.sheetnames[0].startswith("variance FY")
    assert book.active.column_dimensions["A"].width >= 8


# --- a GET on an action's address -------------------------------------------------------------


def test_a_get_on_a_post_only_address_shows_the_apps_405_page(company):
    plan = make_plan(company)

    response = _client(company, "admin").get(f"/plans/{plan.pk}/allocate/")

    assert response.status_code == 405
    assert response["Allow"] == "POST"
    page = response.content.decode()
    assert "Not a page to open" in page
    assert f'href="/plans/{plan.pk}/"' in page  # back to the plan it belongs to
    assert '<nav class="' in page or "<nav" in page  # the app's own page, with navigation


def test_the_405_page_is_translated(company):
    plan = make_plan(company)

    response = _client(company, "admin", "zh-hans").get(f"/plans/{plan.pk}/methods/")

    assert response.status_code == 405
    with translation.override("zh-hans"):
        title = translation.gettext("Not a page to open")
    assert title != "Not a page to open"
    assert title in response.content.decode()


def test_the_api_keeps_its_json_405(company, client_as):
    plan = make_plan(company)

    response = client_as("admin").get(f"/api/v1/plans/{plan.pk}/submit/")

    assert response.status_code == 405
    assert response.json()["code"] == "method_not_allowed"


# --- malformed query parameters ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "query", "name"),
    [
        ("/dashboard/", "year=abc", "year"),
        ("/dashboard/", "as_of=2019-13-40", "as_of"),
        ("/ranking/", "year=abc", "year"),
        ("/reports/variance/", "year=abc", "year"),
        ("/alerts/", "level=loud", "level"),
        ("/plans/", "page=abc", "page"),
        ("/orders/", "page=abc", "page"),
        ("/customers/", "sort=nonsense", "sort"),
        ("/costs/", "period=2019-Q9", "period"),
    ],
)
def test_a_malformed_query_parameter_on_a_page_gets_a_message(company, path, query, name):
    make_plan(company)

    response = _client(company, "admin").get(f"{path}?{query}")

    assert response.status_code == 200
    page = response.content.decode()
    assert "message--warning" in page
    assert f"“{query}” in the address" in page.replace("&#x27;", "'")


@pytest.mark.parametrize(
    ("url", "field"),
    [
        ("/api/v1/attainment/?year=abc", "year"),
        ("/api/v1/targets/?year=abc", "year"),
        ("/api/v1/plans/?page=abc", "page"),
        ("/api/v1/plans/?page_size=abc", "page_size"),
        ("/api/v1/customers/?page_size=0", "page_size"),
        ("/api/v1/scorecards/?period=xyz", "period"),
        ("/api/v1/commission-statements/?period=2019-Q5", "period"),
    ],
)
def test_a_malformed_query_parameter_over_the_api_is_a_400_naming_it(
    company, client_as, url, field
):
    response = client_as("admin").get(url)

    assert response.status_code == 400
    assert list(response.json()["fields"]) == [field]


def test_a_page_past_the_end_is_still_a_404_over_the_api(company, client_as):
    assert client_as("admin").get("/api/v1/plans/?page=99").status_code == 404


# --- the new-plan form --------------------------------------------------------------------------


def test_the_new_plan_form_defaults_to_the_companys_currency(company, settings):
    settings.SALESALLOC_CURRENCY = "CNY"
    client = _client(company, "admin")
    assert company_currency() == "CNY"
    assert 'name="currency" value="CNY"' in client.get("/plans/new/").content.decode()

    OrgUnit.objects.filter(pk=company.root.pk).update(currency="USD")

    assert company_currency(org_unit=company.north) == "USD"
    assert 'name="currency" value="USD"' in client.get("/plans/new/").content.decode()
    plan = make_plan(company, name="In dollars")
    assert plan.currency == "USD"


def test_the_new_plan_form_lists_the_org_tree_in_tree_order_indented(company):
    # ids out of code order: "/1/11/" sorts before "/1/2/" by path
    OrgUnitFactory(code="NORTH-Z", name="North Z", parent=company.north)
    OrgUnitFactory(code="AAA", name="First by code", parent=company.root)

    page = _client(company, "admin").get("/plans/new/").content.decode()

    select = page[page.index('name="root_org_unit"') :]
    select = select[: select.index("</select>")]
    labels = [part.split(">", 1)[1].split("<", 1)[0] for part in select.split("<option")[2:]]
    assert labels == [
        "ACME · Acme",
        "\u2003AAA · First by code",
        "\u2003NORTH · North",
        "\u2003\u2003N-T1 · North team",
        "\u2003\u2003NORTH-Z · North Z",
        "\u2003SOUTH · South",
        "\u2003\u2003S-T1 · South team",
    ]


# --- compare: the baseline ----------------------------------------------------------------------


def test_the_compare_view_takes_the_baseline_the_user_picks(company):
    plan = make_plan(company)
    scenario = plan_scenario_create(plan=plan, name="Stretch", actor=company.users["admin"])
    client = _client(company, "admin")
    query = {"plans": [plan.pk, scenario.pk], "group_by": "salesperson"}

    default = client.get("/plans/compare/", query).content.decode()
    rebased = client.get("/plans/compare/", {**query, "baseline": scenario.pk}).content.decode()

    def header(page: str) -> str:
        return page[page.index("<thead>") : page.index("</thead>")]

    assert header(default).index("FY2019 v1") < header(default).index("Stretch v1")
    assert header(rebased).index("Stretch v1") < header(rebased).index("FY2019 v1")
    assert "Δ to Stretch v1" in header(rebased)
    assert f"baseline={scenario.pk}" in header(default)  # a link to switch the baseline


def test_a_baseline_outside_the_compared_plans_is_refused_with_a_message(company):
    plan = make_plan(company)
    scenario = plan_scenario_create(plan=plan, name="Stretch", actor=company.users["admin"])
    other = make_plan(company, name="Other")

    response = _client(company, "admin").get(
        "/plans/compare/", {"plans": [plan.pk, scenario.pk], "baseline": other.pk}
    )

    assert response.status_code == 400
    assert "Pick the baseline among the plans you compare, too." in response.content.decode()
