"""Recompute runs survive dead workers: idempotent step counting, error callbacks, the
sweeper (resume or fail), heartbeats, and the settings that make redelivery safe."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import time
from decimal import Decimal

import pytest
from celery.app.task import Context
from django.db import OperationalError
from django.db.models import Sum
from django.test import Client
from django.utils import timezone

from allocation.models import ActualCell
from customers.models import ImportJob
from customers.tasks import import_orders_task
from performance.models import RecomputeRun
from performance.services import recompute_run_start, recompute_run_step_done
from salesalloc.celery import app
from salesalloc.core.checks import visibility_timeout_check
from salesalloc.core.heartbeat import heartbeat
from salesalloc.pipeline import (
    _flow,
    recompute_failed_task,
    refresh_actuals_for_import_task,
    refresh_actuals_for_people_task,
    sweep_stale_work,
)
from tests.factories import OrderFactory, OrderLineFactory

pytestmark = pytest.mark.django_db
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.fixture
def lines(company):
    people = [company.rep, company.north_peer, company.south_rep]
    for n in range(6):
        order = OrderFactory(order_no=f"SO-{n}", order_date=dt.date(2019, n + 1, 2))
        OrderLineFactory(
            order=order,
            line_no=1,
            salesperson=people[n % 3],
            product_line=company.chairs,
            amount=Decimal(f"1{n}.125"),
        )
    return company


def _actuals() -> dict[int, Decimal]:
    rows = ActualCell.objects.values("salesperson_id").annotate(s=Sum("amount")).order_by()
    return {row["salesperson_id"]: row["s"] for row in rows}


def _lines() -> dict[int, Decimal]:
    from customers.models import OrderLine

    rows = OrderLine.objects.values("salesperson_id").annotate(s=Sum("amount")).order_by()
    return {row["salesperson_id"]: row["s"] for row in rows}


def _stale(run: RecomputeRun, *, attempts: int = 1) -> None:
    long_ago = timezone.now() - dt.timedelta(hours=1)
    RecomputeRun.objects.filter(pk=run.pk).update(
        heartbeat_at=long_ago, attempts=attempts, worker="elsewhere:1"
    )


def test_a_redelivered_step_counts_once(lines):
    run = recompute_run_start(kind="manual", steps={"people-1": None})

    first = refresh_actuals_for_people_task(run.pk, None, "people-1")
    RecomputeRun.objects.filter(pk=run.pk).update(status="running")  # still open
    refresh_actuals_for_people_task(run.pk, None, "people-1")

    run.refresh_from_db()
    assert (run.steps_done, run.steps_completed, run.rows_written) == (1, ["people-1"], first)
    assert recompute_run_step_done(run_id=run.pk, step="people-1", rows_written=5) is False


def test_a_step_redelivered_after_its_run_succeeded_does_nothing(lines):
    run = recompute_run_start(kind="manual", steps={"people-1": None})
    RecomputeRun.objects.filter(pk=run.pk).update(status="succeeded")

    assert refresh_actuals_for_people_task(run.pk, None, "people-1") == 0
    assert not ActualCell.objects.exists()


def test_steps_of_a_run_failed_while_they_waited_still_make_the_actuals_right(lines):
    run = recompute_run_start(kind="manual", steps={"people-1": None})
    RecomputeRun.objects.filter(pk=run.pk).update(status="failed", error="worker gone")

    refresh_actuals_for_people_task(run.pk, None, "people-1")

    assert _actuals() == _lines()
    assert RecomputeRun.objects.get(pk=run.pk).status == "failed"


def test_sweeper_resumes_only_the_steps_left_of_a_stale_run(lines):
    north = [lines.rep.pk, lines.north_peer.pk]
    run = recompute_run_start(
        kind="nightly", steps={"people-1": north, "people-2": [lines.south_rep.pk]}
    )
    refresh_actuals_for_people_task(run.pk, north, "people-1")
    assert lines.south_rep.pk not in _actuals()  # the worker died before chunk 2
    _stale(run)

    swept = sweep_stale_work()

    assert swept["runs_resumed"] == [run.pk]
    run.refresh_from_db()
    assert (run.status, run.steps_done, run.attempts) == ("succeeded", 2, 2)
    assert run.steps_completed == ["people-1", "people-2"]
    assert _actuals() == _lines()


def test_sweeper_fails_a_stale_run_out_of_attempts_and_its_import(lines, settings):
    settings.SALESALLOC_RECOVERY_MAX_ATTEMPTS = 2
    job = ImportJob.objects.create(
        original_name="a.csv", status="succeeded", recompute_status="running"
    )
    run = recompute_run_start(kind="import", steps={"import": job.pk}, import_job=job)
    _stale(run, attempts=2)

    swept = sweep_stale_work()

    assert swept["runs_failed"] == [run.pk]
    run.refresh_from_db()
    assert run.status == "failed"
    assert run.error.startswith("The worker computing this run stopped unexpectedly (2 attempts)")
    assert ImportJob.objects.get(pk=job.pk).recompute_status == "failed"


def test_sweeper_leaves_a_live_run_alone(lines):
    run = recompute_run_start(kind="manual", steps={"people-1": None})

    swept = sweep_stale_work()

    assert swept["runs_resumed"] == swept["runs_failed"] == []
    assert RecomputeRun.objects.get(pk=run.pk).status == "running"


def test_every_task_of_a_flow_carries_the_error_callback(lines):
    chord_flow = _flow(7, {"people-1": [1], "people-2": [2]})
    chain_flow = _flow(8, {"import": 3})

    header = [task.options["link_error"][0] for task in chord_flow.tasks]
    body = chord_flow.body.options["link_error"][0]
    for errback in [*header, body]:
        assert (errback["task"], errback["kwargs"]) == (
            "salesalloc.recompute_failed",
            {"run_id": 7},
        )
    for task in chain_flow.tasks:
        assert task.options["link_error"][0]["kwargs"] == {"run_id": 8}


def test_the_error_callback_fails_the_run_and_its_import(lines):
    job = ImportJob.objects.create(
        original_name="a.csv", status="succeeded", recompute_status="running"
    )
    run = recompute_run_start(kind="import", steps={"import": job.pk}, import_job=job)

    recompute_failed_task(Context(id="t-1"), OperationalError("gone away"), None, run_id=run.pk)

    run.refresh_from_db()
    assert (run.status, run.error) == ("failed", "OperationalError: gone away")
    assert ImportJob.objects.get(pk=job.pk).recompute_status == "failed"


def test_a_step_whose_retries_run_out_fails_the_run_through_the_error_callback(lines, monkeypatch):
    def gone(**kwargs):
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr("salesalloc.pipeline.order_actuals_refresh", gone)
    run = recompute_run_start(kind="manual", steps={"people-1": None})
    step = _flow(run.pk, run.steps).tasks[0]  # the step with its errback, as sent

    last_try = refresh_actuals_for_people_task.max_retries
    result = step.apply(retries=last_try, throw=False)

    assert isinstance(result.result, OperationalError)
    run.refresh_from_db()
    assert run.status == "failed"
    assert run.error == "OperationalError: server closed the connection unexpectedly"


@pytest.mark.django_db(transaction=True)
def test_the_heartbeat_thread_refreshes_the_row_while_the_work_runs(company, settings):
    settings.SALESALLOC_HEARTBEAT_SECONDS = 0.1
    run = recompute_run_start(kind="manual", steps={"people-1": None})
    RecomputeRun.objects.filter(pk=run.pk).update(heartbeat_at=None, worker="")

    with heartbeat(RecomputeRun, run.pk):
        first = RecomputeRun.objects.get(pk=run.pk).heartbeat_at
        time.sleep(0.6)
        later = RecomputeRun.objects.get(pk=run.pk)

    assert first is not None
    assert later.heartbeat_at > first
    assert later.worker.endswith(f":{os.getpid()}")


def test_embedded_mode_sweeps_on_requests(company, settings):
    settings.SALESALLOC_BACKGROUND_THREAD = True
    settings.SALESALLOC_RECOVERY_MAX_ATTEMPTS = 1
    job = ImportJob.objects.create(original_name="a.csv")
    ImportJob.objects.filter(pk=job.pk).update(
        status="running",
        attempts=1,
        heartbeat_at=timezone.now() - dt.timedelta(hours=1),
    )

    Client().get("/accounts/login/")

    job.refresh_from_db()
    assert job.status == "failed"
    assert "stopped unexpectedly" in job.message


def test_with_a_broker_requests_do_not_sweep(company, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.SALESALLOC_BACKGROUND_THREAD = False
    job = ImportJob.objects.create(original_name="a.csv")
    ImportJob.objects.filter(pk=job.pk).update(
        status="running", heartbeat_at=timezone.now() - dt.timedelta(hours=1)
    )

    Client().get("/accounts/login/")

    assert ImportJob.objects.get(pk=job.pk).status == "running"


def test_imports_and_steps_are_acknowledged_late_and_requeued_on_worker_loss():
    for task in (
        import_orders_task,
        refresh_actuals_for_import_task,
        refresh_actuals_for_people_task,
    ):
        assert (task.acks_late, task.reject_on_worker_lost) == (True, True), task.name


def test_the_sweeper_is_on_the_beat_schedule(settings):
    entry = app.conf.beat_schedule["sweep-stale-work"]

    assert entry["task"] == "salesalloc.sweep_stale_work"
    assert entry["task"] in app.tasks
    assert entry["schedule"] == dt.timedelta(seconds=settings.SALESALLOC_SWEEP_SECONDS)


def test_the_visibility_timeout_is_set_and_above_every_time_limit(settings):
    options = settings.CELERY_BROKER_TRANSPORT_OPTIONS
    assert options["visibility_timeout"] > settings.CELERY_TASK_TIME_LIMIT
    assert visibility_timeout_check() == []

    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 600}
    errors = visibility_timeout_check()

    assert {error.id for error in errors} == {"core.E001"}
    assert any("customers.import_orders" in error.msg for error in errors)


def test_settings_refuse_a_visibility_timeout_below_the_time_limit():
    env = {
        **os.environ,
        "CELERY_TASK_TIME_LIMIT": "900",
        "CELERY_BROKER_VISIBILITY_TIMEOUT": "600",
    }
    result = subprocess.run(
        [sys.executable, "-c", "import salesalloc.settings.base"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert result.returncode != 0
    assert "CELERY_BROKER_VISIBILITY_TIMEOUT (600s) must be above" in result.stderr
