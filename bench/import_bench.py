"""Benchmark: import N synthetic order lines vs a raw COPY of the same file (DESIGN §8).

    .venv/bin/python bench/import_bench.py [--rows 1000000] [--database-url URL] [--statements]

1. generates N order lines (fixed seed; 500 salespeople in a small org tree, 50,000
   customers, 20 product lines, two years of dates, ~2 lines per order, ~3 % returns) into
   ``bench/out/orders_<N>.csv``;
2. (re)creates the PostgreSQL database (default ``salesalloc_bench``), migrates it and sets
   up the company;
3. imports the file through the real path (``import_job_create`` + ``import_job_run``);
4. times a raw ``COPY`` of the same file into a table indexed like ``customers_orderline``
   (primary key, unique (order, line), (salesperson, date, customer, order),
   (customer, date));
5. prints both times, their ratio, rows/s and the peak memory (``ru_maxrss``);
6. times a full recompute of the actuals against one plain SQL ``GROUP BY`` pass;
7. imports ``--incremental`` more lines (half changed, half new) and recomputes the cells
   they touched, end to end.

Budgets (DESIGN §8): import <= 2x the raw COPY; the incremental import committed and
recomputed in under 2 s. ``--statements`` prints each SQL statement of the
write phase with its time, to see where the write goes (index upkeep, FK checks, ...).
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time
from pathlib import Path
from urllib.parse import urlparse, urlunparse

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
SEED = 20_240_601
SALESPEOPLE = 500
CUSTOMERS = 50_000
PRODUCT_LINES = 20
SKUS = 5_000
DAYS = 730


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument(
        "--database-url", default="postgres://postgres@127.0.0.1:5432/salesalloc_bench"
    )
    parser.add_argument("--keep-database", action="store_true", help="do not drop it at the end")
    parser.add_argument("--statements", action="store_true", help="time each write statement")
    parser.add_argument(
        "--incremental",
        type=int,
        default=1000,
        help="then import this many lines on top (half changed, half new); 0 to skip",
    )
    parser.add_argument(
        "--fk-experiment",
        action="store_true",
        help="also time the import with the order tables' foreign keys dropped and then "
        "re-validated set-based (ADD ... NOT VALID + VALIDATE): what per-row FK checks cost",
    )
    return parser.parse_args()


# --- Data -------------------------------------------------------------------------------------
def generate(path: Path, rows: int) -> None:
    """Write ``rows`` order lines in blocks (bounded memory), deterministically."""
    rng = np.random.default_rng(SEED)
    start = np.datetime64("2022-01-01")
    block = 200_000
    order_counter = 0
    with path.open("w", encoding="utf-8", newline="") as handle:
        handle.write(
            "order_id,line_no,order_date,customer_code,salesperson_code,product_line,sku,"
            "quantity,unit_price,amount\n"
        )
        written = 0
        while written < rows:
            n = min(block, rows - written)
            # ~2 lines per order: order sizes 1..3.
            sizes = rng.integers(1, 4, size=n)
            sizes = sizes[np.cumsum(sizes) <= n]
            if sizes.sum() < n:
                sizes = np.append(sizes, n - sizes.sum())
            orders = len(sizes)
            order_ids = np.repeat(np.arange(order_counter, order_counter + orders), sizes)
            line_no = np.concatenate([np.arange(1, s + 1) for s in sizes])
            order_counter += orders
            customer = rng.integers(0, CUSTOMERS, size=orders)
            salesperson = customer % SALESPEOPLE  # an account belongs to one salesperson
            day = rng.integers(0, DAYS, size=orders)
            sku = rng.integers(0, SKUS, size=n)
            quantity = rng.integers(1, 10, size=n)
            price_cents = rng.integers(100, 100_000, size=n)
            returns = rng.random(n) < 0.03
            quantity = np.where(returns, -quantity, quantity)
            amount_cents = quantity * price_cents
            frame = pd.DataFrame(
                {
                    "order_id": pd.Series(order_ids).map("SO{:09d}".format),
                    "line_no": line_no,
                    "order_date": np.datetime_as_string(
                        np.repeat(start + day.astype("timedelta64[D]"), sizes), unit="D"
                    ),
                    "customer_code": pd.Series(np.repeat(customer, sizes)).map("C{:06d}".format),
                    "salesperson_code": pd.Series(np.repeat(salesperson, sizes)).map(
                        "S{:04d}".format
                    ),
                    "product_line": pd.Series(sku % PRODUCT_LINES).map("PL{:02d}".format),
                    "sku": pd.Series(sku).map("SKU{:05d}".format),
                    "quantity": quantity,
                    "unit_price": _cents(price_cents),
                    "amount": _cents(amount_cents),
                }
            )
            frame.to_csv(handle, header=False, index=False, lineterminator="\n")
            written += n


def _cents(cents: np.ndarray) -> pd.Series:
    sign = np.where(cents < 0, "-", "")
    magnitude = np.abs(cents)
    whole = pd.Series(magnitude // 100).astype(str)
    frac = pd.Series(magnitude % 100 + 100).astype(str).str.slice(1)
    return sign + whole + "." + frac


# --- Database ---------------------------------------------------------------------------------
def recreate_database(url: str) -> None:
    import psycopg

    parsed = urlparse(url)
    name = parsed.path.lstrip("/")
    if not name or name == "salesalloc":
        sys.exit(f"refusing to use the database name {name!r}")
    admin = urlunparse(parsed._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def drop_database(url: str) -> None:
    import psycopg

    parsed = urlparse(url)
    admin = urlunparse(parsed._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{parsed.path.lstrip("/")}" WITH (FORCE)')


def company_setup() -> None:
    """500 salespeople in company -> 5 regions -> 25 teams; 20 product lines."""
    from allocation.models import Salesperson
    from allocation.services import org_unit_create, product_line_create

    root = org_unit_create(code="CO", name="Bench Co", kind="company")
    teams = []
    for r in range(5):
        region = org_unit_create(code=f"R{r}", name=f"Region {r}", kind="region", parent=root)
        teams += [
            org_unit_create(code=f"R{r}T{t}", name=f"Team {r}.{t}", parent=region) for t in range(5)
        ]
    Salesperson.objects.bulk_create(
        Salesperson(code=f"S{i:04d}", name=f"Person {i}", org_unit=teams[i % len(teams)])
        for i in range(SALESPEOPLE)
    )
    for i in range(PRODUCT_LINES):
        product_line_create(code=f"PL{i:02d}", name=f"Product line {i}")


RAW_TABLE = """
CREATE TABLE bench_raw_lines (
    id bigserial PRIMARY KEY,
    order_id varchar(64) NOT NULL,
    line_no integer NOT NULL,
    order_date date NOT NULL,
    customer_code varchar(64) NOT NULL,
    salesperson_code varchar(50) NOT NULL,
    product_line varchar(50) NOT NULL,
    sku varchar(64),
    quantity numeric(14,4),
    unit_price numeric(18,6),
    amount numeric(18,4) NOT NULL,
    UNIQUE (order_id, line_no)
);
CREATE INDEX bench_raw_sp_date
    ON bench_raw_lines (salesperson_code, order_date, customer_code, order_id);
CREATE INDEX bench_raw_cust_date ON bench_raw_lines (customer_code, order_date);
"""
RAW_COLUMNS = (
    "order_id, line_no, order_date, customer_code, salesperson_code, product_line, sku, "
    "quantity, unit_price, amount"
)


def raw_copy_seconds(path: Path) -> float:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_raw_lines")
        cursor.execute(RAW_TABLE)
    started = time.perf_counter()
    with (
        connection.cursor() as cursor,
        cursor.cursor.copy(
            f"COPY bench_raw_lines ({RAW_COLUMNS}) FROM STDIN WITH (FORMAT csv, HEADER true)"
        ) as copy,
        path.open("rb") as handle,
    ):
        while data := handle.read(1 << 20):
            copy.write(data)
    seconds = time.perf_counter() - started
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE bench_raw_lines")
    return seconds


def incremental_file(path: Path, rows: int) -> Path:
    """``rows`` lines: the first half re-priced lines of ``path``, the rest new orders."""
    out = OUT / f"incremental_{rows}.csv"
    frame = pd.read_csv(path, nrows=rows // 2, dtype=str)
    frame["amount"] = (frame["amount"].str.replace(".", "", regex=False).astype(int) + 1).map(
        lambda cents: f"{cents // 100}.{cents % 100:02d}"
    )
    new = pd.read_csv(path, skiprows=range(1, rows // 2 + 1), nrows=rows - rows // 2, dtype=str)
    new["order_id"] = "NEW" + new["order_id"]
    pd.concat([frame, new]).to_csv(out, index=False)
    return out


def incremental_seconds(path: Path) -> tuple[float, float, object]:
    """Import ``path`` and recompute what it touched, end to end (import, recompute) seconds."""
    from django.core.files import File

    from customers.services.imports import import_job_create, import_job_run
    from salesalloc.pipeline import recompute_after_import

    started = time.perf_counter()
    with path.open("rb") as handle:
        job = import_job_create(
            file=File(handle, name=path.name), original_name=path.name, actor=None, enqueue=False
        )
    job = import_job_run(job=job)
    imported = time.perf_counter()
    recompute_after_import(job_id=job.pk)  # in-process here: the bench runs without a broker
    job.refresh_from_db()
    if job.recompute_status != "succeeded":
        raise SystemExit(f"the recompute after the import failed: {job.recompute_status}")
    return imported - started, time.perf_counter() - imported, job


def recompute_seconds() -> tuple[float, float, int]:
    """A full recompute of the actuals vs one plain SQL GROUP BY pass over the same lines."""
    from django.db import connection

    from salesalloc.pipeline import recompute_all

    with connection.cursor() as cursor:
        started = time.perf_counter()
        cursor.execute(
            "SELECT salesperson_id, product_line_id, date_trunc('month', order_date), "
            "SUM(amount), SUM(cost), COUNT(*) FROM customers_orderline GROUP BY 1, 2, 3"
        )
        cursor.fetchall()
        group_by = time.perf_counter() - started
    started = time.perf_counter()
    run = recompute_all(inline=True)
    return time.perf_counter() - started, group_by, run.rows_written


FK_TABLES = ("customers_orderline", "customers_order")


def fk_experiment(path: Path) -> dict[str, float]:
    """Re-run the import into emptied tables without their FKs, then restore and validate.

    Measures what the per-row (deferred) FK checks cost against one set-based validation
    per constraint. Integrity is restored (and checked) before returning.
    """
    from django.core.files import File
    from django.db import connection

    from customers.services.imports import import_job_create, import_job_run

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) "
            "FROM pg_constraint WHERE contype = 'f' AND conrelid::regclass::text = ANY(%s)",
            [list(FK_TABLES)],
        )
        constraints = cursor.fetchall()
        cursor.execute(
            "TRUNCATE customers_orderline, customers_order, customers_product, "
            "customers_customer CASCADE"
        )
        for table, name, _definition in constraints:
            cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
    started = time.perf_counter()
    with path.open("rb") as handle:
        job = import_job_create(
            file=File(handle, name=path.name), original_name=path.name, actor=None, enqueue=False
        )
    job = import_job_run(job=job)
    imported = time.perf_counter() - started
    if job.status != "succeeded":
        sys.exit(job.message)
    started = time.perf_counter()
    with connection.cursor() as cursor:
        for table, name, definition in constraints:
            cursor.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition} NOT VALID')
        for table, name, _definition in constraints:
            cursor.execute(f'ALTER TABLE {table} VALIDATE CONSTRAINT "{name}"')
    validated = time.perf_counter() - started
    return {"import": imported, "validate": validated, "constraints": len(constraints)}


class StatementTimer:
    def __init__(self) -> None:
        self.rows: list[tuple[float, str]] = []

    def __call__(self, execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.rows.append((time.perf_counter() - started, " ".join(str(sql).split())[:110]))


def main() -> None:
    """Generate the order file, import it, recompute, and print every figure of the report.

    Long because it is the benchmark's script, read top to bottom in the order it prints;
    Django is imported inside, after the environment (``DATABASE_URL``) is set.
    """
    args = parse_args()
    os.environ["DATABASE_URL"] = args.database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "salesalloc.settings.base")
    os.environ.setdefault("SALESALLOC_BACKGROUND_THREAD", "false")
    sys.path.insert(0, str(ROOT))

    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / f"orders_{args.rows}.csv"
    if not path.exists():
        print(f"generating {args.rows:,} lines -> {path}")
        started = time.perf_counter()
        generate(path, args.rows)
        print(f"  {time.perf_counter() - started:.1f} s, {path.stat().st_size / 1e6:.0f} MB")

    recreate_database(args.database_url)
    import django

    django.setup()
    from django.core.files import File
    from django.core.management import call_command
    from django.db import connection

    from customers.services.imports import import_job_create, import_job_run

    call_command("migrate", verbosity=0)
    company_setup()
    # Time the import alone: the recompute it triggers (salesalloc.pipeline) is timed on its
    # own below, so the signal's receivers are detached for the run.
    from customers.signals import orders_imported

    orders_imported.receivers = []
    orders_imported.sender_receivers_cache.clear()
    if args.statements:
        import logging

        logging.getLogger("customers.importing.store").setLevel(logging.DEBUG)

    timer = StatementTimer()
    marks: dict[str, float] = {}
    commits: list[float] = []
    plain_commit = connection._commit

    def timed_commit() -> None:
        started_commit = time.perf_counter()
        plain_commit()
        commits.append(time.perf_counter() - started_commit)

    connection._commit = timed_commit

    def progress(done: int, total: int) -> None:
        if total and done >= total and "validated" not in marks:
            marks["validated"] = time.perf_counter()

    print(f"importing {args.rows:,} lines through import_job_create + import_job_run ...")
    started = time.perf_counter()
    with path.open("rb") as handle:
        job = import_job_create(
            file=File(handle, name=path.name), original_name=path.name, actor=None, enqueue=False
        )
    created = time.perf_counter()
    with connection.execute_wrapper(timer):
        job = import_job_run(job=job, progress=progress)
    import_seconds = time.perf_counter() - started
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    if job.status != "succeeded":
        print(job.message, job.errors[:5])
        sys.exit(1)
    print(f"  {job.message}")

    raw_seconds = raw_copy_seconds(path)
    validated = marks.get("validated", created)
    print()
    print(f"rows                       {args.rows:>12,}")
    print(f"file                       {path.stat().st_size / 1e6:>12.0f} MB")
    print(f"import (create + run)      {import_seconds:>12.2f} s")
    print(f"  accept file (create)     {created - started:>12.2f} s")
    print(f"  read + validate          {validated - created:>12.2f} s")
    print(f"  stage + merge (write)    {started + import_seconds - validated:>12.2f} s")
    print(f"    of which COMMIT        {max(commits, default=0):>12.2f} s  (deferred FK checks)")
    print(f"raw COPY, indexed table    {raw_seconds:>12.2f} s")
    print(f"ratio import / raw COPY    {import_seconds / raw_seconds:>12.2f}  (budget <= 2.00)")
    print(f"import rows/s              {args.rows / import_seconds:>12,.0f}")
    print(f"peak memory (maxrss)       {peak_mib:>12,.0f} MiB")
    if args.statements:
        print("\nslowest statements of the run:")
        for seconds, sql in sorted(timer.rows, reverse=True)[:15]:
            print(f"  {seconds:8.2f} s  {sql}")
    recompute, group_by, cells = recompute_seconds()
    print(f"\nfull recompute of the actuals ({cells:,} cells)")
    print(f"  recompute (inline)       {recompute:>12.2f} s")
    print(f"  one SQL GROUP BY pass    {group_by:>12.2f} s")
    print(f"  ratio                    {recompute / group_by:>12.2f}  (budget, with RFM: <= 3)")
    if args.incremental:
        imported, recomputed, small = incremental_seconds(incremental_file(path, args.incremental))
        print(f"\nincremental {args.incremental:,} lines on top of {args.rows:,}")
        print(f"  import (create + run)    {imported:>12.2f} s")
        touched = len(small.affected_cells)
        print(f"  recompute of its cells   {recomputed:>12.2f} s  ({touched:,} cells)")
        print(f"  end to end               {imported + recomputed:>12.2f} s  (budget < 2 s)")
        print(f"  {small.message}")
    if args.fk_experiment:
        connection._commit = plain_commit
        figures = fk_experiment(path)
        total = figures["import"] + figures["validate"]
        print(f"\nwithout per-row FK checks ({figures['constraints']:.0f} FKs on orders and lines)")
        print(f"  import                   {figures['import']:>12.2f} s")
        print(f"  + ADD/VALIDATE FKs       {figures['validate']:>12.2f} s")
        print(f"  = total                  {total:>12.2f} s")
        print(f"ratio total / raw COPY     {total / raw_seconds:>12.2f}")
    connection.close()
    if not args.keep_database:
        drop_database(args.database_url)


if __name__ == "__main__":
    main()
