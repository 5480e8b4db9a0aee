"""Imports whose worker died: the task reclaims them, the sweeper resumes or fails them,
and a user (admin or uploader) can retry a failed one."""

from __future__ import annotations

import datetime as dt
import socket
import subprocess

import pytest
from django.test import Client
from django.utils import timezone

from customers.models import ImportJob, OrderLine
from customers.services import import_job_retry, import_jobs_sweep
from customers.tasks import import_orders_task
from salesalloc.core.exceptions import ConflictError, ScopeError
from tests.customers.import_support import csv_text, job_create

pytestmark = pytest.mark.django_db

FILE = csv_text(
    "SO-1,2019-03-05,C-1,S-N1,FUR-CH,10.5",
    "SO-2,2019-04-05,C-2,S-N2,FUR-CH,4",
)


def _long_ago(seconds: int = 3600) -> dt.datetime:
    return timezone.now() - dt.timedelta(seconds=seconds)


def _orphan(job: ImportJob, *, attempts: int = 1, beat: dt.datetime | None = None) -> None:
    """Leave ``job`` as a worker killed mid-way would: running, heartbeat old."""
    ImportJob.objects.filter(pk=job.pk).update(
        status="running",
        phase="writing",
        attempts=attempts,
        heartbeat_at=beat or _long_ago(),
        worker="elsewhere:1",
        started_at=_long_ago(),
    )


def _dead_pid() -> int:
    proc = subprocess.Popen(["true"])  # noqa: S607 - a process that is gone once waited for
    proc.wait()
    return proc.pid


def test_a_redelivered_task_reclaims_a_job_whose_worker_died_and_imports_it_once(company):
    job = job_create(FILE)
    _orphan(job)

    import_orders_task(job.pk)

    job.refresh_from_db()
    assert (job.status, job.rows_inserted, job.attempts) == ("succeeded", 2, 2)
    assert job.heartbeat_at is not None
    assert job.worker
    assert OrderLine.objects.filter(import_job=job).count() == 2


def test_a_redelivered_task_leaves_a_live_job_alone(company):
    job = job_create(FILE)
    _orphan(job, beat=timezone.now())

    import_orders_task(job.pk)

    job.refresh_from_db()
    assert (job.status, job.attempts) == ("running", 1)
    assert not OrderLine.objects.exists()


def test_a_redelivered_task_does_not_start_a_job_past_its_attempts(company, settings):
    settings.SALESALLOC_RECOVERY_MAX_ATTEMPTS = 2
    job = job_create(FILE)
    _orphan(job, attempts=2)

    import_orders_task(job.pk)

    assert ImportJob.objects.get(pk=job.pk).status == "running"
    assert not OrderLine.objects.exists()


def test_sweeper_requeues_a_stale_job_which_then_imports(
    company, django_capture_on_commit_callbacks
):
    job = job_create(FILE)
    _orphan(job)

    with django_capture_on_commit_callbacks(execute=True):
        swept = import_jobs_sweep()

    assert (swept.resumed, swept.failed) == ([job.pk], [])
    job.refresh_from_db()
    assert (job.status, job.rows_inserted, job.attempts) == ("succeeded", 2, 2)


def test_sweeper_fails_a_stale_job_out_of_attempts_with_a_message(company, settings):
    settings.SALESALLOC_RECOVERY_MAX_ATTEMPTS = 3
    job = job_create(FILE)
    _orphan(job, attempts=3)

    swept = import_jobs_sweep()

    assert swept.failed == [job.pk]
    job.refresh_from_db()
    assert (job.status, job.phase, job.recompute_status) == ("failed", "done", "skipped")
    assert job.message == (
        "The worker processing this import stopped unexpectedly (3 attempts); nothing was "
        "imported. Press Retry to run it again, or upload the file again."
    )
    assert job.finished_at is not None


def test_sweeper_writes_the_message_in_the_uploaders_language(company, settings):
    settings.SALESALLOC_RECOVERY_MAX_ATTEMPTS = 1
    job = job_create(FILE)
    ImportJob.objects.filter(pk=job.pk).update(language="zh-hans")
    _orphan(job, attempts=1)

    import_jobs_sweep()

    assert "意外停止" in ImportJob.objects.get(pk=job.pk).message


def test_sweeper_leaves_a_job_with_a_fresh_heartbeat_alone(company):
    job = job_create(FILE)
    _orphan(job, beat=timezone.now())

    swept = import_jobs_sweep()

    assert (swept.resumed, swept.failed) == ([], [])
    assert ImportJob.objects.get(pk=job.pk).status == "running"


def test_sweeper_recovers_at_once_a_job_whose_worker_process_on_this_host_is_gone(
    company, settings
):
    settings.SALESALLOC_RECOVERY_MAX_ATTEMPTS = 1
    job = job_create(FILE)
    _orphan(job, beat=timezone.now())
    ImportJob.objects.filter(pk=job.pk).update(worker=f"{socket.gethostname()}:{_dead_pid()}")

    swept = import_jobs_sweep()

    assert swept.failed == [job.pk]


def test_sweeper_sends_a_long_queued_job_again(company, django_capture_on_commit_callbacks):
    job = job_create(FILE)
    ImportJob.objects.filter(pk=job.pk).update(updated_at=_long_ago(7200))

    with django_capture_on_commit_callbacks(execute=True):
        swept = import_jobs_sweep()

    assert swept.resent == [job.pk]
    assert ImportJob.objects.get(pk=job.pk).status == "succeeded"


def test_sweeper_leaves_a_recently_queued_job_alone(company):
    job = job_create(FILE)

    assert import_jobs_sweep().resent == []
    assert ImportJob.objects.get(pk=job.pk).status == "queued"


def test_sweeper_starts_the_recompute_a_dead_worker_never_started(company):
    job = job_create(FILE)
    import_orders_task.apply(args=(job.pk,))  # eager, but on_commit hooks do not run here
    job.refresh_from_db()
    assert (job.status, job.recompute_status) == ("succeeded", "pending")
    ImportJob.objects.filter(pk=job.pk).update(finished_at=_long_ago())

    swept = import_jobs_sweep()

    assert swept.recompute_started == [job.pk]
    assert ImportJob.objects.get(pk=job.pk).recompute_status == "succeeded"


# --- retry ----------------------------------------------------------------------------------


def _failed_job(actor) -> ImportJob:
    job = job_create(FILE, actor=actor)
    ImportJob.objects.filter(pk=job.pk).update(
        status="failed", phase="done", attempts=3, message="The worker stopped.", rows_total=2
    )
    job.refresh_from_db()
    return job


def test_the_uploader_retries_a_failed_import(company, django_capture_on_commit_callbacks):
    job = _failed_job(company.users["manager"])

    with django_capture_on_commit_callbacks(execute=True):
        import_job_retry(job=job, actor=company.users["manager"])

    job.refresh_from_db()
    assert (job.status, job.rows_inserted, job.attempts) == ("succeeded", 2, 1)
    assert job.message.startswith("Imported 2 of 2 rows")


def test_another_manager_may_not_retry_and_a_running_job_cannot_be(company):
    job = _failed_job(company.users["manager"])
    with pytest.raises(ScopeError):
        import_job_retry(job=job, actor=company.users["other_manager"])

    ImportJob.objects.filter(pk=job.pk).update(status="running")
    job.refresh_from_db()
    with pytest.raises(ConflictError):
        import_job_retry(job=job, actor=company.users["admin"])


def test_retry_of_an_import_whose_recompute_failed_runs_the_recompute(company):
    job = job_create(FILE, actor=company.users["manager"])
    import_orders_task.apply(args=(job.pk,))
    ImportJob.objects.filter(pk=job.pk).update(recompute_status="failed")
    job.refresh_from_db()

    import_job_retry(job=job, actor=company.users["admin"])

    job.refresh_from_db()
    assert job.recompute_status == "succeeded"
    assert job.recompute_runs.get().status == "succeeded"


def test_retry_api_for_the_uploader_and_admin_only(company, client_as):
    job = _failed_job(company.users["manager"])

    assert client_as("other_manager").post(f"/api/v1/imports/{job.pk}/retry/").status_code == 404
    assert client_as("rep").post(f"/api/v1/imports/{job.pk}/retry/").status_code == 404
    response = client_as("admin").post(f"/api/v1/imports/{job.pk}/retry/")

    assert response.status_code == 202
    assert response.json()["status"] in ("queued", "succeeded")
    again = client_as("manager").post(f"/api/v1/imports/{job.pk}/retry/")
    assert again.status_code == 409


def test_retry_api_refuses_a_manager_who_sees_but_did_not_upload(company, client_as):
    job = _failed_job(company.users["admin"])
    visible = client_as("manager").get(f"/api/v1/imports/{job.pk}/")
    expected = 403 if visible.status_code == 200 else 404

    assert client_as("manager").post(f"/api/v1/imports/{job.pk}/retry/").status_code == expected


def test_detail_page_shows_the_message_and_a_retry_button_to_the_uploader(company):
    job = _failed_job(company.users["manager"])
    client = Client()
    client.force_login(company.users["manager"])

    page = client.get(f"/imports/{job.pk}/").content.decode()
    assert "The worker stopped." in page
    assert f'action="/imports/{job.pk}/retry/"' in page
    listing = client.get("/imports/").content.decode()
    assert f'action="/imports/{job.pk}/retry/"' in listing

    response = client.post(f"/imports/{job.pk}/retry/")
    assert response.status_code == 302
    assert ImportJob.objects.get(pk=job.pk).status in ("queued", "succeeded")


def test_detail_page_has_no_retry_button_for_an_admin_viewing_a_succeeded_job(company):
    job = job_create(FILE, actor=company.users["manager"])
    import_orders_task.apply(args=(job.pk,))
    ImportJob.objects.filter(pk=job.pk).update(recompute_status="succeeded")
    client = Client()
    client.force_login(company.users["admin"])

    page = client.get(f"/imports/{job.pk}/").content.decode()

    assert "/retry/" not in page
