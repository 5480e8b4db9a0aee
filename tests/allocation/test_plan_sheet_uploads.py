"""Plan-sheet uploads as background jobs: stored by the request, applied once by the task."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone, translation

from allocation.models import PlanChange, PlanUpload
from allocation.services import (
    plan_sheet_xlsx,
    plan_upload_create,
    plan_upload_run,
    plan_uploads_sweep,
)
from allocation.tasks import plan_upload_task
from salesalloc.core.filelimits import FileLimits
from salesalloc.core.heartbeat import worker_name
from salesalloc.pipeline import sweep_stale_work
from tests.allocation.test_plan_support import make_plan
from tests.hostile_files import inline_row, sheet_xlsx, sheet_xml

pytestmark = pytest.mark.django_db


@pytest.fixture
def plan(company):
    return make_plan(company)


def _file(data: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile("plan.xlsx", data)


def test_the_request_stores_the_sheet_and_the_task_applies_it_once(
    company, plan, django_capture_on_commit_callbacks
):
    manager = company.users["manager"]
    data = plan_sheet_xlsx(plan=plan, user=manager)

    with django_capture_on_commit_callbacks() as callbacks:
        upload = plan_upload_create(plan=plan, file=_file(data), actor=manager, reason="r")
    assert (upload.status, upload.created_by, upload.reason) == ("queued", manager, "r")
    assert len(callbacks) == 1
    with upload.file.open("rb") as handle:
        assert handle.read() == data

    callbacks[0]()  # commit: the task applies it
    upload.refresh_from_db()
    assert upload.status == PlanUpload.Status.SUCCEEDED
    assert upload.result == {
        "revision": 2,
        "total_amount": "36000.00",
        "leaf_count": 0,
        "batch": upload.result["batch"],
    }
    assert PlanChange.objects.filter(plan=plan, action="upload").count() == 1

    # A duplicate delivery finds the upload already done and changes nothing.
    plan_upload_task(upload.pk)
    assert plan_upload_run(upload=upload).status == PlanUpload.Status.SUCCEEDED
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
    english = "Nothing was changed: the sheet can't be read."
    with translation.override("zh-hans"):
        chinese = translation.gettext(english)
    assert chinese != english
    assert done.message == chinese


def test_the_cell_limit_applies_to_plan_sheets(company, plan, settings) -> None:
    manager = company.users["manager"]
    upload = plan_upload_create(
        plan=plan, file=_file(plan_sheet_xlsx(plan=plan, user=manager)), actor=manager
    )
    settings.SALESALLOC_SHEET_MAX_CELLS = 50  # the sheet has 7 rows x 19 columns

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

    monkeypatch.setattr("allocation.services.sheet_uploads.plan_sheet_upload", broken)
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

    assert done.status == PlanUpload.Status.SUCCEEDED
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
