"""The import task: a thin wrapper that re-fetches the job and runs the service."""

from __future__ import annotations

from unittest import mock

import pytest

from customers.models import ImportJob
from customers.tasks import import_orders_task
from tests.customers.import_support import csv_text, job_create

pytestmark = pytest.mark.django_db


def test_task_runs_the_job(company) -> None:
    job = job_create(csv_text("SO-1,2019-03-05,C-1,S-N1,FUR-CH,10"))
    with mock.patch("customers.services.imports.import_job_run") as run:
        import_orders_task(job.pk)
    run.assert_called_once_with(job=job)


def test_task_skips_a_missing_job(db) -> None:
    with mock.patch("customers.services.imports.import_job_run") as run:
        import_orders_task(123456)
    run.assert_not_called()


def test_task_has_a_stable_name() -> None:
    assert import_orders_task.name == "customers.import_orders"


def test_task_end_to_end_is_idempotent_for_a_claimed_job(company) -> None:
    job = job_create(csv_text("SO-1,2019-03-05,C-1,S-N1,FUR-CH,10"))
    import_orders_task(job.pk)
    import_orders_task(job.pk)  # a duplicate delivery finds the job already claimed
    job.refresh_from_db()
    assert (job.status, job.rows_inserted) == (ImportJob.Status.SUCCEEDED, 1)
