"""Tiers join the recompute workflow: today's snapshot after every import and nightly."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from customers.models import CustomerTier, ImportJob, TierRun
from customers.signals import orders_imported
from customers.tiers.services import tier_daily_refresh, tier_settings_update
from customers.tiers.tasks import tier_run_compute_task
from performance.models import RecomputeRun
from salesalloc.pipeline import recompute_all
from tests.factories import CustomerFactory, OrderFactory, OrderLineFactory

pytestmark = pytest.mark.django_db


def _line(company, code: str, order_no: str, day: dt.date, amount: str) -> None:
    customer = CustomerFactory(code=code) if not _exists(code) else _get(code)
    order = OrderFactory(order_no=order_no, order_date=day, customer=customer)
    OrderLineFactory(
        order=order, line_no=1, salesperson=company.rep, product_line=company.chairs,
        amount=Decimal(amount),
    )  # fmt: skip


def _exists(code: str) -> bool:
    from customers.models import Customer

    return Customer.objects.filter(code=code).exists()


def _get(code: str):
    from customers.models import Customer

    return Customer.objects.get(code=code)


def _import(cells: list) -> ImportJob:
    job = ImportJob.objects.create(original_name="x.csv", status="succeeded", affected_cells=cells)
    orders_imported.send(sender=ImportJob, job_id=job.pk)
    return job


def test_each_import_refreshes_todays_single_snapshot(company):
    _line(company, "K1", "SO-1", dt.date(2019, 3, 1), "100")
    _import([[company.rep.pk, "2019-03-01"]])
    first = TierRun.objects.get(daily=True)
    assert (first.as_of, first.kind, first.customers) == (timezone.localdate(), "import", 1)

    # when a second import on the same day adds a customer
    _line(company, "K2", "SO-2", dt.date(2019, 4, 1), "50")
    job = _import([[company.rep.pk, "2019-04-01"]])

    # then today's daily run is replaced, not duplicated
    again = TierRun.objects.get(daily=True)
    assert again.pk != first.pk
    assert not CustomerTier.objects.filter(run_id=first.pk).exists()
    assert again.customers == 2
    assert set(CustomerTier.objects.filter(run=again).values_list("customer__code", flat=True)) == {
        "K1",
        "K2",
    }
    job.refresh_from_db()
    assert job.recompute_status == ImportJob.RecomputeStatus.SUCCEEDED
    run = RecomputeRun.objects.get(import_job=job)
    assert (run.steps_done, run.steps_total) == (2, 2)


@pytest.mark.parametrize("chunks", [1, 2])
def test_nightly_recompute_makes_the_dated_snapshot_for_today(company, chunks):
    _line(company, "K1", "SO-1", dt.date(2019, 3, 1), "100")

    run = recompute_all(kind=RecomputeRun.Kind.NIGHTLY, chunks=chunks, inline=True)

    assert run.status == RecomputeRun.Status.SUCCEEDED
    assert run.steps_done == run.steps_total
    daily = TierRun.objects.get(daily=True)
    assert (daily.as_of, daily.kind, daily.status) == (timezone.localdate(), "nightly", "succeeded")


def test_daily_refresh_uses_the_current_settings(company):
    _line(company, "K1", "SO-1", dt.date(2019, 3, 1), "100")
    tier_settings_update(window_days=30, abc_a=Decimal("0.5"), abc_b=Decimal("0.9"))

    run = tier_daily_refresh(day=dt.date(2019, 3, 20))

    assert (run.window_days, run.abc_a, run.customers) == (30, Decimal("0.5"), 1)
    assert tier_daily_refresh(day=dt.date(2019, 4, 20)).customers == 0  # outside 30 days
    assert TierRun.objects.filter(daily=True).count() == 2


def test_the_compute_task_skips_a_deleted_run_and_records_failures(company, monkeypatch):
    tier_run_compute_task(987654)  # no such run: nothing happens
    run = TierRun.objects.create(as_of=dt.date(2019, 1, 1))

    def boom(**kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr("customers.tiers.services.order_rfm_frame", boom)
    with pytest.raises(RuntimeError):
        tier_run_compute_task(run.pk)
    run.refresh_from_db()
    assert (run.status, run.error) == ("failed", "RuntimeError: disk full")
