"""The Excel round trip: the sheet (tree of subtotal and line rows, formulas, check cell,
locked cells marked and protected) and the rules an upload is applied by.

Sheet rows of the company (``test_plan_support``) for an administrator::

    2 ACME  3 NORTH  4 N-T1  5 S-N1 (all lines)  6-8 S-N1 FUR-CH, FUR-TA, TEC-PH
    9 S-N2  10-12 its lines  13 SOUTH  14 S-T1  15 S-S1  16-18 its lines
    (19 blank, 20 the plan total of the part, 21 the check)

and for NORTH's manager: 2 NORTH, 3 N-T1, 4 S-N1, 5-7 its lines, 8 S-N2, 9-11 its lines.
Columns: A salesperson, B name, C org unit, D-E org levels, F line, G line name, H-S the
months 2019-01..12, T Total.
"""

from __future__ import annotations

import io
import math
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from allocation.models import Plan, PlanChange, ProductLine
from allocation.services import (
    cell_constraint_set,
    cell_edit,
    plan_sheet_csv,
    plan_sheet_upload,
    plan_sheet_xlsx,
    plan_submit,
)
from allocation.services.common import CellsRejectedError, PlanNotEditableError, PlanStaleError
from tests.allocation.test_plan_support import amount, make_plan

pytestmark = pytest.mark.django_db

D = Decimal
MONTHS = [f"2019-{m:02d}" for m in range(1, 13)]
HEADER = [
    "Salesperson",
    "Name",
    "Org unit",
    "Org level 1",
    "Org level 2",
    "Product line",
    "Product line name",
    *MONTHS,
    "Total",
]


@pytest.fixture
def plan(company):
    return make_plan(company)


def _sheet(content: bytes):
    return load_workbook(io.BytesIO(content))


def _upload(plan, workbook, user, keep="row_year"):
    buffer = io.BytesIO()
    workbook.save(buffer)
    buffer.seek(0)
    return plan_sheet_upload(plan=plan, file=buffer, actor=user, reason="sheet", keep=keep)


def _months(plan, salesperson, line):
    return [
        amount(plan, salesperson__code=salesperson, product_line__code=line, month=f"{m}-01")
        for m in MONTHS
    ]


# --- the download -----------------------------------------------------------------------------


def test_the_xlsx_is_a_tree_of_subtotal_rows_with_formulas_and_line_rows(company, plan):
    book = _sheet(plan_sheet_xlsx(plan=plan, user=company.users["admin"]))
    sheet = book["Targets"]

    assert [c.value for c in sheet[1]][:20] == HEADER
    assert [sheet.cell(row=r, column=3).value for r in range(2, 6)] == [
        "ACME",
        "NORTH",
        "N-T1",
        "N-T1",
    ]
    assert [c.value for c in sheet[6]][:8] == [
        "S-N1",
        "Nora North",
        "N-T1",
        "North",
        "North team",
        "FUR-CH",
        "Chairs",
        250,
    ]
    # subtotals sum their direct child rows; every Total sums its row
    assert sheet["H2"].value == "=SUM(H3,H13)"
    assert sheet["H4"].value == "=SUM(H5,H9)"
    assert sheet["H5"].value == "=SUM(H6:H8)"
    assert sheet["T6"].value == "=SUM(H6:S6)"
    assert sheet["H5"].font.b
    assert not sheet["H6"].font.b
    # the check: the part's plan total and the sheet's total against it
    assert (sheet["B20"].value, sheet["T20"].value) == ("Plan total of your part", 36000)
    assert sheet["T21"].value == "=ROUND(SUM(T2)-T20,2)"
    assert sheet["U21"].value.startswith('=IF(T21=0,"OK')
    about = {row[0].value: row[1].value for row in book["About"].iter_rows()}
    assert (about["Plan id"], about["Revision"], about["Exported by"]) == (plan.pk, 1, "admin")
    assert sheet.protection.sheet
    assert book["About"].protection.sheet
    assert sheet["H6"].protection.locked is False  # amounts are editable, codes are not
    assert sheet["A6"].protection.locked is True


def test_a_manager_gets_their_subtree_and_cells_no_rule_can_change_are_marked(company, plan):
    # S-N2's Q1 is locked (a period of its own row): its months can't move under any rule.
    cell_constraint_set(plan=plan, salesperson="S-N2", period="Q1", locked=True)
    # S-N1's FUR-CH year is locked: its months may still move while that year stays.
    cell_constraint_set(plan=plan, salesperson="S-N1", product_line="FUR-CH", locked=True)

    sheet = _sheet(plan_sheet_xlsx(plan=plan, user=company.users["manager"]))["Targets"]

    assert [sheet.cell(row=r, column=1).value for r in range(2, 12)] == [
        None,
        None,
        "S-N1",
        "S-N1",
        "S-N1",
        "S-N1",
        "S-N2",
        "S-N2",
        "S-N2",
        "S-N2",
    ]
    assert sheet["H9"].fill.fgColor.rgb == "FFD9D9D9"  # S-N2 chairs January
    assert sheet["J9"].comment.text.startswith("Locked")
    assert sheet["H9"].protection.locked is True
    assert sheet["H8"].fill.fgColor.rgb == "FFD9D9D9"  # S-N2's own subtotal for January
    assert sheet["K9"].fill.fgColor.rgb != "FFD9D9D9"  # April is free
    assert sheet["K9"].protection.locked is False
    assert sheet["H5"].comment is None  # S-N1 chairs: its year is locked, not its months


def test_text_that_looks_like_a_formula_stays_text_in_both_formats(company, plan):
    ProductLine.objects.filter(pk=company.chairs.pk).update(name='=HYPERLINK("http://x")')

    sheet = _sheet(plan_sheet_xlsx(plan=plan, user=company.users["admin"]))["Targets"]
    csv_text = "".join(plan_sheet_csv(plan=plan, user=company.users["admin"]))

    assert sheet["G6"].value == '=HYPERLINK("http://x")'
    assert sheet["G6"].data_type == "s"
    assert "'=HYPERLINK" in csv_text
    lines = csv_text.splitlines()
    assert len(lines) == 1 + 9  # the CSV has the line rows only
    assert lines[1].startswith("S-N1,Nora North,N-T1,North,North team,FUR-CH,")
    assert lines[1].endswith(",3000.00")


# --- uploads: one changed cell ------------------------------------------------------------------


def test_one_changed_leaf_keeps_its_row_year_the_other_months_rebalance(company, plan):
    book = _sheet(plan_sheet_xlsx(plan=plan, user=company.users["manager"]))
    book["Targets"]["H5"] = 350  # S-N1 chairs January: 250 -> 350

    result = _upload(plan, book, company.users["manager"])

    # The row's year stays 3,000.00: the other 11 months share 3,000 - 350 = 2,650.00 in
    # proportion (all equal): 265,000 cents / 11 = 24,090 r 10, so 10 months get a cent more,
    # the earlier ones first: 240.91 x 10 and December 240.90.
    assert _months(plan, "S-N1", "FUR-CH") == [D("350.00")] + [D("240.91")] * 10 + [D("240.90")]
    assert 350 + 10 * D("240.91") + D("240.90") == 3000
    assert result.leaf_count == 12
    assert result.keep == "row_year"
    assert amount(plan) == D("36000.00")


def test_one_changed_leaf_keeps_the_months_total_its_team_mate_gives_way(company, plan):
    book = _sheet(plan_sheet_xlsx(plan=plan, user=company.users["manager"]))
    book["Targets"]["H5"] = 350  # S-N1 chairs January +100

    result = _upload(plan, book, company.users["manager"], keep="period_total")

    # N-T1's chairs January (250 + 250) stays 500.00: S-N2's chairs January becomes 150.00.
    assert _months(plan, "S-N2", "FUR-CH") == [D("150.00")] + [D("250.00")] * 11
    assert _months(plan, "S-N1", "FUR-CH") == [D("350.00")] + [D("250.00")] * 11
    assert (result.leaf_count, result.keep) == (2, "period_total")
    assert [c.label for c in result.kept] == ["N-T1 · FUR-CH · 2019-01"]


def test_an_upload_is_audited_as_one_batch_naming_each_sheet_cell_and_the_rule(company, plan):
    book = _sheet(plan_sheet_xlsx(plan=plan, user=company.users["manager"]))
    book["Targets"]["H5"] = 350  # S-N1 chairs January
    book["Targets"]["H9"] = 150  # S-N2 chairs January: the two offset each other

    result = _upload(plan, book, company.users["manager"], keep="period_total")

    assert result.leaf_count == 2
    changes = PlanChange.objects.filter(plan=plan, action="upload").order_by("cell")
    keep = {"keep": "period_total"}
    assert [(c.cell, c.old_amount, c.new_amount, c.reason, c.details) for c in changes] == [
        ("S-N1 · FUR-CH · 2019-01", D("250.00"), D("350.00"), "sheet", {**keep, "ref": "H5"}),
        ("S-N2 · FUR-CH · 2019-01", D("250.00"), D("150.00"), "sheet", {**keep, "ref": "H9"}),
    ]
    assert len({c.batch for c in changes}) == 1


def test_an_unchanged_sheet_uploads_as_no_change(company, plan):
    book = _sheet(plan_sheet_xlsx(plan=plan, user=company.users["admin"]))

    result = _upload(plan, book, company.users["admin"])

    assert result.leaf_count == 0
    assert Plan.objects.get(pk=plan.pk).revision == 2


def test_excel_float_noise_reads_as_the_amount_excel_shows(company, plan):
    book = _sheet(plan_sheet_xlsx(plan=plan, user=company.users["manager"]))
    noisy = math.nextafter(350.0, 400.0)  # a formula's double, shown by Excel as 350
    assert repr(noisy) == "350.00000000000006"
    book["Targets"]["H5"] = noisy
    book["Targets"]["H9"] = 150.0

    result = _upload(plan, book, company.users["manager"], keep="period_total")

    assert result.leaf_count == 2
    assert amount(plan, salesperson=company.rep, month="2019-01-01") == D("850.00")


def test_in_bottom_up_mode_the_total_follows_the_sheet(company):
    plan = make_plan(company, mode=Plan.Mode.BOTTOM_UP)
    book = _sheet(plan_sheet_xlsx(plan=plan, user=company.users["admin"]))
    book["Targets"]["H6"] = 350

    result = _upload(plan, book, company.users["admin"])

    assert Plan.objects.get(pk=plan.pk).total_amount == D("36100.00")
    assert (result.leaf_count, result.keep) == (1, None)


# --- uploads: refusals --------------------------------------------------------------------------


def test_a_bad_sheet_is_refused_whole_naming_every_cell(company, plan):
    cell_constraint_set(
        plan=plan, salesperson="S-N2", product_line="TEC-PH", period="Q1", locked=True
    )
    book = _sheet(plan_sheet_xlsx(plan=plan, user=company.users["admin"]))
    sheet = book["Targets"]
    sheet["H6"] = "abc"
    sheet["I6"] = -1
    sheet["J6"] = 12.345
    sheet["H12"] = 300  # S-N2 phones January: inside the locked Q1
    sheet["A19"], sheet["F19"] = "NOBODY", "FUR-CH"

    with pytest.raises(CellsRejectedError) as refused:
        _upload(plan, book, company.users["admin"])

    assert refused.value.errors == [
        {"cell": "H6", "message": "“abc” is not an amount."},
        {"cell": "I6", "message": "-1 is negative; targets can't be."},
        {"cell": "J6", "message": "12.345 has more than 2 decimal places."},
        {"cell": "A19", "message": "NOBODY has no targets in this plan."},
        {
            "cell": "H12",
            "message": "It lies inside S-N2 · TEC-PH · Q1, which is locked "
            "(with “keep the row's year”).",
        },
    ]
    assert amount(plan) == D("36000.00")


def test_a_keep_rule_that_cannot_be_met_is_refused_naming_the_rule(company, plan):
    cell_constraint_set(plan=plan, salesperson="S-N2", period="2019-01", locked=True)
    book = _sheet(plan_sheet_xlsx(plan=plan, user=company.users["manager"]))
    book["Targets"]["H4"] = 900  # S-N1's January (all lines): S-N2's January is locked

    with pytest.raises(CellsRejectedError) as refused:
        _upload(plan, book, company.users["manager"], keep="period_total")

    assert refused.value.errors == [
        {
            "cell": "H4",
            "message": "with “keep the month's total”: 'S-N1 · all lines · 2019-01' can be at "
            "most 750.00: the parent total is 1,500.00 and 750.00 of it is locked in other items",
        }
    ]
    assert amount(plan) == D("36000.00")


def test_a_manager_cannot_upload_rows_outside_their_subtree(company, plan):
    book = _sheet(plan_sheet_xlsx(plan=plan, user=company.users["admin"]))
    book["Targets"]["H16"] = 600  # S-S1

    with pytest.raises(CellsRejectedError) as refused:
        _upload(plan, book, company.users["manager"])

    # every row outside is refused, saying no more than for a code that does not exist
    hidden_unit = "No org unit with code “{}” is visible to you."
    hidden_person = "No salesperson with code “S-S1” is visible to you."
    assert refused.value.errors == [
        {"cell": "C2", "message": hidden_unit.format("ACME")},
        {"cell": "C13", "message": hidden_unit.format("SOUTH")},
        {"cell": "C14", "message": hidden_unit.format("S-T1")},
        *({"cell": f"A{row}", "message": hidden_person} for row in (15, 16, 17, 18)),
    ]


def test_a_stale_or_foreign_sheet_or_a_non_draft_plan_is_refused(company, plan):
    book = _sheet(plan_sheet_xlsx(plan=plan, user=company.users["admin"]))
    other = make_plan(company, name="other")

    with pytest.raises(CellsRejectedError, match=r"belongs to another plan"):
        _upload(other, book, company.users["admin"])
    _upload(plan, book, company.users["admin"])  # revision 1 -> 2
    with pytest.raises(PlanStaleError, match=r"revision 1, now 2"):
        _upload(plan, book, company.users["admin"])
    plan_submit(plan=plan)
    with pytest.raises(PlanNotEditableError):
        _upload(
            plan,
            _sheet(plan_sheet_xlsx(plan=plan, user=company.users["admin"])),
            company.users["admin"],
        )


def test_a_sheet_that_lost_its_revision_is_refused_and_reverts_nothing(company, plan):
    book = _sheet(plan_sheet_xlsx(plan=plan, user=company.users["manager"]))
    del book["About"]  # what a CSV round trip or another tool leaves
    book["Targets"]["H5"] = 350
    # someone else changes S-N2 after the download: the sheet still shows the old 750.00
    admin = company.users["admin"]
    cell_edit(plan=plan, salesperson="S-N2", period="2019-03", amount=D("900"), actor=admin)

    with pytest.raises(CellsRejectedError) as refused:
        _upload(plan, book, company.users["manager"])

    assert refused.value.message == "Nothing was changed: the sheet has no revision."
    assert refused.value.errors[0]["message"].startswith(
        "This sheet has lost the revision it was downloaded at"
    )
    assert amount(plan, salesperson=company.rep, month="2019-01-01") == D("750.00")
    assert amount(plan, salesperson=company.north_peer, month="2019-03-01") == D("900.00")


def test_a_file_that_is_not_a_workbook_is_refused(company, plan):
    with pytest.raises(CellsRejectedError, match=r"not an XLSX workbook"):
        plan_sheet_upload(plan=plan, file=io.BytesIO(b"a,b\n1,2\n"), actor=company.users["admin"])
