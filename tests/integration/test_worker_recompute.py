"""The recompute workflow on a real Celery worker, Redis broker and PostgreSQL."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db.models import Sum

from allocation.models import ActualCell
from customers.models import CustomerTier, ImportJob, TierRun
from customers.signals import orders_imported
from performance.models import RecomputeRun
from salesalloc.pipeline import recompute_all
from tests.factories import OrderFactory, OrderLineFactory
from tests.integration.conftest import wait_for

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def lines(company):
    order = OrderFactory(order_no="SO-9", order_date=dt.date(2019, 5, 20))
    OrderLineFactory(
        order=order,
        line_no=1,
        salesperson=company.rep,
        product_line=company.chairs,
        amount=Decimal("10.5"),
    )
    OrderLineFactory(
        order=order,
        line_no=2,
        salesperson=company.south_rep,
        product_line=company.phones,
        amount=Decimal("4.25"),
    )
    return company


def _finished(run_id: int) -> RecomputeRun | None:
    run = RecomputeRun.objects.get(pk=run_id)
    return run if run.status in ("succeeded", "failed") else None


def test_nightly_chord_runs_on_the_worker(lines, on_worker):
    run = recompute_all(kind=RecomputeRun.Kind.NIGHTLY, chunks=2)

    done = wait_for(lambda: _finished(run.pk))

    # two chunks of actuals, then tiers, scorecards and statements side by side, then
    # alerts and reminders
    assert (done.status, done.steps_done, done.steps_total) == ("succeeded", 7, 7)
    assert ActualCell.objects.aggregate(s=Sum("amount"))["s"] == Decimal("14.75")
    daily = TierRun.objects.get(daily=True)
    assert (daily.status, daily.kind, daily.customers) == ("succeeded", "nightly", 1)


def test_import_signal_recomputes_on_the_worker_after_commit(lines, on_worker):
    job = ImportJob.objects.create(
        original_name="a.csv", status="succeeded", affected_cells=[[lines.rep.pk, "2019-05-01"]]
    )

    orders_imported.send(sender=ImportJob, job_id=job.pk)

    wait_for(lambda: ImportJob.objects.get(pk=job.pk).recompute_status == "succeeded")
    assert ActualCell.objects.get(salesperson=lines.rep).amount == Decimal("10.5")
    assert not ActualCell.objects.filter(salesperson=lines.south_rep).exists()
    daily = TierRun.objects.get(daily=True)
    assert (daily.kind, daily.customers) == ("import", 1)
    assert CustomerTier.objects.get(run=daily).monetary == Decimal("14.75")


def test_two_recomputes_at_once_give_the_same_rows(lines, on_worker):
    first = recompute_all(chunks=1)
    second = recompute_all(chunks=2)

    wait_for(lambda: _finished(first.pk) and _finished(second.pk))

    assert RecomputeRun.objects.filter(status="succeeded").count() == 2
    assert ActualCell.objects.count() == 2
    assert ActualCell.objects.aggregate(s=Sum("amount"))["s"] == Decimal("14.75")
