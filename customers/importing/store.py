"""Write validated order rows with set-based SQL: stage them, then merge in a few statements.

One small adapter, two loaders. ``ImportStore`` is portable (SQLite and PostgreSQL): it
fills TEMP staging tables with ``executemany``. ``CopyImportStore`` (PostgreSQL, in
``store_copy``, which also picks the adapter for a connection) fills them
with ``COPY`` (the lines, all integers, in PostgreSQL's binary format). Both then run the
same merge SQL (both dialects support ``INSERT ... SELECT ... ON CONFLICT ... DO UPDATE ...
WHERE``, ``UPDATE ... FROM`` and ``IS DISTINCT FROM``):

1. customers and products are upserted from their staging tables (blank cells keep the
   stored value; unchanged rows are not rewritten);
2. the staged lines are classified against the stored ones (insert / update / unchanged,
   with the old and new salesperson and month) in one grouped query; a file whose orders
   are all new skips it;
3. orders, then lines, are upserted in key order (``ON CONFLICT (order_no)`` and
   ``ON CONFLICT (order_id, line_no)``), rewriting only rows whose values differ;
4. stored lines of re-dated or re-assigned orders that the file does not list follow their
   order, account owners and first order dates (``first_orders``) follow;
5. split credits (``store_credits``): the credits of lines whose split changed are replaced,
   new split lines get theirs, and every credit of the file's orders follows its line's
   date, customer and product line. A file without splits, on a database without any,
   skips all of it.

The caller owns the transaction. On PostgreSQL ``pg_advisory_xact_lock`` makes imports
merge one after the other (so two concurrent imports of one file cannot duplicate rows);
SQLite serialises writers anyway.
"""

# The SQL below is built from this module's own identifiers; every value is a parameter.
# ruff: noqa: S608

from __future__ import annotations

import datetime as dt
import logging
import time
from typing import Any

import numpy as np
import pandas as pd
from django.db.backends.base.base import BaseDatabaseWrapper
from django.utils.translation import gettext_noop

from customers.importing import first_orders
from customers.importing.parsing import decimal_text
from customers.importing.staging import Staging
from customers.importing.store_credits import CreditMerge
from customers.importing.store_tables import (
    _CUSTOMER_TEXT,
    _INDEXED,
    _LINE_VALUES,
    _TABLES,
    ALLOWED,
    CHANGED,
    CUSTOMERS,
    IMPORT_LOCK_KEY,
    LINES,
    ORDERS,
    PRODUCTS,
    SCALED,
    SHARED,
    MergeResult,
    StoreConflict,
    _dates_as_text,
    _month_text,
    _plain,
    _tally,
)
from customers.importing.validation import NUMBER_FIELDS
from salesalloc.core.texts import Text

logger = logging.getLogger(__name__)


class ImportStore:
    """Portable adapter: TEMP staging tables filled with ``executemany``."""

    def __init__(self, connection: BaseDatabaseWrapper) -> None:
        self.connection = connection
        self.vendor = connection.vendor

    # --- dialect ---------------------------------------------------------------------------
    def month(self, expression: str) -> str:
        if self.vendor == "postgresql":
            return f"CAST(date_trunc('month', {expression}) AS date)"
        return f"strftime('%%Y-%%m-01', {expression})"

    def value(self, name: str, *, alias: str = "s", table: str = LINES) -> str:
        """SQL for a staged row's stored value (the staging column may be encoded)."""
        if table == LINES and name == "split_credit":
            return f"({alias}.split_credit = 1)"
        return f"{alias}.{name}"

    def _temp(self, table: str) -> str:
        return f"pg_temp.{table}" if self.vendor == "postgresql" else f"temp.{table}"

    def _session(self, cursor: Any) -> None:
        """Take the import lock; give PostgreSQL room to sort and hash in memory."""
        if self.vendor == "postgresql":
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [IMPORT_LOCK_KEY])
            cursor.execute("SET LOCAL work_mem = '256MB'", [])

    # --- staging -------------------------------------------------------------------------------
    def _column_type(self, table: str, name: str, kind: str) -> str:
        return kind

    def _create(self, cursor: Any) -> None:
        for table, columns in _TABLES.items():
            cursor.execute(f"DROP TABLE IF EXISTS {self._temp(table)}", [])
            spec = ", ".join(
                f"{name} {self._column_type(table, name, kind)}" for name, kind in columns
            )
            cursor.execute(f"CREATE TEMP TABLE {table} ({spec})", [])

    def _index(self, cursor: Any) -> None:
        """SQLite joins by nested loops: index the staged keys (PostgreSQL hashes them)."""
        if self.vendor == "postgresql":
            return
        for table, column in _INDEXED.items():
            name = f"{table}_{column}".replace(", ", "_")
            cursor.execute(f"CREATE INDEX {name} ON {table} ({column})", [])

    def _drop(self, cursor: Any) -> None:
        for table in _TABLES:
            cursor.execute(f"DROP TABLE IF EXISTS {self._temp(table)}", [])

    def _prepare(self, table: str, frame: pd.DataFrame) -> pd.DataFrame:
        """The staging rows as ``executemany`` sends them: dates and decimals as text."""
        frame = _dates_as_text(frame)
        if table in SCALED:
            frame = frame.copy()
            for name, scale in SCALED[table].items():
                text = decimal_text(frame[name].to_numpy(), scale).astype(object)
                if f"{name}_null" in frame:
                    text[frame[f"{name}_null"].to_numpy(dtype=bool)] = None
                frame[name] = text
        return frame

    def _load(self, cursor: Any, table: str, frame: pd.DataFrame) -> None:
        columns = [name for name, _kind in _TABLES[table]]
        if frame.empty:
            return
        values = self._prepare(table, frame)[columns].astype(object)
        placeholders = ", ".join(["%s"] * len(columns))
        sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({placeholders})"
        block = 50_000
        for start in range(0, len(values), block):
            rows = values.iloc[start : start + block].itertuples(index=False, name=None)
            cursor.executemany(sql, [tuple(_plain(v) for v in row) for row in rows])

    def _bulk_begin(self, cursor: Any, rows: int, *, fresh: bool) -> list[str]:
        """Bulk loads only (see ``CopyImportStore``); returns the SQL that ``_bulk_end`` runs."""
        return []

    def _bulk_end(self, cursor: Any, restore: list[str]) -> None:
        if not restore:
            return
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE", [])
        for statement in restore:
            cursor.execute(statement, [])
        # Fresh statistics for the planner, and for the next import's "bulk?" estimate.
        cursor.execute("ANALYZE customers_order", [])
        cursor.execute("ANALYZE customers_orderline", [])

    def _analyze(self, cursor: Any) -> None:
        if self.vendor == "postgresql":
            for table in (LINES, ORDERS, CUSTOMERS, PRODUCTS):
                cursor.execute(f"ANALYZE {table}", [])

    # --- the merge -------------------------------------------------------------------------
    def write(
        self,
        *,
        staging: Staging,
        job_id: int,
        now: dt.datetime,
        allowed_salespeople: frozenset[int] | None = None,
    ) -> MergeResult:
        """Store the staged rows (inside the caller's transaction); see the module docstring.

        ``allowed_salespeople`` (None: all) guards against overwriting other people's lines
        that changed after validation; a violation raises ``StoreConflict``. With it, a
        customer that has lines credited to anyone else keeps its stored name, region,
        state, city, country, segment and personal data (``kept_customers`` lists those
        the file would have changed): a manager cannot rename or re-home a shared customer.
        """
        stamp = self.connection.ops.adapt_datetimefield_value(now)
        with self.connection.cursor() as cursor:
            self._session(cursor)
            self._create(cursor)
            started = time.perf_counter()
            self._load(cursor, LINES, staging.lines)
            self._load(cursor, ORDERS, staging.orders)
            self._load(cursor, CUSTOMERS, staging.customers)
            self._load(cursor, PRODUCTS, staging.products)
            self._index(cursor)
            self._analyze(cursor)
            known = self._orders_known(cursor)
            restore = self._bulk_begin(cursor, len(staging.lines), fresh=not known)
            logger.debug(
                "import %s: staged %s lines in %.2f s (%s)",
                job_id,
                len(staging.lines),
                time.perf_counter() - started,
                type(self).__name__,
            )
            kept: tuple[str, ...] = ()
            if allowed_salespeople is not None:
                kept = self._shared_customers_find(
                    cursor, allowed_salespeople, staging.customer_columns
                )
            credits = CreditMerge(
                store=self, cursor=cursor, staging=staging, allowed=allowed_salespeople
            )
            credits.begin(known=known)
            groups, synced_cells, synced, written, moves = self._merge(
                cursor, stamp, staging, job_id, known=known, credits=credits
            )
            self._bulk_end(cursor, restore)
            self._drop(cursor)
        counts, cells = _tally(groups, synced_cells | credits.cells, allowed_salespeople)
        if written >= 0 and written != counts["i"] + counts["u"]:
            logger.warning(
                "import %s: merge wrote %s lines, classification expected %s",
                job_id,
                written,
                counts["i"] + counts["u"],
            )
        return MergeResult(
            inserted=counts["i"],
            updated=counts["u"],
            unchanged=counts["n"],
            cells=[[sp, month] for sp, month in sorted(cells)],
            orders_synced_lines=synced,
            kept_customers=kept,
            first_order_moves=moves,
        )

    def _merge(
        self,
        cursor: Any,
        stamp: Any,
        staging: Staging,
        job_id: int,
        *,
        known: bool,
        credits: CreditMerge,
    ) -> tuple[list[tuple], set[tuple[int, str]], int, int, list[list[Any]]]:
        """Steps 1-5 of the module docstring: (line groups, synced cells, synced, written,
        first order moves)."""
        self._customers_upsert(
            cursor, stamp, staging.customer_columns, shared=credits.allowed is not None
        )
        self._products_upsert(cursor, stamp)
        if known:
            groups = self._classify(cursor, also_changed=credits.changed_sql())
            self._changed_orders_find(cursor)
            first_orders.previous_customers_stage(cursor, staged_orders=ORDERS)
        else:  # every order is new, so every line is: plain inserts, nothing to compare
            groups = [(sp, month, None, None, "i", 0) for sp, month in staging.cells]
            groups.append((None, None, None, None, "i", len(staging.lines)))
        self._orders_upsert(cursor, stamp, fresh=not known)
        written = self._lines_upsert(
            cursor, stamp, job_id, fresh=not known, also_changed=credits.changed_sql("l")
        )
        synced_cells, synced = self._order_lines_sync(cursor, stamp, credits.allowed)
        if known:
            credits.orders_synced()
        credits.finish(stamp)
        self._owners_update(cursor, stamp)
        moves = first_orders.first_orders_update(cursor, staged_customers=CUSTOMERS)
        synced_cells |= first_orders.moved_cells(moves)  # new-customer revenue moved
        return groups, synced_cells, synced, written, moves

    def _shared_customers_find(
        self, cursor: Any, allowed: frozenset[int], present: tuple[str, ...]
    ) -> tuple[str, ...]:
        """Stage the codes of customers with lines credited outside ``allowed`` (set-based).

        Returns, sorted, those of them whose details the file would change.
        """
        self._load(
            cursor,
            ALLOWED,
            pd.DataFrame({"salesperson_id": np.array(sorted(allowed), dtype=np.int64)}),
        )
        cursor.execute(
            f"INSERT INTO {SHARED} (code) SELECT sc.code FROM {CUSTOMERS} sc "
            "JOIN customers_customer c ON c.code = sc.code WHERE EXISTS ("
            "SELECT 1 FROM customers_orderline l WHERE l.customer_id = c.id AND NOT EXISTS ("
            f"SELECT 1 FROM {ALLOWED} a WHERE a.salesperson_id = l.salesperson_id)) "
            "OR EXISTS (SELECT 1 FROM customers_orderlinecredit k WHERE k.customer_id = c.id "
            f"AND NOT EXISTS (SELECT 1 FROM {ALLOWED} a "
            "WHERE a.salesperson_id = k.salesperson_id))",
            [],
        )
        columns = [c for c in _CUSTOMER_TEXT if c in present]
        if not columns:
            return ()
        differs = " OR ".join(
            f"COALESCE(NULLIF(sc.{c}, ''), c.{c}) IS DISTINCT FROM c.{c}" for c in columns
        )
        cursor.execute(
            f"SELECT sc.code FROM {CUSTOMERS} sc JOIN {SHARED} sh ON sh.code = sc.code "
            f"JOIN customers_customer c ON c.code = sc.code WHERE {differs} ORDER BY sc.code",
            [],
        )
        return tuple(code for (code,) in cursor.fetchall())

    def _customers_upsert(
        self, cursor: Any, stamp: Any, present: tuple[str, ...], *, shared: bool = False
    ) -> None:
        """Insert new customers, update changed ones (``shared``: except the staged shared
        customers, which keep their stored details)."""
        columns = [c for c in _CUSTOMER_TEXT if c in present]
        kept = {c: f"COALESCE(NULLIF(excluded.{c}, ''), customers_customer.{c})" for c in columns}
        assignments = ", ".join(f"{c} = {expression}" for c, expression in kept.items())
        distinct = " OR ".join(
            f"{expression} IS DISTINCT FROM customers_customer.{c}"
            for c, expression in kept.items()
        )
        conflict = (
            f"DO UPDATE SET {assignments}, updated_at = excluded.updated_at WHERE {distinct}"
            if columns
            else "DO NOTHING"
        )
        cursor.execute(
            "INSERT INTO customers_customer (code, name, region, state, city, country, segment, "
            "phone, email, address, owner_id, created_at, updated_at) "
            "SELECT s.code, s.name, s.region, s.state, s.city, s.country, s.segment, s.phone, "
            f"s.email, s.address, s.owner_id, %s, %s FROM {CUSTOMERS} s WHERE "
            + (
                f"NOT EXISTS (SELECT 1 FROM {SHARED} sh WHERE sh.code = s.code) "
                if shared
                else "true "
            )
            + f"ORDER BY s.code ON CONFLICT (code) {conflict}",
            [stamp, stamp],
        )

    def _products_upsert(self, cursor: Any, stamp: Any) -> None:
        name = "COALESCE(NULLIF(excluded.name, ''), customers_product.name)"
        cursor.execute(
            "INSERT INTO customers_product (sku, name, product_line_id, created_at, updated_at) "
            f"SELECT s.sku, s.name, s.product_line_id, %s, %s FROM {PRODUCTS} s WHERE true "
            "ORDER BY s.sku ON CONFLICT (sku) DO UPDATE SET "
            f"name = {name}, product_line_id = excluded.product_line_id, "
            "updated_at = excluded.updated_at "
            f"WHERE {name} IS DISTINCT FROM customers_product.name "
            "OR excluded.product_line_id IS DISTINCT FROM customers_product.product_line_id",
            [stamp, stamp],
        )

    def _orders_known(self, cursor: Any) -> bool:
        """Does any staged order exist already (else every staged line is new)?"""
        cursor.execute(
            f"SELECT EXISTS (SELECT 1 FROM {ORDERS} so "
            "JOIN customers_order o ON o.order_no = so.order_no)",
            [],
        )
        return bool(cursor.fetchone()[0])

    def _classify(self, cursor: Any, *, also_changed: str = "false") -> list[tuple]:
        """Staged lines grouped by (new salesperson, month, old salesperson, month, kind):
        ``i`` new, ``u`` changed (its values, or ``also_changed``: its credits), ``n``."""
        staged = {
            "order_date": "so.order_date",
            "customer_id": "c.id",
            "salesperson_id": "s.salesperson_id",
            "product_line_id": "s.product_line_id",
            "product_id": "p.id",
            "split_credit": self.value("split_credit"),
            **{name: self.value(name) for name in NUMBER_FIELDS},
        }
        changed = " OR ".join(f"l.{c} IS DISTINCT FROM {staged[c]}" for c in _LINE_VALUES)
        changed += f" OR {also_changed}"
        cursor.execute(
            f"SELECT s.salesperson_id, {self.month('so.order_date')}, l.salesperson_id, "
            f"{self.month('l.order_date')}, "
            f"CASE WHEN l.id IS NULL THEN 'i' WHEN {changed} THEN 'u' ELSE 'n' END, COUNT(*) "
            f"FROM {LINES} s JOIN {ORDERS} so ON so.idx = s.order_idx "
            f"JOIN {CUSTOMERS} sc ON sc.idx = so.customer_idx "
            "JOIN customers_customer c ON c.code = sc.code "
            f"LEFT JOIN {PRODUCTS} sp ON sp.idx = s.product_idx "
            "LEFT JOIN customers_product p ON p.sku = sp.sku "
            "LEFT JOIN customers_order o ON o.order_no = so.order_no "
            "LEFT JOIN customers_orderline l ON l.order_id = o.id AND l.line_no = s.line_no "
            "GROUP BY 1, 2, 3, 4, 5",
            [],
        )
        return cursor.fetchall()

    def _changed_orders_find(self, cursor: Any) -> None:
        cursor.execute(
            f"INSERT INTO {CHANGED} (order_id) SELECT o.id FROM {ORDERS} so "
            "JOIN customers_order o ON o.order_no = so.order_no "
            f"JOIN {CUSTOMERS} sc ON sc.idx = so.customer_idx "
            "JOIN customers_customer c ON c.code = sc.code "
            "WHERE o.order_date IS DISTINCT FROM so.order_date "
            "OR o.customer_id IS DISTINCT FROM c.id",
            [],
        )

    def _orders_upsert(self, cursor: Any, stamp: Any, *, fresh: bool) -> None:
        """Insert new orders, re-date or re-assign changed ones.

        ``fresh``: no staged order exists (checked under the import lock), so a plain
        ``INSERT`` does; a concurrent writer outside the import path would make it fail on
        the unique key, never duplicate.
        """
        conflict = (
            ""
            if fresh
            else "ON CONFLICT (order_no) DO UPDATE SET "
            "order_date = excluded.order_date, customer_id = excluded.customer_id, "
            "updated_at = excluded.updated_at "
            "WHERE customers_order.order_date IS DISTINCT FROM excluded.order_date "
            "OR customers_order.customer_id IS DISTINCT FROM excluded.customer_id"
        )
        cursor.execute(
            "INSERT INTO customers_order (order_no, order_date, customer_id, created_at, "
            f"updated_at) SELECT so.order_no, so.order_date, c.id, %s, %s FROM {ORDERS} so "
            f"JOIN {CUSTOMERS} sc ON sc.idx = so.customer_idx "
            "JOIN customers_customer c ON c.code = sc.code WHERE true "
            f"ORDER BY so.order_no {conflict}",
            [stamp, stamp],
        )

    def _lines_upsert(
        self, cursor: Any, stamp: Any, job_id: int, *, fresh: bool, also_changed: str = "false"
    ) -> int:
        """Insert new lines, rewrite changed ones; the order gives date and customer.

        ``fresh``: every order is new in this transaction, so no stored line can conflict.
        ``also_changed`` (a condition on ``l``): lines rewritten although their own values are
        the same (their credits change), so they name the import that changed them.
        """
        updates = ", ".join(f"{c} = excluded.{c}" for c in _LINE_VALUES)
        distinct = " OR ".join(
            f"customers_orderline.{c} IS DISTINCT FROM excluded.{c}" for c in _LINE_VALUES
        )
        distinct += " OR " + also_changed.replace("l.id", "customers_orderline.id")
        numbers = ", ".join(self.value(name) for name in ("quantity", "unit_price", "amount"))
        cursor.execute(
            "INSERT INTO customers_orderline (order_id, line_no, order_date, customer_id, "
            "salesperson_id, product_line_id, product_id, quantity, unit_price, amount, cost, "
            "split_credit, import_job_id, created_at, updated_at) "
            "SELECT o.id, s.line_no, o.order_date, o.customer_id, s.salesperson_id, "
            f"s.product_line_id, p.id, {numbers}, {self.value('cost')}, "
            f"{self.value('split_credit')}, %s, %s, %s "
            f"FROM {LINES} s JOIN {ORDERS} so ON so.idx = s.order_idx "
            "JOIN customers_order o ON o.order_no = so.order_no "
            f"LEFT JOIN {PRODUCTS} sp ON sp.idx = s.product_idx "
            "LEFT JOIN customers_product p ON p.sku = sp.sku "
            "WHERE true ORDER BY o.id, s.line_no "
            + (
                ""
                if fresh
                else f"ON CONFLICT (order_id, line_no) DO UPDATE SET {updates}, "
                "import_job_id = excluded.import_job_id, updated_at = excluded.updated_at "
                f"WHERE {distinct}"
            ),
            [job_id, stamp, stamp],
        )
        return cursor.rowcount

    def _order_lines_sync(
        self, cursor: Any, stamp: Any, allowed: frozenset[int] | None
    ) -> tuple[set[tuple[int, str]], int]:
        """Make stored lines the file does not list follow their re-dated/re-assigned order."""
        cursor.execute(f"SELECT COUNT(*) FROM {CHANGED}", [])
        if not cursor.fetchone()[0]:
            return set(), 0
        cursor.execute(
            f"SELECT DISTINCT l.salesperson_id, {self.month('l.order_date')}, "
            f"{self.month('o.order_date')} "
            f"FROM customers_orderline l JOIN {CHANGED} ch ON ch.order_id = l.order_id "
            "JOIN customers_order o ON o.id = l.order_id "
            "WHERE l.order_date IS DISTINCT FROM o.order_date "
            "OR l.customer_id IS DISTINCT FROM o.customer_id",
            [],
        )
        found = cursor.fetchall()
        if not found:
            return set(), 0
        if allowed is not None and any(row[0] not in allowed for row in found):
            raise StoreConflict(
                Text(
                    gettext_noop(
                        "The file changes the date or customer of orders that also have lines of "
                        "salespeople outside your part of the company; nothing was imported."
                    )
                )
            )
        cursor.execute(
            "UPDATE customers_orderline SET order_date = o.order_date, "
            "customer_id = o.customer_id, updated_at = %s "
            f"FROM customers_order o, {CHANGED} ch "
            "WHERE o.id = customers_orderline.order_id AND ch.order_id = o.id "
            "AND (customers_orderline.order_date IS DISTINCT FROM o.order_date "
            "OR customers_orderline.customer_id IS DISTINCT FROM o.customer_id)",
            [stamp],
        )
        synced = cursor.rowcount
        cells = {(int(sp), _month_text(old)) for sp, old, _new in found}
        cells |= {(int(sp), _month_text(new)) for sp, _old, new in found}
        return cells, synced

    def _owners_update(self, cursor: Any, stamp: Any) -> None:
        """Give each customer the salesperson of their latest line (if the file has it)."""
        cursor.execute(
            "UPDATE customers_customer SET owner_id = s.owner_id, updated_at = %s "
            f"FROM {CUSTOMERS} s WHERE s.code = customers_customer.code "
            "AND customers_customer.owner_id IS DISTINCT FROM s.owner_id "
            "AND s.latest_date >= (SELECT MAX(l.order_date) FROM customers_orderline l "
            "WHERE l.customer_id = customers_customer.id)",
            [stamp],
        )
