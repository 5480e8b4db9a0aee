"""Celery tasks of the allocation app: thin wrappers around services."""

from __future__ import annotations

from celery import shared_task

from allocation.models import PlanUpload


@shared_task(name="allocation.plan_sheet_upload", soft_time_limit=5 * 60, time_limit=6 * 60)
def plan_upload_task(upload_id: int) -> None:
    """Apply a stored plan sheet (``plan_upload_run``); a duplicate delivery does nothing."""
    # Imported here: allocation.services.sheet_uploads enqueues this task (a real cycle).
    from allocation.services import plan_upload_run

    upload = PlanUpload.objects.filter(pk=upload_id).first()
    if upload is None:
        return
    plan_upload_run(upload=upload)
