"""The dashboard in Chromium: drill-down by bar and by row, breadcrumbs, URL, phone, Chinese."""

import datetime as dt

import pytest

from tests.performance.tracking.conftest import line, publish_plan

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

Q = "/dashboard/?year=2019&as_of=2019-03-15"


@pytest.fixture
def tracked(company):
    from customers.services import order_actuals_refresh

    publish_plan(company)
    line(dt.date(2019, 1, 10), company.rep, company.chairs, "900.00")
    line(dt.date(2019, 2, 10), company.rep, company.chairs, "1100.00")
    line(dt.date(2019, 3, 5), company.rep, company.chairs, "600.00")
    line(dt.date(2019, 2, 1), company.north_peer, company.phones, "400.00")
    line(dt.date(2019, 1, 20), company.south_rep, company.chairs, "3000.00")
    order_actuals_refresh()
    return company


def _click_bar(page, chart_id: str, index: int) -> None:
    page.wait_for_function(f"() => window.Chart && Chart.getChart('{chart_id}')")
    point = page.evaluate(
        f"() => {{ const c = Chart.getChart('{chart_id}');"
        f"  const bar = c.getDatasetMeta(0).data[{index}];"
        "  const box = c.canvas.getBoundingClientRect();"
        "  return {x: box.left + (bar.base + bar.x) / 2, y: box.top + bar.y}; }"
    )
    page.mouse.click(point["x"], point["y"])


def test_director_drills_from_the_company_to_a_salesperson(page, sign_in, tracked):
    sign_in(page, "director")
    page.goto(Q)

    assert page.locator("[data-kpi=target]").inner_text() == "42,000.00"
    assert page.locator("#children-title").inner_text() == "By region"
    page.wait_for_function("() => window.Chart && Chart.getChart('chart-cumulative')")
    lines = page.evaluate("() => Chart.getChart('chart-cumulative').data.datasets.length")
    assert lines == 3  # target, actual, forecast

    # a bar drills down to the region
    _click_bar(page, "chart-children", 0)
    page.wait_for_url("**org_unit=NORTH*")
    assert page.locator("#children-title").inner_text() == "By team"

    # a row drills down to the team, then a person
    page.locator("#table-children tbody tr").first.click(position={"x": 300, "y": 5})
    page.wait_for_url("**org_unit=N-T1*")
    assert page.locator("#children-title").inner_text() == "By salesperson"
    page.get_by_role("link", name="S-N1 Nora North").click()
    page.wait_for_url("**salesperson=S-N1*")
    assert page.locator("[data-kpi=actual_to_date]").inner_text() == "2,600.00"
    crumbs = page.get_by_role("navigation", name="Breadcrumbs")
    assert crumbs.inner_text().split(" › ") == ["Acme", "North", "North team", "Nora North"]

    # breadcrumbs go back up, keeping the year and the date
    crumbs.get_by_role("link", name="North", exact=True).click()
    page.wait_for_url("**org_unit=NORTH*")
    assert "year=2019" in page.url
    assert "as_of=2019-03-15" in page.url


def test_pickers_change_the_year_and_date(page, sign_in, tracked):
    sign_in(page, "admin")
    page.goto(Q)
    page.get_by_label("As of").fill("2019-02-28")
    page.get_by_label("As of").dispatch_event("change")
    page.wait_for_url("**as_of=2019-02-28*")
    assert page.locator("[data-kpi=actual_to_date]").inner_text() == "5,400.00"


def test_salesperson_lands_on_their_own_pace(page, sign_in, tracked):
    sign_in(page, "rep")
    page.goto("/dashboard/?year=2019&as_of=2019-03-15")
    assert "Nora North" in page.locator("[data-node-title]").inner_text()
    assert page.locator("#children-title").inner_text() == "By product line"
    assert "Ned North" not in page.locator("main").inner_text()
    response = page.goto("/dashboard/?salesperson=S-N2")
    assert response.status == 404


def test_dashboard_fits_a_phone(new_page, sign_in, tracked):
    page = new_page(viewport={"width": 375, "height": 812}, is_mobile=True, has_touch=True)
    sign_in(page, "manager")
    page.goto(Q)
    page.wait_for_function("() => window.Chart && Chart.getChart('chart-cumulative')")

    overflow = page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0
    for key in ("target", "actual_to_date", "expected_to_date", "pace", "forecast"):
        box = page.locator(f"[data-kpi={key}]").bounding_box()
        assert box["x"] >= 0, key
        assert box["x"] + box["width"] <= 375, key
    toggle = page.get_by_role("button", name="Menu")
    assert toggle.is_visible()


def test_switching_to_chinese_translates_the_dashboard(page, sign_in, tracked):
    sign_in(page, "manager")
    page.goto(Q)
    page.get_by_role("button", name="中文").click()
    page.wait_for_selector("html[lang=zh-hans]")
    nav = page.get_by_role("navigation", name="主导航")
    assert "仪表盘" in [link.inner_text() for link in nav.get_by_role("link").all()]
    assert page.get_by_role("heading", level=1).inner_text() == "仪表盘"
    assert page.locator("#children-title").inner_text() == "按团队"
    assert page.locator("#table-months tbody tr").nth(0).inner_text().startswith("2019年1月")
