"""Writes for performance data. For now: the bookkeeping of recompute runs.

A run records its steps (``steps``: key -> the step's JSON arguments) and the keys already
done (``steps_completed``), so a step that is retried or redelivered counts once, and a
run whose worker died can be resumed with only the steps that are left. The sweeper
(``recompute_runs_sweep``) is composed with the pipeline's resume in ``salesalloc.pipeline``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from customers.models import ImportJob
from customers.services import import_job_recompute_mark
from performance.models import RecomputeRun
from salesalloc.core.heartbeat import is_stale
from salesalloc.core.users import acting_user

logger = logging.getLogger(__name__)


def recompute_run_start(
    *,
    kind: str,
    steps: dict[str, Any],
    import_job: ImportJob | None = None,
    actor: AbstractBaseUser | None = None,
) -> RecomputeRun:
    """Create the visible row of a recompute run (status running, first attempt)."""
    now = timezone.now()
    run = RecomputeRun(
        kind=kind,
        status=RecomputeRun.Status.RUNNING,
        import_job=import_job,
        requested_by=acting_user(actor),
        steps=steps,
        steps_total=len(steps),
        started_at=now,
        heartbeat_at=now,
        attempts=1,
    )
    run.full_clean()
    run.save()
    return run


def recompute_run_step_done(*, run_id: int, step: str, rows_written: int = 0) -> bool:
    """Record that ``step`` finished; ``False`` (and nothing counted) when it already had.

    Idempotent across retries and redeliveries: the run row is locked and the step key
    added to ``steps_completed`` once; ``steps_done`` is the number of distinct keys.
    """
    with transaction.atomic():
        run = RecomputeRun.objects.select_for_update().filter(pk=run_id).first()
        if run is None or step in run.steps_completed:
            return False
        run.steps_completed = [*run.steps_completed, step]
        run.steps_done = len(run.steps_completed)
        run.rows_written += rows_written
        run.heartbeat_at = timezone.now()
        run.save(
            update_fields=[
                "steps_completed",
                "steps_done",
                "rows_written",
                "heartbeat_at",
                "updated_at",
            ]
        )
    return True


def recompute_run_steps_left(*, run: RecomputeRun) -> dict[str, Any]:
    """The steps of ``run`` not yet done, in their original order."""
    done = set(run.steps_completed)
    return {key: args for key, args in run.steps.items() if key not in done}


def recompute_run_finish(*, run_id: int, error: str = "") -> RecomputeRun | None:
    """Mark a running run succeeded (or failed with ``error``); a finished run stays as it is.

    A run that fails also marks its import's ``recompute_status`` failed; one that succeeds,
    succeeded.
    """
    with transaction.atomic():
        run = RecomputeRun.objects.select_for_update().filter(pk=run_id).first()
        if run is None:
            return None
        if run.status not in (RecomputeRun.Status.QUEUED, RecomputeRun.Status.RUNNING):
            return run
        run.status = RecomputeRun.Status.FAILED if error else RecomputeRun.Status.SUCCEEDED
        run.error = error[:2000]
        run.finished_at = timezone.now()
        run.save(update_fields=["status", "error", "finished_at", "updated_at"])
    if run.import_job_id is not None:
        status = ImportJob.RecomputeStatus.FAILED if error else ImportJob.RecomputeStatus.SUCCEEDED
        import_job_recompute_mark(job_id=run.import_job_id, status=status)
    return run


@dataclass
class RunSweep:
    """What one sweep did, by run id."""

    resumed: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)


def worker_lost_message(attempts: int) -> str:
    return _(
        "The worker computing this run stopped unexpectedly (%(attempts)s attempts); the "
        "actuals may be out of date. Run the recompute again (or retry the import)."
    ) % {"attempts": attempts}


def recompute_runs_sweep(*, resume: Callable[[RecomputeRun], None]) -> RunSweep:
    """Resume or fail every running run whose worker is gone (stale heartbeat).

    A run started fewer than ``SALESALLOC_RECOVERY_MAX_ATTEMPTS`` times gets one more
    attempt: ``resume(run)`` starts its remaining steps. Otherwise it fails with a message
    saying what happened, and its import's recompute status becomes failed.
    """
    result = RunSweep()
    limit = max(int(settings.SALESALLOC_RECOVERY_MAX_ATTEMPTS), 1)
    running = RecomputeRun.objects.filter(status=RecomputeRun.Status.RUNNING).order_by("pk")
    for run in running:
        if not is_stale(run.heartbeat_at, run.updated_at, run.worker):
            continue
        if run.attempts >= limit:
            recompute_run_finish(run_id=run.pk, error=worker_lost_message(run.attempts))
            result.failed.append(run.pk)
            continue
        now = timezone.now()
        claimed = RecomputeRun.objects.filter(
            pk=run.pk, status=RecomputeRun.Status.RUNNING, attempts=run.attempts
        ).update(attempts=run.attempts + 1, heartbeat_at=now, worker="", updated_at=now)
        if not claimed:  # another sweeper got there first
            continue
        run.refresh_from_db()
        logger.warning("resuming recompute run %s (attempt %s)", run.pk, run.attempts)
        try:
            resume(run)
        except Exception as exc:
            logger.exception("could not resume recompute run %s", run.pk)
            recompute_run_finish(run_id=run.pk, error=f"{type(exc).__name__}: {exc}")
            result.failed.append(run.pk)
        else:
            result.resumed.append(run.pk)
    return result
