"""Tiers join the recompute workflow: today's snapshot after every import and nightly."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
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


def _import(cells: list, order_no: str) -> ImportJob:
    """Send the signal for an import that wrote the lines of one order."""
    from customers.models import OrderLine

    job = ImportJob.objects.create(original_name="x.csv", status="succeeded", affected_cells=cells)
    OrderLine.objects.filter(order__order_no=order_no).update(import_job_id=job.pk)
    orders_imported.send(sender=ImportJob, job_id=job.pk)
    return job


def test_each_import_refreshes_todays_single_snapshot(company):
    _line(company, "K1", "SO-1", dt.date(2019, 3, 1), "100")
    _import([[company.rep.pk, "2019-03-01"]], "SO-1")
    first = TierRun.objects.get(daily=True)
    assert (first.as_of, first.kind, first.customers) == (timezone.localdate(), "import", 1)

    # when a second import on the same day adds a customer
    _line(company, "K2", "SO-2", dt.date(2019, 4, 1), "50")
    job = _import([[company.rep.pk, "2019-04-01"]], "SO-2")

    # then today's daily run is refreshed (for the customers the import wrote), not duplicated
    again = TierRun.objects.get(daily=True)
    assert again.pk == first.pk
    assert again.customers == 2
    assert set(CustomerTier.objects.filter(run=again).values_list("customer__code", flat=True)) == {
        "K1",
        "K2",
    }
    job.refresh_from_db()
    assert job.recompute_status == ImportJob.RecomputeStatus.SUCCEEDED
    run = RecomputeRun.objects.get(import_job=job)
    assert (run.steps_done, run.steps_total) == (
        5,
        5,
    )  # actuals, tiers, scorecards, statements, alerts


@pytest.mark.parametrize("chunks", [1, 2])
def test_nightly_recompute_makes_the_dated_snapshot_for_today(company, chunks):
    _line(company, "K1", "SO-1", dt.date(2019, 3, 1), "100")

    run = recompute_all(kind=RecomputeRun.Kind.NIGHTLY, chunks=chunks, inline=True)

    assert run.status == RecomputeRun.Status.SUCCEEDED
    assert run.steps_done == run.steps_total
    daily = TierRun.objects.get(daily=True)
    assert (daily.as_of, daily.kind, daily.status) == (timezone.localdate(), "nightly", "succeeded")

    # a second nightly run replaces the day's snapshot: still one, the old rows gone
    recompute_all(kind=RecomputeRun.Kind.NIGHTLY, chunks=chunks, inline=True)
    replaced = TierRun.objects.get(daily=True)
    assert replaced.pk != daily.pk
    assert CustomerTier.objects.filter(run_id=daily.pk).count() == 0
    assert CustomerTier.objects.filter(run=replaced).count() == 1


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


def test_a_custom_segment_map_in_the_settings_drives_new_runs(company):
    _line(company, "K1", "SO-1", dt.date(2019, 3, 1), "100")
    with pytest.raises(ValidationError) as info:
        tier_settings_update(
            window_days=None,
            abc_a=Decimal("0.8"),
            abc_b=Decimal("0.95"),
            segment_map=[{"segment": "x", "r": [1, 4], "fm": [1, 5]}],
        )
    assert "segment_map" in info.value.message_dict
    tier_settings_update(
        window_days=None,
        abc_a=Decimal("0.8"),
        abc_b=Decimal("0.95"),
        segment_map=[{"segment": "everyone", "r": [1, 5], "fm": [1, 5]}],
    )

    run = tier_daily_refresh(day=dt.date(2019, 4, 1))

    assert list(CustomerTier.objects.filter(run=run).values_list("segment", flat=True)) == [
        "everyone"
    ]
    assert run.config["segment_map"] == [{"segment": "everyone", "r": [1, 5], "fm": [1, 5]}]


def _rows(run) -> dict:
    return {
        row[0]: row[1:]
        for row in CustomerTier.objects.filter(run=run).values_list(
            "customer__code",
            "last_order_date",
            "recency_days",
            "frequency",
            "monetary",
            "r",
            "f",
            "m",
            "segment",
            "abc",
            "tier",
        )
    }


def test_refresh_after_an_import_equals_a_full_recompute(company):
    from customers.tiers.selectors import import_job_customer_ids
    from customers.tiers.services import tier_rule_create, tier_run_compute, tier_run_create

    day = dt.date(2024, 7, 1)
    tier_rule_create(code="big", name="Big", monetary_min=Decimal("300"))
    tier_rule_create(code="rest", name="Rest")
    for i, amount in enumerate(["100", "200", "300", "400", "500", "50", "50", "900"]):
        _line(company, f"K{i}", f"SO-{i}", dt.date(2024, 1 + i % 6, 1 + i), amount)
    first = tier_daily_refresh(day=day)

    # when an import writes lines for K1 (a big new order), K7 (a return) and a new K9
    job = ImportJob.objects.create(original_name="x.csv", status="succeeded")
    for code, no, amount in [("K1", "N-1", "5000"), ("K7", "N-2", "-900"), ("K9", "N-3", "10")]:
        _line(company, code, no, dt.date(2024, 6, 20), amount)
    from customers.models import OrderLine

    OrderLine.objects.filter(order__order_no__startswith="N-").update(import_job_id=job.pk)
    ids = import_job_customer_ids(job_id=job.pk)
    assert len(ids) == 3

    refreshed = tier_daily_refresh(day=day, kind="import", customer_ids=ids)

    # then the snapshot is updated in place and equals a full computation
    full = tier_run_compute(run=tier_run_create(as_of=day, enqueue=False))
    assert refreshed.pk == first.pk
    assert refreshed.kind == "import"
    assert _rows(refreshed) == _rows(full)
    assert refreshed.customers == full.customers == 9
    assert refreshed.monetary_total == full.monetary_total
    assert _rows(refreshed)["K1"][-1] == "big"


def test_refresh_after_an_import_falls_back_to_full_when_the_window_changed(company):
    _line(company, "K1", "SO-1", dt.date(2019, 3, 1), "100")
    first = tier_daily_refresh(day=dt.date(2019, 4, 1))
    tier_settings_update(window_days=90, abc_a=Decimal("0.8"), abc_b=Decimal("0.95"))

    again = tier_daily_refresh(day=dt.date(2019, 4, 1), customer_ids=[1])

    assert again.pk != first.pk
    assert again.window_days == 90
