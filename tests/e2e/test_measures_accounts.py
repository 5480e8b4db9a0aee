"""Measures and account targets in headless Chromium: the editor's measure switch and a
quantity edit in whole units, the dashboard's measure switch, and a salesperson setting and
reading their account targets on a phone.

The FY2024 plan is split with equal methods: 120,000.00 and 1,200 units halve per region and
again per northern salesperson (S-N1: 300 units), a third per leaf line (100 units), and the
months of a line share 100 = 12 x 8 + 4 units, the four units left to the earliest months:
S-N1's January to April are 3 x 9 = 27 units, May to December 3 x 8 = 24.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from allocation.models import Plan, TargetCell
from allocation.services import (
    measure_plan_create,
    plan_allocate,
    plan_approve,
    plan_create,
    plan_publish,
    plan_submit,
)
from customers.services import order_actuals_refresh
from tests.factories import CustomerFactory, OrderFactory, OrderLineFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

EQUAL = {
    "org": {"method": "equal"},
    "product_line": {"method": "equal"},
    "seasonality": {"method": "uniform"},
}
PHONE = {"width": 375, "height": 812}


def _plan(company, *, publish: bool) -> Plan:
    admin = company.users["admin"]
    plan = plan_create(
        name="FY2024 targets",
        fiscal_year=2024,
        total_amount=Decimal("120000.00"),
        method_config=EQUAL,
        actor=admin,
    )
    plan = plan_allocate(plan=plan, actor=admin)
    quantity = measure_plan_create(
        plan=plan, measure="quantity", total_amount=Decimal(1200), actor=admin
    )
    plan_allocate(plan=quantity, actor=admin)
    if publish:
        plan = plan_submit(plan=plan, actor=admin)
        plan = plan_approve(plan=plan, actor=company.users["director"])
        plan = plan_publish(plan=plan, actor=company.users["director"])
    return plan


def _cell(page: Any, key: str, period: str) -> Any:
    return page.locator(f'tr[data-key="{key}"] td[data-period="{period}"] .cell__value')


def _edit(page: Any, key: str, period: str, text: str) -> None:
    page.locator(f'tr[data-key="{key}"] td[data-period="{period}"]').click()
    page.keyboard.type(text)
    page.keyboard.press("Enter")


def test_the_editor_switches_to_quantity_and_edits_whole_units(page, sign_in, company):
    plan = _plan(company, publish=False)
    quantity = plan.measures.get()
    sign_in(page, "manager")
    page.goto(f"/plans/{plan.pk}/")
    page.wait_for_selector("#plan-grid[data-ready=true]")
    assert page.locator("#grid-total td[data-period=year]").inner_text() == "60,000.00"

    page.locator("[data-measure-tabs]").get_by_role("link", name="Quantity").click()
    page.wait_for_url(f"**/plans/{quantity.pk}/")
    page.wait_for_selector("#plan-grid[data-ready=true]")
    assert page.locator("[data-plan-total]").inner_text() == "1,200 units"
    assert page.locator("#grid-total td[data-period=year]").inner_text() == "600"
    page.locator('tr[data-key="u:N-T1"] [data-toggle]').click()
    page.wait_for_selector('tr[data-key="s:S-N1"]')
    assert _cell(page, "s:S-N1", "2024-03").inner_text() == "27"
    assert _cell(page, "s:S-N1", "2024-12").inner_text() == "24"

    # Part units are refused with the reason; nothing moves.
    _edit(page, "s:S-N1", "2024-03", "2.5")
    error = page.locator("#cell-error")
    error.wait_for(state="visible")
    assert "whole number of units" in error.inner_text()
    page.keyboard.press("Escape")
    assert _cell(page, "s:S-N1", "2024-03").inner_text() == "27"

    # 40 units in March: the year stays 300, the other months share 260 in whole units.
    _edit(page, "s:S-N1", "2024-03", "40")
    page.wait_for_selector('tr[data-key="s:S-N1"] td[data-period="2024-03"].is-edited')
    page.wait_for_selector("#plan-grid[data-busy=false]")
    assert _cell(page, "s:S-N1", "2024-03").inner_text() == "40"
    assert _cell(page, "s:S-N1", "year").inner_text() == "300"
    others = [_cell(page, "s:S-N1", f"2024-{m:02d}").inner_text() for m in range(1, 13) if m != 3]
    assert all("." not in text for text in others)
    assert sum(int(text) for text in others) == 260
    cells = TargetCell.objects.filter(plan=quantity).values_list("amount", flat=True)
    assert sum(cells) == Decimal(1200)
    assert all(value == value.to_integral_value() for value in cells)


def test_the_dashboard_switches_measure(page, sign_in, company):
    _plan(company, publish=True)
    OrderLineFactory(
        order=OrderFactory(order_date=dt.date(2024, 2, 10)),
        salesperson=company.rep,
        product_line=company.chairs,
        quantity=Decimal(7),
        amount=Decimal("700.00"),
    )
    order_actuals_refresh()
    sign_in(page, "admin")
    page.goto("/dashboard/?year=2024&as_of=2024-12-31")
    assert page.locator("[data-kpi=target]").inner_text() == "120,000.00"

    page.locator("[data-measure-tabs]").get_by_role("link", name="Quantity").click()
    page.wait_for_selector("[data-measure-tabs] [aria-current=page][data-measure=quantity]")
    assert page.locator("[data-kpi=target]").inner_text() == "1,200"
    assert page.locator("#table-months tbody tr").nth(1).locator("td").nth(1).inner_text() == "7"


def test_a_salesperson_sets_account_targets_on_a_phone(new_page, sign_in, company):
    plan = _plan(company, publish=True)
    key = CustomerFactory(code="C-1", name="Key account one", owner=company.rep)
    for customer, amount in ((key, "800.00"), (CustomerFactory(code="C-9"), "200.00")):
        OrderLineFactory(
            order=OrderFactory(customer=customer, order_date=dt.date(2024, 1, 15)),
            salesperson=company.rep,
            product_line=company.chairs,
            amount=Decimal(amount),
        )
    page = new_page(viewport=PHONE, is_mobile=True, has_touch=True)
    sign_in(page, "rep")
    page.goto("/accounts/")
    page.wait_for_url("**/accounts/S-N1/")

    page.get_by_label("Period").select_option("Q1")
    page.get_by_role("button", name="Show").click()
    page.wait_for_url("**period=Q1**")
    # S-N1's Q1: 10,000.00 per line = 12 x 833.33 + 4 cents, the cents to January..April:
    # 3 lines x 3 months x 833.34 = 7,500.06.
    assert page.locator(".account-kpis [data-field=target]").inner_text() == "CNY 7,500.06"
    page.locator("#id_account_0").fill("C-1")
    page.locator("#id_amount_0").fill("1,000")
    page.get_by_role("button", name="Save account targets").click()
    page.wait_for_selector('[data-account="customer:C-1"]')

    card = page.locator('[data-account="customer:C-1"]')
    assert card.locator("[data-field=target]").inner_text() == "1,000.00"
    assert card.locator("[data-field=actual]").inner_text() == "800.00"
    assert card.locator("[data-field=attainment]").inner_text() == "80.0 %"
    other = page.locator('[data-account="other:"]')
    assert other.locator("[data-field=target]").inner_text() == "6,500.06"
    assert other.locator("[data-field=actual]").inner_text() == "200.00"
    overflow = page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0
    box = card.bounding_box()
    assert box["x"] >= 0
    assert box["x"] + box["width"] <= PHONE["width"]
    assert plan.account_plans.get().targets.count() == 2
