"""Comparing a plan with a what-if scenario: picked on the list, drawn as grouped bars."""

from __future__ import annotations

from decimal import Decimal

import pytest

from allocation.services import cell_edit, plan_allocate, plan_create, plan_scenario_create

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_manager_compares_a_plan_with_its_scenario(page, sign_in, company):
    admin = company.users["admin"]
    plan = plan_create(
        name="FY2024 targets",
        fiscal_year=2024,
        total_amount=Decimal("120000.00"),
        method_config={
            "org": {"method": "equal"},
            "product_line": {"method": "equal"},
            "seasonality": {"method": "uniform"},
        },
        actor=admin,
    )
    plan = plan_allocate(plan=plan, actor=admin)
    scenario = plan_scenario_create(plan=plan, name="Stretch", actor=admin)
    cell_edit(plan=scenario, salesperson="S-N1", amount=Decimal("36000"), actor=admin)

    sign_in(page, "manager")
    page.goto("/plans/")
    page.get_by_label("Compare FY2024 targets").check()
    page.get_by_label("Compare Stretch").check()
    page.get_by_role("button", name="Compare selected").click()
    page.get_by_label("Group by").select_option("salesperson")
    page.get_by_role("button", name="Compare", exact=True).click()

    rows = page.locator("#compare-table tbody tr")
    assert rows.count() == 2  # the manager's two people only
    assert rows.nth(0).inner_text().split("\t") == [
        "S-N1 Nora North",
        "30,000.00",
        "36,000.00",
        "+6,000.00 (+20.0 %)",
    ]
    assert rows.nth(1).inner_text().split("\t")[3] == "-6,000.00 (-20.0 %)"
    page.wait_for_function("() => window.Chart && Chart.getChart('compare-chart')")
    bars = page.evaluate("() => Chart.getChart('compare-chart').data.datasets.map(d => d.data)")
    assert bars == [[30000, 30000], [36000, 24000]]
