"""Plan-sheet uploads as background jobs: stored by the request, applied once by the task."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation

from allocation.models import PlanChange, PlanUpload
from allocation.services import plan_sheet_xlsx, plan_upload_create, plan_upload_run
from allocation.tasks import plan_upload_task
from salesalloc.core.filelimits import FileLimits
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
