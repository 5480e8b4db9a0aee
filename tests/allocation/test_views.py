"""Plan pages for every role: the list, a new plan, the editor shell, methods, comparisons,
"My targets" and acknowledging — scope, CSRF and bounded query counts.

The editor's grid itself is drawn by plan_editor.js from the plans API (see the e2e tests);
here the server-rendered parts are checked.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.test import Client

from allocation.forms import parse_amount_text
from allocation.models import Acknowledgement, ActualCell, Plan, PlanChange, TargetCell
from allocation.services import (
    plan_allocate,
    plan_approve,
    plan_create,
    plan_publish,
    plan_scenario_create,
    plan_submit,
)

pytestmark = pytest.mark.django_db

EQUAL = {
    "org": {"method": "equal"},
    "product_line": {"method": "equal"},
    "seasonality": {"method": "uniform"},
}
USERS = ("admin", "director", "manager", "other_manager", "rep", "nobody")


def _as(company, username: str, **kwargs) -> Client:
    client = Client(**kwargs)
    client.force_login(company.users[username])
    return client


def _plan(
    company, *, name: str = "FY2024", root=None, total: str = "120000.00", year: int = 2024
) -> Plan:
    admin = company.users["admin"]
    plan = plan_create(
        name=name,
        fiscal_year=year,
        total_amount=Decimal(total),
        method_config=EQUAL,
        root_org_unit=root,
        actor=admin,
    )
    return plan_allocate(plan=plan, actor=admin)


def _publish(company, plan: Plan) -> Plan:
    admin = company.users["admin"]
    plan = plan_submit(plan=plan, actor=company.users["manager"])
    plan = plan_approve(plan=plan, actor=admin)
    return plan_publish(plan=plan, actor=admin)


@pytest.fixture
def plan(company) -> Plan:
    return _plan(company)


@pytest.fixture
def published(company, plan) -> Plan:
    return _publish(company, plan)


def _csrf(html: str) -> str:
    return html.split('name="csrfmiddlewaretoken" value="', 1)[1].split('"', 1)[0]


# --- access -------------------------------------------------------------------------------


def test_anonymous_visitors_are_sent_to_sign_in(client, plan):
    for url in (
        "/plans/",
        "/plans/new/",
        f"/plans/{plan.pk}/",
        f"/plans/compare/?plans={plan.pk}",
        "/my-targets/",
    ):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith("/login/?next=")
    for url in (
        f"/plans/{plan.pk}/allocate/",
        f"/plans/{plan.pk}/methods/",
        f"/plans/{plan.pk}/method-inputs/",
        f"/my-targets/{plan.pk}/acknowledge/",
    ):
        assert client.post(url).status_code == 302, url
    assert TargetCell.objects.filter(plan=plan).count() == 108


@pytest.mark.parametrize(
    ("page", "expected"),
    [
        ("list", {"admin": 200, "director": 200, "manager": 200, "other_manager": 200}),
        ("new", {"admin": 200, "director": 200}),
        ("editor", {"admin": 200, "director": 200, "manager": 200, "other_manager": 200}),
        ("compare", {"admin": 200, "director": 200, "manager": 200, "other_manager": 200}),
        ("my", dict.fromkeys(USERS, 200)),
    ],
)
def test_each_page_for_each_role(company, plan, page, expected):
    other = plan_scenario_create(plan=plan, name="What if", actor=company.users["admin"])
    url = {
        "list": "/plans/",
        "new": "/plans/new/",
        "editor": f"/plans/{plan.pk}/",
        "compare": f"/plans/compare/?plans={plan.pk},{other.pk}",
        "my": "/my-targets/",
    }[page]
    for username in USERS:
        response = _as(company, username).get(url)
        assert response.status_code == expected.get(username, 403), (username, url)


def test_salespeople_only_have_my_targets(company, published):
    rep = _as(company, "rep")
    assert rep.get("/plans/").status_code == 403
    assert rep.get(f"/plans/{published.pk}/").status_code == 403
    assert rep.get(f"/plans/compare/?plans={published.pk}").status_code == 403
    html = rep.get("/my-targets/").content.decode()
    assert f'id="plan-{published.pk}"' in html
    nav = html.split('<nav class="nav-links"', 1)[1].split("</nav>", 1)[0]
    assert ">My targets</a>" in nav
    assert ">Plans</a>" not in nav


def test_managers_get_plans_in_the_navigation(company):
    nav = _as(company, "manager").get("/dashboard/").content.decode()
    nav = nav.split('<nav class="nav-links"', 1)[1].split("</nav>", 1)[0]
    assert ">Plans</a>" in nav
    assert ">My targets</a>" not in nav


def test_a_plan_outside_the_managers_subtree_is_not_found(company):
    south = _plan(company, name="South only", root=company.south, total="5000.00")
    assert _as(company, "manager").get(f"/plans/{south.pk}/").status_code == 404
    assert _as(company, "other_manager").get(f"/plans/{south.pk}/").status_code == 200
    assert "South only" not in _as(company, "manager").get("/plans/").content.decode()
    assert _as(company, "admin").get("/plans/999999/").status_code == 404


# --- the list -----------------------------------------------------------------------------


def test_list_shows_the_viewers_part_of_each_plan(company, plan):
    scenario = plan_scenario_create(plan=plan, name="Stretch", actor=company.users["admin"])
    admin_html = _as(company, "admin").get("/plans/").content.decode()
    manager_html = _as(company, "manager").get("/plans/").content.decode()

    assert "120,000.00" in admin_html
    assert "60,000.00" in manager_html  # NORTH's half
    assert "120,000.00" not in manager_html
    assert f'data-plan="{scenario.pk}"' in admin_html
    assert "badge--scenario" in admin_html
    assert 'href="/plans/new/"' in admin_html
    assert f'action="/plans/{plan.pk}/allocate/"' in admin_html
    assert 'href="/plans/new/"' not in manager_html
    assert "/allocate/" not in manager_html


def test_list_query_count_does_not_grow_with_plans(company, plan, django_assert_max_num_queries):
    for number in range(4):
        plan_scenario_create(plan=plan, name=f"S{number}", actor=company.users["admin"])
    client = _as(company, "manager")
    client.get("/plans/")  # warm the session
    with django_assert_max_num_queries(10):
        response = client.get("/plans/")
    assert response.content.decode().count("<tr data-plan=") == 5


# --- a new plan ---------------------------------------------------------------------------


def _create_data(**overrides) -> dict:
    data = {
        "name": "FY2025",
        "fiscal_year": "2025",
        "start_month": "4",
        "currency": "CNY",
        "total_amount": "1,200万",
        "mode": "top_down",
        "root_org_unit": "",
        "org_method": "equal",
        "smoothing": "0",
        "floor_share": "0",
        "growth": "0",
        "ramp": "0.25, 0.5, 0.75, 1",
        "blend_alpha": "0.5",
        "blend_a": "historical",
        "blend_b": "equal",
        "org_level_3": "capacity",
        "product_line_method": "equal",
        "seasonality": "working_days",
        "base_years": "3",
        "country": "cn",
        "curve": "",
        "then": "allocate",
    }
    data.update(overrides)
    return data


def test_admin_creates_and_allocates_a_plan(company):
    client = _as(company, "admin")
    response = client.post("/plans/new/", _create_data())

    plan = Plan.objects.get(name="FY2025")
    assert response.status_code == 302
    assert response["Location"] == f"/plans/{plan.pk}/"
    assert plan.total_amount == Decimal("12000000.00")
    assert plan.start_month == 4
    assert plan.method_config["org"]["method"] == "equal"
    assert plan.method_config["org_levels"]["3"]["method"] == "capacity"
    assert plan.method_config["seasonality"] == {"method": "working_days"}
    assert plan.method_config["country"] == "CN"
    assert plan.allocated_at is not None
    assert TargetCell.objects.filter(plan=plan).count() == 3 * 3 * 12
    page = client.get(response["Location"]).content.decode()
    assert "Allocated FY2025: 3 salespeople, total 12,000,000.00." in page


def test_create_as_draft_leaves_it_unallocated(company):
    response = _as(company, "admin").post("/plans/new/", _create_data(then=""))
    plan = Plan.objects.get(name="FY2025")
    assert response.status_code == 302
    assert plan.allocated_at is None
    assert not TargetCell.objects.filter(plan=plan).exists()


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"total_amount": "12.345"}, "total_amount", "Use at most 2 decimal places."),
        ({"total_amount": "lots"}, "total_amount", "Enter an amount such as 1,234.50 or 12万."),
        ({"seasonality": "custom", "curve": "1 2 3"}, "curve", "Give exactly 12 monthly numbers."),
        ({"org_method": "blend", "blend_b": "historical"}, "blend_b", "Blend two different"),
        ({"org_method": "historical", "base_from": "2024-13"}, "base_from", "YYYY-MM"),
        ({"country": "XX"}, "country", "Unknown country code"),  # from the service
    ],
)
def test_invalid_plans_are_refused_with_the_field_named(company, overrides, field, message):
    response = _as(company, "admin").post("/plans/new/", _create_data(**overrides))
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert field in errors, errors
    assert message in " ".join(errors[field])
    assert not Plan.objects.exists()


def test_only_admins_create_plans(company):
    for username in ("manager", "rep", "nobody"):
        assert _as(company, username).post("/plans/new/", _create_data()).status_code == 403
    assert not Plan.objects.exists()


def test_parse_amount_text_reads_separators_and_chinese_units():
    assert parse_amount_text("1,234.5") == Decimal("1234.5")
    assert parse_amount_text(" 1 234 567 ") == Decimal("1234567")
    assert parse_amount_text("12万") == Decimal("120000")
    assert parse_amount_text("1.5亿") == Decimal("150000000")
    assert parse_amount_text("3.21w") == Decimal("32100")
    assert parse_amount_text("1，000") == Decimal("1000")


# --- allocate, methods, inputs --------------------------------------------------------------


def test_allocate_from_the_list_comes_back_to_it(company):
    draft = plan_create(
        name="Draft",
        fiscal_year=2024,
        total_amount=Decimal("900.00"),
        method_config=EQUAL,
        actor=company.users["admin"],
    )
    response = _as(company, "admin").post(
        f"/plans/{draft.pk}/allocate/", {"next": "/plans/?page=1"}
    )
    assert response.status_code == 302
    assert response["Location"] == "/plans/?page=1"
    assert TargetCell.objects.filter(plan=draft).count() == 108

    response = _as(company, "admin").post(
        f"/plans/{draft.pk}/allocate/", {"next": "https://evil.example/"}
    )
    assert response["Location"] == f"/plans/{draft.pk}/"


def test_allocating_a_published_plan_says_why_not(company, published):
    client = _as(company, "admin")
    response = client.post(f"/plans/{published.pk}/allocate/", follow=True)
    assert "only drafts can be changed" in response.content.decode()
    assert _as(company, "manager").post(f"/plans/{published.pk}/allocate/").status_code == 403


def test_admin_saves_methods_and_reallocates(company, plan):
    client = _as(company, "admin")
    data = _create_data(org_method="potential", seasonality="custom", curve=" ".join(["1"] * 12))
    response = client.post(f"/plans/{plan.pk}/methods/", {**data, "then": ""})
    assert response.status_code == 302
    assert response["Location"] == f"/plans/{plan.pk}/#methods"
    plan.refresh_from_db()
    assert plan.method_config["org"] == {"method": "potential"}
    assert plan.method_config["seasonality"] == {"method": "custom", "curve": ["1"] * 12}

    data = _create_data(org_method="equal", seasonality="uniform")
    response = client.post(f"/plans/{plan.pk}/methods/", {**data, "then": "allocate"})
    assert response.status_code == 302
    assert PlanChange.objects.filter(plan=plan, action="allocate").count() == 2


def test_invalid_methods_rerender_the_editor_with_errors(company, plan):
    response = _as(company, "admin").post(
        f"/plans/{plan.pk}/methods/", _create_data(seasonality="custom", curve="1 2")
    )
    assert response.status_code == 400
    assert "Give exactly 12 monthly numbers." in response.content.decode()
    assert response.context["method_form"].errors["curve"]


def test_managers_cannot_change_methods_or_inputs(company, plan):
    client = _as(company, "manager")
    assert client.post(f"/plans/{plan.pk}/methods/", _create_data()).status_code == 403
    assert client.post(f"/plans/{plan.pk}/method-inputs/", {}).status_code == 403
    html = client.get(f"/plans/{plan.pk}/").content.decode()
    assert 'id="methods"' not in html
    assert 'id="inputs"' not in html


def test_admin_saves_method_inputs(company, plan):
    client = _as(company, "admin")
    html = client.get(f"/plans/{plan.pk}/").content.decode()
    assert f'name="org_unit-{company.north.pk}-manual_percent"' in html
    assert f'name="salesperson-{company.rep.pk}-fte_override"' in html
    response = client.post(
        f"/plans/{plan.pk}/method-inputs/",
        {
            f"org_unit-{company.north.pk}-manual_percent": "70",
            f"org_unit-{company.south.pk}-manual_percent": "30",
            f"salesperson-{company.rep.pk}-growth_rate": "0.1",
            f"product_line-{company.chairs.pk}-manual_percent": "50",
        },
    )
    assert response.status_code == 302
    rows = {
        (r.org_unit_id, r.salesperson_id, r.product_line_id): r for r in plan.method_inputs.all()
    }
    assert rows[(company.north.pk, None, None)].manual_percent == Decimal("70")
    assert rows[(None, company.rep.pk, None)].growth_rate == Decimal("0.1")
    assert rows[(None, None, company.chairs.pk)].manual_percent == Decimal("50")

    response = client.post(
        f"/plans/{plan.pk}/method-inputs/", {f"org_unit-{company.north.pk}-manual_percent": "170"}
    )
    assert response.status_code == 400
    assert plan.method_inputs.count() == 4


# --- the editor shell -----------------------------------------------------------------------


def test_editor_shows_only_the_actions_the_viewer_may_take(company, plan):
    admin = _as(company, "admin").get(f"/plans/{plan.pk}/")
    manager = _as(company, "manager").get(f"/plans/{plan.pk}/")

    config = admin.context["editor_config"]
    assert config["api"]["grid"] == f"/api/v1/plans/{plan.pk}/grid/"
    assert config["months"][0] == {"period": "2024-01", "short": "Jan", "long": "January 2024"}
    assert set(admin.context["actions"]) >= {"edit", "lock", "allocate", "submit", "archive"}
    assert [b["action"] for b in manager.context["lifecycle"]] == ["submit"]
    html = manager.content.decode()
    assert 'data-action="submit"' in html
    assert 'data-action="archive"' not in html
    assert 'id="edit-reason"' in html
    assert 'id="upload-form"' in html
    assert "You see and edit the part of the plan below:" in html
    assert "<strong>North</strong>" in html
    assert 'role="treegrid"' in html
    assert [line["code"] for line in manager.context["product_lines"]] == [
        "FUR",
        "FUR-CH",
        "FUR-TA",
        "TEC",
        "TEC-PH",
    ]


def test_a_published_plan_is_read_only_with_acknowledgements(company, published):
    ActualCell.objects.create(
        salesperson=company.south_rep,
        product_line=company.chairs,
        month=dt.date(2024, 1, 1),
        amount=Decimal("10"),
    )
    Acknowledgement.objects.create(
        plan=published,
        salesperson=company.north_peer,
        status="disputed",
        comment="Too high",
        acted_at=dt.datetime(2024, 1, 5, tzinfo=dt.UTC),
    )
    html = _as(company, "manager").get(f"/plans/{published.pk}/").content.decode()
    assert "Published: read-only. Changes go into a new version." in html
    assert 'id="edit-reason"' not in html
    assert 'id="upload-form"' not in html
    assert 'data-action="submit"' not in html
    assert 'data-salesperson="S-N1" ' not in html  # attribute order: status first
    assert 'data-ack-status="pending" data-salesperson="S-N1"' in html
    assert 'data-ack-status="disputed" data-salesperson="S-N2"' in html
    assert "Too high" in html
    assert "S-S1" not in html  # another manager's salesperson

    admin = _as(company, "admin").get(f"/plans/{published.pk}/").content.decode()
    assert 'data-action="new_version"' in admin
    assert 'data-action="respread"' in admin
    assert 'data-ack-status="pending" data-salesperson="S-S1"' in admin


def test_editor_query_count_is_bounded(company, published, django_assert_max_num_queries):
    """The page shell reads the plan's dimensions once; the grid comes from the API."""
    client = _as(company, "admin")
    client.get(f"/plans/{published.pk}/")
    with django_assert_max_num_queries(16):
        assert client.get(f"/plans/{published.pk}/").status_code == 200
    draft = _plan(company, name="Draft")  # with the methods form and per-node inputs
    client.get(f"/plans/{draft.pk}/")
    with django_assert_max_num_queries(16):
        assert client.get(f"/plans/{draft.pk}/").status_code == 200


# --- compare --------------------------------------------------------------------------------


def test_compare_shows_amounts_and_differences_per_node(company, plan):
    admin = company.users["admin"]
    bigger = _plan(company, name="Bigger", total="150000.00")
    response = _as(company, "admin").get(
        f"/plans/compare/?plans={plan.pk},{bigger.pk}&group_by=org_unit"
    )
    assert response.status_code == 200
    result = response.context["result"]
    assert [row["key"] for row in result["rows"]] == ["NORTH", "SOUTH"]
    north = result["rows"][0]["cells"]
    assert north[0]["amount"] == Decimal("60000.00")
    assert north[1]["amount"] == Decimal("75000.00")
    assert north[1]["difference"] == Decimal("15000.00")
    assert north[1]["percent"] == Decimal("25.0")
    assert result["chart"]["datasets"][1]["data"] == ["75000.00", "75000.00"]
    html = response.content.decode()
    assert "+15,000.00" in html
    assert "(+25.0 %)" in html
    assert admin is not None


def test_compare_for_a_manager_stays_in_the_subtree(company, plan):
    scenario = plan_scenario_create(plan=plan, name="What if", actor=company.users["admin"])
    response = _as(company, "manager").get(
        "/plans/compare/",
        {"plans": [str(plan.pk), str(scenario.pk)], "group_by": "salesperson"},
    )
    keys = [row["key"] for row in response.context["result"]["rows"]]
    assert keys == ["S-N1", "S-N2"]


def test_compare_needs_two_visible_plans(company, plan):
    client = _as(company, "admin")
    response = client.get(f"/plans/compare/?plans={plan.pk}")
    assert response.status_code == 400
    assert "Pick between 2 and 10 plans." in response.content.decode()
    south = _plan(company, name="South", root=company.south, total="10.00")
    response = _as(company, "manager").get(f"/plans/compare/?plans={plan.pk},{south.pk}")
    assert response.status_code == 400
    assert client.get("/plans/compare/").status_code == 200  # the empty form


def test_compare_query_count_is_bounded(company, plan, django_assert_max_num_queries):
    scenario = plan_scenario_create(plan=plan, name="What if", actor=company.users["admin"])
    client = _as(company, "manager")
    url = f"/plans/compare/?plans={plan.pk},{scenario.pk}&group_by=month"
    client.get(url)
    with django_assert_max_num_queries(20):
        assert client.get(url).status_code == 200


# --- my targets and acknowledging -----------------------------------------------------------


def test_my_targets_show_targets_and_attainment(company, published):
    ActualCell.objects.create(
        salesperson=company.rep,
        product_line=company.chairs,
        month=dt.date(2024, 2, 1),
        amount=Decimal("3000.5"),
    )
    response = _as(company, "rep").get("/my-targets/")
    card = response.context["cards"][0]
    assert card.year.target == Decimal("30000.00")
    assert card.year.actual == Decimal("3000.5")
    assert card.year.attainment == Decimal("10.0")
    assert card.months[1].actual == Decimal("3000.5")
    assert [line.label for line in card.lines] == [
        "FUR-CH Chairs",
        "FUR-TA Tables",
        "TEC-PH Phones",
    ]
    assert card.lines[0].actual == Decimal("3000.5")
    assert card.quarters[0].attainment == Decimal("40.0")
    html = response.content.decode()
    assert "CNY 30,000.00" in html
    assert "Waiting for your answer" in html


def test_my_targets_for_people_without_targets(company, plan):
    assert (
        "not linked to a salesperson"
        in _as(company, "manager").get("/my-targets/").content.decode()
    )
    html = _as(company, "rep").get("/my-targets/").content.decode()
    assert "No published targets for you yet." in html  # the draft isn't shown


def test_acknowledge_and_dispute(company, published):
    client = _as(company, "rep")
    url = f"/my-targets/{published.pk}/acknowledge/"
    response = client.post(url, {"status": "acknowledged"})
    assert response.status_code == 302
    assert response["Location"] == f"/my-targets/#plan-{published.pk}"
    row = Acknowledgement.objects.get(plan=published, salesperson=company.rep)
    assert row.status == "acknowledged"

    response = client.post(url, {"status": "disputed", "comment": ""})
    assert response.status_code == 400
    assert "Say what you dispute." in response.content.decode()
    row.refresh_from_db()
    assert row.status == "acknowledged"

    response = client.post(url, {"status": "disputed", "comment": "March is too high"})
    assert response.status_code == 302
    row.refresh_from_db()
    assert (row.status, row.comment) == ("disputed", "March is too high")
    page = client.get("/my-targets/").content.decode()
    assert "March is too high" in page
    assert 'data-ack-state="disputed"' in page


def test_only_the_plans_salespeople_acknowledge(company, plan):
    url = f"/my-targets/{plan.pk}/acknowledge/"
    assert _as(company, "manager").post(url, {"status": "acknowledged"}).status_code == 403
    assert _as(company, "nobody").post(url, {"status": "acknowledged"}).status_code == 403
    # A draft is not visible to its salespeople.
    assert _as(company, "rep").post(url, {"status": "acknowledged"}).status_code == 404
    assert not Acknowledgement.objects.exists()


def test_my_targets_query_count_is_bounded(company, published, django_assert_max_num_queries):
    """A fixed set plus 3 aggregates per published plan (never per line, month or cell)."""
    client = _as(company, "rep")
    client.get("/my-targets/")
    with django_assert_max_num_queries(14):
        assert client.get("/my-targets/").status_code == 200
    # Another fiscal year: one published plan a year per org unit.
    _publish(company, _plan(company, name="Second", year=2025))
    with django_assert_max_num_queries(17):
        response = client.get("/my-targets/")
    assert len(response.context["cards"]) == 2


# --- CSRF -----------------------------------------------------------------------------------


def test_form_posts_need_the_csrf_token(company, published):
    draft = _plan(company, name="Draft")
    posts = [
        ("admin", "/plans/new/", _create_data()),
        ("admin", f"/plans/{draft.pk}/allocate/", {}),
        ("admin", f"/plans/{draft.pk}/methods/", _create_data()),
        ("admin", f"/plans/{draft.pk}/method-inputs/", {}),
        ("rep", f"/my-targets/{published.pk}/acknowledge/", {"status": "acknowledged"}),
    ]
    for username, url, data in posts:
        client = _as(company, username, enforce_csrf_checks=True)
        response = client.post(url, data)
        assert response.status_code == 403, url
        assert "security token" in response.content.decode()
    assert not Acknowledgement.objects.exists()
    assert Plan.objects.count() == 2

    client = _as(company, "rep", enforce_csrf_checks=True)
    token = _csrf(client.get("/my-targets/").content.decode())
    response = client.post(
        f"/my-targets/{published.pk}/acknowledge/",
        {"status": "acknowledged", "csrfmiddlewaretoken": token},
    )
    assert response.status_code == 302
    assert Acknowledgement.objects.count() == 1
