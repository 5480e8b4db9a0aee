"""Benchmark: scorecards and commission statements for 500 salespeople on 1,000,000 lines.

    .venv/bin/python bench/incentives_bench.py [--rows 1000000] [--database-url URL]

1. generates (or reuses) ``bench/out/orders_<N>.csv`` exactly like ``import_bench.py``
   (500 salespeople, 50,000 customers, 20 product lines, 2022-2023, ~3 % returns);
2. (re)creates the PostgreSQL database (default ``salesalloc_incentives_bench``), imports
   the file through the real import path and builds the actuals;
3. creates a FY2023 target plan (2022 actuals + 10 % per person and month) and times, for
   all 500 people: a quarterly scorecard template (revenue, new customers, AOV, retention)
   evaluated for the year, and a marginal quarterly commission plan (three brackets, a SPIF,
   a cap, clawback of returns) with its 2,000 statements;
4. prints them against the DESIGN §8 reference: one SQL ``GROUP BY`` pass over the lines
   plus one pandas RFM pass over the same rows; and the peak memory.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import resource
import sys
import time
from decimal import Decimal
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

import import_bench  # noqa: E402


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument(
        "--database-url",
        default="postgres://postgres@127.0.0.1:5432/salesalloc_incentives_bench",
    )
    parser.add_argument("--keep-database", action="store_true")
    return parser.parse_args()


def target_plan_create() -> object:
    """FY2023 targets: each person's 2022 actual of the same month + 10 %, on one line."""
    from allocation.models import ActualCell, OrgUnit, Plan, ProductLine, TargetCell

    plan = Plan.objects.create(
        name="Bench FY2023",
        fiscal_year=2023,
        root_org_unit=OrgUnit.objects.get(code="CO"),
        status=Plan.Status.PUBLISHED,
    )
    line = ProductLine.objects.order_by("code").first()
    rows = ActualCell.objects.filter(month__year=2022).values_list(
        "salesperson_id", "month", "amount"
    )
    totals: dict[tuple[int, dt.date], Decimal] = {}
    for person, month, amount in rows:
        key = (person, month.replace(year=2023))
        totals[key] = totals.get(key, Decimal(0)) + amount
    TargetCell.objects.bulk_create(
        (
            TargetCell(
                plan=plan,
                salesperson_id=person,
                product_line=line,
                month=month,
                amount=(max(amount, Decimal(0)) * Decimal("1.1")).quantize(Decimal("0.01")),
            )
            for (person, month), amount in totals.items()
        ),
        batch_size=2000,
    )
    plan.salespeople.set(sorted({person for person, _month in totals}))
    return plan


def incentives_create(plan: object) -> tuple[float, float]:
    """A quarterly scorecard template and a marginal commission plan on ``plan`` (each
    evaluated for all its salespeople when created): (scorecards, statements) seconds."""
    from allocation.models import ProductLine
    from performance.commissions.services import commission_plan_create
    from performance.scorecards.models import Kpi
    from performance.scorecards.services import kpi_library_ensure, scorecard_template_create

    kpi_library_ensure()
    kpis = {kpi.code: kpi for kpi in Kpi.objects.all()}
    started = time.perf_counter()
    scorecard_template_create(
        name="Bench 2023",
        year=2023,
        period="quarter",
        peer_group="team",
        target_plan=plan,
        items=[
            {"kpi": kpis["revenue"], "weight": Decimal(40), "cap": Decimal("1.2")},
            {"kpi": kpis["new_customers"], "weight": Decimal(20), "target": Decimal(20)},
            {"kpi": kpis["aov"], "weight": Decimal(20), "target": Decimal(500)},
            {"kpi": kpis["retention"], "weight": Decimal(20), "target": Decimal("0.5")},
        ],
    )
    scorecards = time.perf_counter() - started
    started = time.perf_counter()
    commission_plan_create(
        name="Bench commission",
        target_plan=plan,
        period="quarter",
        mode="marginal",
        brackets=[
            {"from": "0", "rate": "0.02"},
            {"from": "0.8", "rate": "0.04"},
            {"from": "1", "rate": "0.06"},
        ],
        cap=Decimal("50000"),
        spifs=[
            {
                "product_line": ProductLine.objects.get(code="PL03"),
                "kind": "rate",
                "value": Decimal("0.03"),
                "start_date": dt.date(2023, 7, 1),
                "end_date": dt.date(2023, 9, 30),
            }
        ],
    )
    statements = time.perf_counter() - started
    return scorecards, statements


def baseline_seconds() -> tuple[float, float]:
    """One SQL GROUP BY pass and one pandas RFM pass over the same order lines."""
    from django.db import connection

    with connection.cursor() as cursor:
        started = time.perf_counter()
        cursor.execute(
            "SELECT salesperson_id, product_line_id, date_trunc('month', order_date), "
            "SUM(amount), SUM(cost), COUNT(*) FROM customers_orderline GROUP BY 1, 2, 3"
        )
        cursor.fetchall()
        group_by = time.perf_counter() - started
        cursor.execute("SELECT customer_id, order_id, order_date, amount FROM customers_orderline")
        frame = pd.DataFrame(cursor.fetchall(), columns=["customer", "order", "day", "amount"])
    frame["amount"] = frame["amount"].astype(float)  # a reference pass only, no money kept
    frame["day"] = pd.to_datetime(frame["day"])
    started = time.perf_counter()
    as_of = frame["day"].max()
    rfm = frame.groupby("customer").agg(
        last=("day", "max"), frequency=("order", "nunique"), monetary=("amount", "sum")
    )
    rfm["recency"] = (as_of - rfm["last"]).dt.days
    for column in ("recency", "frequency", "monetary"):
        rfm[column + "_score"] = pd.qcut(rfm[column].rank(method="first"), 5, labels=False)
    return group_by, time.perf_counter() - started


def main() -> None:
    """Import, build the plan, time scorecards and statements, print the report.

    Long because it is the benchmark's script, read top to bottom in the order it prints.
    """
    args = parse_args()
    os.environ["DATABASE_URL"] = args.database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "salesalloc.settings.base")
    os.environ.setdefault("SALESALLOC_BACKGROUND_THREAD", "false")
    sys.path.insert(0, str(ROOT))
    import_bench.OUT.mkdir(parents=True, exist_ok=True)
    path = import_bench.OUT / f"orders_{args.rows}.csv"
    if not path.exists():
        print(f"generating {args.rows:,} lines -> {path}")
        import_bench.generate(path, args.rows)
    import_bench.recreate_database(args.database_url)
    import django

    django.setup()
    from django.core.files import File
    from django.core.management import call_command

    from customers.services import order_actuals_refresh
    from customers.services.imports import import_job_create, import_job_run
    from customers.signals import orders_imported

    call_command("migrate", verbosity=0)
    import_bench.company_setup()
    orders_imported.receivers = []
    orders_imported.sender_receivers_cache.clear()
    print(f"importing {args.rows:,} lines ...")
    started = time.perf_counter()
    with path.open("rb") as handle:
        job = import_job_create(
            file=File(handle, name=path.name), original_name=path.name, actor=None, enqueue=False
        )
    job = import_job_run(job=job)
    order_actuals_refresh()
    print(f"  {job.message} (+ actuals) {time.perf_counter() - started:.1f} s")
    plan = target_plan_create()
    group_by, rfm = baseline_seconds()

    scorecards, statements = incentives_create(plan)
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    reference = group_by + rfm
    print()
    print(f"SQL GROUP BY pass            {group_by:>10.2f} s")
    print(f"pandas RFM pass              {rfm:>10.2f} s")
    print(f"scorecards (500 x 4 quarters){scorecards:>10.2f} s")
    print(f"statements (500 x 4 quarters){statements:>10.2f} s")
    print(
        f"ratio (scorecards + statements) / (GROUP BY + RFM) "
        f"{(scorecards + statements) / reference:>6.2f}  (whole recompute budget <= 3.00)"
    )
    print(f"peak memory (maxrss)         {peak_mib:>10,.0f} MiB  (budget < 2048)")
    if not args.keep_database:
        from django.db import connections

        connections.close_all()
        import_bench.drop_database(args.database_url)


if __name__ == "__main__":
    main()
