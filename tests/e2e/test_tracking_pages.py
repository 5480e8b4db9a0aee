"""Variance report, ranking, alerts and the inbox in Chromium, on a desktop and a phone."""

import datetime as dt

import pytest

from allocation.models import Plan
from allocation.services import acknowledgement_record
from performance.alerts.services import alerts_recompute
from tests.performance.tracking.conftest import line, publish_plan

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


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


def test_variance_report_sorts_and_exports(page, sign_in, tracked):
    sign_in(page, "director")
    page.goto("/reports/variance/?year=2019&period=year")
    rows = page.locator("#table-variance tbody tr")
    assert rows.count() == 3
    page.locator("[data-sort=variance]").click()
    page.wait_for_url("**sort=variance*")
    first = rows.first.inner_text()
    assert first.startswith("S-S1")  # the largest shortfall first
    with page.expect_download() as download:
        page.locator("[data-export=xlsx]").click()
    assert download.value.suggested_filename == "variance-FY2019-year.xlsx"


def test_ranking_drills_to_the_person(page, sign_in, tracked):
    sign_in(page, "director")
    page.goto("/ranking/?year=2019&as_of=2019-03-15")
    rows = page.locator("#table-ranking tbody tr")
    assert rows.count() == 3
    assert rows.first.locator("[data-rank]").inner_text() == "1"
    rows.nth(1).click(position={"x": 500, "y": 5})
    page.wait_for_url("**salesperson=S-S1*")
    assert "Sam South" in page.locator("[data-node-title]").inner_text()


def test_manager_acts_on_alerts_and_reads_a_dispute(page, sign_in, tracked):
    plan = Plan.objects.get(fiscal_year=2019)
    acknowledgement_record(
        plan=plan, status="disputed", comment="Too high", actor=tracked.users["rep"]
    )
    alerts_recompute(as_of=dt.date(2019, 3, 15))
    sign_in(page, "manager")

    badge = page.locator('[data-count="alerts"]')
    badge.wait_for(state="visible")
    before = int(badge.inner_text())
    assert before >= 2
    assert page.locator('[data-count="inbox"]').inner_text() != ""

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Alerts").click()
    table = page.locator("#table-alerts")
    assert "Sam South" not in table.inner_text()
    dispute = table.locator("tr", has_text="Disputed targets")
    dispute.get_by_label("Comment").fill("Moved to tables")
    dispute.get_by_role("button", name="Resolve").click()
    page.wait_for_url("**/alerts/**")
    assert "Alert resolved." in page.locator("main").inner_text()
    assert table.locator("tr", has_text="Disputed targets").count() == 0

    page.goto("/inbox/")
    assert "S-N1 Nora North disputes their targets" in page.locator("#inbox").inner_text()


def test_salesperson_reads_the_resolution_on_a_phone(new_page, sign_in, tracked):
    plan = Plan.objects.get(fiscal_year=2019)
    acknowledgement_record(
        plan=plan, status="disputed", comment="Too high", actor=tracked.users["rep"]
    )
    alerts_recompute(as_of=dt.date(2019, 3, 15))
    from performance.alerts.models import Alert
    from performance.alerts.services import alert_resolve

    alert_resolve(
        alert=Alert.objects.get(kind="dispute"),
        actor=tracked.users["manager"],
        comment="Agreed: -10 %",
    )
    page = new_page(viewport={"width": 375, "height": 812}, is_mobile=True, has_touch=True)
    sign_in(page, "rep")
    page.goto("/inbox/")
    assert "resolved your dispute" in page.locator("#inbox").inner_text()
    assert "Agreed: -10 %" in page.locator("#inbox").inner_text()
    overflow = page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0
    page.goto("/ranking/?year=2019&as_of=2019-03-15")
    assert page.locator("#table-ranking tbody tr").count() == 1
