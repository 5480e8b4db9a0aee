"""Benchmark: the pipeline's full recompute after a 1,000,000-line import (DESIGN §8).

    .venv/bin/python bench/recompute_bench.py [--rows 1000000] [--database-url URL]

1. generates (or reuses) the order lines of ``bench/import_bench.py`` (same generator and
   seed: 500 salespeople, 50,000 customers, two years, ~3 % returns) and imports them
   through the real path into a fresh PostgreSQL database (default
   ``salesalloc_recompute_bench``);
2. measures the *baseline* in the same run: one plain SQL ``GROUP BY`` over the lines
   (salesperson x product line x month, fetched) plus one pandas RFM pass over the same
   rows already in memory (per customer: last date, distinct orders, net amount, and
   quintile scores);
3. sets up what the incentives step recomputes (``bench/incentives_bench.py``: an FY2023
   target plan, a quarterly scorecard template and a marginal commission plan for the 500
   salespeople), then times the full recompute exactly as the nightly run does it,
   in-process (``recompute_all(inline=True)``: every actual cell, today's tier snapshot of
   all customers, the draft scorecards and statements, the risk alerts, the reminders),
   step by step, and prints the ratio (budget <= 3) and the peak memory (budget < 2 GiB);
4. imports 1,000 more lines (half changed, half new) and times them end to end through the
   real post-import flow (``recompute_after_import``: the touched actual cells, today's tier
   snapshot, the affected scorecards and statements, the alerts), step by step
   (budget < 2 s).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import resource
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT))

import import_bench as ib  # noqa: E402 - a sibling script: the same data and set-up
import incentives_bench  # noqa: E402 - the same scorecard template and commission plan


class StepTimer:
    """Seconds per pipeline task (Celery's prerun/postrun signals fire for eager runs too)."""

    def __init__(self) -> None:
        from celery.signals import task_postrun, task_prerun

        self.seconds: dict[str, float] = {}
        self._started: dict[str, float] = {}
        task_prerun.connect(self._prerun, weak=False)
        task_postrun.connect(self._postrun, weak=False)

    def _prerun(self, task_id: str, task: object, **kwargs: object) -> None:
        self._started[task_id] = time.perf_counter()

    def _postrun(self, task_id: str, task: object, **kwargs: object) -> None:
        name = str(getattr(task, "name", task)).removeprefix("salesalloc.")
        elapsed = time.perf_counter() - self._started.pop(task_id, time.perf_counter())
        self.seconds[name] = self.seconds.get(name, 0.0) + elapsed

    def take(self) -> dict[str, float]:
        seconds, self.seconds = self.seconds, {}
        return seconds

    @staticmethod
    def show(seconds: dict[str, float], *, indent: str = "    ") -> None:
        for name, value in seconds.items():
            print(f"{indent}{name:<{27 - len(indent)}}{value:>12.2f} s")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument(
        "--database-url",
        default="postgres://postgres@127.0.0.1:5432/salesalloc_recompute_bench",
    )
    parser.add_argument("--incremental", type=int, default=1000)
    parser.add_argument("--keep-database", action="store_true")
    return parser.parse_args()


def baseline_group_by_seconds() -> float:
    """One SQL GROUP BY over every line, at grid grain, with its rows fetched."""
    from django.db import connection

    with connection.cursor() as cursor:
        started = time.perf_counter()
        cursor.execute(
            "SELECT salesperson_id, product_line_id, date_trunc('month', order_date), "
            "SUM(amount), SUM(cost), COUNT(*) FROM customers_orderline GROUP BY 1, 2, 3"
        )
        cursor.fetchall()
        return time.perf_counter() - started


def baseline_rfm_seconds(path: Path, as_of: pd.Timestamp) -> tuple[float, int]:
    """One pandas RFM pass over the same rows (read from the file first, not timed)."""
    lines = pd.read_csv(
        path,
        usecols=["order_id", "order_date", "customer_code", "amount"],
        dtype={"order_id": str, "customer_code": str, "amount": str},
        parse_dates=["order_date"],
    )
    # integer cents, as the app keeps money (no float)
    parts = lines["amount"].str.split(".", n=1, expand=True)
    sign = np.where(parts[0].str.startswith("-"), -1, 1)
    lines["cents"] = parts[0].astype("int64") * 100 + sign * parts[1].astype("int64")
    started = time.perf_counter()
    rfm = lines.groupby("customer_code", sort=False).agg(
        last=("order_date", "max"), frequency=("order_id", "nunique"), monetary=("cents", "sum")
    )
    rfm["recency"] = (as_of - rfm["last"]).dt.days
    for column, ascending in (("recency", False), ("frequency", True), ("monetary", True)):
        pct = rfm[column].rank(method="average", pct=True, ascending=ascending)
        rfm[f"{column}_score"] = np.ceil(pct * 5).clip(1, 5).astype("int8")
    return time.perf_counter() - started, len(rfm)


def import_without_recompute(path: Path, rows: int) -> None:
    """Import the generated lines with the recompute unhooked: it is what is timed after.

    (The incremental import calls the pipeline's entry point itself, as import_bench does.)
    """
    from django.core.files import File
    from django.db import connection

    from customers.services.imports import import_job_create, import_job_run
    from customers.signals import orders_imported

    orders_imported.receivers = []
    orders_imported.sender_receivers_cache.clear()
    print(f"importing {rows:,} lines ...")
    started = time.perf_counter()
    with path.open("rb") as handle:
        job = import_job_create(
            file=File(handle, name=path.name), original_name=path.name, actor=None, enqueue=False
        )
    job = import_job_run(job=job)
    if job.status != "succeeded":
        sys.exit(job.message)
    print(f"  {time.perf_counter() - started:.1f} s: {job.message}")
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE customers_orderline")


def incremental(
    path: Path, lines: int, rows: int, *, before: dt.datetime, timer: StepTimer
) -> None:
    """Import ``lines`` more lines end to end and check today's tier snapshot followed."""
    from django.utils import timezone

    from customers.models import CustomerTier, TierRun

    timer.take()
    imported, recomputed, small = ib.incremental_seconds(ib.incremental_file(path, lines))
    steps = timer.take()
    daily = TierRun.objects.get(as_of=timezone.localdate(), daily=True)
    if daily.finished_at <= before or daily.status != "succeeded":
        sys.exit("today's tier snapshot was not refreshed by the incremental import")
    tier_rows = CustomerTier.objects.filter(run=daily).count()
    print(f"\nincremental {lines:,} lines on top of {rows:,}")
    print(f"  import (committed)       {imported:>12.2f} s")
    print(
        f"  post-import recompute    {recomputed:>12.2f} s  "
        f"({len(small.affected_cells):,} cells, {tier_rows:,} tier rows)"
    )
    StepTimer.show(steps)
    print(f"  end to end               {imported + recomputed:>12.2f} s  (budget < 2 s)")


def incentives_setup() -> None:
    """The actuals once (untimed), then the target plan, scorecard template and commission
    plan the incentives step recomputes (each computed once when created, untimed)."""
    from django.db import connection

    from customers.services import order_actuals_refresh

    started = time.perf_counter()
    order_actuals_refresh()
    plan = incentives_bench.target_plan_create()
    scorecards, statements = incentives_bench.incentives_create(plan)
    print(
        f"  set-up {time.perf_counter() - started:.1f} s (scorecard template {scorecards:.1f} s,"
        f" commission plan {statements:.1f} s)"
    )
    # The timed recompute starts as after the import: no actual cell yet (the set-up needed
    # them for the targets), no tier snapshot, no alert.
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE allocation_actualcell")


def full_recompute(path: Path, rows: int, timer: StepTimer) -> dt.datetime:
    """The baseline, then ``recompute_all(inline=True)`` step by step; returns when today's
    tier snapshot finished (the incremental import must refresh it again)."""
    from django.utils import timezone

    from customers.models import TierRun
    from salesalloc.pipeline import recompute_all

    today = timezone.localdate()
    group_by = baseline_group_by_seconds()
    rfm, customers = baseline_rfm_seconds(path, pd.Timestamp(today))
    baseline = group_by + rfm
    timer.take()
    started = time.perf_counter()
    run = recompute_all(inline=True, chunks=1)
    recompute = time.perf_counter() - started
    steps = timer.take()
    if run.status != "succeeded":
        sys.exit(f"recompute failed: {run.error}")
    daily = TierRun.objects.get(as_of=today, daily=True)
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print()
    print(f"order lines                {rows:>12,}")
    print(f"customers (pandas pass)    {customers:>12,}")
    print("baseline")
    print(f"  one SQL GROUP BY pass    {group_by:>12.2f} s")
    print(f"  one pandas RFM pass      {rfm:>12.2f} s")
    print(f"  = baseline               {baseline:>12.2f} s")
    print("full recompute, in-process (recompute_all(inline=True)), by step")
    StepTimer.show(steps)
    print(f"  actual cells written     {run.rows_written:>12,}")
    print(f"  tier rows written        {daily.customers:>12,}")
    print(f"  total                    {recompute:>12.2f} s")
    print(f"  ratio total / baseline   {recompute / baseline:>12.2f}  (budget <= 3)")
    print(f"peak memory (maxrss)       {peak_mib:>12,.0f} MiB  (budget < 2048)")
    return daily.finished_at


def main() -> None:
    args = parse_args()
    os.environ["DATABASE_URL"] = args.database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "salesalloc.settings.base")
    os.environ.setdefault("SALESALLOC_BACKGROUND_THREAD", "false")
    os.environ.pop("REDIS_URL", None)
    os.environ.pop("CELERY_BROKER_URL", None)

    ib.OUT.mkdir(parents=True, exist_ok=True)
    path = ib.OUT / f"orders_{args.rows}.csv"
    if not path.exists():
        print(f"generating {args.rows:,} lines -> {path}")
        ib.generate(path, args.rows)

    ib.recreate_database(args.database_url)
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    ib.company_setup()
    import_without_recompute(path, args.rows)
    incentives_setup()
    timer = StepTimer()
    before = full_recompute(path, args.rows, timer)
    if args.incremental:
        incremental(path, args.incremental, args.rows, before=before, timer=timer)
    connection.close()
    if not args.keep_database:
        ib.drop_database(args.database_url)


if __name__ == "__main__":
    main()
