"""The round trip as a user makes it, with real files: the downloaded XLSX changed in
openpyxl, re-saved by LibreOffice (headless ``soffice``), and saved through CSV.

Skipped only when ``soffice`` is missing (Debian's ``libreoffice-calc-nogui``; ``make test``
and ``.ci/run`` install it). NORTH's manager's sheet: row 5 is S-N1's chairs, H is January
(``test_plan_sheets`` has the layout).
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import load_workbook

from allocation.services import (
    cell_edit,
    plan_sheet_preview,
    plan_sheet_upload,
    plan_sheet_xlsx,
)
from allocation.services.common import CellsRejectedError, PlanStaleError
from allocation.services.sheet_preview import sheet_batch_apply
from tests.allocation.test_plan_support import amount, make_plan

pytestmark = pytest.mark.django_db

D = Decimal
SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")


def _require_soffice() -> str:
    if SOFFICE is None:
        if os.environ.get("CI"):
            pytest.fail("soffice is missing (install libreoffice-calc-nogui)", pytrace=False)
        pytest.skip("soffice is missing (install libreoffice-calc-nogui)")
    return SOFFICE


def _convert(tmp_path: Path, data: bytes, source: str, target: str) -> bytes:
    """``soffice --headless --convert-to target`` of ``data`` (a file named ``source``)."""
    soffice = _require_soffice()
    work = tmp_path / f"{source}-{target}"
    work.mkdir()
    (work / source).write_bytes(data)
    profile = (tmp_path / "lo-profile").as_uri()  # its own profile: parallel runs don't clash
    subprocess.run(  # noqa: S603 - a fixed command on files this test wrote
        [
            soffice,
            f"-env:UserInstallation={profile}",
            "--headless",
            "--convert-to",
            target,
            "--outdir",
            str(work / "out"),
            str(work / source),
        ],
        check=True,
        capture_output=True,
        timeout=180,
    )
    stem = source.rsplit(".", 1)[0]
    return (work / "out" / f"{stem}.{target.split(':')[0]}").read_bytes()


@pytest.fixture
def plan(company):
    return make_plan(company)


def _changed(plan, user, **cells) -> bytes:
    book = load_workbook(io.BytesIO(plan_sheet_xlsx(plan=plan, user=user)))
    for ref, value in cells.items():
        book["Targets"][ref] = value
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_a_sheet_resaved_by_libreoffice_with_one_change_is_previewed_and_applied(
    company, plan, tmp_path
):
    manager = company.users["manager"]
    resaved = _convert(tmp_path, _changed(plan, manager, H5=320), "plan.xlsx", "xlsx")
    # LibreOffice kept the formulas and recomputed them: S-N1's January now adds up to 820.00
    values = load_workbook(io.BytesIO(resaved), data_only=True)["Targets"]
    assert (values["H4"].value, values["H3"].value, values["T14"].value) == (820, 1570, 70)
    assert load_workbook(io.BytesIO(resaved))["Targets"]["H4"].value == "=SUM(H5:H7)"

    batch = plan_sheet_preview(plan=plan, file=io.BytesIO(resaved), actor=manager)

    assert [(e["ref"], e["old_amount"], e["new_amount"]) for e in batch.preview["edits"]] == [
        ("H5", "250.00", "320.00")
    ]
    assert batch.preview["leaf_count"] == 12  # keep the row's year: the other 11 months move
    result = sheet_batch_apply(
        plan=plan,
        cells=batch.cells,
        digest=batch.digest,
        expected_revision=batch.preview["revision"],
        actor=manager,
        keep="row_year",
    )
    assert result.leaf_count == 12
    # 3,000 - 320 = 2,680.00 over 11 months: 268,000 cents / 11 = 24,363 r 7 -> 243.64 x 7,
    # 243.63 x 4
    chairs = [
        amount(plan, salesperson=company.rep, product_line=company.chairs, month=f"2019-{m:02d}-01")
        for m in range(1, 13)
    ]
    assert chairs == [D("320.00")] + [D("243.64")] * 7 + [D("243.63")] * 4
    assert amount(plan) == D("36000.00")


def test_a_sheet_saved_through_csv_has_lost_its_revision_and_is_refused(company, plan, tmp_path):
    manager = company.users["manager"]
    csv = _convert(tmp_path, _changed(plan, manager, H5=320), "plan.xlsx", "csv")
    assert b"S-N1,Nora North,N-T1" in csv  # the data survived, the About sheet did not
    rebuilt = _convert(tmp_path, csv, "plan.csv", "xlsx")
    assert load_workbook(io.BytesIO(rebuilt)).sheetnames == ["plan"]
    # meanwhile someone else changes S-N2, whose old amounts the sheet still shows
    cell_edit(plan=plan, salesperson="S-N2", period="2019-03", amount=D("900"),
              actor=company.users["admin"])  # fmt: skip

    with pytest.raises(CellsRejectedError) as refused:
        plan_sheet_upload(plan=plan, file=io.BytesIO(rebuilt), actor=manager)

    assert refused.value.message == "Nothing was changed: the sheet has no revision."
    assert amount(plan, salesperson=company.north_peer, month="2019-03-01") == D("900.00")
    assert amount(plan, salesperson=company.rep, month="2019-01-01") == D("750.00")


def test_a_stale_sheet_that_kept_its_revision_is_refused(company, plan, tmp_path):
    manager = company.users["manager"]
    resaved = _convert(tmp_path, _changed(plan, manager, H5=320), "plan.xlsx", "xlsx")
    cell_edit(plan=plan, salesperson="S-N2", period="2019-03", amount=D("900"),
              actor=company.users["admin"])  # fmt: skip

    with pytest.raises(PlanStaleError, match=r"revision 1, now 2"):
        plan_sheet_upload(plan=plan, file=io.BytesIO(resaved), actor=manager)

    assert amount(plan, salesperson=company.north_peer, month="2019-03-01") == D("900.00")
