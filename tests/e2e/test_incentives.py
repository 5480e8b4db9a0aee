"""A commission statement, the scorecards and the contribution-margin report in Chromium."""

from __future__ import annotations

from decimal import Decimal

import pytest

from performance.commissions.models import CommissionStatement
from performance.commissions.services import commission_plan_create
from performance.costs.services import cost_pool_create
from performance.scorecards.models import Kpi
from performance.scorecards.services import kpi_library_ensure, scorecard_template_create
from tests.performance.commissions.support import sell, target_plan

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def incentives(company):
    people = [company.rep, company.north_peer, company.south_rep]
    tp = target_plan(company, {(p, "2019-07"): "10000.00" for p in people})
    sell(company.rep, "2019-08-10", "12000.00", product_line=company.chairs)
    sell(company.north_peer, "2019-09-10", "6000.00", product_line=company.phones)
    sell(company.south_rep, "2019-10-10", "3000.00", product_line=company.chairs)
    plan = commission_plan_create(
        name="Q plan",
        target_plan=tp,
        period="quarter",
        mode="marginal",
        brackets=[
            {"from": "0", "rate": "0.02"},
            {"from": "0.5", "rate": "0.04"},
            {"from": "1", "rate": "0.06"},
        ],
        cap=Decimal("400"),
    )
    kpi_library_ensure()
    scorecard_template_create(
        name="2019",
        year=2019,
        period="quarter",
        peer_group="region",
        target_plan=tp,
        items=[{"kpi": Kpi.objects.get(code="revenue"), "weight": Decimal(100)}],
    )
    cost_pool_create(
        name="Q4", amount=Decimal("300"), period="2019", driver="equal", dimension="org_unit"
    )
    return plan


def test_manager_follows_a_statement_line_by_line_and_can_print_it(
    page, sign_in, incentives, company
):
    sign_in(page, "manager")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Commissions").click()
    page.locator('[data-statement="S-N1-2019-Q3"] a').click()
    rows = page.locator("#statement-lines tbody tr")
    # 5000 × 2 % = 100, 5000 × 4 % = 200, 2000 × 6 % = 120; 420 capped at 400
    assert [rows.nth(i).inner_text().split("\t")[1:] for i in range(3)] == [
        ["5,000.00", "0.02", "100.00"],
        ["5,000.00", "0.04", "200.00"],
        ["2,000.00", "0.06", "120.00"],
    ]
    assert page.locator('[data-field="subtotal"]').inner_text() == "420.00"
    assert page.locator('[data-field="total"]').inner_text() == "400.00"
    page.emulate_media(media="print")
    assert not page.locator(".site-header").is_visible()
    assert not page.get_by_role("button", name="Approve").is_visible()
    page.emulate_media(media="screen")
    with page.expect_download() as download:
        page.get_by_role("link", name="Download CSV").click()
    assert download.value.suggested_filename == "commission-S-N1-2019-Q3.csv"
    page.get_by_role("button", name="Approve").click()
    assert page.locator('[data-status="approved"]').is_visible()
    statement = CommissionStatement.objects.get(salesperson=company.rep, period="2019-Q3")
    assert statement.status == "approved"


def test_salesperson_sees_only_their_own_statements(page, sign_in, incentives):
    sign_in(page, "rep")
    page.goto("/commissions/")
    codes = page.locator("#statements tbody th").all_inner_texts()
    assert codes
    assert all(code.startswith("S-N1") for code in codes)


def test_scorecards_rank_the_team_with_a_chart(page, sign_in, incentives):
    sign_in(page, "manager")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Scorecards").click()
    page.wait_for_url("**/scorecards/")  # loaded, so the picker's script is listening
    page.wait_for_load_state()
    page.locator("#period").select_option("2019-Q3")
    page.wait_for_url("**period=2019-Q3**")
    ranking = page.locator('table[data-group="NORTH"] tbody tr')
    assert ranking.nth(0).get_attribute("data-salesperson") == "S-N1"
    assert ranking.nth(0).locator('[data-field="score"]').inner_text() == "120.00"
    assert ranking.nth(1).locator('[data-field="rank"]').inner_text() == "2"
    page.wait_for_function("() => window.Chart && Chart.getChart('chart')")
    assert page.evaluate("() => Chart.getChart('chart').data.labels") == ["S-N1", "S-N2"]
    ranking.nth(0).get_by_role("link").click()
    assert page.locator('[data-kpi="revenue"]').inner_text().split("\t") == [
        "revenue",
        "12000.00",
        "10000.00",
        "100.00",
        "120.00",
    ]


def test_contribution_margin_report_with_chart_in_chinese(page, sign_in, incentives):
    sign_in(page, "admin")
    page.goto("/costs/?period=2019&dimension=org_unit")
    page.get_by_role("button", name="中文").click()
    page.wait_for_selector("html[lang=zh-hans]")
    assert page.locator("h1").inner_text() == "贡献毛利"
    rows = page.locator("#contribution tbody tr")
    # 300 split equally: NORTH 150 (revenue 18,000), SOUTH 150 (revenue 3,000)
    assert rows.count() == 2
    assert rows.nth(0).locator('[data-field="allocated"]').inner_text() == "150.00"
    assert rows.nth(1).locator('[data-field="allocated"]').inner_text() == "150.00"
    page.wait_for_function("() => window.Chart && Chart.getChart('chart')")
    assert len(page.evaluate("() => Chart.getChart('chart').data.datasets")) == 3
