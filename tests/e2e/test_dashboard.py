"""The dashboard, the navigation per role, the language switch and the phone layout in Chromium."""

import datetime as dt
from decimal import Decimal

import pytest

from customers.services import order_actuals_refresh
from tests.factories import OrderFactory, OrderLineFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def sales(company):
    for day, person, line, amount in [
        (dt.date(2024, 1, 15), company.rep, company.chairs, "1000.10"),
        (dt.date(2024, 3, 2), company.north_peer, company.phones, "250.00"),
        (dt.date(2024, 2, 20), company.south_rep, company.tables, "2000.00"),
    ]:
        OrderLineFactory(
            order=OrderFactory(order_date=day),
            salesperson=person,
            product_line=line,
            amount=Decimal(amount),
        )
    order_actuals_refresh()
    return company


def test_manager_dashboard_draws_charts_with_the_numbers_in_tables(page, sign_in, sales):
    sign_in(page, "manager")

    assert page.locator("[data-kpi=net_sales]").inner_text() == "1,250.10"
    page.wait_for_function("() => window.Chart && Chart.getChart('chart-months')")
    drawn = page.evaluate(
        "() => ['chart-months', 'chart-breakdown'].map(id => {"
        "  const chart = Chart.getChart(id);"
        "  return {bars: chart.data.datasets[0].data.length, width: chart.width};"
        "})"
    )
    assert drawn[0]["bars"] == 12
    assert drawn[1]["bars"] == 1
    assert all(chart["width"] > 100 for chart in drawn)
    months = page.locator("#table-months tbody tr")
    assert months.nth(0).inner_text().split("\t") == ["January 2024", "1,000.10", "1"]
    assert page.locator("#table-breakdown tbody").inner_text().startswith("N-T1 North team")
    assert "South" not in page.locator("main").inner_text()


def test_salesperson_has_no_imports_and_is_refused_there(page, sign_in, sales):
    sign_in(page, "rep")

    nav = page.get_by_role("navigation", name="Main")
    assert nav.get_by_role("link", name="Orders").is_visible()
    assert nav.get_by_role("link", name="Imports").count() == 0
    assert page.locator("[data-kpi=net_sales]").inner_text() == "1,000.10"
    assert "Actuals by product line" in page.locator("#breakdown-title").inner_text()

    response = page.goto("/imports/")
    assert response.status == 403
    assert page.get_by_role("heading", name="Access denied").is_visible()


def test_switching_to_chinese_translates_the_navigation(page, sign_in, sales):
    sign_in(page, "manager")

    page.get_by_role("button", name="中文").click()
    page.wait_for_selector("html[lang=zh-hans]")
    nav = page.get_by_role("navigation", name="主导航")
    links = [link.inner_text() for link in nav.get_by_role("link").all()]
    assert {"仪表盘", "订单", "导入", "API 文档"} <= set(links)
    assert "Dashboard" not in links
    assert page.get_by_role("heading", level=1).inner_text() == "仪表盘"
    assert page.get_by_role("button", name="退出登录").is_visible()
    assert page.locator("#table-months tbody tr").nth(0).inner_text().startswith("2024年1月")

    page.get_by_role("button", name="English").click()
    page.wait_for_selector("html[lang=en]")
    assert page.get_by_role("heading", level=1).inner_text() == "Dashboard"


def test_dashboard_fits_a_phone_and_the_menu_collapses(new_page, sign_in, sales):
    page = new_page(viewport={"width": 375, "height": 812}, is_mobile=True, has_touch=True)
    sign_in(page, "admin")
    page.wait_for_function("() => window.Chart && Chart.getChart('chart-breakdown')")

    overflow = page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0
    nav_link = page.get_by_role("navigation", name="Main").get_by_role("link", name="Orders")
    toggle = page.get_by_role("button", name="Menu")
    assert toggle.is_visible()
    assert not nav_link.is_visible()
    toggle.click()
    assert toggle.get_attribute("aria-expanded") == "true"
    assert nav_link.is_visible()
    chart_box = page.locator("#chart-months").bounding_box()
    assert chart_box["x"] >= 0
    assert chart_box["x"] + chart_box["width"] <= 375
