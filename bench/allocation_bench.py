"""Benchmark: allocate a 2,000-salesperson plan and edit it over the API (DESIGN §8).

    .venv/bin/python bench/allocation_bench.py [--database-url postgres://...] [--keep]

Creates a fresh PostgreSQL database (default ``salesalloc_allocbench``), migrates it and
builds a 4-level org tree (company -> 5 regions -> 25 departments -> 200 teams) with 2,000
salespeople and 20 product lines (4 categories x 5) plus three years of synthetic actuals.
Then it prints:

1. the time of ``plan_allocate`` for 2,000 x 20 x 12 = 480,000 leaves (first allocation and
   re-allocation, split into computing and storing), next to a raw binary ``COPY`` of the
   same rows into an equally indexed table (the physical limit), and the peak memory;
2. p50/p95 of 200 single-cell edits with rebalance through the real API (DRF test client,
   token auth, the whole request cycle) on varied cells, each set to its current amount
   ±20 %, per kind of cell and overall, and the editor's grid;
3. drops the database (unless ``--keep``).

Budget (DESIGN §8): allocate under 5 s; one cell edit with rebalance, p50 under 50 ms.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import logging
import os
import random
import resource
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/salesalloc_allocbench"
TOTAL = Decimal("987654321.09")
SEASON = [0.7, 0.8, 1.0, 1.0, 1.1, 1.0, 0.9, 0.9, 1.1, 1.2, 1.3, 1.6]
METHODS = {
    "org": {
        "method": "historical",
        "base_from": "2016-01",
        "base_to": "2018-12",
        "smoothing": "0.1",
        "floor_share": "0.002",
    },
    "product_line": {"method": "historical"},
    "seasonality": {"method": "historical", "base_years": 3},
}


def _admin_url(url: str) -> tuple[str, str]:
    parsed = urlparse(url)
    return parsed._replace(path="/postgres").geturl(), parsed.path.lstrip("/")


def database_create(url: str) -> None:
    import psycopg

    admin, name = _admin_url(url)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def database_drop(url: str) -> None:
    import psycopg

    admin, name = _admin_url(url)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def timed(label: str, out: dict[str, float]) -> Iterator[None]:
    start = time.perf_counter()
    yield
    out[label] = out.get(label, 0.0) + time.perf_counter() - start


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    k = (len(ordered) - 1) * q
    low, high = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (k - low)


def company_build(*, people: int, lines: int) -> None:
    """Org tree, salespeople, product lines and three years of synthetic actuals (COPY)."""
    from django.contrib.auth import get_user_model
    from django.db import connection

    from allocation.models import ActualCell, OrgUnit, Salesperson
    from allocation.services import org_unit_create, product_line_create

    rng = random.Random(42)
    get_user_model().objects.create_superuser("admin", "admin@example.com", "bench-pw")
    root = org_unit_create(code="CO", name="Company", kind=OrgUnit.Kind.COMPANY)
    teams = []
    for r in range(5):
        region = org_unit_create(code=f"R{r}", name=f"Region {r}", kind="region", parent=root)
        for d in range(5):
            dept = org_unit_create(
                code=f"R{r}D{d}", name=f"Dept {r}.{d}", kind="department", parent=region
            )
            teams += [
                org_unit_create(code=f"R{r}D{d}T{t}", name=f"Team {r}.{d}.{t}", parent=dept)
                for t in range(8)
            ]
    per_team = people // len(teams)
    Salesperson.objects.bulk_create(
        Salesperson(
            code=f"S{i:05d}",
            name=f"Person {i}",
            org_unit=team,
            start_date=dt.date(2015, 1, 1) if i % 50 else dt.date(2019, 3, 1),
        )
        for i, team in enumerate(t for t in teams for _ in range(per_team))
    )
    leaf_ids = []
    for c in range(4):
        parent = product_line_create(code=f"C{c}", name=f"Category {c}")
        leaf_ids += [
            product_line_create(code=f"C{c}-{k}", name=f"Line {c}.{k}", parent=parent).pk
            for k in range(lines // 4)
        ]
    buffer = io.StringIO()
    stamp = "2020-01-01 00:00:00+00"
    for sp in Salesperson.objects.order_by("pk").values_list("pk", flat=True):
        skill = rng.uniform(0.5, 2.0)
        for pl in rng.sample(leaf_ids, k=rng.randint(6, 14)):
            base = rng.uniform(1000, 20000) * skill
            for year in (2016, 2017, 2018):
                for month in range(1, 13):
                    cents = int(base * SEASON[month - 1] * rng.uniform(0.6, 1.4) * 100)
                    buffer.write(
                        f"{sp}\t{pl}\t{year}-{month:02d}-01\t{cents // 100}.{cents % 100:02d}"
                        f"\t0\t1\t{stamp}\t{stamp}\n"
                    )
    table = ActualCell._meta.db_table
    columns = "salesperson_id, product_line_id, month, amount, cost, lines, created_at, updated_at"
    with connection.cursor() as cursor:
        with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
            copy.write(buffer.getvalue())
        cursor.execute(f"ANALYZE {table}")


def raw_copy_seconds(plan_id: int) -> float:
    """The physical limit: a binary COPY of the plan's leaves into an equally indexed table."""
    from django.db import connection, transaction

    from allocation.models import TargetCell
    from allocation.selectors import plan_leaves_frame, plan_structure_get
    from allocation.services.storage import _binary_rows

    plan = TargetCell.objects.filter(plan_id=plan_id).first().plan
    structure = plan_structure_get(plan=plan)
    leaves = plan_leaves_frame(plan=plan, structure=structure)
    payload = _binary_rows(
        plan_id=plan_id, leaves=leaves, months=structure.fiscal.months, now=dt.datetime.now(dt.UTC)
    )
    table = TargetCell._meta.db_table
    columns = "plan_id, salesperson_id, product_line_id, month, amount, created_at, updated_at"
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TABLE raw_copy (LIKE {table} INCLUDING ALL)")
        try:
            with transaction.atomic():
                start = time.perf_counter()
                with cursor.cursor.copy(
                    f"COPY raw_copy ({columns}) FROM STDIN (FORMAT BINARY)"
                ) as copy:
                    copy.write(payload)
            return time.perf_counter() - start
        finally:
            cursor.execute("DROP TABLE raw_copy")


def allocation_bench(plan: Any, admin: Any) -> None:
    from allocation.models import TargetCell
    from allocation.services import allocate as allocate_module
    from allocation.services import plan_allocate

    phases: dict[str, float] = {}
    originals = (
        allocate_module.allocate,
        allocate_module.target_cells_insert,
        allocate_module.target_cells_delete,
    )

    def wrap(label: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        def inner(*args: Any, **kwargs: Any) -> Any:
            with timed(label, phases):
                return fn(*args, **kwargs)

        return inner

    allocate_module.allocate = wrap("compute", originals[0])
    allocate_module.target_cells_insert = wrap("COPY", originals[1])
    allocate_module.target_cells_delete = wrap("delete old leaves", originals[2])
    try:
        for run in ("first allocation", "re-allocation"):
            phases.clear()
            start = time.perf_counter()
            plan_allocate(plan=plan, actor=admin)
            elapsed = time.perf_counter() - start
            rest = elapsed - sum(phases.values())
            detail = ", ".join(f"{k} {v:.2f} s" for k, v in phases.items())
            print(
                f"  {run:<17} {elapsed:5.2f} s  ({detail}, reading history and dimensions + "
                f"inputs + audit {rest:.2f} s)"
            )
    finally:
        allocate_module.allocate, allocate_module.target_cells_insert = originals[:2]
        allocate_module.target_cells_delete = originals[2]
    cells = TargetCell.objects.filter(plan=plan).count()
    print(
        f"  leaves stored: {cells:,}; raw binary COPY of them into an equally indexed table: "
        f"{raw_copy_seconds(plan.pk):.2f} s"
    )
    tracemalloc.start()
    plan_allocate(plan=plan, actor=admin)
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"  peak memory of one allocation {peak / 2**20:.0f} MiB (traced); process max RSS "
        f"{rss:.0f} MiB"
    )


def edit_bench(plan: Any, admin: Any, edits: int) -> None:
    """Time single-cell edits through the API and print the figures.

    Long because it is one measurement script read top to bottom: set up, time, print.
    Django is imported here, after ``main`` has configured the environment and settings.
    """
    from django.db import connection
    from rest_framework.test import APIClient

    from allocation.models import OrgUnit, Plan, ProductLine, Salesperson, TargetCell
    from allocation.selectors import plan_structure_get
    from allocation.services.cell_rules import db_cell_sum
    from salesalloc.core.tokens import auth_token_create

    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {TargetCell._meta.db_table}")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {auth_token_create(user=admin)}")
    rng = random.Random(7)
    people = list(Salesperson.objects.values_list("code", flat=True))
    teams = list(OrgUnit.objects.filter(depth=3).values_list("code", flat=True))
    categories = list(ProductLine.objects.filter(depth=0).values_list("code", flat=True))
    lines = list(ProductLine.objects.filter(depth=1).values_list("code", flat=True))
    months = [f"2019-{m:02d}" for m in range(1, 13)]
    quarters = ["Q1", "Q2", "Q3", "Q4"]
    kinds: list[tuple[str, float, Callable[[], dict[str, str]]]] = [
        (
            "salesperson x month (240 leaves)",
            0.35,
            lambda: {"salesperson": rng.choice(people), "period": rng.choice(months)},
        ),
        (
            "salesperson x line x month (12)",
            0.20,
            lambda: {
                "salesperson": rng.choice(people),
                "product_line": rng.choice(lines),
                "period": rng.choice(months),
            },
        ),
        (
            "salesperson x quarter (240)",
            0.05,
            lambda: {"salesperson": rng.choice(people), "period": rng.choice(quarters)},
        ),
        (
            "salesperson x category year (240)",
            0.10,
            lambda: {"salesperson": rng.choice(people), "product_line": rng.choice(categories)},
        ),
        ("salesperson year (team: 2,400)", 0.20, lambda: {"salesperson": rng.choice(people)}),
        ("team year (department: 19,200)", 0.10, lambda: {"org_unit": rng.choice(teams)}),
    ]
    # The same mix as ever keeps the row's year (the default); a separate run of edits keeps
    # the month's total (the sibling rows of the team rebalance), so the figures compare.
    keep_total: list[tuple[str, float, Callable[[], dict[str, str]]]] = [
        (
            "keep month's total: person x month",
            0.6,
            lambda: {
                "salesperson": rng.choice(people),
                "period": rng.choice(months),
                "keep": "period_total",
            },
        ),
        (
            "keep month's total: person x line x month",
            0.4,
            lambda: {
                "salesperson": rng.choice(people),
                "product_line": rng.choice(lines),
                "period": rng.choice(months),
                "keep": "period_total",
            },
        ),
    ]
    latencies: dict[str, list[float]] = {name: [] for name, _, _ in kinds + keep_total}
    refused = 0
    for mix, count in ((kinds, edits), (keep_total, max(edits // 4, 1))):
        for _ in range(count):
            name, _, make = rng.choices(mix, weights=[w for _, w, _ in mix])[0]
            coords = make()
            structure = plan_structure_get(plan=plan)
            cell = {k: v for k, v in coords.items() if k != "keep"}
            current = db_cell_sum(plan, structure, structure.resolve(**cell))
            amount = f"{current * rng.uniform(0.8, 1.2) / 100:.2f}"
            start = time.perf_counter()
            response = client.post(
                f"/api/v1/plans/{plan.pk}/cells/edit/",
                {**coords, "amount": amount, "reason": "bench"},
                format="json",
            )
            latencies[name].append((time.perf_counter() - start) * 1000)
            refused += response.status_code != 200
    everything = [x for name, _, _ in kinds for x in latencies[name]]
    print(
        f"  {edits} edits keeping the row's year and {max(edits // 4, 1)} keeping the month's "
        f"total, {refused} refused by the rules (locks/bounds/room), timed all the same"
    )
    for name, values in latencies.items():
        if values:
            print(
                f"  {name:<42} n={len(values):<4} p50 {percentile(values, 0.5):6.1f} ms   "
                f"p95 {percentile(values, 0.95):6.1f} ms"
            )
    print(
        f"  {'all (keep the row year)':<42} n={len(everything):<4} "
        f"p50 {percentile(everything, 0.5):6.1f} ms   "
        f"p95 {percentile(everything, 0.95):6.1f} ms   mean {statistics.mean(everything):.1f} ms"
    )
    grid = []
    for _ in range(5):
        start = time.perf_counter()
        client.get(f"/api/v1/plans/{plan.pk}/grid/", {"depth": 2})
        grid.append((time.perf_counter() - start) * 1000)
    start = time.perf_counter()
    client.post(f"/api/v1/plans/{plan.pk}/cells/edit/", {"amount": str(TOTAL)}, format="json")
    total_edit = time.perf_counter() - start
    print(
        f"  grid (company + regions + departments, 31 rows) p50 {percentile(grid, 0.5):.0f} ms; "
        f"an edit of the plan total (rescales all 480,000 leaves) {total_edit:.2f} s"
    )
    plan = Plan.objects.get(pk=plan.pk)
    structure = plan_structure_get(plan=plan)
    stored = db_cell_sum(plan, structure, structure.resolve())
    print(
        f"  plan total {plan.total_amount}, sum of the leaves {Decimal(stored) / 100} "
        f"(revision {plan.revision})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--salespeople", type=int, default=2000)
    parser.add_argument("--lines", type=int, default=20)
    parser.add_argument("--edits", type=int, default=200)
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    args = parser.parse_args()

    database_create(args.database_url)
    os.environ["DATABASE_URL"] = args.database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "salesalloc.settings.test")
    import django

    django.setup()
    logging.getLogger("django.request").setLevel(logging.ERROR)  # refused edits are expected
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connections

    from allocation.services import plan_create

    try:
        t: dict[str, float] = {}
        with timed("migrate", t):
            call_command("migrate", verbosity=0)
        with timed("company", t):
            company_build(people=args.salespeople, lines=args.lines)
        print(
            f"setup: migrate {t['migrate']:.1f} s; org tree, {args.salespeople:,} salespeople, "
            f"{args.lines} lines and 3 years of actuals {t['company']:.1f} s"
        )
        admin = get_user_model().objects.get(username="admin")
        plan = plan_create(
            name="FY2019", fiscal_year=2019, total_amount=TOTAL, method_config=METHODS, actor=admin
        )
        print(f"allocate {args.salespeople:,} x {args.lines} x 12 (budget: under 5 s)")
        allocation_bench(plan, admin)
        print("cell edits with rebalance over the API (budget: p50 under 50 ms)")
        edit_bench(plan, admin, args.edits)
    finally:
        connections.close_all()
        if not args.keep:
            database_drop(args.database_url)


if __name__ == "__main__":
    main()
