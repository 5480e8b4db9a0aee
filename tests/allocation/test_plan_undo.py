"""Undo of the last change: every leaf it moved goes back, or nothing does.

The EQUAL plan of ``test_plan_support``: S-N1, S-N2 9,000.00 (750.00 a month), S-S1
18,000.00 (1,500.00 a month), 36,000.00 in all.
"""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from allocation.models import EditBatch, Plan, PlanChange
from allocation.selectors import plan_undo_get
from allocation.services import (
    cell_constraint_set,
    cell_edit,
    plan_edit_undo,
    plan_sheet_upload,
    plan_sheet_xlsx,
    plan_submit,
)
from allocation.services.common import PlanNotEditableError, PlanRuleError
from tests.allocation.test_plan_support import amount, leaves, make_plan

pytestmark = pytest.mark.django_db

D = Decimal


@pytest.fixture
def plan(company):
    return make_plan(company)


def test_undo_puts_every_leaf_back_and_is_audited_as_an_undo(company, plan):
    manager = company.users["manager"]
    before = leaves(plan)
    edit = cell_edit(plan=plan, salesperson="S-N1", period="2019-03", amount=D("1000"),
                     keep="period_total", actor=manager)  # fmt: skip
    assert amount(plan, salesperson=company.rep) == D("9250.00")

    undone = plan_edit_undo(plan=plan, actor=manager, batch=edit.batch)

    assert leaves(plan).equals(before)
    assert Plan.objects.get(pk=plan.pk).revision == 3  # allocate 1, edit 2, undo 3
    assert undone.leaf_count == 6  # S-N1's and S-N2's March leaves
    row = PlanChange.objects.get(plan=plan, action="undo")
    assert (row.cell, row.old_amount, row.new_amount, row.actor) == (
        "S-N1 · all lines · 2019-03",
        D("1000.00"),
        D("750.00"),
        manager,
    )
    assert row.details == {"undoes": str(edit.batch), "action": "edit", "keep": "period_total"}
    assert EditBatch.objects.get(batch=edit.batch).undone_by == manager
    assert plan_undo_get(user=manager, plan=plan).available is False


def test_undo_walks_back_ones_own_changes_last_first(company, plan):
    manager = company.users["manager"]
    first = cell_edit(plan=plan, salesperson="S-N1", period="2019-01", amount=D("800"),
                      actor=manager)  # fmt: skip
    second = cell_edit(plan=plan, salesperson="S-N2", period="2019-01", amount=D("700"),
                       actor=manager)  # fmt: skip

    state = plan_undo_get(user=manager, plan=plan)
    assert (state.batch, state.action, state.cells) == (
        second.batch,
        "edit",
        ["S-N2 · all lines · 2019-01"],
    )
    with pytest.raises(PlanRuleError, match="only the last one can be undone"):
        plan_edit_undo(plan=plan, actor=manager, batch=first.batch)
    plan_edit_undo(plan=plan, actor=manager)
    plan_edit_undo(plan=plan, actor=manager)

    assert set(leaves(plan)["amount"]) == {D("250.00"), D("500.00")}
    with pytest.raises(PlanRuleError, match="you have no change of this plan to undo"):
        plan_edit_undo(plan=plan, actor=manager)


def test_undo_is_refused_when_a_later_change_touched_those_cells(company, plan):
    manager, admin = company.users["manager"], company.users["admin"]
    cell_edit(plan=plan, salesperson="S-N1", period="2019-03", amount=D("1000"),
              keep="period_total", actor=manager)  # fmt: skip
    # the administrator then changes S-N2's March again (one of the leaves that moved)
    cell_edit(plan=plan, salesperson="S-N2", product_line="FUR-CH", period="2019-03",
              amount=D("100"), actor=admin)  # fmt: skip
    after = leaves(plan)

    with pytest.raises(PlanRuleError) as refused:
        plan_edit_undo(plan=plan, actor=manager)

    assert refused.value.message == (
        "Nothing was undone: later changes touched 1 of the cells that change moved "
        "(S-N2 · FUR-CH · 2019-03)."
    )
    assert leaves(plan).equals(after)


def test_undo_goes_through_when_later_changes_touched_other_cells(company, plan):
    manager, admin = company.users["manager"], company.users["admin"]
    cell_edit(plan=plan, salesperson="S-N1", period="2019-03", amount=D("1000"), actor=manager)
    cell_edit(plan=plan, salesperson="S-S1", period="2019-03", amount=D("2000"), actor=admin)

    plan_edit_undo(plan=plan, actor=manager)

    assert set(leaves(plan).query("salesperson == 'S-N1'")["amount"]) == {D("250.00")}
    assert amount(plan, salesperson=company.south_rep, month="2019-03-01") == D("2000.00")


def test_nobody_undoes_someone_elses_change(company, plan):
    cell_edit(plan=plan, salesperson="S-N1", period="2019-03", amount=D("1000"),
              actor=company.users["admin"])  # fmt: skip

    with pytest.raises(PlanRuleError, match="you have no change of this plan to undo"):
        plan_edit_undo(plan=plan, actor=company.users["manager"])
    assert plan_undo_get(user=company.users["manager"], plan=plan).available is False


def test_undo_is_refused_once_the_plan_is_no_longer_a_draft(company, plan):
    manager = company.users["manager"]
    cell_edit(plan=plan, salesperson="S-N1", period="2019-03", amount=D("1000"), actor=manager)
    plan_submit(plan=plan, actor=manager)

    with pytest.raises(PlanNotEditableError, match="only drafts can be changed"):
        plan_edit_undo(plan=plan, actor=manager)


def test_undo_is_refused_when_a_lock_set_since_would_move(company, plan):
    manager = company.users["manager"]
    cell_edit(plan=plan, salesperson="S-N1", period="2019-03", amount=D("1000"), actor=manager)
    cell_constraint_set(plan=plan, salesperson="S-N1", period="2019-04", locked=True)

    with pytest.raises(PlanRuleError, match=r"undoing that change: S-N1 · all lines · 2019-04 is"):
        plan_edit_undo(plan=plan, actor=manager)


def test_an_uploaded_sheet_is_undone_whole(company, plan):
    manager = company.users["manager"]
    before = leaves(plan)
    book = load_workbook(io.BytesIO(plan_sheet_xlsx(plan=plan, user=manager)))
    book["Targets"]["H5"] = 350
    book["Targets"]["I9"] = 150
    buffer = io.BytesIO()
    book.save(buffer)
    buffer.seek(0)
    plan_sheet_upload(plan=plan, file=buffer, actor=manager)

    undone = plan_edit_undo(plan=plan, actor=manager)

    assert leaves(plan).equals(before)
    assert undone.leaf_count == 24  # two rows of 12 months
    assert [r.cell for r in PlanChange.objects.filter(plan=plan, action="undo").order_by("pk")] == [
        "S-N1 · FUR-CH · 2019-01",
        "S-N2 · FUR-CH · 2019-02",
    ]


def test_undo_of_a_bottom_up_change_moves_the_plan_total_back(company):
    plan = make_plan(company, mode=Plan.Mode.BOTTOM_UP)
    admin = company.users["admin"]
    cell_edit(plan=plan, salesperson="S-N1", period="2019-03", amount=D("1000"), actor=admin)
    assert Plan.objects.get(pk=plan.pk).total_amount == D("36250.00")

    undone = plan_edit_undo(plan=plan, actor=admin)

    assert Plan.objects.get(pk=plan.pk).total_amount == D("36000.00")
    assert undone.keep is None
