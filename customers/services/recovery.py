"""Imports whose worker died: the sweeper, and the retry a user asks for.

``import_jobs_sweep`` (run by ``salesalloc.sweep_stale_work`` on the beat, and on requests
in the embedded mode) looks at every unfinished job:

- **running, heartbeat stale** (its worker is gone): queued again and re-sent while it has
  been started fewer than ``SALESALLOC_RECOVERY_MAX_ATTEMPTS`` times (its write transaction
  died with the worker, so it starts over cleanly); otherwise failed with a message saying
  so, which the page shows with a retry button;
- **queued for longer than** ``SALESALLOC_QUEUED_STALE_SECONDS`` (its message was lost, e.g.
  the embedded web process restarted): sent again; duplicates are harmless, the job is
  claimed once;
- **succeeded, recompute still pending** after the staleness period (the worker died
  between the commit and starting the recompute): ``orders_imported`` is sent again.

``import_job_retry`` re-runs a failed import from its stored file (or, when only the
recompute failed, the recompute) for an admin or the uploader.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from allocation.access import viewer_scope
from customers.models import ImportJob
from customers.signals import orders_imported
from customers.tasks import import_orders_task
from salesalloc.core.background import enqueue_on_commit
from salesalloc.core.exceptions import ConflictError, ScopeError
from salesalloc.core.heartbeat import is_stale, stale_cutoff
from salesalloc.core.outages import BrokerUnavailableError
from salesalloc.core.texts import Text

logger = logging.getLogger(__name__)

# What a job looks like before it first runs (a resumed or retried job starts over).
_FRESH: dict[str, Any] = {
    "status": ImportJob.Status.QUEUED,
    "phase": ImportJob.Phase.WAITING,
    "rows_done": 0,
    "heartbeat_at": None,
    "worker": "",
}


@dataclass
class ImportSweep:
    """What one sweep did, by job id."""

    resumed: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)
    resent: list[int] = field(default_factory=list)
    recompute_started: list[int] = field(default_factory=list)


def worker_lost_text(attempts: int) -> Text:
    return Text(
        gettext_noop(
            "The worker processing this import stopped unexpectedly (%(attempts)s attempts); "
            "nothing was imported. Press Retry to run it again, or upload the file again."
        ),
        {"attempts": attempts},
    )


def import_jobs_sweep() -> ImportSweep:
    """Resume, fail or re-send the jobs a dead worker left behind (see the module docstring)."""
    result = ImportSweep()
    now = timezone.now()
    limit = max(int(settings.SALESALLOC_RECOVERY_MAX_ATTEMPTS), 1)
    for job in ImportJob.objects.filter(status=ImportJob.Status.RUNNING).only(
        "pk", "attempts", "heartbeat_at", "updated_at", "worker", "language"
    ):
        if is_stale(job.heartbeat_at, job.updated_at, job.worker):
            _running_recover(job, limit, result)
    queued_cutoff = now - dt.timedelta(seconds=settings.SALESALLOC_QUEUED_STALE_SECONDS)
    for pk in ImportJob.objects.filter(
        status=ImportJob.Status.QUEUED, updated_at__lt=queued_cutoff
    ).values_list("pk", flat=True):
        if ImportJob.objects.filter(pk=pk, status=ImportJob.Status.QUEUED).update(updated_at=now):
            enqueue_on_commit(import_orders_task, pk)
            result.resent.append(pk)
    for pk in ImportJob.objects.filter(
        status=ImportJob.Status.SUCCEEDED,
        recompute_status=ImportJob.RecomputeStatus.PENDING,
        finished_at__lt=stale_cutoff(now),
    ).values_list("pk", flat=True):
        result.recompute_started.append(pk)
        orders_imported.send(sender=ImportJob, job_id=pk)
    return result


def _running_recover(job: ImportJob, limit: int, result: ImportSweep) -> None:
    same = ImportJob.objects.filter(
        pk=job.pk, status=ImportJob.Status.RUNNING, heartbeat_at=job.heartbeat_at
    )
    now = timezone.now()
    if job.attempts < limit:
        with transaction.atomic():
            if same.update(**_FRESH, updated_at=now):
                logger.warning("import job %s: worker gone, queued again", job.pk)
                enqueue_on_commit(import_orders_task, job.pk)
                result.resumed.append(job.pk)
        return
    text = worker_lost_text(job.attempts)
    with translation.override(job.language or settings.LANGUAGE_CODE):
        message = text.render()
    if same.update(
        status=ImportJob.Status.FAILED,
        phase=ImportJob.Phase.DONE,
        finished_at=now,
        message=message,
        summary=[text.as_json()],
        recompute_status=ImportJob.RecomputeStatus.SKIPPED,
        updated_at=now,
    ):
        logger.error("import job %s: worker gone %s times, failed", job.pk, job.attempts)
        result.failed.append(job.pk)


def import_job_can_retry(*, job: ImportJob, user: AbstractBaseUser | AnonymousUser) -> bool:
    """Whether ``user`` may retry ``job`` now (an admin or the uploader; a failed job)."""
    failed = job.status == ImportJob.Status.FAILED or (
        job.status == ImportJob.Status.SUCCEEDED
        and job.recompute_status == ImportJob.RecomputeStatus.FAILED
    )
    return failed and _may_retry(job, user)


def _may_retry(job: ImportJob, user: AbstractBaseUser | AnonymousUser) -> bool:
    if not user.is_authenticated:
        return False
    return viewer_scope(user=user).is_admin or job.created_by_id == user.pk


def import_job_retry(*, job: ImportJob, actor: AbstractBaseUser | AnonymousUser) -> ImportJob:
    """Run a failed import again from its stored file (or only its failed recompute).

    Admins and the uploader only (``ScopeError``); a job that has not failed is a
    ``ConflictError``. When the broker is down the job stays failed and
    ``BrokerUnavailableError`` is raised.
    """
    if not _may_retry(job, actor):
        raise ScopeError(_("Only an admin or the person who uploaded the file may retry it."))
    if job.status == ImportJob.Status.FAILED:
        _import_rerun(job)
    elif (
        job.status == ImportJob.Status.SUCCEEDED
        and job.recompute_status == ImportJob.RecomputeStatus.FAILED
    ):
        _recompute_rerun(job)
    else:
        raise ConflictError(_("Only a failed import can be retried."))
    job.refresh_from_db()
    return job


def _import_rerun(job: ImportJob) -> None:
    if not job.file.name or not job.file.storage.exists(job.file.name):
        raise ConflictError(_("The uploaded file is no longer available; upload it again."))
    previous = {"message": job.message, "summary": job.summary, "finished_at": job.finished_at}
    try:
        with transaction.atomic():
            restarted = ImportJob.objects.filter(pk=job.pk, status=ImportJob.Status.FAILED).update(
                **_FRESH,
                attempts=0,
                message="",
                summary=[],
                errors=[],
                errors_total=0,
                warnings=[],
                warnings_total=0,
                notices=[],
                rows_total=0,
                rows_rejected=0,
                rows_imported=0,
                rows_inserted=0,
                rows_updated=0,
                rows_unchanged=0,
                started_at=None,
                finished_at=None,
                recompute_status=ImportJob.RecomputeStatus.PENDING,
                updated_at=timezone.now(),
            )
            if not restarted:
                raise ConflictError(_("Only a failed import can be retried."))
            enqueue_on_commit(import_orders_task, job.pk)
    except BrokerUnavailableError:
        ImportJob.objects.filter(pk=job.pk, status=ImportJob.Status.QUEUED).update(
            status=ImportJob.Status.FAILED, phase=ImportJob.Phase.DONE, **previous
        )
        raise


def _recompute_rerun(job: ImportJob) -> None:
    ImportJob.objects.filter(pk=job.pk).update(
        recompute_status=ImportJob.RecomputeStatus.PENDING, updated_at=timezone.now()
    )
    try:
        orders_imported.send(sender=ImportJob, job_id=job.pk)
    except BrokerUnavailableError:
        ImportJob.objects.filter(pk=job.pk).update(
            recompute_status=ImportJob.RecomputeStatus.FAILED
        )
        raise
