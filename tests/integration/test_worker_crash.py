"""Kill -9 of a worker mid-way: the work ends, nothing is half-written, actuals match.

Each test starts its own worker (its own process group, its own queue) with short crash
settings passed by environment: heartbeat every second, stale after 4 s, a sweep every 2 s,
time limit 25 s under a visibility timeout of 30 s. The first worker also sleeps
``SALESALLOC_TEST_PAUSE_SECONDS`` inside the import's write transaction (or in each
recompute step), the documented testing-only hook, so the kill lands mid-way
deterministically. Then ``os.killpg(SIGKILL)``, a second worker with the beat (the
sweeper) takes over, and the test checks the end state.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import signal
import time
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import Sum
from rest_framework.test import APIClient

from allocation.models import ActualCell
from customers.models import ImportJob, OrderLine
from performance.models import RecomputeRun
from salesalloc.core.tokens import auth_token_create
from salesalloc.pipeline import recompute_all
from tests.factories import OrderFactory, OrderLineFactory
from tests.integration.conftest import Worker, wait_for, worker_start

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]
logger = logging.getLogger(__name__)

CRASH_SETTINGS = {
    "CELERY_TASK_TIME_LIMIT": "25",
    "CELERY_TASK_SOFT_TIME_LIMIT": "20",
    "CELERY_BROKER_VISIBILITY_TIMEOUT": "30",
    "SALESALLOC_HEARTBEAT_SECONDS": "1",
    "SALESALLOC_STALE_SECONDS": "4",
    "SALESALLOC_SWEEP_SECONDS": "2",
}
ROWS = 600


def _wait(predicate, what, *workers: Worker | None, timeout: float):
    """``wait_for``; on a time-out, say ``what()`` and show the workers' logs."""
    try:
        return wait_for(predicate, timeout=timeout)
    except AssertionError as exc:
        logs = "\n---\n".join(w.log() for w in workers if w is not None)
        raise AssertionError(f"{what()}: {exc}\n{logs}") from exc


def _kill(worker: Worker) -> None:
    os.killpg(worker.proc.pid, signal.SIGKILL)
    worker.proc.wait(timeout=10)


def _by_salesperson_lines() -> dict[int, Decimal]:
    rows = OrderLine.objects.values("salesperson_id").annotate(s=Sum("amount")).order_by()
    return {row["salesperson_id"]: row["s"] for row in rows}


def _by_salesperson_actuals() -> dict[int, Decimal]:
    rows = ActualCell.objects.values("salesperson_id").annotate(s=Sum("amount")).order_by()
    return {row["salesperson_id"]: row["s"] for row in rows}


def _order_file() -> bytes:
    people = ["S-N1", "S-N2", "S-S1"]
    lines = ["order_id,order_date,customer_code,salesperson_code,product_line,amount"]
    for n in range(ROWS):
        order = n // 3  # three lines per order: one date and one customer each
        lines.append(
            f"SO-{order},2019-{order % 12 + 1:02d}-{order % 27 + 1:02d},C-{order % 40},"
            f"{people[n % 3]},FUR-CH,{n % 97}.{n % 100:02d}"
        )
    return ("\n".join(lines) + "\n").encode()


def test_an_import_whose_worker_is_killed_mid_write_is_finished_by_another(
    company, own_queue, tmp_path
):
    first = worker_start(
        own_queue,
        tmp_path,
        env={**CRASH_SETTINGS, "SALESALLOC_TEST_PAUSE_SECONDS": "15"},
        concurrency=1,
    )
    second = None
    try:
        client = APIClient()
        key = auth_token_create(user=company.users["admin"])
        client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
        response = client.post(
            "/api/v1/imports/",
            {"file": SimpleUploadedFile("orders.csv", _order_file())},
            format="multipart",
        )
        assert response.status_code == 202, response.json()
        job_id = response.json()["id"]

        # The worker is inside the write transaction (paused there): nothing visible yet.
        _wait(
            lambda: ImportJob.objects.filter(pk=job_id, phase="writing", status="running").exists(),
            lambda: list(ImportJob.objects.filter(pk=job_id).values("status", "phase", "message")),
            first,
            timeout=45,
        )
        time.sleep(1)
        assert not OrderLine.objects.filter(import_job_id=job_id).exists()
        started = time.monotonic()
        _kill(first)

        job = ImportJob.objects.get(pk=job_id)
        assert (job.status, job.attempts) == ("running", 1)  # the dead worker left it so
        second = worker_start(own_queue, tmp_path, env=CRASH_SETTINGS, beat=True)
        job = _wait(
            lambda: ImportJob.objects.filter(
                pk=job_id, status="succeeded", recompute_status="succeeded"
            ).first(),
            lambda: list(ImportJob.objects.filter(pk=job_id).values("status", "phase", "message")),
            second,
            timeout=60,
        )
        logger.warning(f"import recovered {time.monotonic() - started:.1f} s after the kill")
    finally:
        first.stop()
        if second is not None:
            second.stop()

    assert (job.rows_imported, job.rows_inserted, job.attempts) == (ROWS, ROWS, 2)
    # All or nothing for the job: every line once, none half-written or doubled.
    assert OrderLine.objects.filter(import_job_id=job_id).count() == ROWS
    assert OrderLine.objects.count() == ROWS
    assert _by_salesperson_actuals() == _by_salesperson_lines()
    assert (
        sum(_by_salesperson_actuals().values()) == OrderLine.objects.aggregate(s=Sum("amount"))["s"]
    )


@pytest.fixture
def spread_lines(company):
    people = [company.rep, company.north_peer, company.south_rep]
    for n in range(30):
        order = OrderFactory(order_no=f"SO-R{n}", order_date=dt.date(2019, n % 12 + 1, 3))
        OrderLineFactory(
            order=order,
            line_no=1,
            salesperson=people[n % 3],
            product_line=company.chairs,
            amount=Decimal(f"{n}.25"),
        )
    return company


def test_a_chunked_recompute_whose_worker_is_killed_mid_way_is_resumed(
    spread_lines, own_queue, tmp_path
):
    first = worker_start(
        own_queue,
        tmp_path,
        env={**CRASH_SETTINGS, "SALESALLOC_TEST_PAUSE_SECONDS": "5"},
        concurrency=1,
    )
    second = None
    try:
        run = recompute_all(kind=RecomputeRun.Kind.NIGHTLY, chunks=2)
        # two chunks, tiers, scorecards, statements, alerts, reminders
        assert run.steps_total == 7

        # One chunk done, the other in its step (or still queued): kill now.
        _wait(
            lambda: RecomputeRun.objects.filter(pk=run.pk, steps_done=1).exists(),
            lambda: list(
                RecomputeRun.objects.filter(pk=run.pk).values(
                    "status", "steps_completed", "attempts", "error"
                )
            ),
            first,
            timeout=45,
        )
        started = time.monotonic()
        _kill(first)
        run.refresh_from_db()
        assert (run.status, run.steps_done) == ("running", 1)
        assert _by_salesperson_actuals() != _by_salesperson_lines()  # half recomputed

        second = worker_start(own_queue, tmp_path, env=CRASH_SETTINGS, beat=True)
        done = _wait(
            lambda: RecomputeRun.objects.filter(pk=run.pk, status="succeeded").first(),
            lambda: list(
                RecomputeRun.objects.filter(pk=run.pk).values(
                    "status", "steps_completed", "attempts", "error"
                )
            ),
            second,
            timeout=60,
        )
        logger.warning(f"recompute recovered {time.monotonic() - started:.1f} s after the kill")
    finally:
        first.stop()
        if second is not None:
            second.stop()

    # Each step counted once although the killed one ran again.
    assert (done.steps_done, done.steps_total) == (7, 7)
    # Finished either by Redis redelivering the killed step (attempt 1) or by the sweeper
    # resuming the run (attempt 2), whichever came first; never a third start.
    assert done.attempts in (1, 2)
    assert sorted(done.steps_completed) == [
        "alerts",
        "commissions",
        "people-1",
        "people-2",
        "reminders",
        "scorecards",
        "tiers",
    ]
    assert _by_salesperson_actuals() == _by_salesperson_lines()
