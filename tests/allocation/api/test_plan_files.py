"""Files over the API: the plan's XLSX/CSV, the XLSX upload, day-level targets."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from allocation.models import Plan, PlanChange, PlanUpload
from tests.allocation.test_plan_support import make_plan
from tests.hostile_files import far_cell_xlsx

pytestmark = pytest.mark.django_db

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def plan(company):
    return make_plan(company)


def _url(plan, tail):
    return f"/api/v1/plans/{plan.pk}/{tail}/"


def test_the_xlsx_download_is_a_workbook_of_the_viewers_part(client_as, plan):
    response = client_as("manager").get(_url(plan, "export"))

    assert response.status_code == 200
    assert response["Content-Type"] == XLSX
    assert (
        response["Content-Disposition"] == f'attachment; filename="plan-{plan.pk}-v1-fy2019.xlsx"'
    )
    sheet = load_workbook(io.BytesIO(response.content))["Targets"]
    # header, NORTH, N-T1, then per salesperson a subtotal and 3 lines; the 3 check rows
    assert sheet.max_row == 1 + 2 + 2 * (1 + 3) + 3


def test_the_csv_download(client_as, plan):
    response = client_as("admin").get(_url(plan, "export"), {"format": "csv"})

    text = b"".join(response.streaming_content).decode("utf-8-sig")
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert text.splitlines()[1] == (
        "S-N1,Nora North,N-T1,North,North team,FUR-CH,Chairs,"
        + ",".join(["250.00"] * 12)
        + ",3000.00"
    )
    assert client_as("admin").get(_url(plan, "export"), {"format": "pdf"}).status_code == 400


def _sheet(client, plan, **cells):
    book = load_workbook(io.BytesIO(client.get(_url(plan, "export")).content))
    for ref, value in cells.items():
        book["Targets"][ref] = value
    buffer = io.BytesIO()
    book.save(buffer)
    buffer.seek(0)
    buffer.name = "plan.xlsx"
    return buffer


def _upload(client, plan, file, capture, **data):
    """POST the sheet (202 at once), let the job run after commit, GET the finished job."""
    with capture(execute=True):
        response = client.post(_url(plan, "upload"), {"file": file, **data}, format="multipart")
    assert response.status_code == 202, response.json()
    queued = response.json()
    assert queued["status"] == "queued"
    assert queued["url"] == f"/api/v1/plans/{plan.pk}/uploads/{queued['id']}/"
    finished = client.get(queued["url"])
    assert finished.status_code == 200
    return finished.json()


def _leaf(salesperson: str, month: str, old: str, new: str, ref: str | None, *, set_: bool):
    return {
        "org_unit": None,
        "salesperson": salesperson,
        "product_line": "FUR-CH",
        "period": month,
        "label": f"{salesperson} · FUR-CH · {month}",
        "old_amount": old,
        "new_amount": new,
        "ref": ref,
        "set": set_,
    }


def test_an_upload_is_previewed_then_confirmed(client_as, plan, django_capture_on_commit_callbacks):
    client = client_as("manager")
    sheet = _sheet(client, plan, H5=300)  # S-N1 chairs January: 250 -> 300

    job = _upload(
        client,
        plan,
        sheet,
        django_capture_on_commit_callbacks,
        reason="weekly",
        keep="period_total",
    )

    # keep the month's total: N-T1's chairs January (500.00) stays, S-N2's gives 50.00
    base = f"/api/v1/plans/{plan.pk}/uploads/{job['id']}"
    assert job == {
        "id": job["id"],
        "plan": plan.pk,
        "status": "previewed",
        "original_name": "plan.xlsx",
        "reason": "weekly",
        "keep": "period_total",
        "code": "",
        "message": "",
        "errors": [],
        "preview": {
            "revision": 1,
            "keep": "period_total",
            "total_amount": "36000.00",
            "leaf_count": 2,
            "edits": [
                {
                    key: value
                    for key, value in _leaf(
                        "S-N1", "2019-01", "250.00", "300.00", "H5", set_=True
                    ).items()
                    if key != "set"
                }
            ],
            "kept": [
                {
                    "org_unit": "N-T1",
                    "salesperson": None,
                    "product_line": "FUR-CH",
                    "period": "2019-01",
                    "label": "N-T1 · FUR-CH · 2019-01",
                }
            ],
            "rebalanced": [
                {
                    key: value
                    for key, value in _leaf(
                        "S-N2", "2019-01", "250.00", "200.00", None, set_=False
                    ).items()
                    if key not in {"set", "ref"}
                }
            ],
            "leaves": [
                _leaf("S-N1", "2019-01", "250.00", "300.00", "H5", set_=True),
                _leaf("S-N2", "2019-01", "250.00", "200.00", "H9", set_=False),
            ],
            "leaves_truncated": False,
        },
        "result": None,
        "created_at": job["created_at"],
        "started_at": job["started_at"],
        "finished_at": job["finished_at"],
        "url": f"{base}/",
        "confirm_url": f"{base}/confirm/",
        "discard_url": f"{base}/discard/",
    }
    assert not PlanChange.objects.filter(plan=plan, action="upload").exists()

    confirmed = client.post(job["confirm_url"])

    assert confirmed.status_code == 200
    body = confirmed.json()
    assert body["status"] == "succeeded"
    assert body["result"] == {
        "revision": 2,
        "total_amount": "36000.00",
        "leaf_count": 2,
        "batch": str(PlanChange.objects.get(plan=plan, action="upload", reason="weekly").batch),
    }
    again = client.post(job["confirm_url"])
    assert (again.status_code, again.json()["code"]) == (409, "upload_not_previewed")


def test_a_stale_preview_is_refused_on_confirm_and_the_upload_says_so(
    client_as, plan, django_capture_on_commit_callbacks
):
    client = client_as("manager")
    job = _upload(client, plan, _sheet(client, plan, H5=300), django_capture_on_commit_callbacks)
    client.post(
        _url(plan, "cells/edit"),
        {"salesperson": "S-N2", "period": "2019-05", "amount": "800"},
        format="json",
    )

    response = client.post(job["confirm_url"])

    assert response.status_code == 409
    assert response.json() == {
        "message": "The plan has changed since this preview (revision 1, now 2); nothing was "
        "changed. Upload the sheet again to see a new preview.",
        "code": "plan_stale",
    }
    assert client.get(job["url"]).json()["status"] == "failed"
    assert not PlanChange.objects.filter(plan=plan, action="upload").exists()


def test_a_discarded_upload_applies_nothing(client_as, plan, django_capture_on_commit_callbacks):
    client = client_as("manager")
    job = _upload(client, plan, _sheet(client, plan, H5=300), django_capture_on_commit_callbacks)

    response = client.post(job["discard_url"])

    assert (response.status_code, response.json()["status"]) == (200, "discarded")
    assert client.post(job["confirm_url"]).status_code == 409
    assert not PlanChange.objects.filter(plan=plan, action="upload").exists()


def test_an_upload_without_preview_is_applied_by_the_job(
    client_as, plan, django_capture_on_commit_callbacks
):
    client = client_as("manager")
    sheet = _sheet(client, plan, H5=300)

    job = _upload(client, plan, sheet, django_capture_on_commit_callbacks, preview="false")

    assert job["status"] == "succeeded"
    assert (job["result"]["revision"], job["result"]["leaf_count"]) == (2, 12)
    assert job["preview"]["leaf_count"] == 12


def test_a_refused_upload_lists_the_sheet_cells(
    client_as, plan, django_capture_on_commit_callbacks
):
    client = client_as("admin")

    job = _upload(
        client, plan, _sheet(client, plan, H6="12,5x"), django_capture_on_commit_callbacks
    )

    assert {key: job[key] for key in ("status", "code", "message", "errors", "result")} == {
        "status": "failed",
        "code": "cells_rejected",
        "message": "Nothing was changed: 1 problem(s) in the sheet.",
        "errors": [{"cell": "H6", "message": "“12,5x” is not an amount."}],
        "result": None,
    }
    assert job["preview"] is None
    assert not PlanChange.objects.filter(plan=plan, action="upload").exists()


def test_a_file_that_is_not_a_workbook_is_refused_at_once(client_as, plan):
    file = io.BytesIO(b"not a workbook")
    file.name = "plan.xlsx"

    response = client_as("manager").post(_url(plan, "upload"), {"file": file}, format="multipart")

    assert response.status_code == 400
    assert response.json() == {
        "message": "Nothing was changed: this is not an XLSX workbook.",
        "code": "cells_rejected",
        "errors": [{"cell": None, "message": "this is not an XLSX workbook."}],
    }
    assert not PlanUpload.objects.exists()


def test_a_far_cell_is_refused_before_the_workbook_is_opened(client_as, plan):
    file = io.BytesIO(far_cell_xlsx())
    file.name = "plan.xlsx"

    response = client_as("manager").post(_url(plan, "upload"), {"file": file}, format="multipart")

    assert response.status_code == 400
    assert response.json()["message"] == (
        "Nothing was changed: The sheet reaches column 16,384; at most 256 columns are read "
        "(SALESALLOC_SHEET_MAX_COLUMNS)."
    )
    assert not PlanUpload.objects.exists()


def test_a_hidden_far_cell_fails_the_job_naming_the_limit(
    client_as, plan, django_capture_on_commit_callbacks
):
    file = io.BytesIO(far_cell_xlsx(dimension="A1"))
    file.name = "plan.xlsx"

    job = _upload(client_as("manager"), plan, file, django_capture_on_commit_callbacks)

    assert (job["status"], job["code"]) == ("failed", "cells_rejected")
    assert job["errors"] == [
        {
            "cell": None,
            "message": "The sheet reaches column 16,384; at most 256 columns are read "
            "(SALESALLOC_SHEET_MAX_COLUMNS).",
        }
    ]


def test_a_sheet_over_the_size_limit_is_413(client_as, plan, settings):
    settings.SALESALLOC_PLAN_UPLOAD_MAX_BYTES = 100
    client = client_as("manager")

    response = client.post(_url(plan, "upload"), {"file": _sheet(client, plan)}, format="multipart")

    assert response.status_code == 413
    assert response.json()["code"] == "file_too_large"


def test_a_plan_that_is_not_a_draft_refuses_the_upload_at_once(client_as, plan):
    client = client_as("manager")
    sheet = _sheet(client, plan)
    plan.status = Plan.Status.SUBMITTED
    plan.save(update_fields=["status"])

    response = client.post(_url(plan, "upload"), {"file": sheet}, format="multipart")

    assert response.status_code == 409
    assert not PlanUpload.objects.exists()


def test_an_upload_is_seen_by_its_uploader_and_admins_only(
    client_as, plan, django_capture_on_commit_callbacks
):
    client = client_as("manager")
    job = _upload(client, plan, _sheet(client, plan), django_capture_on_commit_callbacks)

    assert client_as("admin").get(job["url"]).status_code == 200
    assert client_as("other_manager").get(job["url"]).status_code == 404
    assert client_as("rep").get(job["url"]).status_code == 403


def test_only_managers_and_admins_upload(client_as, plan):
    response = client_as("rep").post(_url(plan, "upload"), {}, format="multipart")

    assert response.status_code == 403


def test_day_level_targets_split_a_month_over_chinas_working_days(client_as, plan):
    response = client_as("manager").get(
        _url(plan, "days"), {"month": "2019-10", "salesperson": "S-N1"}
    )

    assert response.status_code == 200
    [row] = response.json()
    assert (row["salesperson"], row["month"], row["amount"]) == ("S-N1", "2019-10", "750.00")
    days = row["days"]
    assert days[0] == {"date": "2019-10-08", "amount": "39.48"}  # after the Golden Week
    assert {"date": "2019-10-12", "amount": "39.48"} in days  # a Saturday make-up day
    assert days[-1] == {"date": "2019-10-31", "amount": "39.47"}  # leftover cents go first
    assert len(days) == 19
    assert sum(int(d["amount"].replace(".", "")) for d in days) == 75000


def test_day_level_targets_for_a_line_and_everyone_visible(client_as, plan):
    rows = (
        client_as("manager")
        .get(_url(plan, "days"), {"month": "2019-03", "product_line": "TEC-PH"})
        .json()
    )

    assert [(r["salesperson"], r["product_line"], r["amount"]) for r in rows] == [
        ("S-N1", "TEC-PH", "250.00"),
        ("S-N2", "TEC-PH", "250.00"),
    ]
    response = client_as("manager").get(_url(plan, "days"), {"month": "2020-03"})
    assert response.json()["fields"] == {"month": ["The month is outside the plan's fiscal year."]}


def test_the_day_level_export(client_as, plan):
    response = client_as("admin").get(
        _url(plan, "days/export"), {"month": "2019-02", "format": "csv"}
    )

    lines = b"".join(response.streaming_content).decode("utf-8-sig").splitlines()
    assert lines[0] == "Salesperson,Name,Product line,Date,Target"
    assert lines[1].startswith("S-N1,Nora North,,2019-02-01,")
    assert lines[2].startswith("S-N1,Nora North,,2019-02-02,")  # a make-up Saturday
    assert len(lines) == 1 + 3 * 17  # Spring Festival: 17 working days in February 2019
