"""The PostgreSQL loader of the import store, and the choice of loader for a connection.

``CopyImportStore`` fills the staging tables of ``customers.importing.store`` with ``COPY``
(the lines, all integers, in PostgreSQL's binary format) and, for bulk loads, checks foreign
keys and builds secondary indexes once; the merge SQL is the portable store's.
"""

# The SQL below is built from this module's own identifiers; every value is a parameter.

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from django.conf import settings
from django.db.backends.base.base import BaseDatabaseWrapper

from customers.importing.store import ImportStore
from customers.importing.store_tables import (
    _TABLES,
    LINES,
    NULL_SENTINEL,
    SCALED,
    _dates_as_text,
)
from salesalloc.core.pgbulk import foreign_keys_drop


class CopyImportStore(ImportStore):
    """PostgreSQL adapter: the staging tables are filled with ``COPY ... FROM STDIN``.

    The lines are all integers (positions, ids, money as scaled integers), so they go in
    PostgreSQL's binary COPY format, built by numpy without a per-row Python loop; money
    becomes exact ``numeric`` in SQL (``bigint * 0.0001`` is exact). The small key tables go
    as CSV.
    """

    block_rows = 200_000

    def _bulk_begin(self, cursor: Any, rows: int, *, fresh: bool) -> list[str]:
        """For a bulk load, check foreign keys once and build secondary indexes once.

        PostgreSQL checks a foreign key with a trigger per inserted row, and keeps every index
        up to date row by row; on a million lines with seven keys and two secondary indexes
        that costs more than the whole merge. From ``SALESALLOC_IMPORT_BULK_ROWS`` lines on,
        inside the import's transaction:

        * the order tables' foreign keys are dropped, and re-added by ``_bulk_end`` before
          the commit: re-adding validates every row with one anti-join, and a violation rolls
          the whole import back;
        * when the file brings at least as many lines as are stored, the lines' secondary
          indexes are dropped and rebuilt once, sorted, at the end - the way ``pg_restore``
          loads a table; when, besides, every order in the file is new (``fresh``: plain
          inserts, no ``ON CONFLICT`` needs them), so are the natural-key unique constraints
          of orders and lines, and re-adding them re-checks uniqueness.

        The price: the order tables are locked exclusively until the import commits, so the
        Orders page waits for a bulk import (dashboards read the actuals table and do not).
        """
        if rows < settings.SALESALLOC_IMPORT_BULK_ROWS:
            return []
        quote = self.connection.ops.quote_name
        restore = foreign_keys_drop(cursor, ["customers_orderline", "customers_order"], quote=quote)

        cursor.execute(
            "SELECT reltuples FROM pg_class WHERE oid = 'customers_orderline'::regclass", []
        )
        stored = max(float(cursor.fetchone()[0]), 0.0)
        if rows >= stored:
            cursor.execute(
                "SELECT c.relname, pg_get_indexdef(i.indexrelid) "
                "FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
                "WHERE i.indrelid = 'customers_orderline'::regclass "
                "AND NOT i.indisunique AND NOT i.indisprimary ORDER BY 1",
                [],
            )
            indexes = cursor.fetchall()
            for name, _definition in indexes:
                cursor.execute(f"DROP INDEX {quote(name)}", [])
            cursor.execute("SET LOCAL maintenance_work_mem = '512MB'", [])
            restore = [definition for _name, definition in indexes] + restore
            if fresh:
                cursor.execute(
                    "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) "
                    "FROM pg_constraint WHERE contype = 'u' AND conrelid IN "
                    "('customers_orderline'::regclass, 'customers_order'::regclass) "
                    "ORDER BY 1, 2",
                    [],
                )
                unique = [(quote(t), quote(n), d) for t, n, d in cursor.fetchall()]
                for table, name, _definition in unique:
                    cursor.execute(f"ALTER TABLE {table} DROP CONSTRAINT {name}", [])
                restore = [
                    f"ALTER TABLE {table} ADD CONSTRAINT {name} {definition}"
                    for table, name, definition in unique
                ] + restore
        return restore

    def value(self, name: str, *, alias: str = "s", table: str = LINES) -> str:
        scale = SCALED.get(table, {}).get(name)
        if scale is not None:
            return f"(NULLIF({alias}.{name}, {NULL_SENTINEL}) * 0.{'0' * (scale - 1)}1)"
        return super().value(name, alias=alias, table=table)

    def _column_type(self, table: str, name: str, kind: str) -> str:
        return "bigint" if name in SCALED.get(table, {}) else kind

    def _load(self, cursor: Any, table: str, frame: pd.DataFrame) -> None:
        columns = [name for name, _kind in _TABLES[table]]
        if frame.empty:
            return
        if table in SCALED:  # all integers: binary COPY
            sql = f"COPY {table} ({', '.join(columns)}) FROM STDIN WITH (FORMAT binary)"
            with cursor.cursor.copy(sql) as copy:
                copy.write(_BINARY_HEADER)
                for start in range(0, len(frame), self.block_rows):
                    copy.write(_binary_rows(frame.iloc[start : start + self.block_rows], columns))
                copy.write(_BINARY_TRAILER)
            return
        text_columns = [name for name, kind in _TABLES[table] if kind.startswith("varchar")]
        options = "FORMAT csv"
        if text_columns:
            options += f", FORCE_NOT_NULL ({', '.join(text_columns)})"
        sql = f"COPY {table} ({', '.join(columns)}) FROM STDIN WITH ({options})"
        frame = _dates_as_text(frame)[columns]
        with cursor.cursor.copy(sql) as copy:
            for start in range(0, len(frame), self.block_rows):
                part = frame.iloc[start : start + self.block_rows]
                copy.write(part.to_csv(header=False, index=False, lineterminator="\n"))


# Binary COPY: signature, flags (int32 0) and header extension length (int32 0); -1 ends.
_BINARY_HEADER = b"PGCOPY\n\xff\r\n\x00" + b"\x00\x00\x00\x00" + b"\x00\x00\x00\x00"
_BINARY_TRAILER = b"\xff\xff"


def _binary_rows(frame: pd.DataFrame, columns: list[str]) -> bytes:
    """``bigint`` columns as binary COPY tuples: field count, then (length 8, value) each."""
    layout = [("count", ">i2")]
    for name in columns:
        layout += [(f"{name}_len", ">i4"), (name, ">i8")]
    rows = np.empty(len(frame), dtype=np.dtype(layout))
    rows["count"] = len(columns)
    for name in columns:
        rows[f"{name}_len"] = 8
        values = frame[name].to_numpy(dtype=np.int64)
        null = frame.get(f"{name}_null")
        if null is not None:
            values = np.where(null.to_numpy(dtype=bool), NULL_SENTINEL, values)
        rows[name] = values
    return rows.tobytes()


def import_store(connection: BaseDatabaseWrapper, *, portable: bool = False) -> ImportStore:
    """The adapter for ``connection``: ``COPY`` on PostgreSQL unless ``portable``."""
    if connection.vendor == "postgresql" and not portable:
        return CopyImportStore(connection)
    return ImportStore(connection)
