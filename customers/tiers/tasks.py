"""Celery tasks of the tiers package: thin wrappers around ``customers.tiers.services``."""

from __future__ import annotations

from celery import shared_task
from django.db import OperationalError

from customers.tiers.models import TierRun


@shared_task(
    name="customers.tiers.compute_run",
    acks_late=True,  # tier_run_compute locks the run and replaces its rows: idempotent
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    retry_jitter=True,
    max_retries=5,
    soft_time_limit=20 * 60,
    time_limit=25 * 60,
)
def tier_run_compute_task(run_id: int) -> None:
    """Compute one queued tier run; a deleted run is skipped, a failure is recorded on it."""
    from customers.tiers.services import tier_run_compute, tier_run_fail

    run = TierRun.objects.filter(pk=run_id).first()
    if run is None:
        return
    TierRun.objects.filter(pk=run_id, status=TierRun.Status.QUEUED).update(
        status=TierRun.Status.RUNNING
    )
    try:
        tier_run_compute(run=run)
    except OperationalError:
        raise
    except Exception as exc:
        tier_run_fail(run_id=run_id, error=f"{type(exc).__name__}: {exc}")
        raise
