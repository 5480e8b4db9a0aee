"""The Excel round trip: export (XLSX/CSV, formula-safe, locks marked) and upload rules."""

from __future__ import annotations

import io
import math
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from allocation.models import Plan, PlanChange, ProductLine
from allocation.services import (
    cell_constraint_set,
    plan_sheet_csv,
    plan_sheet_upload,
    plan_sheet_xlsx,
    plan_submit,
)
from allocation.services.common import CellsRejectedError, PlanNotEditableError, PlanStaleError
from tests.allocation.test_plan_support import amount, make_plan

pytestmark = pytest.mark.django_db

D = Decimal
HEADER = [
    "Salesperson",
    "Name",
    "Org level 1",
    "Org level 2",
    "Product line",
    "Product line name",
    *[f"2019-{m:02d}" for m in range(1, 13)],
    "Total",
]


@pytest.fixture
def plan(company):
    return make_plan(company)


def _sheet(content: bytes):
    return load_workbook(io.BytesIO(content))


def _upload(plan, workbook, user):
    buffer = io.BytesIO()
    workbook.save(buffer)
    buffer.seek(0)
    return plan_sheet_upload(plan=plan, file=buffer, actor=user, reason="sheet")


def test_the_xlsx_has_a_row_per_salesperson_and_line_with_org_path_months_and_a_total(
    company, plan
):
    book = _sheet(plan_sheet_xlsx(plan=plan, user=company.users["admin"]))
    sheet = book["Targets"]

    assert [c.value for c in sheet[1]] == HEADER
    assert [c.value for c in sheet[2]][:6] == [
        "S-N1",
        "Nora North",
        "North",
        "North team",
        "FUR-CH",
        "Chairs",
    ]
    assert [c.value for c in sheet[2]][6:18] == [250] * 12
    assert sheet["S2"].value == "=SUM(G2:R2)"
    assert sheet.max_row == 1 + 3 * 3
    about = {row[0].value: row[1].value for row in book["About"].iter_rows()}
    assert (about["Plan id"], about["Revision"], about["Exported by"]) == (plan.pk, 1, "admin")


def test_a_manager_downloads_only_their_subtree_and_locked_cells_are_shaded(company, plan):
    cell_constraint_set(plan=plan, salesperson="S-N2", period="Q1", locked=True)

    sheet = _sheet(plan_sheet_xlsx(plan=plan, user=company.users["manager"]))["Targets"]

    assert [sheet.cell(row=r, column=1).value for r in range(2, sheet.max_row + 1)] == [
        "S-N1",
        "S-N1",
        "S-N1",
        "S-N2",
        "S-N2",
        "S-N2",
    ]
    assert sheet["G5"].fill.fgColor.rgb == "FFD9D9D9"
    assert sheet["I5"].comment.text.startswith("Locked")
    assert sheet["J5"].fill.fill_type is None


def test_text_that_looks_like_a_formula_stays_text_in_both_formats(company, plan):
    ProductLine.objects.filter(pk=company.chairs.pk).update(name='=HYPERLINK("http://x")')

    sheet = _sheet(plan_sheet_xlsx(plan=plan, user=company.users["admin"]))["Targets"]
    csv_text = "".join(plan_sheet_csv(plan=plan, user=company.users["admin"]))

    assert sheet["F2"].value == '=HYPERLINK("http://x")'
    assert sheet["F2"].data_type == "s"
    assert "'=HYPERLINK" in csv_text
    assert csv_text.splitlines()[1].endswith(",3000.00")


def test_an_unchanged_sheet_uploads_as_no_change(company, plan):
    book = _sheet(plan_sheet_xlsx(plan=plan, user=company.users["admin"]))

    result = _upload(plan, book, company.users["admin"])

    assert result.leaf_count == 0
    assert Plan.objects.get(pk=plan.pk).revision == 2


def test_an_offset_change_is_applied_as_one_audited_batch(company, plan):
    book = _sheet(plan_sheet_xlsx(plan=plan, user=company.users["manager"]))
    sheet = book["Targets"]
    sheet["G2"] = 350  # S-N1 chairs January +100
    sheet["H5"] = "150.00"  # S-N2 chairs February -100

    result = _upload(plan, book, company.users["manager"])

    assert result.leaf_count == 2
    assert amount(plan, salesperson=company.rep) == D("9100.00")
    assert amount(plan) == D("36000.00")
    changes = PlanChange.objects.filter(plan=plan, action="upload").order_by("cell")
    assert [(c.cell, c.old_amount, c.new_amount, c.reason) for c in changes] == [
        ("S-N1 · FUR-CH · 2019-01", D("250.00"), D("350.00"), "sheet"),
        ("S-N2 · FUR-CH · 2019-02", D("250.00"), D("150.00"), "sheet"),
    ]
    assert len({c.batch for c in changes}) == 1


def test_an_upload_is_audited_like_a_paste_naming_each_sheet_cell(company, plan):
    book = _sheet(plan_sheet_xlsx(plan=plan, user=company.users["manager"]))
    book["Targets"]["G2"] = 350
    book["Targets"]["H5"] = 150

    _upload(plan, book, company.users["manager"])

    changes = PlanChange.objects.filter(plan=plan, action="upload").order_by("cell")
    assert [(c.details, c.leaf_count) for c in changes] == [({"ref": "G2"}, 2), ({"ref": "H5"}, 2)]


def test_excel_float_noise_reads_as_the_amount_excel_shows(company, plan):
    book = _sheet(plan_sheet_xlsx(plan=plan, user=company.users["manager"]))
    sheet = book["Targets"]
    noisy = math.nextafter(350.0, 400.0)  # a formula's double, shown by Excel as 350
    assert repr(noisy) == "350.00000000000006"
    sheet["G2"] = noisy
    sheet["H5"] = 150.0

    result = _upload(plan, book, company.users["manager"])

    assert result.leaf_count == 2
    assert amount(plan, salesperson=company.rep) == D("9100.00")


def test_a_bad_sheet_is_refused_whole_naming_every_cell(company, plan):
    cell_constraint_set(plan=plan, salesperson="S-N2", product_line="TEC-PH", locked=True)
    book = _sheet(plan_sheet_xlsx(plan=plan, user=company.users["admin"]))
    sheet = book["Targets"]
    sheet["G2"] = "abc"
    sheet["H2"] = -1
    sheet["I2"] = 12.345
    sheet["G7"] = 300  # S-N2 phones: locked
    sheet["A11"], sheet["E11"] = "NOBODY", "FUR-CH"

    with pytest.raises(CellsRejectedError) as refused:
        _upload(plan, book, company.users["admin"])

    assert refused.value.errors == [
        {"cell": "G2", "message": "“abc” is not an amount."},
        {"cell": "H2", "message": "-1 is negative; targets can't be."},
        {"cell": "I2", "message": "12.345 has more than 2 decimal places."},
        {"cell": "A11", "message": "NOBODY has no targets in this plan."},
        {"cell": "G7", "message": "This cell is locked."},
    ]
    assert amount(plan) == D("36000.00")


def test_in_top_down_mode_the_total_of_your_part_must_not_change(company, plan):
    book = _sheet(plan_sheet_xlsx(plan=plan, user=company.users["manager"]))
    book["Targets"]["G2"] = 350

    with pytest.raises(CellsRejectedError) as refused:
        _upload(plan, book, company.users["manager"])

    assert refused.value.errors == [
        {
            "cell": None,
            "message": "The total of NORTH would change by +100.00 (from 18,000.00 to 18,100.00); "
            "in a top-down plan every change must be offset within it.",
        }
    ]


def test_a_manager_cannot_change_rows_outside_their_subtree(company, plan):
    book = _sheet(plan_sheet_xlsx(plan=plan, user=company.users["admin"]))
    book["Targets"]["G8"] = 600  # S-S1
    book["Targets"]["H8"] = 400

    with pytest.raises(CellsRejectedError) as refused:
        _upload(plan, book, company.users["manager"])

    # the row is refused whole, saying no more than for a code that does not exist
    assert refused.value.errors == [
        {"cell": f"A{row}", "message": "No salesperson with code “S-S1” is visible to you."}
        for row in (8, 9, 10)
    ]


def test_in_bottom_up_mode_the_total_follows_the_sheet(company):
    plan = make_plan(company, mode=Plan.Mode.BOTTOM_UP)
    book = _sheet(plan_sheet_xlsx(plan=plan, user=company.users["admin"]))
    book["Targets"]["G2"] = 350

    _upload(plan, book, company.users["admin"])

    assert Plan.objects.get(pk=plan.pk).total_amount == D("36100.00")


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


def test_a_file_that_is_not_a_workbook_is_refused(company, plan):
    with pytest.raises(CellsRejectedError, match=r"not an XLSX workbook"):
        plan_sheet_upload(plan=plan, file=io.BytesIO(b"a,b\n1,2\n"), actor=company.users["admin"])
