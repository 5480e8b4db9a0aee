"""The import -> recompute workflow, wired in one place (DESIGN §2, CONVENTIONS §1, §6).

After an import::

    customers.import_orders (task) --commit--> customers.signals.orders_imported(job_id)
      -> on_orders_imported: RecomputeRun(kind=import, steps={"import": job, "tiers": …,
         "scorecards": …, "commissions": …, "alerts": None}), then
         salesalloc.refresh_actuals_for_import(run, job)
         -> [salesalloc.refresh_tiers_today(run) | salesalloc.refresh_scorecards(run)
             | salesalloc.refresh_commissions(run)]          (side by side: a chord)
         -> salesalloc.recompute_alerts(run) -> salesalloc.recompute_finish(run)

Every night (``CELERY_BEAT_SCHEDULE`` in settings) and on ``manage.py recompute``::

    salesalloc.recompute_all -> RecomputeRun(kind=nightly|manual, steps={"people-1": ids, …}),
      then the chord [salesalloc.refresh_actuals_for_people(run, ids, step) for each chunk]
      -> [tiers | scorecards | commissions] -> salesalloc.recompute_alerts(run)
      -> salesalloc.remind_unacknowledged(run) -> salesalloc.recompute_finish(run)

Steps are thin, idempotent tasks over services (delete-and-rebuild under row locks),
acknowledged late and rejected on worker loss, so a retried, doubled or redelivered step
gives the same rows; each records its step key once (``recompute_run_step_done``). While a
step runs it keeps the run's heartbeat fresh. Every task of a flow carries the errback
``salesalloc.recompute_failed``, so a step that fails for good (retries exhausted included)
marks the run failed. ``salesalloc.sweep_stale_work`` (beat, every
``SALESALLOC_SWEEP_SECONDS``) runs each app's sweeper: stale imports are re-queued or
failed, stale runs resumed with the steps left (``recompute_run_resume``) or failed, stale
plan-sheet uploads failed (``allocation.services.plan_uploads_sweep``).
After the actuals, the post steps run in the stages of ``POST_STAGES``: the tiers step
refreshes today's snapshot (``customers.tiers``) while ``refresh_scorecards`` and
``refresh_commissions`` recompute the draft scorecards and statements (after an import,
only the people and periods it touched) — three independent steps that workers run side by
side; then ``recompute_alerts`` reconciles the risk alerts with the fresh figures (one live
alert per condition); nightly, ``remind_unacknowledged`` sends reminders.
``recompute_finish`` also drops the cached attainment figures. A new step joins a stage of
``POST_STAGES`` (or a new stage) the same way. Without a broker (embedded) and in
``recompute_all(inline=True)`` the steps run one after another in that order.
``SALESALLOC_RECOMPUTE_CHUNKS`` splits the nightly actuals across workers (1 = a single
set-based pass, fastest on one machine).

When the targets of a published plan change in place (approved quota relief)::

    allocation.signals.plan_targets_changed(plan, cells) --commit-->
      RecomputeRun(kind=targets, steps={"scorecards": {"cells": …}, "commissions":
      {"cells": …}, "alerts": None}), then [salesalloc.refresh_scorecards(run, cells),
      salesalloc.refresh_commissions(run, cells)] -> salesalloc.recompute_alerts(run)
      -> salesalloc.recompute_finish(run)

The actuals did not change, so only the draft scorecards and commission statements of
those people and months are recomputed (approved and paid statements stay frozen).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from celery import chain, chord, group, shared_task
from celery.canvas import Signature
from celery.exceptions import Retry
from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import OperationalError, transaction
from django.dispatch import receiver
from django.utils.translation import gettext as _

from allocation.models import Salesperson
from allocation.services import plan_uploads_sweep
from allocation.signals import plan_targets_changed
from customers.models import ImportJob
from customers.services import (
    customer_first_orders_refresh,
    import_job_affected_cells,
    import_job_first_order_moves,
    import_job_recompute_mark,
    order_actuals_refresh,
)
from customers.services.recovery import import_jobs_sweep
from customers.signals import orders_imported
from customers.tiers.selectors import import_job_customer_ids
from customers.tiers.services import tier_daily_refresh
from performance.alerts.services import alerts_recompute
from performance.commissions.services import (
    commission_recompute_all,
    commission_recompute_for_cells,
)
from performance.models import RecomputeRun
from performance.notifications.services import notifications_remind_unacknowledged
from performance.scorecards.services import (
    scorecards_recompute_all,
    scorecards_recompute_for_cells,
)
from performance.services import (
    recompute_run_finish,
    recompute_run_start,
    recompute_run_step_done,
    recompute_run_steps_left,
    recompute_runs_sweep,
)
from performance.tracking.services import tracking_cache_invalidate
from salesalloc.core.background import broker_send, run_in_background
from salesalloc.core.heartbeat import heartbeat, pause_for_crash_tests
from salesalloc.core.outages import BrokerUnavailableError
from salesalloc.core.users import acting_user

logger = logging.getLogger(__name__)

IMPORT_STEP = "import"
TIERS_STEP = "tiers"  # {"kind": RecomputeRun.Kind, "job": import job id | None}
# {"job": import job id | None, "cells"?: [[salesperson id, "YYYY-MM-DD"], …]}
SCORECARDS_STEP = "scorecards"
COMMISSIONS_STEP = "commissions"  # the same arguments
INCENTIVES_STEP = "incentives"  # both of the above: only in runs started before the split
ALERTS_STEP = "alerts"
REMINDERS_STEP = "reminders"
# What runs once every actuals step is done: stages one after another; the steps of a stage
# are independent of each other (tiers, scorecards and statements each read the actuals and
# write their own tables), so on workers they run side by side as a chord, and the alerts,
# which read the fresh tier snapshot, wait for all of them.
POST_STAGES = (
    (TIERS_STEP, SCORECARDS_STEP, COMMISSIONS_STEP, INCENTIVES_STEP),
    (ALERTS_STEP,),
    (REMINDERS_STEP,),
)
POST_STEPS = tuple(key for stage in POST_STAGES for key in stage)
STEP_OPTIONS: dict[str, Any] = {
    "acks_late": True,  # every step is idempotent
    "reject_on_worker_lost": True,  # a killed worker's step goes back to the queue
    "autoretry_for": (OperationalError,),
    "retry_backoff": True,
    "retry_jitter": True,
    "max_retries": 5,
    "soft_time_limit": min(20 * 60, settings.CELERY_TASK_SOFT_TIME_LIMIT),
    "time_limit": min(25 * 60, settings.CELERY_TASK_TIME_LIMIT),
}


@contextmanager
def _step(run_id: int) -> Iterator[None]:
    """Keep the run alive while a step works; a step that fails for good fails the run.

    Transient database errors are retried (``autoretry_for``); when the retries run out,
    the errback on the flow marks the run failed.
    """
    try:
        with heartbeat(RecomputeRun, run_id):
            yield
    except OperationalError:
        raise
    except Exception as exc:
        logger.exception("recompute run %s failed", run_id)
        recompute_run_finish(run_id=run_id, error=f"{type(exc).__name__}: {exc}")
        raise


def _run_succeeded(run_id: int) -> bool:
    """A step redelivered after its run succeeded (a resumed flow finished it) has no work.

    Steps of a failed run still run: the sweeper may have failed a run whose steps were only
    waiting in a long queue, and the actuals should still come out right.
    """
    return RecomputeRun.objects.filter(pk=run_id, status=RecomputeRun.Status.SUCCEEDED).exists()


# --- steps --------------------------------------------------------------------------------


@shared_task(name="salesalloc.refresh_actuals_for_import", **STEP_OPTIONS)
def refresh_actuals_for_import_task(run_id: int, job_id: int) -> int:
    """Refresh the actual cells one import touched."""
    job = ImportJob.objects.filter(pk=job_id).first()
    if job is None or _run_succeeded(run_id):
        return 0
    with _step(run_id):
        written = order_actuals_refresh(cells=import_job_affected_cells(job=job))
        pause_for_crash_tests()
        recompute_run_step_done(run_id=run_id, step=IMPORT_STEP, rows_written=written)
    return written


@shared_task(name="salesalloc.refresh_actuals_for_people", ignore_result=False, **STEP_OPTIONS)
def refresh_actuals_for_people_task(
    run_id: int, salesperson_ids: list[int] | None, step: str = "people"
) -> int:
    """Rebuild every actual cell of some salespeople (all of them when ``None``)."""
    if _run_succeeded(run_id):
        return 0
    with _step(run_id):
        # Before the write, so a crash test that kills the worker here leaves this chunk's
        # actuals stale (the write itself is one transaction either way).
        pause_for_crash_tests()
        written = order_actuals_refresh(salesperson_ids=salesperson_ids)
        recompute_run_step_done(run_id=run_id, step=step, rows_written=written)
    return written


@shared_task(name="salesalloc.refresh_tiers_today", ignore_result=False, **STEP_OPTIONS)
def refresh_tiers_today_task(
    *_results: Any, run_id: int, kind: str, job_id: int | None = None
) -> int | None:
    """Refresh today's daily tier snapshot, after the actuals (idempotent: replaced).

    After an import (``job_id``) only the customers it wrote are re-aggregated; nightly,
    everything is recomputed, the customers' first order dates (which imports keep) first.
    """
    if _run_succeeded(run_id):
        return None
    customer_ids = None if job_id is None else import_job_customer_ids(job_id=job_id)
    with _step(run_id):
        if customer_ids is None:
            customer_first_orders_refresh()
        tier_run = tier_daily_refresh(kind=kind, customer_ids=customer_ids)
        # rows_written counts actual cells (the recompute command reports it so).
        recompute_run_step_done(run_id=run_id, step=TIERS_STEP)
    return tier_run.pk


@shared_task(name="salesalloc.recompute_alerts", **STEP_OPTIONS)
def recompute_alerts_task(*_results: Any, run_id: int) -> int | None:
    """Open, update and close risk alerts from the fresh figures (idempotent)."""
    if _run_succeeded(run_id):
        return None
    with _step(run_id):
        result = alerts_recompute()
        recompute_run_step_done(run_id=run_id, step=ALERTS_STEP)
    return result.opened


@shared_task(name="salesalloc.remind_unacknowledged", **STEP_OPTIONS)
def remind_unacknowledged_task(*_results: Any, run_id: int) -> int | None:
    """Remind salespeople of targets they have not acknowledged (once a day at most)."""
    if _run_succeeded(run_id):
        return None
    with _step(run_id):
        sent = notifications_remind_unacknowledged()
        recompute_run_step_done(run_id=run_id, step=REMINDERS_STEP)
    return sent


def _import_job(job_id: int | None) -> ImportJob | None:
    return None if job_id is None else ImportJob.objects.filter(pk=job_id).first()


Cells = list[list[Any]]  # [salesperson id, "YYYY-MM-DD"] pairs, as a step's JSON holds them


def _cells(cells: Cells) -> list[tuple[int, dt.date]]:
    return [(int(sp), dt.date.fromisoformat(str(month))) for sp, month in cells]


def _scorecards_refresh(job_id: int | None, cells: Cells | None = None) -> int:
    """Draft scorecards: after an import only what it touched; after a change of targets
    only those cells (``cells``); nightly, every template."""
    if cells is not None:
        return scorecards_recompute_for_cells(cells=_cells(cells))
    if job_id is None:
        return scorecards_recompute_all()
    job = _import_job(job_id)
    if job is None:  # the import is gone: nothing of it to recompute
        return 0
    return scorecards_recompute_for_cells(
        cells=import_job_affected_cells(job=job),
        first_order_moves=import_job_first_order_moves(job=job),
    )


def _commissions_refresh(job_id: int | None, cells: Cells | None = None) -> int:
    """Draft statements: after an import (or a change of targets: ``cells``) only the
    people and periods it touched."""
    if cells is not None:
        return commission_recompute_for_cells(cells=_cells(cells))
    if job_id is None:
        return commission_recompute_all()
    job = _import_job(job_id)
    return (
        0
        if job is None
        else commission_recompute_for_cells(cells=import_job_affected_cells(job=job))
    )


@shared_task(name="salesalloc.refresh_scorecards", ignore_result=False, **STEP_OPTIONS)
def refresh_scorecards_task(
    *_results: Any, run_id: int, job_id: int | None = None, cells: Cells | None = None
) -> int:
    """Recompute draft scorecards after the actuals (idempotent: replaced where changed)."""
    if _run_succeeded(run_id):
        return 0
    with _step(run_id):
        written = _scorecards_refresh(job_id, cells)
        # rows_written counts actual cells (the recompute command reports it so).
        recompute_run_step_done(run_id=run_id, step=SCORECARDS_STEP)
    return written


@shared_task(name="salesalloc.refresh_commissions", ignore_result=False, **STEP_OPTIONS)
def refresh_commissions_task(
    *_results: Any, run_id: int, job_id: int | None = None, cells: Cells | None = None
) -> int:
    """Recompute draft commission statements after the actuals (idempotent: drafts are
    replaced where changed; approved and paid statements stay frozen)."""
    if _run_succeeded(run_id):
        return 0
    with _step(run_id):
        written = _commissions_refresh(job_id, cells)
        recompute_run_step_done(run_id=run_id, step=COMMISSIONS_STEP)
    return written


@shared_task(name="salesalloc.refresh_incentives", ignore_result=False, **STEP_OPTIONS)
def refresh_incentives_task(*_results: Any, run_id: int, job_id: int | None = None) -> int:
    """Scorecards, then statements: the one step of runs started before they were split
    (a resumed or redelivered run of that version still finishes)."""
    if _run_succeeded(run_id):
        return 0
    with _step(run_id):
        written = _scorecards_refresh(job_id) + _commissions_refresh(job_id)
        recompute_run_step_done(run_id=run_id, step=INCENTIVES_STEP)
    return written


@shared_task(name="salesalloc.recompute_finish", acks_late=True, max_retries=3)
def recompute_finish_task(*_results: Any, run_id: int) -> None:
    """Close the run (and the import's recompute status); drop cached tracking figures."""
    tracking_cache_invalidate()
    recompute_run_finish(run_id=run_id)


@shared_task(name="salesalloc.recompute_failed")
def recompute_failed_task(request: Any, exc: BaseException, traceback: Any, run_id: int) -> None:
    """Errback of every flow: a step or the chord failed for good, so the run failed."""
    logger.error("recompute run %s failed in task %s: %r", run_id, request.id, exc)
    recompute_run_finish(run_id=run_id, error=f"{type(exc).__name__}: {exc}")


# --- entry points -------------------------------------------------------------------------


def recompute_after_import(*, job_id: int) -> RecomputeRun | None:
    """Start the recompute for one committed import (called after commit)."""
    job = ImportJob.objects.filter(pk=job_id).first()
    if job is None:
        return None
    run = recompute_run_start(
        kind=RecomputeRun.Kind.IMPORT,
        steps={
            IMPORT_STEP: job.pk,
            TIERS_STEP: {"kind": RecomputeRun.Kind.IMPORT, "job": job.pk},
            SCORECARDS_STEP: {"job": job.pk},
            COMMISSIONS_STEP: {"job": job.pk},
            ALERTS_STEP: None,
        },
        import_job=job,
    )
    import_job_recompute_mark(job_id=job.pk, status=ImportJob.RecomputeStatus.RUNNING)
    _launch(_flow(run.pk, run.steps), run.pk)
    return run


@receiver(orders_imported, dispatch_uid="salesalloc.pipeline.orders_imported")
def on_orders_imported(sender: Any, job_id: int, **kwargs: Any) -> None:
    recompute_after_import(job_id=job_id)


def recompute_after_targets_change(
    *, cells: list[tuple[int, dt.date]], actor: AbstractBaseUser | None = None
) -> RecomputeRun | None:
    """Recompute the incentives and alerts that follow from changed targets (after commit)."""
    if not cells:
        return None
    pairs = [[sp, month.isoformat()] for sp, month in cells]
    steps: dict[str, Any] = {
        SCORECARDS_STEP: {"job": None, "cells": pairs},
        COMMISSIONS_STEP: {"job": None, "cells": pairs},
        ALERTS_STEP: None,
    }
    run = recompute_run_start(kind=RecomputeRun.Kind.TARGETS, steps=steps, actor=actor)
    _launch(_flow(run.pk, run.steps), run.pk)
    return run


@receiver(plan_targets_changed, dispatch_uid="salesalloc.pipeline.plan_targets_changed")
def on_plan_targets_changed(
    sender: Any, plan: Any, cells: list[tuple[int, dt.date]], actor: Any = None, **kwargs: Any
) -> None:
    account = acting_user(actor)
    # robust: the change is committed whatever happens here; a broker that can't be
    # reached fails the run (with its message) and the nightly recompute catches up.
    transaction.on_commit(
        lambda: recompute_after_targets_change(cells=list(cells), actor=account), robust=True
    )


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
    steps: dict[str, Any] = {
        f"people-{n}": part for n, part in enumerate(_chunks(ids, count), start=1)
    }
    steps[TIERS_STEP] = {"kind": kind, "job": None}
    steps[SCORECARDS_STEP] = {"job": None}
    steps[COMMISSIONS_STEP] = {"job": None}
    steps[ALERTS_STEP] = None
    steps[REMINDERS_STEP] = None
    run = recompute_run_start(kind=kind, steps=steps, actor=actor)
    if inline:
        for done, (key, args) in enumerate(steps.items(), start=1):
            _step_signature(run.pk, key, args).apply(throw=True)
            if progress is not None:
                progress(done, len(steps))
        recompute_finish_task.apply(kwargs={"run_id": run.pk}, throw=True)
        run.refresh_from_db()
        return run
    _launch(_flow(run.pk, steps), run.pk)
    return run


@shared_task(name="salesalloc.recompute_all", acks_late=False, expires=3600)
def recompute_all_task(kind: str = RecomputeRun.Kind.NIGHTLY) -> int:
    """Fan out the nightly recompute (the beat schedule's entry point)."""
    return recompute_all(kind=kind).pk


def recompute_run_resume(run: RecomputeRun) -> None:
    """Start the steps of ``run`` that are not done yet, then its finish (the sweeper's resume)."""
    _launch(_flow(run.pk, recompute_run_steps_left(run=run)), run.pk)


# --- recovery -----------------------------------------------------------------------------


def sweep_stale_work() -> dict[str, list[int]]:
    """Run every app's sweeper once: what a dead worker left running is resumed or failed."""
    jobs = import_jobs_sweep()
    runs = recompute_runs_sweep(resume=recompute_run_resume)
    uploads = plan_uploads_sweep()
    report = {
        "imports_resumed": jobs.resumed,
        "imports_failed": jobs.failed,
        "imports_resent": jobs.resent,
        "imports_recompute_started": jobs.recompute_started,
        "runs_resumed": runs.resumed,
        "runs_failed": runs.failed,
        "plan_uploads_failed": uploads,
    }
    if any(report.values()):
        logger.warning("swept stale work: %s", report)
    return report


@shared_task(name="salesalloc.sweep_stale_work", acks_late=False, ignore_result=True)
def sweep_stale_work_task() -> dict[str, list[int]]:
    """The beat entry of the sweepers (``SALESALLOC_SWEEP_SECONDS``)."""
    return sweep_stale_work()


# --- launching ----------------------------------------------------------------------------


def _step_signature(run_id: int, key: str, args: Any) -> Signature:
    if key == IMPORT_STEP:
        return refresh_actuals_for_import_task.si(run_id, args)
    if key == TIERS_STEP:
        return refresh_tiers_today_task.si(run_id=run_id, kind=args["kind"], job_id=args["job"])
    if key == SCORECARDS_STEP:
        return refresh_scorecards_task.si(
            run_id=run_id, job_id=args.get("job"), cells=args.get("cells")
        )
    if key == COMMISSIONS_STEP:
        return refresh_commissions_task.si(
            run_id=run_id, job_id=args.get("job"), cells=args.get("cells")
        )
    if key == INCENTIVES_STEP:
        return refresh_incentives_task.si(run_id=run_id, job_id=args["job"])
    if key == ALERTS_STEP:
        return recompute_alerts_task.si(run_id=run_id)
    if key == REMINDERS_STEP:
        return remind_unacknowledged_task.si(run_id=run_id)
    return refresh_actuals_for_people_task.si(run_id, args, key)


def _flow(run_id: int, steps: dict[str, Any]) -> Signature:
    """The actuals steps (a chain for one, a chord for several), then each stage of
    ``POST_STAGES`` (one step, or a group of side-by-side steps that the next stage waits
    for), then the finish; the errback on each. A resumed run passes only the steps left."""
    errback = recompute_failed_task.s(run_id=run_id)

    def signature(key: str) -> Signature:
        return _step_signature(run_id, key, steps[key]).on_error(errback)

    tail: list[Signature] = []
    for stage in POST_STAGES:
        present = [signature(key) for key in stage if key in steps]
        if len(present) > 1:
            tail.append(group(present))
        elif present:
            tail.append(present[0])
    tail.append(recompute_finish_task.si(run_id=run_id).on_error(errback))
    header = [signature(key) for key in steps if key not in POST_STEPS]
    body = chain(*tail) if len(tail) > 1 else tail[0]
    if not header:
        return body
    if len(header) == 1:
        return chain(header[0], *tail)
    return chord(header, body)


def _launch(flow: Signature, run_id: int) -> None:
    """Start a flow on the workers, or in-process (background thread) when embedded.

    A broker that cannot be reached fails the run at once and raises ``BrokerUnavailableError``.
    """
    if settings.CELERY_TASK_ALWAYS_EAGER:
        run_in_background(lambda: _run_eagerly(flow, run_id))
        return
    try:
        broker_send(flow.apply_async)
    except BrokerUnavailableError as exc:
        recompute_run_finish(run_id=run_id, error=_("The task queue could not be reached."))
        raise exc


def _run_eagerly(flow: Signature, run_id: int) -> None:
    try:
        flow.apply_async()
    except Exception as exc:
        cause = exc.exc if isinstance(exc, Retry) and exc.exc is not None else exc
        recompute_run_finish(run_id=run_id, error=f"{type(cause).__name__}: {cause}")
        raise
