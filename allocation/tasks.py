"""Celery tasks of the allocation app: thin wrappers around services."""

from __future__ import annotations

from celery import shared_task
from django.contrib.auth import get_user_model
from django.db import OperationalError

from allocation.models import Plan, PlanUpload


@shared_task(
    name="allocation.plan_allocate",
    acks_late=True,
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    retry_jitter=True,
    max_retries=3,
    soft_time_limit=5 * 60,
    time_limit=6 * 60,
)
def plan_allocate_task(plan_id: int, revision: int, actor_id: int | None = None) -> None:
    """Allocate a draft in the background (``plan_allocate``), unless it changed meanwhile.

    Idempotent: it runs only while the plan is still a draft at the ``revision`` it was
    queued for, so a retried or late task can't overwrite edits made after it was queued,
    and an allocation replaces every leaf, so running it twice gives the same grid.
    """
    from allocation.services import plan_allocate

    plan = Plan.objects.filter(pk=plan_id).first()
    if plan is None or plan.status != Plan.Status.DRAFT or plan.revision != revision:
        return
    actor = get_user_model().objects.filter(pk=actor_id).first() if actor_id else None
    plan_allocate(plan=plan, actor=actor)


@shared_task(name="allocation.plan_sheet_upload", soft_time_limit=5 * 60, time_limit=6 * 60)
def plan_upload_task(upload_id: int) -> None:
    """Apply a stored plan sheet (``plan_upload_run``); a duplicate delivery does nothing."""
    from allocation.services import plan_upload_run

    upload = PlanUpload.objects.filter(pk=upload_id).first()
    if upload is None:
        return
    plan_upload_run(upload=upload)
