"""Celery tasks of the customers app: thin wrappers around services."""

from celery import shared_task
from django.conf import settings

from customers.models import ImportJob


@shared_task(
    name="customers.import_orders",
    acks_late=True,
    reject_on_worker_lost=True,
    soft_time_limit=settings.CELERY_TASK_SOFT_TIME_LIMIT,
    time_limit=settings.CELERY_TASK_TIME_LIMIT,
)
def import_orders_task(job_id: int) -> None:
    """Run one queued import (``import_job_run``); a missing or already claimed job is skipped.

    Acknowledged late and rejected on worker loss: when the worker dies mid-way the message
    goes back to the queue (or Redis redelivers it after ``CELERY_BROKER_VISIBILITY_TIMEOUT``)
    and the service claims the job again, since its write transaction died with the worker.
    A live job is claimed once (compare-and-swap), so a duplicate delivery does nothing. No
    automatic retry: a failed import is visible on the job, with a retry button.
    """
    # Imported here: customers.services.imports enqueues this task (a real import cycle).
    from customers.services.imports import import_job_run

    job = ImportJob.objects.filter(pk=job_id).first()
    if job is None:
        return
    import_job_run(job=job)


# The tiers package's tasks register with the worker through this module.
from customers.tiers.tasks import tier_run_compute_task  # noqa: E402

__all__ = ["import_orders_task", "tier_run_compute_task"]
