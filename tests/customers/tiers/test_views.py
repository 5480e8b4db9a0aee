"""Tier pages for every role: Customers (filters, sort, export), customer page, migration
matrix, rule editor; personal data only for admins and the responsible manager."""

from __future__ import annotations

import csv
import io

import pytest
from django.test import Client
from openpyxl import load_workbook

from customers.tiers.models import TierRule, TierRun, TierSettings

pytestmark = pytest.mark.django_db


def _as(world, username: str) -> Client:
    client = Client()
    client.force_login(world.company.users[username])
    return client


def _pages(world) -> list[str]:
    return [
        "/customers/",
        "/customers/export.csv",
        "/customers/export.xlsx",
        "/customers/CS/",
        f"/tiers/migration/?from_run={world.spring.pk}&to_run={world.summer.pk}&by=tier",
    ]


ADMIN_PAGES = ["/tiers/rules/", "/tiers/rules/new/"]


def test_anonymous_is_sent_to_login(tier_world):
    for url in [*_pages(tier_world), *ADMIN_PAGES]:
        response = Client().get(url)
        assert response.status_code == 302, url
        assert "/login/" in response["Location"], url


def test_no_role_gets_403(tier_world):
    for url in [*_pages(tier_world), *ADMIN_PAGES]:
        assert _as(tier_world, "nobody").get(url).status_code == 403, url


@pytest.mark.parametrize("username", ["admin", "director", "manager", "other_manager", "rep"])
def test_every_role_opens_the_pages_and_only_admins_the_rule_editor(tier_world, username):
    client = _as(tier_world, username)
    for url in _pages(tier_world):
        assert client.get(url).status_code == 200, url
    admin = username in ("admin", "director")
    for url in ADMIN_PAGES:
        assert client.get(url).status_code == (200 if admin else 403), url
    rule = TierRule.objects.first()
    assert client.post(f"/tiers/rules/{rule.pk}/", {"action": "save"}).status_code == (
        200 if admin else 403
    )


@pytest.mark.parametrize(
    ("username", "codes"),
    [
        ("admin", ["CN", "CX", "CP", "CS"]),  # by net amount, descending
        ("manager", ["CN", "CP", "CS"]),
        ("other_manager", ["CX", "CS"]),
        ("rep", ["CN", "CS"]),
    ],
)
def test_customers_page_is_scoped_and_sorted(tier_world, username, codes):
    page = _as(tier_world, username).get("/customers/")
    assert [row.customer.code for row in page.context["page"].object_list] == codes
    assert page.context["run"] == tier_world.summer  # the latest snapshot by default


@pytest.mark.parametrize(
    ("query", "codes"),
    [
        ("tier=small", ["CP", "CS"]),
        ("segment=lost", ["CP"]),
        ("abc=A", ["CN", "CX"]),
        ("region=South", ["CX", "CS"]),
        ("salesperson=S-N2", ["CP"]),
        ("salesperson=S-N1", ["CN", "CS"]),  # owns CN, sold to CS
        ("q=north", ["CN"]),
        ("sort=code", ["CN", "CP", "CS", "CX"]),
        ("sort=-recency", ["CP", "CX", "CN", "CS"]),
        ("r=1&f=2", ["CP"]),
        ("run={spring}&sort=code", ["CN", "CP", "CS", "CX"]),
    ],
)
def test_customers_page_filters(tier_world, query, codes):
    page = _as(tier_world, "admin").get("/customers/?" + query.format(spring=tier_world.spring.pk))
    assert [row.customer.code for row in page.context["page"].object_list] == codes


def test_customers_page_shows_distribution_heatmap_and_service_plan(tier_world):
    page = _as(tier_world, "admin").get("/customers/")
    html = page.content.decode()
    assert {(d["key"], d["customers"]) for d in page.context["distribution"]} == {
        ("big", 2),
        ("small", 2),
    }
    heat = {(c["r"], c["f"]): c["customers"] for line in page.context["heatmap"] for c in line}
    assert sum(heat.values()) == 4
    assert heat[(1, 2)] == 1
    assert heat[(4, 4)] == 1
    assert 'id="rf-heatmap"' in html
    assert 'id="chart-tiers"' in html
    assert "10 %" in html
    assert "Quarterly" in html


def test_a_salesperson_filter_outside_scope_is_refused(tier_world):
    page = _as(tier_world, "rep").get("/customers/?salesperson=S-S1")
    unfiltered = _as(tier_world, "rep").get("/customers/")
    assert "salesperson" in page.context["form"].errors
    # the message names the parameter; the list is the viewer's own, as without the filter
    assert "“salesperson=S-S1” in the address can" in page.content.decode().replace("&#x27;", "'")
    assert list(page.context["page"].object_list) == list(unfiltered.context["page"].object_list)


def _csv(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))


def test_export_is_formula_safe_and_personal_data_follows_responsibility(tier_world):
    # manager (North) is responsible for CN and CP (owners in North) but not CS (owned South)
    rows = _csv(_as(tier_world, "manager").get("/customers/export.csv?sort=code"))
    header, body = rows[0], {row[0]: row for row in rows[1:]}
    assert header[-3:] == ["phone", "email", "address"]
    assert body["CN"][-3:] == ["555-0100", "x@example.com", "1 Main St"]
    assert body["CS"][-3:] == ["", "", ""]
    assert body["CS"][1] == "'=cmd()"  # formula-like name neutralised
    assert body["CN"][8] == "1000"
    assert body["CN"][14] == "big"
    assert body["CN"][16] == "10 %"

    admin = {r[0]: r for r in _csv(_as(tier_world, "admin").get("/customers/export.csv"))[1:]}
    assert admin["CS"][-3:] == ["555-0100", "x@example.com", "1 Main St"]

    rep_rows = _csv(_as(tier_world, "rep").get("/customers/export.csv"))
    assert "phone" not in rep_rows[0]
    assert len(rep_rows) == 3
    assert not any("555-0100" in cell for row in rep_rows for cell in row)


def test_xlsx_export_writes_text_cells_as_strings(tier_world):
    response = _as(tier_world, "admin").get("/customers/export.xlsx?sort=code")
    sheet = load_workbook(io.BytesIO(response.content)).active
    values = list(sheet.iter_rows(values_only=True))
    cs = next(row for row in values if row[0] == "CS")
    assert cs[1] == "=cmd()"
    cell = next(c for c in sheet["B"] if c.value == "=cmd()")
    assert cell.data_type == "s"


@pytest.mark.parametrize(
    ("username", "code", "personal"),
    [
        ("admin", "CS", True),
        ("manager", "CN", True),
        ("manager", "CS", False),  # sold to by North, owned by South
        ("other_manager", "CS", True),
        ("rep", "CN", False),
    ],
)
def test_customer_page_shows_personal_data_only_to_the_responsible(
    tier_world, username, code, personal
):
    page = _as(tier_world, username).get(f"/customers/{code}/")
    assert page.status_code == 200
    assert ("555-0100" in page.content.decode()) is personal


def test_customer_page_outside_scope_is_404(tier_world):
    assert _as(tier_world, "rep").get("/customers/CX/").status_code == 404
    assert _as(tier_world, "manager").get("/customers/CX/").status_code == 404


def test_customer_page_has_history_timeline_plan_and_orders(tier_world):
    page = _as(tier_world, "admin").get("/customers/CN/")
    assert [row.snapshot.run.as_of.isoformat() for row in page.context["history"]] == [
        "2019-04-01",
        "2019-07-01",
    ]
    assert [(step.tier, step.runs) for step in page.context["timeline"]] == [("big", 2)]
    assert page.context["plan"].discount_policy == "10 %"
    assert [line.order.order_no for line in page.context["lines"]] == ["N2", "N1"]


def test_customer_page_orders_are_scoped_to_the_salesperson(tier_world):
    page = _as(tier_world, "rep").get("/customers/CS/")
    assert [line.order.order_no for line in page.context["lines"]] == ["S1"]


def test_migration_page_matrix_and_drill_down(tier_world):
    spring, summer = tier_world.spring.pk, tier_world.summer.pk
    url = f"/tiers/migration/?from_run={spring}&to_run={summer}&by=abc"
    page = _as(tier_world, "admin").get(url + "&cell_from=A&cell_to=A")
    counts = [[cell["customers"] for cell in line["cells"]] for line in page.context["matrix"]]
    assert counts == [[2, 0, 0], [0, 1, 0], [0, 0, 1]]
    assert [item["customer"].code for item in page.context["drill"]] == ["CN", "CX"]

    rep = _as(tier_world, "rep").get(url + "&cell_from=A&cell_to=A")
    assert [item["customer"].code for item in rep.context["drill"]] == ["CN"]


def test_migration_page_defaults_to_the_two_latest_runs(tier_world):
    page = _as(tier_world, "manager").get("/tiers/migration/")
    assert (page.context["from_run"], page.context["to_run"]) == (
        tier_world.spring,
        tier_world.summer,
    )


RULE = {
    "code": "mid",
    "name": "Mid",
    "monetary_min": "100",
    "monetary_max": "800",
    "regions": "North, South",
    "discount_policy": "5 %",
}


def test_rule_preview_counts_without_saving(tier_world):
    page = _as(tier_world, "admin").post("/tiers/rules/new/", {**RULE, "action": "preview"})
    assert page.status_code == 200
    rows = page.context["preview"]["rows"]
    # a new rule goes last: big (>= 500) takes CN and CX, the catch-all "small" the rest,
    # so "mid" would take nobody -- which is what the preview is for
    assert [(name, count, mine) for name, _code, count, mine in rows] == [
        ("Big", 2, False),
        ("Small", 2, False),
        ("Mid", 0, True),
    ]
    assert not TierRule.objects.filter(code="mid").exists()


def test_rule_save_validates_and_appends(tier_world):
    client = _as(tier_world, "admin")
    bad = client.post("/tiers/rules/new/", {**RULE, "monetary_max": "50", "action": "save"})
    assert bad.status_code == 200
    assert "monetary_max" in bad.context["form"].errors
    duplicate = client.post("/tiers/rules/new/", {**RULE, "code": "big", "action": "save"})
    assert "code" in duplicate.context["form"].errors

    response = client.post("/tiers/rules/new/", {**RULE, "action": "save"})

    assert response.status_code == 302
    rule = TierRule.objects.get(code="mid")
    assert (rule.regions, rule.position) == (["North", "South"], 2)
    listing = client.get("/tiers/rules/")
    assert [(r.rule.code, r.customers) for r in listing.context["rules"]] == [
        ("big", 2),
        ("small", 2),
        ("mid", 0),
    ]
    client.post("/tiers/rules/", {"action": "up", "rule": rule.pk})
    client.post("/tiers/rules/", {"action": "up", "rule": rule.pk})
    listing = client.get("/tiers/rules/")
    # mid first: 100..800 in North/South takes CP (300) and CX (700); big then CN
    assert [(r.rule.code, r.customers) for r in listing.context["rules"]] == [
        ("mid", 2),
        ("big", 1),
        ("small", 1),
    ]


def test_settings_and_run_start_from_the_rule_page(tier_world, django_capture_on_commit_callbacks):
    client = _as(tier_world, "admin")
    bad = client.post(
        "/tiers/rules/", {"action": "settings", "abc_a": "0.9", "abc_b": "0.8", "window_days": ""}
    )
    assert "abc_b" in bad.context["settings_form"].errors
    ok = client.post(
        "/tiers/rules/", {"action": "settings", "abc_a": "0.7", "abc_b": "0.9", "window_days": "90"}
    )
    assert ok.status_code == 302
    assert TierSettings.objects.get(pk=1).window_days == 90

    with django_capture_on_commit_callbacks(execute=True):
        client.post("/tiers/rules/", {"action": "run", "as_of": "2019-07-01", "window_days": ""})

    run = TierRun.objects.latest("pk")
    assert (run.status, run.window_days, str(run.abc_a)) == ("succeeded", 90, "0.7000")


def test_pages_speak_chinese(tier_world):
    client = _as(tier_world, "manager")
    client.cookies["django_language"] = "zh-hans"
    html = client.get("/customers/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "等级分布" in html
    assert "重要价值客户" in html or "忠诚客户" in html  # segment names
    matrix = client.get("/tiers/migration/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "迁移矩阵" in matrix


def test_pages_work_before_any_snapshot(company):
    client = Client()
    client.force_login(company.users["manager"])
    page = client.get("/customers/")
    assert page.status_code == 200
    assert "No tier snapshot yet" in page.content.decode()
    assert "At least two tier snapshots" in client.get("/tiers/migration/").content.decode()


def test_customers_page_query_count_does_not_grow_with_rows(
    tier_world, django_assert_max_num_queries
):
    client = _as(tier_world, "manager")
    client.get("/customers/")  # warm the session
    with django_assert_max_num_queries(16):
        assert client.get("/customers/").status_code == 200
