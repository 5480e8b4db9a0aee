"""Plan-sheet uploads as background jobs: stored by the request, applied once by the task."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone, translation
from openpyxl import load_workbook

from allocation.models import PlanChange, PlanUpload
from allocation.services import (
    cell_edit,
    plan_sheet_xlsx,
    plan_upload_confirm,
    plan_upload_create,
    plan_upload_discard,
    plan_upload_run,
    plan_uploads_sweep,
)
from allocation.services.common import PlanStaleError
from allocation.services.sheet_uploads import UploadNotPreviewedError
from allocation.tasks import plan_upload_task
from salesalloc.core.exceptions import ScopeError
from salesalloc.core.filelimits import FileLimits
from salesalloc.core.heartbeat import worker_name
from salesalloc.pipeline import sweep_stale_work
from tests.allocation.test_plan_support import amount, make_plan
from tests.hostile_files import inline_row, sheet_xlsx, sheet_xml

pytestmark = pytest.mark.django_db


@pytest.fixture
def plan(company):
    return make_plan(company)


D = Decimal


def _file(data: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile("plan.xlsx", data)


def _bytes(book) -> bytes:
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_the_request_stores_the_sheet_the_task_previews_it_once_and_a_confirm_applies_it(
    company, plan, django_capture_on_commit_callbacks
):
    manager = company.users["manager"]
    book = load_workbook(io.BytesIO(plan_sheet_xlsx(plan=plan, user=manager)))
    book["Targets"]["H5"] = 350  # S-N1 chairs January: 250 -> 350
    data = _bytes(book)

    with django_capture_on_commit_callbacks() as callbacks:
        upload = plan_upload_create(
            plan=plan, file=_file(data), actor=manager, reason="r", keep="period_total"
        )
    assert (upload.status, upload.created_by, upload.reason, upload.keep) == (
        "queued",
        manager,
        "r",
        "period_total",
    )
    assert len(callbacks) == 1
    with upload.file.open("rb") as handle:
        assert handle.read() == data

    callbacks[0]()  # commit: the task reads the sheet into a preview, writing nothing
    upload.refresh_from_db()
    assert upload.status == PlanUpload.Status.PREVIEWED
    assert (upload.preview["revision"], upload.preview["leaf_count"]) == (1, 2)
    assert upload.result == {}
    assert not PlanChange.objects.filter(plan=plan, action="upload").exists()
    # A duplicate delivery finds the upload already previewed and does nothing.
    plan_upload_task(upload.pk)
    assert plan_upload_run(upload=upload).status == PlanUpload.Status.PREVIEWED

    done = plan_upload_confirm(upload=upload, actor=manager)

    assert done.status == PlanUpload.Status.SUCCEEDED
    assert done.result == {
        "revision": 2,
        "total_amount": "36000.00",
        "leaf_count": 2,
        "batch": done.result["batch"],
    }
    changes = PlanChange.objects.filter(plan=plan, action="upload")
    assert [(c.cell, c.reason, str(c.batch)) for c in changes] == [
        ("S-N1 · FUR-CH · 2019-01", "r", done.result["batch"])
    ]
    assert amount(plan, salesperson=company.north_peer, month="2019-01-01") == D("650.00")
    with pytest.raises(UploadNotPreviewedError):  # confirming twice applies nothing twice
        plan_upload_confirm(upload=upload, actor=manager)
    assert PlanChange.objects.filter(plan=plan, action="upload").count() == 1


def test_a_confirm_after_the_plan_changed_is_refused_and_the_upload_fails_saying_so(company, plan):
    manager = company.users["manager"]
    book = load_workbook(io.BytesIO(plan_sheet_xlsx(plan=plan, user=manager)))
    book["Targets"]["H5"] = 350
    upload = plan_upload_run(
        upload=plan_upload_create(plan=plan, file=_file(_bytes(book)), actor=manager)
    )
    assert upload.status == PlanUpload.Status.PREVIEWED
    cell_edit(plan=plan, salesperson="S-N2", period="2019-03", amount=D("900"), actor=manager)

    with pytest.raises(PlanStaleError, match=r"changed since this preview \(revision 1, now 2\)"):
        plan_upload_confirm(upload=upload, actor=manager)

    upload.refresh_from_db()
    assert (upload.status, upload.code) == ("failed", "plan_stale")
    assert upload.message.startswith("The plan has changed since this preview")
    assert not PlanChange.objects.filter(plan=plan, action="upload").exists()
    assert amount(plan, salesperson=company.rep, month="2019-01-01") == D("750.00")


def test_only_the_uploader_confirms_or_discards_and_a_discard_applies_nothing(company, plan):
    manager = company.users["manager"]
    book = load_workbook(io.BytesIO(plan_sheet_xlsx(plan=plan, user=manager)))
    book["Targets"]["H5"] = 350
    upload = plan_upload_run(
        upload=plan_upload_create(plan=plan, file=_file(_bytes(book)), actor=manager)
    )

    with pytest.raises(ScopeError, match="Only the person who uploaded the sheet"):
        plan_upload_confirm(upload=upload, actor=company.users["admin"])
    done = plan_upload_discard(upload=upload, actor=manager)

    assert done.status == PlanUpload.Status.DISCARDED
    with pytest.raises(UploadNotPreviewedError, match="This upload is discarded"):
        plan_upload_confirm(upload=upload, actor=manager)
    assert not PlanChange.objects.filter(plan=plan, action="upload").exists()


def test_an_upload_without_preview_is_applied_by_the_job(company, plan):
    manager = company.users["manager"]
    book = load_workbook(io.BytesIO(plan_sheet_xlsx(plan=plan, user=manager)))
    book["Targets"]["H5"] = 350

    done = plan_upload_run(
        upload=plan_upload_create(plan=plan, file=_file(_bytes(book)), actor=manager, preview=False)
    )

    assert done.status == PlanUpload.Status.SUCCEEDED
    assert done.result["leaf_count"] == 12  # the row's other 11 months rebalanced
    assert done.preview["leaf_count"] == 12
    assert PlanChange.objects.filter(plan=plan, action="upload").count() == 1


def test_the_task_exits_quietly_when_the_upload_is_gone(company, plan) -> None:
    plan_upload_task(987654)  # no error


def test_messages_are_written_in_the_uploaders_language(company, plan) -> None:
    with translation.override("zh-hans"):
        upload = plan_upload_create(
            plan=plan,
            file=_file(sheet_xlsx(sheet_xml(inline_row(1, {"A": "x"})))),
            actor=company.users["admin"],
        )
    assert upload.language == "zh-hans"

    done = plan_upload_run(upload=upload)

    assert done.status == PlanUpload.Status.FAILED
    english = "Nothing was changed: the sheet has no revision."
    with translation.override("zh-hans"):
        chinese = translation.gettext(english)
    assert chinese != english
    assert done.message == chinese


def test_the_cell_limit_applies_to_plan_sheets(company, plan, settings) -> None:
    manager = company.users["manager"]
    upload = plan_upload_create(
        plan=plan, file=_file(plan_sheet_xlsx(plan=plan, user=manager)), actor=manager
    )
    settings.SALESALLOC_SHEET_MAX_CELLS = 50  # the sheet has 14 rows x 21 columns

    done = plan_upload_run(upload=upload)

    assert done.status == PlanUpload.Status.FAILED
    assert done.errors[0]["message"].endswith(
        "at most 50 cells are read (SALESALLOC_SHEET_MAX_CELLS)."
    )
    assert FileLimits.from_settings().max_cells == 50
    assert not PlanChange.objects.filter(plan=plan, action="upload").exists()


def test_an_internal_error_fails_the_upload_with_a_plain_message(company, plan, monkeypatch):
    manager = company.users["manager"]
    upload = plan_upload_create(
        plan=plan, file=_file(plan_sheet_xlsx(plan=plan, user=manager)), actor=manager
    )

    def broken(**kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr("allocation.services.sheet_uploads.plan_sheet_preview", broken)
    done = plan_upload_run(upload=upload)

    assert (done.status, done.code) == ("failed", "internal_error")
    assert done.message == "The upload failed with an internal error; nothing was changed."


# --- dead workers -----------------------------------------------------------------------------


def test_a_running_upload_records_its_worker_and_beats(company, plan) -> None:
    manager = company.users["manager"]
    upload = plan_upload_create(
        plan=plan, file=_file(plan_sheet_xlsx(plan=plan, user=manager)), actor=manager
    )
    assert (upload.attempts, upload.heartbeat_at, upload.worker) == (0, None, "")

    done = plan_upload_run(upload=upload)

    assert done.status == PlanUpload.Status.PREVIEWED
    assert done.attempts == 1
    assert done.heartbeat_at is not None
    assert done.worker == worker_name()


def _running(upload: PlanUpload, *, beat: dt.datetime, worker: str = "elsewhere:1") -> None:
    PlanUpload.objects.filter(pk=upload.pk).update(
        status=PlanUpload.Status.RUNNING, attempts=1, heartbeat_at=beat, worker=worker
    )


def test_the_sweeper_fails_an_upload_whose_worker_is_gone(company, plan) -> None:
    manager = company.users["manager"]
    stale = plan_upload_create(
        plan=plan, file=_file(plan_sheet_xlsx(plan=plan, user=manager)), actor=manager
    )
    live = plan_upload_create(
        plan=plan, file=_file(plan_sheet_xlsx(plan=plan, user=manager)), actor=manager
    )
    queued = plan_upload_create(
        plan=plan, file=_file(plan_sheet_xlsx(plan=plan, user=manager)), actor=manager
    )
    _running(stale, beat=timezone.now() - dt.timedelta(hours=1))
    _running(live, beat=timezone.now())

    swept = sweep_stale_work()

    assert swept["plan_uploads_failed"] == [stale.pk]
    stale.refresh_from_db()
    assert (stale.status, stale.code) == ("failed", "worker_lost")
    assert stale.message == (
        "The worker applying this sheet stopped unexpectedly; nothing was changed. "
        "Upload the sheet again."
    )
    assert stale.errors == [{"cell": None, "message": stale.message}]
    assert stale.finished_at is not None
    assert PlanUpload.objects.get(pk=live.pk).status == "running"
    assert PlanUpload.objects.get(pk=queued.pk).status == "queued"
    assert not PlanChange.objects.filter(plan=plan, action="upload").exists()
    # A late redelivery of the failed upload's task changes nothing.
    plan_upload_task(stale.pk)
    assert PlanUpload.objects.get(pk=stale.pk).status == "failed"
    assert not PlanChange.objects.filter(plan=plan, action="upload").exists()


def test_the_sweeper_message_is_in_the_uploaders_language(company, plan) -> None:
    manager = company.users["manager"]
    with translation.override("zh-hans"):
        upload = plan_upload_create(
            plan=plan, file=_file(plan_sheet_xlsx(plan=plan, user=manager)), actor=manager
        )
    _running(upload, beat=timezone.now() - dt.timedelta(hours=1))

    assert plan_uploads_sweep() == [upload.pk]

    upload.refresh_from_db()
    english = (
        "The worker applying this sheet stopped unexpectedly; nothing was changed. "
        "Upload the sheet again."
    )
    with translation.override("zh-hans"):
        chinese = translation.gettext(english)
    assert chinese != english
    assert upload.message == chinese
