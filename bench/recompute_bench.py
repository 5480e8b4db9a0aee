"""Benchmark: full recompute (actuals + tiers) after a 1,000,000-line import (DESIGN §8).

    .venv/bin/python bench/recompute_bench.py [--rows 1000000] [--database-url URL]

1. generates (or reuses) the order lines of ``bench/import_bench.py`` (same generator and
   seed: 500 salespeople, 50,000 customers, two years, ~3 % returns) and imports them
   through the real path into a fresh PostgreSQL database (default
   ``salesalloc_recompute_bench``);
2. measures the *baseline* in the same run: one plain SQL ``GROUP BY`` over the lines
   (salesperson x product line x month, fetched) plus one pandas RFM pass over the same
   rows already in memory (per customer: last date, distinct orders, net amount, and
   quintile scores);
3. times the full recompute as the nightly run does it, in-process
   (``recompute_all(inline=True)``: every actual cell, then today's tier snapshot of all
   customers) and prints the ratio (budget <= 3) and the peak memory (budget < 2 GiB);
4. imports 1,000 more lines (half changed, half new) and times them end to end: committed,
   the touched actual cells refreshed and today's tier snapshot recomputed (budget < 2 s).
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT))

import import_bench as ib  # noqa: E402 - a sibling script: the same data and set-up

if TYPE_CHECKING:
    from customers.models import TierRun


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


def setup(args: argparse.Namespace) -> Path:
    """Environment, the generated file, a fresh migrated database with the company."""
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

    call_command("migrate", verbosity=0)
    ib.company_setup()
    return path


def import_all(path: Path, rows: int) -> None:
    """The import alone, without its recompute (that is what is timed afterwards)."""
    from django.core.files import File
    from django.db import connection

    from customers.services.imports import import_job_create, import_job_run
    from customers.signals import orders_imported

    # (the incremental import calls the pipeline's entry point itself, as import_bench does)
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


def full_recompute(args: argparse.Namespace, path: Path) -> TierRun:
    """Time the baseline and the full recompute, print them; today's daily tier run."""
    from django.utils import timezone

    from customers.models import TierRun
    from salesalloc.pipeline import recompute_all

    today = timezone.localdate()
    group_by = baseline_group_by_seconds()
    rfm, customers = baseline_rfm_seconds(path, pd.Timestamp(today))
    baseline = group_by + rfm

    started = time.perf_counter()
    run = recompute_all(inline=True)
    recompute = time.perf_counter() - started
    if run.status != "succeeded":
        sys.exit(f"recompute failed: {run.error}")
    daily = TierRun.objects.get(as_of=today, daily=True)
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    print()
    print(f"order lines                {args.rows:>12,}")
    print(f"customers (pandas pass)    {customers:>12,}")
    print("baseline")
    print(f"  one SQL GROUP BY pass    {group_by:>12.2f} s")
    print(f"  one pandas RFM pass      {rfm:>12.2f} s")
    print(f"  = baseline               {baseline:>12.2f} s")
    print("full recompute (actuals + today's tier snapshot), in-process")
    print(f"  actual cells written     {run.rows_written:>12,}")
    print(f"  tier rows written        {daily.customers:>12,}")
    tiers_seconds = (daily.finished_at - daily.started_at).total_seconds()
    print(f"  tiers step alone         {tiers_seconds:>12.2f} s")
    print(f"  total                    {recompute:>12.2f} s")
    print(f"  ratio total / baseline   {recompute / baseline:>12.2f}  (budget <= 3)")
    print(f"peak memory (maxrss)       {peak_mib:>12,.0f} MiB  (budget < 2048)")
    return daily


def incremental(args: argparse.Namespace, path: Path, daily: TierRun) -> None:
    """Import a few more lines end to end; today's tier snapshot must follow."""
    from customers.models import CustomerTier, TierRun

    before = daily.finished_at
    imported, recomputed, small = ib.incremental_seconds(
        ib.incremental_file(path, args.incremental)
    )
    daily = TierRun.objects.get(as_of=daily.as_of, daily=True)
    if daily.finished_at <= before or daily.status != "succeeded":
        sys.exit("today's tier snapshot was not refreshed by the incremental import")
    rows = CustomerTier.objects.filter(run=daily).count()
    print(f"\nincremental {args.incremental:,} lines on top of {args.rows:,}")
    print(f"  import (committed)       {imported:>12.2f} s")
    print(
        f"  actuals + tier snapshot  {recomputed:>12.2f} s  "
        f"({len(small.affected_cells):,} cells, {rows:,} tier rows)"
    )
    print(f"  end to end               {imported + recomputed:>12.2f} s  (budget < 2 s)")


def main() -> None:
    args = parse_args()
    path = setup(args)
    import_all(path, args.rows)
    daily = full_recompute(args, path)
    if args.incremental:
        incremental(args, path, daily)
    from django.db import connection

    connection.close()
    if not args.keep_database:
        ib.drop_database(args.database_url)


if __name__ == "__main__":
    main()
