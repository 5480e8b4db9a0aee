"""Bulk writes of a plan's target leaves: one small adapter, two implementations.

PostgreSQL gets binary ``COPY`` (psycopg 3 ``cursor.copy``) for inserts and one ``UPDATE ... FROM
unnest(...)`` for amount changes; every other database gets the portable ``bulk_create`` /
``bulk_update``-style fallback. Both take integer cents and write exact 2-place decimals;
callers own the transaction. ``use_copy=False`` forces the fallback (tests run both paths).
"""

from __future__ import annotations

import datetime as dt
import struct
from decimal import Decimal

import numpy as np
import pandas as pd
from django.db import connection
from django.utils import timezone

from allocation.models import TargetCell

_BATCH = 5000


def _postgres(use_copy: bool | None) -> bool:
    return connection.vendor == "postgresql" and use_copy is not False


def _amount_text(cents: np.ndarray) -> pd.Series:
    """Non-negative integer cents -> "1234.56" strings, vectorised, no float anywhere."""
    values = pd.Series(np.asarray(cents, dtype=np.int64))
    whole = (values // 100).astype(str)
    part = (values % 100).astype(str).str.zfill(2)
    return whole + "." + part


def target_cells_insert(
    *, plan_id: int, leaves: pd.DataFrame, months: list[dt.date], use_copy: bool | None = None
) -> int:
    """Insert leaves (``salesperson_id, pl_id, m, cents``; ``m`` indexes ``months``).

    The plan must have no cell at those coordinates (the unique key would refuse them).
    Returns the number of rows written.
    """
    if leaves.empty:
        return 0
    now = timezone.now()
    if _postgres(use_copy):
        return _copy_insert(plan_id=plan_id, leaves=leaves, months=months, now=now)
    month_list = list(months)
    sp = leaves["salesperson_id"].to_numpy(dtype=np.int64).tolist()
    pl = leaves["pl_id"].to_numpy(dtype=np.int64).tolist()
    m = leaves["m"].to_numpy(dtype=np.int64).tolist()
    cents = leaves["cents"].to_numpy(dtype=np.int64).tolist()
    objects = [
        TargetCell(
            plan_id=plan_id,
            salesperson_id=s,
            product_line_id=p,
            month=month_list[k],
            amount=Decimal(c).scaleb(-2),
            created_at=now,
            updated_at=now,
        )
        for s, p, k, c in zip(sp, pl, m, cents, strict=True)
    ]
    TargetCell.objects.bulk_create(objects, batch_size=_BATCH)
    return len(objects)


_PG_EPOCH = dt.date(2000, 1, 1)
_ROW = np.dtype(
    [
        ("fields", ">i2"),
        ("plan_len", ">i4"), ("plan", ">i8"),
        ("sp_len", ">i4"), ("sp", ">i8"),
        ("pl_len", ">i4"), ("pl", ">i8"),
        ("month_len", ">i4"), ("month", ">i4"),
        ("amount_len", ">i4"), ("ndigits", ">i2"), ("weight", ">i2"), ("sign", ">u2"),
        ("dscale", ">i2"), ("d0", ">i2"), ("d1", ">i2"), ("d2", ">i2"), ("d3", ">i2"),
        ("created_len", ">i4"), ("created", ">i8"),
        ("updated_len", ">i4"), ("updated", ">i8"),
    ]
)  # fmt: skip
_MAX_CENTS = 10**14  # numeric(14, 2)


def _binary_rows(
    *, plan_id: int, leaves: pd.DataFrame, months: list[dt.date], now: dt.datetime
) -> bytes:
    """The leaves in PostgreSQL's binary COPY format, built column-wise with numpy.

    Amounts are numerics with 4 base-10000 digits (weight 2, scale 2: 10^8, 10^4, 1 and the
    cents), which covers numeric(14, 2); PostgreSQL strips the leading zero digits itself.
    Dates are days and timestamps microseconds since 2000-01-01 (UTC).
    """
    cents = leaves["cents"].to_numpy(dtype=np.int64)
    if cents.size and (cents.min() < 0 or cents.max() >= _MAX_CENTS):
        raise ValueError("target amounts must be between 0 and 999,999,999,999.99")
    whole, part = np.divmod(cents, 100)
    days = np.array([(m - _PG_EPOCH).days for m in months], dtype=np.int32)
    stamp = int((now - dt.datetime(2000, 1, 1, tzinfo=dt.UTC)).total_seconds() * 1_000_000)
    rows = np.zeros(cents.size, dtype=_ROW)
    rows["fields"] = 7
    rows["plan_len"], rows["plan"] = 8, plan_id
    rows["sp_len"], rows["sp"] = 8, leaves["salesperson_id"].to_numpy(dtype=np.int64)
    rows["pl_len"], rows["pl"] = 8, leaves["pl_id"].to_numpy(dtype=np.int64)
    rows["month_len"], rows["month"] = 4, days[leaves["m"].to_numpy(dtype=np.int64)]
    rows["amount_len"], rows["ndigits"], rows["weight"], rows["dscale"] = 16, 4, 2, 2
    rows["d0"] = whole // 10**8
    rows["d1"] = (whole // 10**4) % 10**4
    rows["d2"] = whole % 10**4
    rows["d3"] = part * 100
    rows["created_len"], rows["created"] = 8, stamp
    rows["updated_len"], rows["updated"] = 8, stamp
    header = b"PGCOPY\n\xff\r\n\x00" + struct.pack(">ii", 0, 0)
    return header + rows.tobytes() + struct.pack(">h", -1)


def _copy_insert(
    *, plan_id: int, leaves: pd.DataFrame, months: list[dt.date], now: dt.datetime
) -> int:
    """``COPY ... (FORMAT BINARY)`` the rows; no Python loop per row."""
    payload = _binary_rows(plan_id=plan_id, leaves=leaves, months=months, now=now)
    table = TargetCell._meta.db_table
    columns = "plan_id, salesperson_id, product_line_id, month, amount, created_at, updated_at"
    with connection.cursor() as cursor:
        raw = cursor.cursor
        with raw.copy(f"COPY {table} ({columns}) FROM STDIN (FORMAT BINARY)") as copy:
            copy.write(payload)
    return len(leaves)


def target_cells_delete(*, plan_id: int) -> int:
    """Delete every leaf of a plan in one statement (no per-row signals or collection)."""
    cells = TargetCell.objects.filter(plan_id=plan_id)
    return cells._raw_delete(cells.db)


def target_amounts_update(
    *, ids: np.ndarray, cents: np.ndarray, use_copy: bool | None = None
) -> int:
    """Set the amounts of existing leaves (by primary key) in one statement on PostgreSQL."""
    ids = np.asarray(ids, dtype=np.int64)
    if ids.size == 0:
        return 0
    cents = np.asarray(cents, dtype=np.int64)
    now = timezone.now()
    table = TargetCell._meta.db_table
    with connection.cursor() as cursor:
        if _postgres(use_copy):
            cursor.execute(
                f"UPDATE {table} AS t SET amount = v.cents::numeric / 100, updated_at = %s "  # noqa: S608 - our table
                "FROM unnest(%s::bigint[], %s::bigint[]) AS v(id, cents) WHERE t.id = v.id",
                [now, ids.tolist(), cents.tolist()],
            )
            return cursor.rowcount
        stamp = connection.ops.adapt_datetimefield_value(now)
        text = _amount_text(cents).tolist()
        cursor.executemany(
            f"UPDATE {table} SET amount = %s, updated_at = %s WHERE id = %s",  # noqa: S608
            [(a, stamp, i) for a, i in zip(text, ids.tolist(), strict=True)],
        )
        return int(ids.size)
