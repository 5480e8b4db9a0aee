"""Measure plans (allocation.services.measures): quantity in whole units, margin from its own
history, one lifecycle with the revenue plan, copies into versions and scenarios.

The company and ``EQUAL`` methods are those of ``test_plan_support``: a total splits half per
region, half of the north to each of S-N1 and S-N2, a third per leaf line, 1/12 per month.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from allocation.models import ActualCell, Plan, TargetCell
from allocation.services import (
    cell_edit,
    measure_plan_create,
    plan_allocate,
    plan_approve,
    plan_new_version,
    plan_publish,
    plan_scenario_create,
    plan_submit,
)
from allocation.services.common import PlanRuleError
from salesalloc.core.exceptions import ConflictError
from tests.allocation.test_plan_support import EQUAL, amount, leaves, make_plan

pytestmark = pytest.mark.django_db


def _quantity(company, total="100", **kwargs):
    plan = make_plan(company)
    child = measure_plan_create(
        plan=plan,
        measure="quantity",
        total_amount=Decimal(total),
        actor=company.users["admin"],
        **kwargs,
    )
    return plan, plan_allocate(plan=child, actor=company.users["admin"])


def test_a_quantity_plan_splits_whole_units_with_ties_to_the_lower_code(company):
    _plan, quantity = _quantity(company)

    # 100 units: 50 per region; the north's 50 -> 25 each for S-N1 and S-N2.
    assert amount(quantity, salesperson=company.rep) == Decimal(25)
    assert amount(quantity, salesperson=company.south_rep) == Decimal(50)
    # S-N1's 25 over three leaves: 8.33 each -> 8 + 8 + 8 = 24; the one unit left goes to
    # the tie's lower code, FUR-CH.
    assert amount(quantity, salesperson=company.rep, product_line=company.chairs) == 9
    assert amount(quantity, salesperson=company.rep, product_line=company.tables) == 8
    assert amount(quantity, salesperson=company.rep, product_line=company.phones) == 8
    # FUR-CH's 9 units over 12 equal months: 0.75 each -> 0, the 9 units left go one each to
    # the earliest nine months (equal remainders, lower key first).
    frame = leaves(quantity)
    chairs = frame[(frame["salesperson"] == "S-N1") & (frame["product_line"] == "FUR-CH")]
    assert list(chairs["amount"]) == [Decimal(1)] * 9 + [Decimal(0)] * 3
    assert sum(frame["amount"]) == Decimal(100)
    assert all(value == value.to_integral_value() for value in frame["amount"])


def test_a_quantity_total_and_a_quantity_edit_are_whole_units(company):
    plan = make_plan(company)
    with pytest.raises(ValidationError) as error:
        measure_plan_create(plan=plan, measure="quantity", total_amount=Decimal("10.5"), actor=None)
    assert error.value.message_dict == {"total_amount": ["A quantity is a whole number of units."]}
    _plan, quantity = _quantity(company, total="100")
    with pytest.raises(ValidationError) as error:
        cell_edit(
            plan=quantity,
            salesperson="S-N1",
            product_line="FUR-CH",
            period="2019-01",
            amount=Decimal("2.5"),
            actor=company.users["admin"],
        )
    assert error.value.message_dict == {"amount": ["A quantity is a whole number of units."]}
    assert amount(quantity) == Decimal(100)


def test_a_quantity_edit_rebalances_the_rows_other_months_in_whole_units(company):
    _plan, quantity = _quantity(company)

    cell_edit(
        plan=quantity,
        salesperson="S-N1",
        product_line="FUR-CH",
        period="2019-01",
        amount=Decimal(5),
        actor=company.users["admin"],
    )

    # The row keeps its year, 9 units: the other months share 9 - 5 = 4 by their current
    # units (1 each in Feb..Sep, 0 in Oct..Dec): 4 x 1/8 = 0.5 each -> 0, and the 4 units
    # left go to the equal remainders' lower keys, Feb..May.
    frame = leaves(quantity)
    chairs = frame[(frame["salesperson"] == "S-N1") & (frame["product_line"] == "FUR-CH")]
    assert list(chairs["amount"]) == [Decimal(5)] + [Decimal(1)] * 4 + [Decimal(0)] * 7
    assert amount(quantity) == Decimal(100)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(total=st.integers(min_value=0, max_value=100_000), month=st.integers(1, 12))
def test_quantity_plans_always_sum_exactly_in_whole_units(company, total, month):
    plan = make_plan(company, name=f"P{total}-{month}")
    child = measure_plan_create(
        plan=plan, measure="quantity", total_amount=Decimal(total), actor=None
    )
    child = plan_allocate(plan=child, actor=None)
    cell_edit(
        plan=child,
        salesperson="S-S1",
        product_line="TEC-PH",
        period=f"2019-{month:02d}",
        amount=Decimal(total // 7),
        actor=company.users["admin"],
    )
    cells = list(TargetCell.objects.filter(plan=child).values_list("amount", flat=True))
    assert sum(cells) == Decimal(total)
    assert all(value == value.to_integral_value() for value in cells)


def test_a_margin_plan_splits_by_its_own_history_and_ignores_losses(company):
    # 2018: S-N1 earns 100 and costs 40 a month (margin 60), S-N2 earns more (300) but at a
    # loss (cost 320), S-S1 earns 50 at cost 20 (margin 30).
    rows = []
    for month in range(1, 13):
        for person, sales, cost in (
            (company.rep, 100, 40),
            (company.north_peer, 300, 320),
            (company.south_rep, 50, 20),
        ):
            rows.append(
                ActualCell(
                    salesperson=person,
                    product_line=company.chairs,
                    month=dt.date(2018, month, 1),
                    amount=Decimal(sales),
                    cost=Decimal(cost),
                )
            )
    ActualCell.objects.bulk_create(rows)
    plan = make_plan(company)
    historical = {
        **EQUAL,
        "org": {"method": "historical", "base_from": "2018-01", "base_to": "2018-12"},
    }
    margin = measure_plan_create(
        plan=plan,
        measure="gross_margin",
        total_amount=Decimal("9000.00"),
        method_config=historical,
        actor=None,
    )
    margin = plan_allocate(plan=margin, actor=None)

    # Regions by margin: north 12 x 60 + 12 x max(-20, 0) = 720, south 12 x 30 = 360:
    # 9,000 x 720/1,080 = 6,000 and 3,000; in the north S-N2's loss weighs 0: S-N1 all 6,000.
    assert amount(margin, salesperson=company.rep) == Decimal("6000.00")
    assert amount(margin, salesperson=company.north_peer) == Decimal("0.00")
    assert amount(margin, salesperson=company.south_rep) == Decimal("3000.00")


def test_measure_plans_move_with_their_revenue_plan_and_are_copied_with_it(company):
    admin, director = company.users["admin"], company.users["director"]
    plan, quantity = _quantity(company)
    with pytest.raises(ConflictError, match="moves with its revenue plan"):
        plan_submit(plan=quantity, actor=admin)

    plan = plan_submit(plan=plan, actor=admin)
    plan = plan_approve(plan=plan, actor=director)
    plan = plan_publish(plan=plan, actor=director)

    quantity.refresh_from_db()
    assert (quantity.status, quantity.published_by) == ("published", director)
    new = plan_new_version(plan=plan, actor=admin)
    copy = new.measures.get()
    assert (copy.measure, copy.status, copy.version, copy.previous_version) == (
        "quantity",
        "draft",
        2,
        None,
    )
    assert amount(copy) == amount(quantity) == Decimal(100)
    scenario = plan_scenario_create(plan=plan, actor=admin)
    assert list(scenario.measures.values_list("measure", flat=True)) == ["quantity"]
    with pytest.raises(ConflictError):
        plan_new_version(plan=quantity, actor=admin)


def test_a_revenue_plan_with_an_unallocated_measure_is_not_submitted(company):
    plan = make_plan(company)
    measure_plan_create(plan=plan, measure="gross_margin", total_amount=Decimal(10), actor=None)

    with pytest.raises(ConflictError, match="Allocate the gross margin plan"):
        plan_submit(plan=plan, actor=company.users["admin"])
    assert Plan.objects.get(pk=plan.pk).status == "draft"


def test_one_plan_per_measure_and_only_on_a_draft_revenue_plan(company):
    plan, quantity = _quantity(company)
    with pytest.raises(ConflictError, match="already has a quantity plan"):
        measure_plan_create(plan=plan, measure="quantity", total_amount=Decimal(1), actor=None)
    with pytest.raises(ConflictError, match="not to one of its measures"):
        measure_plan_create(plan=quantity, measure="gross_margin", total_amount=1, actor=None)
    with pytest.raises(ValidationError):
        measure_plan_create(plan=plan, measure="revenue", total_amount=Decimal(1), actor=None)


def test_a_non_whole_quantity_total_is_refused_by_allocation(company):
    _plan, quantity = _quantity(company)
    Plan.objects.filter(pk=quantity.pk).update(total_amount=Decimal("7.50"))
    quantity.refresh_from_db()
    with pytest.raises(PlanRuleError, match="whole number of units"):
        plan_allocate(plan=quantity, actor=None)
    assert amount(quantity) == Decimal(100)


def test_settings_follow_the_revenue_plan_and_stay_off_the_measure_plan(company):
    from allocation.services import plan_update

    plan = make_plan(company, allocate=False)
    child = measure_plan_create(plan=plan, measure="quantity", total_amount=10, actor=None)

    plan_update(plan=plan, name="FY2019 v2 targets", fiscal_year=2020, currency="USD")
    child.refresh_from_db()
    assert (child.name, child.fiscal_year, child.currency) == ("FY2019 v2 targets", 2020, "USD")
    plan_update(plan=plan, product_lines=[company.chairs])
    assert list(child.product_lines.values_list("code", flat=True)) == ["FUR-CH"]
    with pytest.raises(ConflictError, match="from its revenue plan"):
        plan_update(plan=child, fiscal_year=2021)
    with pytest.raises(ValidationError) as error:
        plan_update(plan=child, total_amount=Decimal("2.5"))
    assert error.value.message_dict == {"total_amount": ["A quantity is a whole number of units."]}
    plan_allocate(plan=child, actor=None)
    with pytest.raises(ConflictError, match="measure plans are allocated"):
        plan_update(plan=plan, fiscal_year=2021)
    plan.refresh_from_db()
    assert plan.fiscal_year == 2020
