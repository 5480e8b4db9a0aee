"""The import -> recompute workflow, wired in one place (DESIGN §2, CONVENTIONS §1, §6).

After an import::

    customers.import_orders (task) --commit--> customers.signals.orders_imported(job_id)
      -> on_orders_imported: RecomputeRun(kind=import), then the chain
         salesalloc.refresh_actuals_for_import(run, job) -> salesalloc.recompute_finish(run)

Every night (``CELERY_BEAT_SCHEDULE`` in settings) and on ``manage.py recompute``::

    salesalloc.recompute_all -> RecomputeRun(kind=nightly|manual), then the chord
      [salesalloc.refresh_actuals_for_people(run, ids) for each chunk of salespeople]
      -> salesalloc.recompute_finish(run)

Steps are thin, idempotent tasks over services (delete-and-rebuild under row locks), so a
retried or doubled run gives the same rows. Later stages (tiers, KPIs, commissions, alerts)
join the chain/chord here. ``SALESALLOC_RECOMPUTE_CHUNKS`` splits the nightly run across
workers (1 = a single set-based pass, fastest on one machine).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from celery import chain, chord, shared_task
from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import OperationalError
from django.dispatch import receiver

from allocation.models import Salesperson
from customers.models import ImportJob
from customers.services import (
    import_job_affected_cells,
    import_job_recompute_mark,
    order_actuals_refresh,
)
from customers.signals import orders_imported
from performance.commissions.services import (
    commission_recompute_all,
    commission_recompute_for_cells,
)
from performance.models import RecomputeRun
from performance.scorecards.services import (
    scorecards_recompute_all,
    scorecards_recompute_for_cells,
)
from performance.services import (
    recompute_run_finish,
    recompute_run_start,
    recompute_run_step_done,
)
from salesalloc.core.background import run_in_background

logger = logging.getLogger(__name__)

STEP_OPTIONS: dict[str, Any] = {
    "acks_late": True,  # every step is idempotent
    "autoretry_for": (OperationalError,),
    "retry_backoff": True,
    "retry_jitter": True,
    "max_retries": 5,
    "soft_time_limit": 20 * 60,
    "time_limit": 25 * 60,
}


@contextmanager
def _step(run_id: int) -> Iterator[None]:
    """Mark the run failed when a step fails for good (transient errors are retried)."""
    try:
        yield
    except OperationalError:
        raise
    except Exception as exc:
        logger.exception("recompute run %s failed", run_id)
        _run_failed(run_id, f"{type(exc).__name__}: {exc}")
        raise


def _run_failed(run_id: int, error: str) -> None:
    run = recompute_run_finish(run_id=run_id, error=error)
    if run is not None and run.import_job_id is not None:
        import_job_recompute_mark(job_id=run.import_job_id, status=ImportJob.RecomputeStatus.FAILED)


# --- steps --------------------------------------------------------------------------------


@shared_task(name="salesalloc.refresh_actuals_for_import", **STEP_OPTIONS)
def refresh_actuals_for_import_task(run_id: int, job_id: int) -> int:
    """Refresh the actual cells one import touched."""
    job = ImportJob.objects.filter(pk=job_id).first()
    if job is None:
        return 0
    with _step(run_id):
        written = order_actuals_refresh(cells=import_job_affected_cells(job=job))
        recompute_run_step_done(run_id=run_id, rows_written=written)
    return written


@shared_task(name="salesalloc.refresh_actuals_for_people", ignore_result=False, **STEP_OPTIONS)
def refresh_actuals_for_people_task(run_id: int, salesperson_ids: list[int] | None) -> int:
    """Rebuild every actual cell of some salespeople (all of them when ``None``)."""
    with _step(run_id):
        written = order_actuals_refresh(salesperson_ids=salesperson_ids)
        recompute_run_step_done(run_id=run_id, rows_written=written)
    return written


@shared_task(name="salesalloc.refresh_incentives_for_import", **STEP_OPTIONS)
def refresh_incentives_for_import_task(run_id: int, job_id: int) -> int:
    """Recompute draft scorecards and commission statements of the cells one import touched."""
    job = ImportJob.objects.filter(pk=job_id).first()
    if job is None:
        return 0
    with _step(run_id):
        cells = import_job_affected_cells(job=job)
        written = scorecards_recompute_for_cells(cells=cells)
        written += commission_recompute_for_cells(cells=cells)
        recompute_run_step_done(run_id=run_id, rows_written=written)
    return written


@shared_task(name="salesalloc.refresh_incentives", **STEP_OPTIONS)
def refresh_incentives_task(*_results: Any, run_id: int) -> int:
    """Recompute every draft scorecard and commission statement (after the actuals)."""
    with _step(run_id):
        written = scorecards_recompute_all() + commission_recompute_all()
        recompute_run_step_done(run_id=run_id, rows_written=written)
    return written


@shared_task(name="salesalloc.recompute_finish", acks_late=True, max_retries=3)
def recompute_finish_task(*_results: Any, run_id: int) -> None:
    """Close the run and tell the import job its recompute is done."""
    run = recompute_run_finish(run_id=run_id)
    if run is not None and run.import_job_id is not None:
        status = (
            ImportJob.RecomputeStatus.SUCCEEDED
            if run.status == RecomputeRun.Status.SUCCEEDED
            else ImportJob.RecomputeStatus.FAILED
        )
        import_job_recompute_mark(job_id=run.import_job_id, status=status)


# --- entry points -------------------------------------------------------------------------


def recompute_after_import(*, job_id: int) -> RecomputeRun | None:
    """Start the recompute for one committed import (called after commit)."""
    job = ImportJob.objects.filter(pk=job_id).first()
    if job is None:
        return None
    run = recompute_run_start(kind=RecomputeRun.Kind.IMPORT, steps_total=2, import_job=job)
    import_job_recompute_mark(job_id=job.pk, status=ImportJob.RecomputeStatus.RUNNING)
    flow = chain(
        refresh_actuals_for_import_task.si(run.pk, job.pk),
        refresh_incentives_for_import_task.si(run.pk, job.pk),
        recompute_finish_task.si(run_id=run.pk),
    )
    _launch(flow)
    return run


@receiver(orders_imported, dispatch_uid="salesalloc.pipeline.orders_imported")
def on_orders_imported(sender: Any, job_id: int, **kwargs: Any) -> None:
    recompute_after_import(job_id=job_id)


def _chunks(ids: list[int], count: int) -> list[list[int] | None]:
    if count <= 1 or len(ids) <= 1:
        return [None]
    size = -(-len(ids) // count)
    return [ids[i : i + size] for i in range(0, len(ids), size)]


def recompute_all(
    *,
    kind: str = RecomputeRun.Kind.MANUAL,
    actor: AbstractBaseUser | None = None,
    chunks: int | None = None,
    inline: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> RecomputeRun:
    """Recompute everything derived from orders.

    ``inline`` runs the steps here, one after another, calling ``progress(done, total)``
    (the management command); otherwise the steps go to the workers as a chord.
    """
    count = chunks if chunks is not None else settings.SALESALLOC_RECOMPUTE_CHUNKS
    ids = list(Salesperson.objects.order_by("pk").values_list("pk", flat=True))
    parts = _chunks(ids, count)
    run = recompute_run_start(kind=kind, steps_total=len(parts) + 1, actor=actor)
    if inline:
        for done, part in enumerate(parts, start=1):
            refresh_actuals_for_people_task.apply(args=(run.pk, part), throw=True)
            if progress is not None:
                progress(done, len(parts) + 1)
        refresh_incentives_task.apply(kwargs={"run_id": run.pk}, throw=True)
        if progress is not None:
            progress(len(parts) + 1, len(parts) + 1)
        recompute_finish_task.apply(kwargs={"run_id": run.pk}, throw=True)
        run.refresh_from_db()
        return run
    header = [refresh_actuals_for_people_task.si(run.pk, part) for part in parts]
    tail = chain(refresh_incentives_task.si(run_id=run.pk), recompute_finish_task.si(run_id=run.pk))
    _launch(chord(header, tail))
    return run


@shared_task(name="salesalloc.recompute_all", acks_late=False, expires=3600)
def recompute_all_task(kind: str = RecomputeRun.Kind.NIGHTLY) -> int:
    """Fan out the nightly recompute (the beat schedule's entry point)."""
    return recompute_all(kind=kind).pk


def _launch(flow: Any) -> None:
    """Start a canvas on the workers, or in-process (background thread) when embedded."""
    if settings.CELERY_TASK_ALWAYS_EAGER:
        run_in_background(flow.apply_async)
    else:
        flow.apply_async()
