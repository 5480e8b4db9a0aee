"""The editor's keep rule, highlight, undo and upload preview in headless Chromium, and the
compare view at phone width.

The EQUAL plan of ``test_plan_editor``: 120,000.00 for FY2024; S-N1 and S-N2 (team N-T1)
have 30,000.00 each: 10,000.00 a line, 833.33 a line and month, the cents to the earliest
months (833.34 January to April), so March is 2,500.02 a person and 5,000.04 for N-T1.
"""

from __future__ import annotations

import io
from decimal import Decimal
from typing import Any

import pytest
from openpyxl import load_workbook

from allocation.models import PlanChange, PlanUpload
from allocation.services import cell_edit, plan_scenario_create, plan_sheet_xlsx
from tests.e2e.test_plan_editor import XLSX, amount, cell, edit, open_editor, plan, wait_idle

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

__all__ = ["plan"]  # the fixture, shared with test_plan_editor


def _open_team(page: Any) -> None:
    page.locator('tr[data-key="u:N-T1"] [data-toggle]').click()
    page.wait_for_selector('tr[data-key="s:S-N1"]')


def _status(page: Any) -> str:
    return page.locator("#grid-status").inner_text()


def _wait_status(page: Any, start: str) -> None:
    page.wait_for_function(
        "start => document.querySelector('#grid-status').textContent.startsWith(start)", arg=start
    )
    wait_idle(page)


def test_the_keep_rule_is_chosen_per_edit_remembered_shown_and_undone(page, sign_in, plan, company):
    sign_in(page, "manager")
    open_editor(page, plan)
    _open_team(page)
    assert page.get_by_label("the row's year").is_checked()  # the default

    # Keep the month's total: S-N2's March gives what S-N1's March takes.
    page.get_by_label("the month's total").check()
    assert "keeps the month's total" in _status(page)
    assert amount(page, "u:N-T1", "2024-03") == Decimal("5000.04")
    edit(page, "s:S-N1", "2024-03", "3000")
    _wait_status(page, "Saved Nora North")
    status = _status(page)
    assert "Rule “keep the month's total”: N-T1 · all lines · 2024-03 stayed the same" in status
    # N-T1's March stays 5,000.04: S-N2's is 5,000.04 - 3,000 = 2,000.04; S-N1's year grows
    # by 3,000 - 2,500.02 = 499.98
    assert cell(page, "s:S-N2", "2024-03").inner_text() == "2,000.04"
    assert cell(page, "s:S-N1", "year").inner_text() == "30,499.98"
    assert amount(page, "u:N-T1", "2024-03") == Decimal("5000.04")
    # every cell that moved stays highlighted: the two Marches, the two years, Q1s
    moved = page.eval_on_selector_all(
        "#grid-body td.is-moved",
        "cells => cells.map(c => c.parentElement.dataset.key + ' ' + c.dataset.period)",
    )
    assert set(moved) == {
        "s:S-N1 2024-03", "s:S-N1 year", "s:S-N1 Q1", "s:S-N2 2024-03", "s:S-N2 year", "s:S-N2 Q1",
    }  # fmt: skip
    assert PlanChange.objects.get(plan=plan, action="edit").details == {"keep": "period_total"}

    # The choice is remembered in this browser.
    page.reload()
    page.wait_for_selector("#plan-grid[data-ready=true]")
    assert page.get_by_label("the month's total").is_checked()

    # Undo puts both rows back.
    undo = page.locator("#undo-last")
    undo.wait_for()
    assert undo.inner_text() == "Undo your last change (S-N1 · all lines · 2024-03)"
    undo.click()
    _wait_status(page, "Undone: S-N1 · all lines · 2024-03 is back as before")
    _open_team(page)
    assert cell(page, "s:S-N1", "2024-03").inner_text() == "2,500.02"
    assert cell(page, "s:S-N2", "2024-03").inner_text() == "2,500.02"
    assert undo.is_hidden()  # nothing of this manager's left to undo
    assert PlanChange.objects.filter(plan=plan, action="undo").count() == 1

    # Keep the row's year: S-N1's other months give way, S-N2 is untouched.
    page.get_by_label("the row's year").check()
    edit(page, "s:S-N1", "2024-03", "3100")
    _wait_status(page, "Saved Nora North")
    assert "Rule “keep the row's year”: S-N1 · all lines · year stayed the same" in _status(page)
    assert cell(page, "s:S-N1", "year").inner_text() == "30,000.00"
    assert cell(page, "s:S-N2", "2024-03").inner_text() == "2,500.02"
    assert page.locator('tr[data-key="s:S-N1"] td[data-period="2024-08"].is-moved').count() == 1


def _sheet_with(plan, company, changes: dict[tuple[str, str], int]) -> bytes:
    book = load_workbook(io.BytesIO(plan_sheet_xlsx(plan=plan, user=company.users["manager"])))
    sheet = book["Targets"]
    header = [c.value for c in sheet[1]]
    for (person, month), delta in changes.items():
        column = header.index(month) + 1
        for row in sheet.iter_rows(min_row=2):
            if row[0].value == person and row[header.index("Product line")].value == "FUR-CH":
                target = sheet.cell(row=row[0].row, column=column)
                target.value = float(target.value) + delta
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _upload(page: Any, data: bytes) -> None:
    page.get_by_label("Edited XLSX").set_input_files(
        files=[{"name": "plan.xlsx", "mimeType": XLSX, "buffer": data}]
    )
    page.get_by_role("button", name="Upload and preview").click()


def test_an_upload_shows_every_cell_that_will_change_before_it_is_confirmed(
    page, sign_in, plan, company
):
    sign_in(page, "manager")
    open_editor(page, plan)
    # one changed leaf: S-N1's chairs in May, +120
    _upload(page, _sheet_with(plan, company, {("S-N1", "2024-05"): 120}))

    preview = page.locator("#upload-preview")
    preview.wait_for()
    assert _status(page).startswith("Sheet read: 12 cells would change.")
    summary = page.locator("#upload-preview-summary").inner_text()
    assert summary.startswith(
        "Cells changed in the sheet: 1. Cells that will change in all, with “keep the row's "
        "year”: 12"
    )
    rows = page.locator("#upload-preview-edits tbody tr")
    assert rows.count() == 1
    first = rows.nth(0).inner_text().split("\t")
    assert first[1:] == ["S-N1 · FUR-CH · 2024-05", "833.33", "953.33"]  # May: no extra cent
    page.locator("#upload-preview-leaves summary").click()
    leaves = page.locator("#upload-preview-leaves tbody tr")
    assert leaves.count() == 12
    assert page.locator("#upload-preview-leaves tbody tr.is-rebalanced").count() == 11
    assert not PlanChange.objects.filter(plan=plan, action="upload").exists()  # not yet

    page.get_by_role("button", name="Confirm and apply").click()
    _wait_status(page, "Sheet applied as one change: 12 cells moved")
    assert preview.is_hidden()
    assert PlanUpload.objects.get(plan=plan).status == PlanUpload.Status.SUCCEEDED
    page.locator("#undo-last").wait_for()  # the upload can be undone too


def test_a_sheet_that_lost_its_revision_or_is_stale_is_refused_and_changes_nothing(
    page, sign_in, plan, company
):
    stale = _sheet_with(plan, company, {("S-N1", "2024-05"): 120})
    book = load_workbook(io.BytesIO(stale))
    del book["About"]  # what saving through CSV leaves
    buffer = io.BytesIO()
    book.save(buffer)
    cell_edit(plan=plan, salesperson="S-N2", period="2024-04", amount=Decimal("2600"),
              actor=company.users["admin"])  # fmt: skip
    sign_in(page, "manager")
    open_editor(page, plan)

    _upload(page, buffer.getvalue())
    errors = page.locator("#upload-errors")
    errors.wait_for()
    assert "the sheet has no revision" in errors.inner_text()
    assert "has lost the revision it was downloaded at" in errors.inner_text()
    assert _status(page) == "The sheet was refused; nothing was changed."

    _upload(page, stale)
    page.wait_for_function(
        "() => document.querySelector('#upload-errors').textContent.includes('revision 1, now 2')"
    )
    assert "Download it again" in errors.inner_text()
    assert not PlanChange.objects.filter(plan=plan, action="upload").exists()


def test_the_compare_view_picks_a_baseline_and_fits_a_phone(new_page, sign_in, plan, company):
    admin = company.users["admin"]
    scenario = plan_scenario_create(plan=plan, name="Stretch", actor=admin)
    cell_edit(plan=scenario, salesperson="S-N1", amount=Decimal("36000"), actor=admin)
    page = new_page(viewport={"width": 375, "height": 740}, is_mobile=True, has_touch=True)
    sign_in(page, "manager")

    page.goto(
        f"/plans/compare/?plans={plan.pk}&plans={scenario.pk}&group_by=salesperson"
        f"&baseline={scenario.pk}"
    )

    header = page.locator("#compare-table thead").inner_text()
    assert header.index("Stretch v1") < header.index("FY2024 targets v1")
    first = page.locator("#compare-table tbody tr").nth(0).inner_text().split("\t")
    assert first == ["S-N1 Nora North", "36,000.00", "30,000.00", "-6,000.00 (-16.7 %)"]
    # nothing runs off the screen: the page does not scroll sideways, the table scrolls in
    # its own box and its first column stays in view
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 375
    box = page.locator("#compare-table tbody th").first.bounding_box()
    assert box is not None
    assert box["x"] >= 0
    assert box["x"] + box["width"] <= 375
    page.get_by_role("link", name="use as baseline").click()
    page.wait_for_url("**baseline=*")
    header = page.locator("#compare-table thead").inner_text()
    assert header.index("FY2024 targets v1") < header.index("Stretch v1")
