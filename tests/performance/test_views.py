"""The dashboard: each role sees its own scope, charts get their data safely, few queries."""

import datetime as dt
import json
import re
from decimal import Decimal

import pytest
from django.test import Client

from customers.services import order_actuals_refresh
from tests.factories import OrderFactory, OrderLineFactory

pytestmark = pytest.mark.django_db


def _line(day: dt.date, salesperson, product_line, amount: str, customer=None):
    order = OrderFactory(order_date=day, **({"customer": customer} if customer else {}))
    return OrderLineFactory(
        order=order, salesperson=salesperson, product_line=product_line, amount=Decimal(amount)
    )


@pytest.fixture
def sales(company):
    """2024: north rep 1,000.10 + 234.567 (chairs, tables); peer 500; south 2,000; 2023: 7."""
    _line(dt.date(2024, 1, 15), company.rep, company.chairs, "1000.10")
    _line(dt.date(2024, 3, 2), company.rep, company.tables, "234.567")
    _line(dt.date(2024, 3, 9), company.rep, company.phones, "-34.567")  # a return
    _line(dt.date(2024, 2, 1), company.north_peer, company.phones, "500.00")
    _line(dt.date(2024, 2, 20), company.south_rep, company.chairs, "2000.00")
    _line(dt.date(2023, 6, 1), company.rep, company.chairs, "7.00")
    order_actuals_refresh()
    return company


def _as(company, username: str) -> Client:
    client = Client()
    client.force_login(company.users[username])
    return client


def _table(html: str, table_id: str) -> list[list[str]]:
    """The cells of one table's body rows, tags stripped."""
    body = html.split(f'id="{table_id}"', 1)[1].split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    rows = re.findall(r"<tr>(.*?)</tr>", body, flags=re.S)
    cells = [re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, flags=re.S) for row in rows]
    return [[" ".join(re.sub(r"<[^>]+>", " ", cell).split()) for cell in row] for row in cells]


def _chart_data(html: str) -> dict:
    raw = html.split('<script id="dashboard-data" type="application/json">', 1)[1]
    return json.loads(raw.split("</script>", 1)[0])


def _kpi(html: str, name: str) -> str:
    return re.search(rf'data-kpi="{name}">([^<]*)<', html).group(1)


def test_anonymous_is_sent_to_sign_in():
    response = Client().get("/dashboard/")
    assert response.status_code == 302
    assert response["Location"] == "/login/?next=/dashboard/"


def test_root_redirects_to_the_dashboard(sales):
    response = _as(sales, "manager").get("/")
    assert response.status_code == 302
    assert response["Location"] == "/dashboard/"


def test_admin_sees_the_whole_company_for_the_latest_year(sales):
    html = _as(sales, "admin").get("/dashboard/").content.decode()

    assert _kpi(html, "net_sales") == "3,700.10"
    assert _kpi(html, "order_lines") == "5"
    assert _kpi(html, "customers") == "5"
    assert '<option value="2024" selected>2024</option>' in html
    assert '<option value="2023">2023</option>' in html
    assert _table(html, "table-breakdown") == [
        ["SOUTH South", "2,000.00", "54.1%", "1"],
        ["NORTH North", "1,700.10", "45.9%", "4"],
    ]
    months = _table(html, "table-months")
    assert len(months) == 12
    assert months[0] == ["January 2024", "1,000.10", "1"]
    assert months[2] == ["March 2024", "200.00", "2"]
    assert 'id="chart-months"' in html
    assert 'id="chart-breakdown"' in html


def test_year_picker_switches_year_and_ignores_unknown_years(sales):
    client = _as(sales, "admin")
    html = client.get("/dashboard/", {"year": "2023"}).content.decode()
    assert _kpi(html, "net_sales") == "7.00"
    html = client.get("/dashboard/", {"year": "1999"}).content.decode()
    assert _kpi(html, "net_sales") == "3,700.10"


def test_manager_sees_only_their_subtree(sales):
    html = _as(sales, "manager").get("/dashboard/").content.decode()

    assert _kpi(html, "net_sales") == "1,700.10"
    assert _table(html, "table-breakdown") == [["N-T1 North team", "1,700.10", "100.0%", "4"]]
    assert "South" not in html
    assert "2,000.00" not in html


def test_salesperson_sees_their_own_product_line_split(sales):
    html = _as(sales, "rep").get("/dashboard/").content.decode()

    assert _kpi(html, "net_sales") == "1,200.10"
    assert "Actuals by product line, 2024" in html
    assert _table(html, "table-breakdown") == [
        ["FUR Furniture", "1,234.67", "102.9%", "2"],
        ["TEC Technology", "-34.57", "-2.9%", "1"],
    ]
    assert "Ned North" not in html
    assert "500.00" not in html


def test_user_without_a_role_gets_an_empty_dashboard(sales):
    html = _as(sales, "nobody").get("/dashboard/").content.decode()
    assert "Ask an administrator" in html
    assert "chart-months" not in html
    assert "chart.umd.min.js" not in html


def test_dashboard_without_data_invites_an_import(company):
    html = _as(company, "manager").get("/dashboard/").content.decode()
    assert "No actuals yet" in html
    assert 'href="/imports/"' in html


def test_chart_data_is_json_script_with_exact_decimal_strings(sales):
    sales.north_team.name = "</script><script>alert(1)</script>"
    sales.north_team.save(update_fields=["name"])
    html = _as(sales, "manager").get("/dashboard/").content.decode()

    data = _chart_data(html)
    assert data["breakdown"] == [
        {
            "key": "N-T1",
            "label": "</script><script>alert(1)</script>",
            "amount": "1700.10",
            "target": None,
        }
    ]
    assert [row["amount"] for row in data["months"][:3]] == ["1000.10", "500.00", "200.00"]
    assert "<script>alert(1)</script>" not in html


def test_dashboard_queries_are_bounded(sales, django_assert_max_num_queries):
    client = _as(sales, "admin")
    with django_assert_max_num_queries(12):
        assert client.get("/dashboard/").status_code == 200


def test_dashboard_renders_in_chinese(sales):
    client = _as(sales, "manager")
    html = client.get("/dashboard/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert '<html lang="zh-hans"' in html
    assert "仪表盘" in html
    assert "2024年1月" in html


# --- targets of the published plan on the dashboard -----------------------------------------


def _plan(company, *, publish: bool = True, total: str = "1200.00"):
    from allocation.services import (
        plan_allocate,
        plan_approve,
        plan_create,
        plan_publish,
        plan_submit,
    )

    admin = company.users["admin"]
    plan = plan_create(
        name="FY2024",
        fiscal_year=2024,
        total_amount=Decimal(total),
        root_org_unit=company.root,
        method_config={
            "org": {"method": "equal"},
            "product_line": {"method": "equal"},
            "seasonality": {"method": "uniform"},
        },
        actor=admin,
    )
    plan = plan_allocate(plan=plan, actor=admin)
    if publish:
        for step in (plan_submit, plan_approve, plan_publish):
            plan = step(plan=plan, actor=admin)
    return plan


def test_dashboard_shows_the_published_plans_targets_and_attainment(sales):
    _plan(sales)

    html = _as(sales, "admin").get("/dashboard/?year=2024").content.decode()

    assert _kpi(html, "target") == "1,200.00"
    assert _kpi(html, "attainment") == "308.3%"  # 3,700.10 / 1,200.00
    months = _chart_data(html)["months"]
    targets = [Decimal(m["target"]) for m in months]
    assert sum(targets) == Decimal("1200.00")
    assert all(abs(t - 100) < 1 for t in targets)  # uniform seasonality, cents per leaf row
    january = _table(html, "table-months")[0]
    assert january[1:3] == ["1,000.10", f"{targets[0]:,.2f}"]
    assert january[3] == f"{(Decimal('1000.10') * 100 / targets[0]):.1f}%"
    breakdown = {row["key"]: row["target"] for row in _chart_data(html)["breakdown"]}
    assert breakdown == {"NORTH": "600.00", "SOUTH": "600.00"}


def test_each_role_sees_only_the_targets_of_its_scope(sales):
    _plan(sales)

    manager = _as(sales, "manager").get("/dashboard/?year=2024").content.decode()
    rep = _as(sales, "rep").get("/dashboard/?year=2024").content.decode()

    assert _kpi(manager, "target") == "600.00"  # NORTH only
    assert _kpi(rep, "target") == "300.00"  # S-N1 only (NORTH's 600 split over 2 people)
    assert "SOUTH" not in json.dumps(_chart_data(manager))


def test_a_draft_plan_puts_no_targets_on_the_dashboard(sales):
    _plan(sales, publish=False)

    html = _as(sales, "admin").get("/dashboard/?year=2024").content.decode()

    assert 'data-kpi="target"' not in html
    assert all(m["target"] is None for m in _chart_data(html)["months"])
