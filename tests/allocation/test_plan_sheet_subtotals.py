"""Subtotal rows and Totals in an uploaded sheet: an edit of that node, or a conflict.

NORTH's manager's sheet (``test_plan_sheets`` has the layout): 2 NORTH, 3 N-T1, 4 S-N1 (all
lines), 5-7 its lines, 8 S-N2, 9-11 its lines; H-S are 2019-01..12, T the Total. Every leaf
is 250.00, so N-T1's month is 6 x 250 = 1,500.00 and its year 18,000.00.
"""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from allocation.models import PlanChange
from allocation.services import plan_sheet_preview, plan_sheet_upload, plan_sheet_xlsx
from allocation.services.common import CellsRejectedError
from tests.allocation.test_plan_support import amount, leaves, make_plan

pytestmark = pytest.mark.django_db

D = Decimal
MONTHS = [f"2019-{m:02d}" for m in range(1, 13)]


@pytest.fixture
def plan(company):
    return make_plan(company)


def _book(plan, user):
    return load_workbook(io.BytesIO(plan_sheet_xlsx(plan=plan, user=user)))


def _file(book) -> io.BytesIO:
    buffer = io.BytesIO()
    book.save(buffer)
    buffer.seek(0)
    return buffer


def _team_month(plan, month: str) -> Decimal:
    return amount(plan, salesperson__org_unit__code="N-T1", month=f"{month}-01")


def test_a_team_subtotal_typed_over_its_formula_is_an_edit_of_the_team(company, plan):
    manager = company.users["manager"]
    book = _book(plan, manager)
    book["Targets"]["H3"] = 1560  # N-T1 January: 1,500.00 -> 1,560.00

    result = plan_sheet_upload(plan=plan, file=_file(book), actor=manager)

    # keep the row's year: N-T1's year stays 18,000.00. January's 6 leaves re-split 1,560.00
    # in proportion (all equal): 260.00 each. The other 11 months share 18,000 - 1,560 =
    # 16,440.00: 1,644,000 cents / 11 = 149,454 r 6, so February..July get a cent more.
    assert _team_month(plan, "2019-01") == D("1560.00")
    assert set(leaves(plan).query("month == '2019-01' and salesperson != 'S-S1'")["amount"]) == {
        D("260.00")
    }
    assert [_team_month(plan, m) for m in MONTHS[1:]] == [D("1494.55")] * 6 + [D("1494.54")] * 5
    assert 1560 + 6 * D("1494.55") + 5 * D("1494.54") == 18000
    assert amount(plan, salesperson__org_unit__code="N-T1") == D("18000.00")
    change = PlanChange.objects.get(plan=plan, action="upload")
    assert (change.cell, change.old_amount, change.new_amount, change.details["ref"]) == (
        "N-T1 · all lines · 2019-01",
        D("1500.00"),
        D("1560.00"),
        "H3",
    )
    assert result.leaf_count == 72  # every N-T1 leaf of the year moved


def test_a_subtotal_that_agrees_with_the_changed_rows_is_not_an_edit(company, plan):
    manager = company.users["manager"]
    book = _book(plan, manager)
    book["Targets"]["H5"] = 300  # S-N1 chairs January +50
    book["Targets"]["H4"] = 800  # S-N1 January, typed as its rows now add up: 750 + 50
    book["Targets"]["H3"] = 1550  # N-T1 January, likewise

    result = plan_sheet_upload(plan=plan, file=_file(book), actor=manager, keep="period_total")

    changes = PlanChange.objects.filter(plan=plan, action="upload")
    assert [c.cell for c in changes] == ["S-N1 · FUR-CH · 2019-01"]
    # keep the month's total: N-T1 chairs January stays 500.00, S-N2 gives 50.00
    assert amount(plan, salesperson=company.north_peer, product_line=company.chairs,
                  month="2019-01-01") == D("200.00")  # fmt: skip
    assert result.leaf_count == 2


def test_a_subtotal_and_the_rows_under_it_changed_differently_are_refused_naming_both(
    company, plan
):
    manager = company.users["manager"]
    book = _book(plan, manager)
    book["Targets"]["H5"] = 300  # S-N1 chairs January +50
    book["Targets"]["H3"] = 1600  # N-T1 January +100: which of the two is meant?

    with pytest.raises(CellsRejectedError) as refused:
        plan_sheet_upload(plan=plan, file=_file(book), actor=manager)

    assert refused.value.errors == [
        {
            "cell": "H3",
            "message": "The subtotal of N-T1 for 2019-01 is 1,600.00 here, but what it adds up "
            "from comes to 1,550.00, and some of that changed too (H5): change either the "
            "total or the cells under it, not both, unless they agree.",
        }
    ]
    assert amount(plan) == D("36000.00")
    assert not PlanChange.objects.filter(plan=plan, action="upload").exists()


def test_a_total_typed_over_its_formula_is_an_edit_of_that_rows_year(company, plan):
    manager = company.users["manager"]
    book = _book(plan, manager)
    book["Targets"]["T5"] = 3200  # S-N1 chairs, the year: 3,000.00 -> 3,200.00

    plan_sheet_upload(plan=plan, file=_file(book), actor=manager)

    # keep the row's year for a line's year cell: the parent line's year stays (S-N1's
    # furniture, 6,000.00), so tables, the sibling line, becomes 6,000 - 3,200 = 2,800.00 and
    # phones keeps 3,000.00. Chairs' months re-split 3,200.00: 320,000 cents / 12 = 26,666
    # r 8, so January..August 266.67 and September..December 266.66.
    chairs = [
        amount(plan, salesperson=company.rep, product_line=company.chairs, month=f"{m}-01")
        for m in MONTHS
    ]
    assert chairs == [D("266.67")] * 8 + [D("266.66")] * 4
    assert amount(plan, salesperson=company.rep, product_line=company.tables) == D("2800.00")
    assert amount(plan, salesperson=company.rep, product_line=company.phones) == D("3000.00")
    assert amount(plan, salesperson=company.rep) == D("9000.00")


def test_a_total_and_its_changed_months_are_refused(company, plan):
    manager = company.users["manager"]
    book = _book(plan, manager)
    book["Targets"]["H5"] = 300
    book["Targets"]["T5"] = 3200  # the months now add up to 3,050.00

    with pytest.raises(CellsRejectedError) as refused:
        plan_sheet_upload(plan=plan, file=_file(book), actor=manager)

    assert [e["cell"] for e in refused.value.errors] == ["T5"]
    assert (
        "comes to 3,050.00, and some of that changed too (H5)" in refused.value.errors[0]["message"]
    )


def test_the_preview_lists_every_leaf_that_moves_and_what_rebalanced(company, plan):
    manager = company.users["manager"]
    book = _book(plan, manager)
    book["Targets"]["H5"] = 350

    batch = plan_sheet_preview(plan=plan, file=_file(book), actor=manager, keep="period_total")

    preview = batch.preview
    assert preview["edits"] == [
        {
            "org_unit": None,
            "salesperson": "S-N1",
            "product_line": "FUR-CH",
            "period": "2019-01",
            "label": "S-N1 · FUR-CH · 2019-01",
            "ref": "H5",
            "old_amount": "250.00",
            "new_amount": "350.00",
        }
    ]
    assert preview["rebalanced"] == [
        {
            "org_unit": None,
            "salesperson": "S-N2",
            "product_line": "FUR-CH",
            "period": "2019-01",
            "label": "S-N2 · FUR-CH · 2019-01",
            "old_amount": "250.00",
            "new_amount": "150.00",
        }
    ]
    assert [(leaf["ref"], leaf["new_amount"], leaf["set"]) for leaf in preview["leaves"]] == [
        ("H5", "350.00", True),
        ("H9", "150.00", False),
    ]
    assert (preview["revision"], preview["keep"], preview["leaf_count"]) == (1, "period_total", 2)
    assert preview["total_amount"] == "36000.00"
    assert amount(plan, salesperson=company.rep) == D("9000.00")  # nothing written
