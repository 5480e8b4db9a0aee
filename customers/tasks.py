"""Celery tasks of the customers app: thin wrappers around services."""

from celery import shared_task

from customers.models import ImportJob


@shared_task(name="customers.import_orders")
def import_orders_task(job_id: int) -> None:
    """Run one queued import (``import_job_run``); a missing or already claimed job is skipped.

    No automatic retry and no ``acks_late``: the service claims the job (queued -> running)
    before working, and a failed import is visible on the job for the user to upload again.
    """
    from customers.services.imports import import_job_run

    job = ImportJob.objects.filter(pk=job_id).first()
    if job is None:
        return
    import_job_run(job=job)


# The tiers package's tasks register with the worker through this module.
from customers.tiers.tasks import tier_run_compute_task  # noqa: E402

__all__ = ["import_orders_task", "tier_run_compute_task"]
