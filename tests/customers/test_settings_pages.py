"""The import settings pages (column mappings, territory rules, credit rules) and the import
template, for every role: admins everything, managers their subtree's salespeople only,
salespeople and users without a role nothing."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest
from django.test import Client
from openpyxl import load_workbook

from customers.credit.services import credit_rule_create
from customers.models import ColumnMapping, CreditRule, TerritoryRule
from tests.customers.import_support import run_import, shown

pytestmark = pytest.mark.django_db

PAGES = [
    "/imports/mappings/",
    "/imports/mappings/new/",
    "/imports/territories/",
    "/imports/territories/new/",
    "/imports/credit-rules/",
    "/imports/credit-rules/new/",
    "/imports/template.xlsx",
    "/imports/template.csv",
]


def _as(company, username: str, language: str = "en") -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(company.users[username])
    return client


@pytest.fixture
def rules(company):
    """A territory rule and a credit rule for each region."""
    north_territory = TerritoryRule.objects.create(
        attribute="state", value="Hebei", salesperson=company.rep
    )
    south_territory = TerritoryRule.objects.create(
        attribute="state", value="Guangdong", salesperson=company.south_rep
    )
    north_credit = credit_rule_create(
        attribute="customer_code",
        value="C-N",
        parties=[(company.rep, Decimal(70)), (company.north_peer, Decimal(30))],
        actor=None,
    )
    mixed_credit = credit_rule_create(
        attribute="customer_code",
        value="C-X",
        parties=[(company.rep, None), (company.south_rep, None)],
        actor=None,
    )
    return north_territory, south_territory, north_credit, mixed_credit


@pytest.mark.parametrize("username", ["rep", "south_rep", "nobody"])
def test_people_who_cannot_import_get_403_on_every_settings_page(company, rules, username):
    client = _as(company, username)
    for url in PAGES:
        assert client.get(url).status_code == 403, url
    north_territory, _south, north_credit, _mixed = rules
    for url in (
        f"/imports/territories/{north_territory.pk}/delete/",
        f"/imports/credit-rules/{north_credit.pk}/delete/",
    ):
        assert client.post(url).status_code == 403, url
    assert TerritoryRule.objects.count() == 2
    assert CreditRule.objects.count() == 2


def test_anonymous_users_are_sent_to_sign_in(company):
    for url in PAGES:
        response = Client().get(url)
        assert response.status_code == 302, url
        assert (
            response["Location"].startswith("/accounts/login/") or "login" in response["Location"]
        )


def test_a_manager_sees_and_changes_only_the_rules_of_their_salespeople(company, rules):
    _north_territory, south_territory, _north_credit, mixed_credit = rules
    client = _as(company, "manager")

    territories = client.get("/imports/territories/").content.decode()
    assert "Hebei" in territories
    assert "Guangdong" not in territories
    credits = client.get("/imports/credit-rules/").content.decode()
    assert "C-N" in credits
    assert "C-X" not in credits  # C-X reaches the south
    for url in (
        f"/imports/territories/{south_territory.pk}/",
        f"/imports/credit-rules/{mixed_credit.pk}/",
    ):
        assert client.get(url).status_code == 404, url
        assert client.post(url, {}).status_code == 404, url
    assert client.post(f"/imports/territories/{south_territory.pk}/delete/").status_code == 404
    assert client.post(f"/imports/credit-rules/{mixed_credit.pk}/delete/").status_code == 404
    assert TerritoryRule.objects.count() == 2
    assert CreditRule.objects.count() == 2


def test_a_manager_cannot_assign_someone_outside_their_part(company, rules):
    client = _as(company, "manager")

    territory = client.post(
        "/imports/territories/new/",
        {"attribute": "city", "value": "Tianjin", "salesperson": company.south_rep.pk},
    )
    credit = client.post(
        "/imports/credit-rules/new/",
        {
            "attribute": "region",
            "value": "North",
            "salesperson_1": company.rep.pk,
            "salesperson_2": company.south_rep.pk,
        },
    )

    # the south's salesperson is not among the choices, so the form refuses the choice
    assert territory.status_code == 400
    assert "Select a valid choice" in territory.content.decode()
    assert credit.status_code == 400
    assert "Select a valid choice" in credit.content.decode()
    assert not TerritoryRule.objects.filter(value="Tianjin").exists()
    assert not CreditRule.objects.filter(value="North").exists()


def test_creating_editing_and_deleting_a_credit_rule(company):
    client = _as(company, "manager")

    bad = client.post(
        "/imports/credit-rules/new/",
        {
            "attribute": "customer_code",
            "value": "C-1",
            "salesperson_1": company.rep.pk,
            "share_1": "60",
            "salesperson_2": company.north_peer.pk,
            "share_2": "30",
        },
    )
    assert bad.status_code == 400
    assert "The shares add up to 90 %, not 100 %." in bad.content.decode()

    created = client.post(
        "/imports/credit-rules/new/",
        {
            "attribute": "customer_code",
            "value": "C-1",
            "salesperson_1": company.rep.pk,
            "share_1": "60",
            "salesperson_2": company.north_peer.pk,
            "share_2": "40",
        },
    )
    assert created.status_code == 302
    rule = CreditRule.objects.get()
    edited = client.post(
        f"/imports/credit-rules/{rule.pk}/",
        {
            "attribute": "customer_code",
            "value": "C-1",
            "salesperson_1": company.rep.pk,
            "salesperson_2": company.north_peer.pk,
        },
    )
    assert edited.status_code == 302
    assert [(s.salesperson.code, s.share) for s in rule.shares.all()] == [
        ("S-N1", None),
        ("S-N2", None),
    ]
    assert client.post(f"/imports/credit-rules/{rule.pk}/delete/").status_code == 302
    assert CreditRule.objects.count() == 0


def test_creating_editing_and_deleting_a_territory_rule_and_a_mapping(company):
    client = _as(company, "manager")

    assert (
        client.post(
            "/imports/territories/new/",
            {"attribute": "state", "value": "Hebei", "salesperson": company.rep.pk},
        ).status_code
        == 302
    )
    rule = TerritoryRule.objects.get()
    duplicate = client.post(
        "/imports/territories/new/",
        {"attribute": "state", "value": "hebei", "salesperson": company.north_peer.pk},
    )
    assert duplicate.status_code == 400
    assert "There is already a territory rule for “hebei”." in duplicate.content.decode()
    assert (
        client.post(
            f"/imports/territories/{rule.pk}/",
            {"attribute": "state", "value": "Hebei", "salesperson": company.north_peer.pk},
        ).status_code
        == 302
    )
    rule.refresh_from_db()
    assert rule.salesperson == company.north_peer
    assert client.post(f"/imports/territories/{rule.pk}/delete/").status_code == 302

    empty = client.post("/imports/mappings/new/", {"name": "ERP", "date_order": "auto"})
    assert empty.status_code == 400
    assert "Map at least one order field" in empty.content.decode()
    assert (
        client.post(
            "/imports/mappings/new/",
            {
                "name": "ERP",
                "date_order": "dmy",
                "column_amount": "Sales",
                "column_salesperson_2": "Rep 2",
            },
        ).status_code
        == 302
    )
    mapping = ColumnMapping.objects.get()
    assert mapping.columns == {"amount": "Sales", "salesperson_2": "Rep 2"}
    assert client.post(f"/imports/mappings/{mapping.pk}/delete/").status_code == 302
    assert ColumnMapping.objects.count() == 0


def test_the_xlsx_template_has_headers_in_the_viewers_language_an_example_and_notes(company):
    english = load_workbook(
        io.BytesIO(_as(company, "manager").get("/imports/template.xlsx").content)
    )
    chinese = load_workbook(
        io.BytesIO(_as(company, "manager", "zh-hans").get("/imports/template.xlsx").content)
    )

    assert english.sheetnames == ["Orders", "Notes"]
    assert chinese.sheetnames == ["订单", "说明"]
    header = [cell.value for cell in english["Orders"][1]]
    assert header[:4] == ["order_id", "line_no", "order_date", "customer_code"]
    assert header[-1] == "credit_split"
    assert [cell.value for cell in chinese["订单"][1]][:4] == [
        "订单号",
        "行号",
        "日期",
        "客户编码",
    ]
    example = [cell.value for cell in english["Orders"][2]]
    assert example[header.index("credit_split")] == "S-N1:60;S-N2:40"
    notes = list(english["Notes"].iter_rows(values_only=True))
    assert notes[0] == ("Column", "Field", "Required", "What to write")
    assert {row[1] for row in notes[1:]} == set(header)


def test_the_csv_template_filled_in_imports_as_it_is(company):
    response = _as(company, "manager", "zh-hans").get("/imports/template.csv")
    text = response.content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][0] == "订单号"
    assert response["Content-Disposition"] == 'attachment; filename="order-import-template.csv"'

    job = run_import(text.encode("utf-8"), actor=company.users["manager"])

    assert job.status == "succeeded", shown(job.errors)
    assert (job.rows_imported, job.outcome) == (1, "clean")
