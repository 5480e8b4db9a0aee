"""Writes for performance data. For now: the bookkeeping of recompute runs."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import F
from django.utils import timezone

from customers.models import ImportJob
from performance.models import RecomputeRun
from salesalloc.core.users import acting_user


def recompute_run_start(
    *,
    kind: str,
    steps_total: int,
    import_job: ImportJob | None = None,
    actor: AbstractBaseUser | None = None,
) -> RecomputeRun:
    """Create the visible row of a recompute run (status running)."""
    run = RecomputeRun(
        kind=kind,
        status=RecomputeRun.Status.RUNNING,
        import_job=import_job,
        requested_by=acting_user(actor),
        steps_total=steps_total,
        started_at=timezone.now(),
    )
    run.full_clean()
    run.save()
    return run


def recompute_run_step_done(*, run_id: int, rows_written: int = 0) -> None:
    """Count one finished step (atomic increment, safe from parallel workers)."""
    RecomputeRun.objects.filter(pk=run_id).update(
        steps_done=F("steps_done") + 1,
        rows_written=F("rows_written") + rows_written,
        updated_at=timezone.now(),
    )


def recompute_run_finish(*, run_id: int, error: str = "") -> RecomputeRun | None:
    """Mark the run succeeded (or failed with ``error``); a failed run stays failed."""
    run = RecomputeRun.objects.filter(pk=run_id).first()
    if run is None:
        return None
    if run.status == RecomputeRun.Status.FAILED:
        return run
    run.status = RecomputeRun.Status.FAILED if error else RecomputeRun.Status.SUCCEEDED
    run.error = error[:2000]
    run.finished_at = timezone.now()
    run.save(update_fields=["status", "error", "finished_at", "updated_at"])
    return run
