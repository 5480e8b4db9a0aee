"""The keep rule of an edit: keep the row's year (``row_year``) or the month's total
(``period_total``), hand-worked on the EQUAL plan of ``test_plan_support``.

S-N1 and S-N2 (team N-T1, region NORTH) have 9,000.00 each: 750.00 a month, 250.00 a line
and month. S-S1 (S-T1, SOUTH) has 18,000.00: 1,500.00 a month, 500.00 a line and month.
So NORTH and SOUTH have 1,500.00 a month each, ACME (the plan) 3,000.00.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from allocation.models import EditBatch, PlanChange
from allocation.services import cell_constraint_set, cell_edit, cells_edit
from allocation.services.common import PlanRuleError
from allocation.services.editing import CellInput
from salesalloc.core.exceptions import ScopeError
from tests.allocation.test_plan_support import amount, leaves, make_plan

pytestmark = pytest.mark.django_db

D = Decimal
MONTHS = [f"2019-{m:02d}" for m in range(1, 13)]


@pytest.fixture
def plan(company):
    return make_plan(company)


def _month(plan, month: str, **filters) -> Decimal:
    return amount(plan, month=f"{month}-01", **filters)


def test_keep_the_months_total_the_team_mate_gives_way_and_the_years_move(company, plan):
    result = cell_edit(
        plan=plan,
        salesperson="S-N1",
        period="2019-03",
        amount=D("1000"),
        keep="period_total",
        actor=company.users["manager"],
    )

    # N-T1's March stays 1,500.00, so S-N2's March is 1,500 - 1,000 = 500.00 and the years
    # move instead: S-N1 9,000 + 250 = 9,250.00, S-N2 9,000 - 250 = 8,750.00.
    assert _month(plan, "2019-03", salesperson__org_unit__code="N-T1") == D("1500.00")
    assert _month(plan, "2019-03", salesperson=company.north_peer) == D("500.00")
    assert amount(plan, salesperson=company.rep) == D("9250.00")
    assert amount(plan, salesperson=company.north_peer) == D("8750.00")
    assert [_month(plan, m, salesperson=company.rep) for m in MONTHS if m != "2019-03"] == [
        D("750.00")
    ] * 11  # the row's other months are untouched
    # Inside each March the lines keep 1:1:1. 100,000 cents / 3 = 33,333 r 1: the first
    # line (FUR-CH) gets the cent; 50,000 / 3 = 16,666 r 2: FUR-CH and FUR-TA get one.
    march = leaves(plan).query("month == '2019-03' and salesperson != 'S-S1'")
    assert march["amount"].tolist() == [
        D("333.34"), D("333.33"), D("333.33"), D("166.67"), D("166.67"), D("166.66"),
    ]  # fmt: skip
    assert amount(plan) == D("36000.00")
    assert result.keep == "period_total"
    assert [c.label for c in result.kept] == ["N-T1 · all lines · 2019-03"]
    assert [(c.cell.label, c.old_cents, c.new_cents) for c in result.rebalanced] == [
        ("S-N2 · all lines · 2019-03", 75000, 50000)
    ]
    change = PlanChange.objects.get(plan=plan, action="edit")
    assert change.details == {"keep": "period_total"}
    assert EditBatch.objects.get(batch=change.batch).keep == "period_total"


def test_keep_the_rows_year_is_the_default_and_says_so(company, plan):
    result = cell_edit(plan=plan, salesperson="S-N1", period="2019-03", amount=D("1000"))

    # S-N1's year stays 9,000.00: the other 11 months share 8,000.00, 727.27 each with
    # 800,000 cents / 11 = 72,727 r 3, so January, February and April get 727.28.
    months = [_month(plan, m, salesperson=company.rep) for m in MONTHS]
    assert months == [D("727.28"), D("727.28"), D("1000.00"), D("727.28")] + [D("727.27")] * 8
    assert amount(plan, salesperson=company.north_peer) == D("9000.00")
    assert result.keep == "row_year"
    assert [c.label for c in result.kept] == ["S-N1 · all lines · year"]
    assert len(result.rebalanced) == 11
    assert PlanChange.objects.get(plan=plan, action="edit").details == {"keep": "row_year"}


def test_raising_a_regions_january_both_ways(company, plan):
    admin = company.users["admin"]

    by_month = cell_edit(
        plan=plan, org_unit="NORTH", period="2019-01", amount=D("2000"), keep="period_total",
        actor=admin,
    )  # fmt: skip
    # ACME's January stays 3,000.00: SOUTH's January gives the 500.00.
    assert _month(plan, "2019-01", salesperson__org_unit__parent__code="SOUTH") == D("1000.00")
    assert amount(plan, salesperson__org_unit__parent__code="NORTH") == D("18500.00")
    assert _month(plan, "2019-01") == D("3000.00")
    assert [c.label for c in by_month.kept] == ["ACME · all lines · 2019-01"]

    by_year = cell_edit(
        plan=plan, org_unit="SOUTH", period="2019-02", amount=D("2600"), actor=admin
    )
    # SOUTH's year (17,500.00 now) stays: its other 11 months give 1,100.00 between them.
    assert amount(plan, salesperson__org_unit__parent__code="SOUTH") == D("17500.00")
    assert _month(plan, "2019-02") == D("4100.00")  # ACME's February grows by 1,100.00
    assert [c.label for c in by_year.kept] == ["SOUTH · all lines · year"]
    assert amount(plan) == D("36000.00")


def test_at_the_top_a_line_keeps_its_parent_lines_month(company, plan):
    cell_edit(
        plan=plan, product_line="FUR-CH", period="2019-01", amount=D("1200"), keep="period_total",
        actor=company.users["admin"],
    )  # fmt: skip

    # ACME's furniture January (chairs 1,000 + tables 1,000) stays 2,000.00: tables 800.00.
    # Chairs' 250/250/500 re-split to 1,200 in proportion: 300/300/600; tables 200/200/400.
    assert _month(plan, "2019-01", product_line=company.tables) == D("800.00")
    jan = leaves(plan).query("month == '2019-01' and product_line != 'TEC-PH'")
    assert jan["amount"].tolist() == [
        D("300.00"), D("200.00"), D("300.00"), D("200.00"), D("600.00"), D("400.00"),
    ]  # fmt: skip


def test_the_plans_own_month_cannot_keep_its_total(company, plan):
    with pytest.raises(PlanRuleError) as refused:
        cell_edit(
            plan=plan, period="2019-01", amount=D("3100"), keep="period_total",
            actor=company.users["admin"],
        )  # fmt: skip

    assert refused.value.message == (
        "Nothing was changed: with “keep the month's total”: ACME · all lines · 2019-01 is the "
        "plan's own total for 2019-01: it has no total above it to keep while it changes."
    )
    assert amount(plan) == D("36000.00")


def test_every_sibling_locked_is_refused_naming_the_rule(company, plan):
    cell_constraint_set(plan=plan, salesperson="S-N2", period="2019-03", locked=True)

    with pytest.raises(PlanRuleError) as refused:
        cell_edit(plan=plan, salesperson="S-N1", period="2019-03", amount=D("1000"),
                  keep="period_total")  # fmt: skip

    # N-T1's March is 1,500.00 and S-N2's locked 750.00 of it can't move.
    assert refused.value.message == (
        "Nothing was changed: with “keep the month's total”: 'S-N1 · all lines · 2019-03' can "
        "be at most 750.00: the parent total is 1,500.00 and 750.00 of it is locked in other "
        "items."
    )
    assert amount(plan, salesperson=company.rep) == D("9000.00")
    # the other rule is free: S-N1's own months take it up
    cell_edit(plan=plan, salesperson="S-N1", period="2019-03", amount=D("1000"))
    assert amount(plan, salesperson=company.rep) == D("9000.00")


def test_a_locked_row_year_refuses_keeping_the_months_total_but_not_the_rows_year(company, plan):
    cell_constraint_set(plan=plan, salesperson="S-N1", locked=True)  # S-N1's year

    with pytest.raises(PlanRuleError, match=r"S-N1 · all lines · year is locked, and changing"):
        cell_edit(plan=plan, salesperson="S-N1", period="2019-03", amount=D("1000"),
                  keep="period_total")  # fmt: skip
    cell_edit(plan=plan, salesperson="S-N1", period="2019-03", amount=D("1000"))

    assert amount(plan, salesperson=company.rep) == D("9000.00")
    assert _month(plan, "2019-03", salesperson=company.rep) == D("1000.00")


def test_bounds_of_the_siblings_year_hold_under_keep_the_months_total(company, plan):
    cell_constraint_set(plan=plan, salesperson="S-N2", bounds=(None, D("9100")))

    with pytest.raises(PlanRuleError) as refused:
        cell_edit(plan=plan, salesperson="S-N1", period="2019-03", amount=D("500"),
                  keep="period_total")  # fmt: skip

    # S-N2's March would take the 250.00: its year 9,250.00 is over its maximum.
    assert refused.value.message == (
        "Nothing was changed: with “keep the month's total”: S-N2 · all lines · year would be "
        "9,250.00, above its maximum 9,100.00."
    )


def test_a_manager_keeps_a_months_total_only_inside_their_subtree(company, plan):
    manager = company.users["manager"]

    with pytest.raises(ScopeError) as refused:
        cell_edit(plan=plan, org_unit="NORTH", period="2019-01", amount=D("2000"),
                  keep="period_total", actor=manager)  # fmt: skip

    assert refused.value.message == (
        "You may only change cells whose parent lies inside your part of the company; with "
        "“keep the month's total” the parent of NORTH · all lines · 2019-01 is "
        "ACME · all lines · 2019-01."
    )
    cell_edit(plan=plan, org_unit="NORTH", period="2019-01", amount=D("2000"), actor=manager)
    assert amount(plan, salesperson__org_unit__parent__code="NORTH") == D("18000.00")


def test_a_paste_keeps_the_months_total_of_each_cell(company, plan):
    result = cells_edit(
        plan=plan,
        cells=[
            CellInput(salesperson="S-N1", period="2019-01", amount="900", ref="a"),
            CellInput(salesperson="S-N1", period="2019-02", amount="600", ref="b"),
        ],
        keep="period_total",
        actor=company.users["manager"],
    )

    assert _month(plan, "2019-01", salesperson=company.north_peer) == D("600.00")
    assert _month(plan, "2019-02", salesperson=company.north_peer) == D("900.00")
    assert amount(plan, salesperson=company.rep) == D("9000.00")  # +150 and -150
    assert sorted(c.label for c in result.kept) == [
        "N-T1 · all lines · 2019-01",
        "N-T1 · all lines · 2019-02",
    ]
    changes = PlanChange.objects.filter(plan=plan, action="paste")
    assert {c.details["keep"] for c in changes} == {"period_total"}


def test_an_unknown_keep_rule_is_a_field_error(plan):
    with pytest.raises(Exception) as refused:  # noqa: PT011 - the type is asserted below
        cell_edit(plan=plan, salesperson="S-N1", period="2019-01", amount=D("1"), keep="both")

    assert refused.value.message_dict == {  # type: ignore[attr-defined]
        "keep": ["Choose “row_year” or “period_total”, not “both”."]
    }
