"""Editing the grid (DESIGN §3 Editing): parents, siblings, locks, bounds, modes, scope, paste.

Every test starts from the EQUAL plan of ``test_plan_support``: S-N1 and S-N2 9,000.00 each
(250.00 per line and month), S-S1 18,000.00 (500.00 per line and month), total 36,000.00.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from allocation.models import CellConstraint, Plan, PlanChange
from allocation.services import (
    CellInput,
    cell_constraint_set,
    cell_edit,
    cells_edit,
    plan_submit,
)
from allocation.services.common import (
    CellsRejectedError,
    PlanNotEditableError,
    PlanRuleError,
    PlanStaleError,
)
from salesalloc.core.exceptions import ScopeError
from tests.allocation.test_plan_support import amount, leaves, make_plan
from tests.factories import SalespersonFactory

pytestmark = pytest.mark.django_db

D = Decimal


@pytest.fixture
def plan(company):
    return make_plan(company)


def _month(m: int) -> dt.date:
    return dt.date(2019, m, 1)


def _row(plan, salesperson, product_line=None):
    frame = leaves(plan).query(f"salesperson == '{salesperson}'")
    if product_line:
        frame = frame.query(f"product_line == '{product_line}'")
    return frame.groupby("month")["amount"].sum().tolist()


def test_a_month_keeps_its_row_year_other_months_rebalance_its_lines_keep_proportions(
    company, plan
):
    result = cell_edit(
        plan=plan,
        salesperson="S-N1",
        period="2019-03",
        amount=D("1500"),
        reason="trade fair",
        actor=company.users["manager"],
    )

    months = _row(plan, "S-N1")
    assert sum(months) == D("9000.00")  # the parent (the row's year) is unchanged
    assert months[2] == D("1500.00")
    assert sum(months) - months[2] == D("7500.00")
    assert set(months[:2] + months[3:]) <= {D("681.82"), D("681.81")}
    march = leaves(plan).query("salesperson == 'S-N1' and month == '2019-03'")["amount"].tolist()
    assert march == [D("500.00")] * 3  # the edited cell's own leaves keep their 1:1:1
    assert amount(plan, salesperson=company.north_peer) == D("9000.00")
    assert result.leaf_count == 36
    change = PlanChange.objects.get(plan=plan, action="edit")
    assert (change.cell, change.old_amount, change.new_amount, change.reason) == (
        "S-N1 · all lines · 2019-03",
        D("750.00"),
        D("1500.00"),
        "trade fair",
    )
    assert (change.actor, change.salesperson, change.period) == (
        company.users["manager"],
        company.rep,
        "2019-03",
    )


def test_a_line_year_rebalances_its_sibling_lines_under_the_parent_line(plan):
    cell_edit(plan=plan, salesperson="S-N1", product_line="FUR-CH", amount=D("4000"))

    assert amount(plan, salesperson__code="S-N1", product_line__code="FUR-CH") == D("4000.00")
    assert amount(plan, salesperson__code="S-N1", product_line__code="FUR-TA") == D("2000.00")
    assert amount(plan, salesperson__code="S-N1", product_line__code="TEC-PH") == D("3000.00")


def test_a_category_year_rebalances_the_other_categories_and_resplits_its_lines(plan):
    cell_edit(plan=plan, salesperson="S-N1", product_line="FUR", amount=D("7000"))

    assert amount(plan, salesperson__code="S-N1", product_line__code="TEC-PH") == D("2000.00")
    assert amount(plan, salesperson__code="S-N1") == D("9000.00")
    # FUR's 24 leaves (all 250.00) are re-split as one pool: 291.67 or 291.66 each.
    fur = leaves(plan).query("salesperson == 'S-N1' and product_line != 'TEC-PH'")
    assert set(fur["amount"]) == {D("291.67"), D("291.66")}


def test_an_all_lines_year_rebalances_the_org_siblings_under_the_parent_node(company, plan):
    cell_edit(plan=plan, org_unit="NORTH", amount=D("20000"), actor=company.users["admin"])

    assert amount(plan, salesperson__code="S-S1") == D("16000.00")
    assert amount(plan, salesperson__org_unit__code="N-T1") == D("20000.00")
    assert set(leaves(plan).query("salesperson != 'S-S1'")["amount"]) == {D("277.78"), D("277.77")}
    assert amount(plan) == D("36000.00")


def test_a_quarter_rescales_its_months_and_the_other_nine_months_absorb_it(plan):
    cell_edit(plan=plan, salesperson="S-N2", period="Q1", amount=D("3000"))

    months = _row(plan, "S-N2")
    assert months[:3] == [D("1000.00")] * 3
    assert sum(months[3:]) == D("6000.00")


def test_the_plan_total_rescales_everything_but_locked_cells(company, plan):
    cell_constraint_set(plan=plan, salesperson="S-S1", locked=True)

    cell_edit(plan=plan, amount=D("72000"), actor=company.users["admin"])

    plan.refresh_from_db()
    assert plan.total_amount == D("72000.00")
    assert amount(plan, salesperson__code="S-S1") == D("18000.00")
    assert amount(plan, salesperson__code="S-N1") == D("27000.00")


# --- locks ------------------------------------------------------------------------------------


def test_a_locked_sibling_keeps_its_amount(company, plan):
    peer = SalespersonFactory(code="S-N3", org_unit=company.north_team)
    plan = make_plan(company, name="three")
    assert peer
    cell_constraint_set(plan=plan, salesperson="S-N2", locked=True)

    cell_edit(plan=plan, salesperson="S-N1", amount=D("2000"))

    assert amount(plan, salesperson__code="S-N2") == D("6000.00")
    assert amount(plan, salesperson__code="S-N3") == D("10000.00")


def test_with_every_sibling_locked_the_edit_is_refused_and_nothing_changes(plan):
    cell_constraint_set(plan=plan, salesperson="S-N2", locked=True)
    before = leaves(plan)
    revision = Plan.objects.get(pk=plan.pk).revision

    with pytest.raises(PlanRuleError, match=r"no unlocked item next to it"):
        cell_edit(plan=plan, salesperson="S-N1", amount=D("8000"))

    assert leaves(plan).equals(before)
    assert Plan.objects.get(pk=plan.pk).revision == revision
    assert not PlanChange.objects.filter(plan=plan, action="edit").exists()


def test_leaves_inside_a_locked_cell_that_does_not_contain_the_parent_are_frozen(plan):
    cell_constraint_set(plan=plan, salesperson="S-N1", product_line="TEC-PH", locked=True)

    cell_edit(plan=plan, salesperson="S-N1", period="2019-03", amount=D("1250"))

    march = leaves(plan).query("salesperson == 'S-N1' and month == '2019-03'")
    assert march.set_index("product_line")["amount"].to_dict() == {
        "FUR-CH": D("500.00"),
        "FUR-TA": D("500.00"),
        "TEC-PH": D("250.00"),
    }
    assert amount(plan, salesperson__code="S-N1", product_line__code="TEC-PH") == D("3000.00")


def test_a_locked_cell_or_a_cell_inside_one_cannot_change(plan):
    cell_constraint_set(plan=plan, salesperson="S-N1", period="Q1", locked=True)

    with pytest.raises(PlanRuleError, match=r"S-N1 · all lines · Q1 is locked; unlock it first"):
        cell_edit(plan=plan, salesperson="S-N1", period="Q1", amount=D("1"))
    with pytest.raises(PlanRuleError, match=r"S-N1 · all lines · Q1 is locked, and changing"):
        cell_edit(plan=plan, salesperson="S-N1", period="2019-01", amount=D("800"))


# --- bounds -----------------------------------------------------------------------------------


def test_sibling_bounds_are_met_by_clip_and_resplit(company):
    SalespersonFactory(code="S-N3", org_unit=company.north_team)
    plan = make_plan(company)  # N-T1: 6,000 each
    cell_constraint_set(plan=plan, salesperson="S-N2", bounds=(None, D("6500")))

    cell_edit(plan=plan, salesperson="S-N1", amount=D("3000"))

    assert amount(plan, salesperson__code="S-N2") == D("6500.00")
    assert amount(plan, salesperson__code="S-N3") == D("8500.00")


def test_a_bound_on_a_cell_elsewhere_refuses_the_edit_naming_it(plan):
    cell_constraint_set(plan=plan, org_unit="N-T1", period="2019-01", bounds=(None, D("1600")))

    with pytest.raises(
        PlanRuleError,
        match=r"N-T1 · all lines · 2019-01 would be 1,650.00, above its maximum 1,600.00",
    ):
        cell_edit(plan=plan, salesperson="S-N1", period="2019-01", amount=D("900"))


def test_the_edited_cells_own_bounds(plan):
    cell_constraint_set(plan=plan, salesperson="S-N1", bounds=(D("8000"), D("10000")))

    with pytest.raises(PlanRuleError, match=r"can't go above its maximum of 10,000.00"):
        cell_edit(plan=plan, salesperson="S-N1", amount=D("10000.01"))


def test_bounds_the_current_amount_breaks_are_refused(plan):
    with pytest.raises(PlanRuleError, match=r"is 9,000.00 now, below the new minimum"):
        cell_constraint_set(plan=plan, salesperson="S-N1", bounds=(D("9000.01"), None))


def test_lock_unlock_and_bounds_are_audited_and_a_bare_cell_keeps_no_row(company, plan):
    cell_constraint_set(
        plan=plan, salesperson="S-N1", locked=True, reason="agreed", actor=company.users["manager"]
    )
    cell_constraint_set(plan=plan, salesperson="S-N1", bounds=(D("1"), None))
    cell_constraint_set(plan=plan, salesperson="S-N1", locked=False, bounds=(None, None))

    assert not CellConstraint.objects.filter(plan=plan).exists()
    actions = list(
        PlanChange.objects.filter(plan=plan).order_by("id").values_list("action", "cell")
    )
    assert actions[-4:] == [
        ("lock", "S-N1 · all lines · year"),
        ("bounds", "S-N1 · all lines · year"),
        ("unlock", "S-N1 · all lines · year"),
        ("bounds", "S-N1 · all lines · year"),
    ]


# --- bottom-up --------------------------------------------------------------------------------


def test_bottom_up_rolls_the_change_up_to_every_ancestor_and_the_total(company):
    plan = make_plan(company, mode=Plan.Mode.BOTTOM_UP)

    cell_edit(plan=plan, salesperson="S-N1", period="2019-03", amount=D("1500"))

    plan.refresh_from_db()
    assert plan.total_amount == D("36750.00")
    assert amount(plan, salesperson__code="S-N1") == D("9750.00")
    assert _row(plan, "S-N1")[3] == D("750.00")
    assert amount(plan, salesperson__code="S-N2") == D("9000.00")


def test_bottom_up_refuses_a_change_under_a_locked_ancestor(company):
    plan = make_plan(company, mode=Plan.Mode.BOTTOM_UP)
    cell_constraint_set(plan=plan, org_unit="N-T1", locked=True)

    with pytest.raises(PlanRuleError, match=r"N-T1 · all lines · year is locked"):
        cell_edit(plan=plan, salesperson="S-N1", period="2019-03", amount=D("1500"))


# --- who, when, what --------------------------------------------------------------------------


def test_a_manager_changes_only_cells_whose_parent_is_in_their_subtree(company, plan):
    manager = company.users["manager"]
    cell_edit(plan=plan, org_unit="N-T1", product_line="TEC", amount=D("5000"), actor=manager)

    with pytest.raises(ScopeError, match=r"the parent of NORTH · all lines · year is ACME"):
        cell_edit(plan=plan, org_unit="NORTH", amount=D("1"), actor=manager)
    with pytest.raises(ScopeError, match=r"Only administrators may change the plan total"):
        cell_edit(plan=plan, amount=D("1"), actor=manager)
    with pytest.raises(ValidationError, match=r"S-S1"):
        cell_edit(plan=plan, salesperson="S-S1", amount=D("1"), actor=manager)
    with pytest.raises(ValidationError):
        cell_edit(plan=plan, salesperson="S-N1", amount=D("1"), actor=company.users["rep"])


def test_an_edit_against_an_old_revision_is_a_conflict(plan):
    with pytest.raises(PlanStaleError, match=r"your revision 0, now 1"):
        cell_edit(plan=plan, salesperson="S-N1", amount=D("1"), expected_revision=0)

    cell_edit(plan=plan, salesperson="S-N1", amount=D("8000"), expected_revision=1)
    assert Plan.objects.get(pk=plan.pk).revision == 2


def test_only_drafts_change(company, plan):
    plan_submit(plan=plan, actor=company.users["manager"])

    with pytest.raises(PlanNotEditableError, match=r"submitted; only drafts can be changed"):
        cell_edit(plan=plan, salesperson="S-N1", amount=D("1"))


@pytest.mark.parametrize(
    ("value", "message"),
    [("-1", "negative"), ("1.234", "more than 2 decimal places"), ("abc", "not an amount")],
)
def test_amounts_are_non_negative_with_at_most_two_decimals(plan, value, message):
    with pytest.raises(ValidationError, match=message):
        cell_edit(plan=plan, salesperson="S-N1", amount=value)


def test_unknown_coordinates_name_the_field(plan):
    with pytest.raises(ValidationError, match=r"period"):
        cell_edit(plan=plan, salesperson="S-N1", period="2020-01", amount=D("1"))
    with pytest.raises(ValidationError, match=r"product_line"):
        cell_edit(plan=plan, salesperson="S-N1", product_line="XX", amount=D("1"))
    with pytest.raises(ValidationError, match=r"org_unit"):
        cell_edit(plan=plan, org_unit="NOPE", amount=D("1"))


# --- several cells at once --------------------------------------------------------------------


def test_pasted_months_take_their_amounts_and_the_other_months_share_the_rest(company, plan):
    result = cells_edit(
        plan=plan,
        cells=[
            CellInput(salesperson="S-N2", period="2019-01", amount="1000"),
            CellInput(salesperson="S-N2", period="2019-02", amount="1000"),
        ],
        reason="paste",
        actor=company.users["manager"],
    )

    months = _row(plan, "S-N2")
    assert months[:2] == [D("1000.00"), D("1000.00")]
    assert sum(months) == D("9000.00")
    assert set(months[2:]) == {D("700.00")}
    batch = PlanChange.objects.filter(plan=plan, action="paste")
    assert batch.count() == 2
    assert {c.batch for c in batch} == {result.batch}


def test_a_pasted_row_of_twelve_months_must_add_up_to_the_year(plan):
    row = [
        CellInput(salesperson="S-N2", period=f"2019-{m:02d}", amount="800") for m in range(1, 13)
    ]
    with pytest.raises(PlanRuleError, match=r"the 12 cells set add up to 9,600.00, but only 9,000"):
        cells_edit(plan=plan, cells=row)

    row = [
        CellInput(salesperson="S-N2", period=f"2019-{m:02d}", amount="700") for m in range(1, 13)
    ]
    with pytest.raises(PlanRuleError, match=r"the 12 cells set must add up to 9,000.00"):
        cells_edit(plan=plan, cells=row)

    row = [
        CellInput(salesperson="S-N2", period=f"2019-{m:02d}", amount="800") for m in range(1, 12)
    ]
    row.append(CellInput(salesperson="S-N2", period="2019-12", amount="200"))
    cells_edit(plan=plan, cells=row)
    assert _row(plan, "S-N2")[-1] == D("200.00")


def test_a_pasted_grid_row_with_its_year_sets_the_year_first_then_the_months(plan):
    months = [
        CellInput(salesperson="S-N1", period=f"2019-{m:02d}", amount="1000") for m in range(1, 13)
    ]
    year = CellInput(salesperson="S-N1", period="year", amount="12000")
    quarter = CellInput(salesperson="S-N1", period="Q1", amount="3000")

    cells_edit(plan=plan, cells=[year, quarter, *months])

    assert _row(plan, "S-N1") == [D("1000.00")] * 12
    assert amount(plan, salesperson__code="S-N2") == D("6000.00")


def test_a_total_that_disagrees_with_its_pasted_months_is_named(plan):
    months = [
        CellInput(salesperson="S-N1", period=f"2019-{m:02d}", amount="1000") for m in range(1, 13)
    ]
    year = CellInput(salesperson="S-N1", period="year", amount="12000.01", ref="N7")

    with pytest.raises(CellsRejectedError) as refused:
        cells_edit(plan=plan, cells=[*months, year])

    assert refused.value.errors == [
        {
            "index": 12,
            "ref": "N7",
            "cell": "S-N1 · all lines · year",
            "message": "It is 12,000.01 but the months pasted with it add up to 12,000.00.",
        }
    ]


def test_a_block_is_refused_whole_naming_every_bad_cell(company, plan):
    cell_constraint_set(plan=plan, salesperson="S-N2", period="2019-05", locked=True)
    before = leaves(plan)

    with pytest.raises(CellsRejectedError) as refused:
        cells_edit(
            plan=plan,
            cells=[
                CellInput(salesperson="S-N1", period="2019-01", amount="abc", ref="B2"),
                CellInput(salesperson="S-N1", period="2019-02", amount="-5", ref="C2"),
                CellInput(salesperson="S-N1", period="2019-03", amount="1.005", ref="D2"),
                CellInput(salesperson="S-N2", period="2019-05", amount="10", ref="F3"),
                CellInput(salesperson="S-S1", period="2019-05", amount="10", ref="F4"),
                CellInput(org_unit="NORTH", amount="10", ref="B9"),
                CellInput(salesperson="S-N1", period="2019-06", amount="700", ref="G2"),
            ],
            actor=company.users["manager"],
        )

    assert [(e["ref"], e["message"]) for e in refused.value.errors] == [
        ("B2", "“abc” is not an amount."),
        ("C2", "-5 is negative; targets can't be."),
        ("D2", "1.005 has more than 2 decimal places."),
        ("F3", "This cell is locked."),
        ("F4", "No salesperson with code “S-S1” is visible to you."),
        (
            "B9",
            "You may only change cells whose parent lies inside your part of the company; with "
            "“keep the row's year” the parent of NORTH · all lines · year is ACME · all lines · "
            "year.",
        ),
    ]
    assert leaves(plan).equals(before)


def test_cells_pasted_together_keep_each_others_amounts(plan):
    cells_edit(
        plan=plan,
        cells=[
            CellInput(salesperson="S-N1", period="2019-03", amount="900"),
            CellInput(salesperson="S-N1", product_line="FUR", amount="7000"),
        ],
    )

    assert _row(plan, "S-N1")[2] == D("900.00")
    assert amount(plan, salesperson__code="S-N1", product_line__code__startswith="FUR") == D(
        "7000.00"
    )
    assert amount(plan, salesperson__code="S-N1") == D("9000.00")


def test_pasting_across_people_rebalances_each_parent_once(plan):
    cells_edit(
        plan=plan,
        cells=[
            CellInput(salesperson="S-N1", period="2019-01", amount="1000"),
            CellInput(salesperson="S-S1", period="2019-01", amount="1000"),
            CellInput(salesperson="S-S1", period="2019-02", amount="2000"),
        ],
    )

    assert _row(plan, "S-N1")[0] == D("1000.00")
    assert _row(plan, "S-S1")[:2] == [D("1000.00"), D("2000.00")]
    assert amount(plan) == D("36000.00")
