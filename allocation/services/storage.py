"""Bulk writes of a plan's target leaves: one small adapter, two implementations.

PostgreSQL gets ``COPY`` (psycopg 3 ``cursor.copy``) for inserts and one ``UPDATE ... FROM
unnest(...)`` for amount changes; every other database gets the portable ``bulk_create`` /
``bulk_update``-style fallback. Both take integer cents and write exact 2-place decimals;
callers own the transaction. ``use_copy=False`` forces the fallback (tests run both paths).
"""

from __future__ import annotations

import datetime as dt
import io
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


def _copy_insert(
    *, plan_id: int, leaves: pd.DataFrame, months: list[dt.date], now: dt.datetime
) -> int:
    """``COPY`` the rows in text format, built column-wise (no Python loop per row)."""
    month_text = np.array([m.isoformat() for m in months], dtype=object)
    stamp = now.isoformat()
    frame = pd.DataFrame(
        {
            "plan_id": plan_id,
            "salesperson_id": leaves["salesperson_id"].to_numpy(dtype=np.int64),
            "product_line_id": leaves["pl_id"].to_numpy(dtype=np.int64),
            "month": month_text[leaves["m"].to_numpy(dtype=np.int64)],
            "amount": _amount_text(leaves["cents"].to_numpy()).to_numpy(),
            "created_at": stamp,
            "updated_at": stamp,
        }
    )
    buffer = io.StringIO()
    frame.to_csv(buffer, sep="\t", header=False, index=False, lineterminator="\n")
    table = TargetCell._meta.db_table
    columns = "plan_id, salesperson_id, product_line_id, month, amount, created_at, updated_at"
    with connection.cursor() as cursor:
        raw = cursor.cursor
        with raw.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
            copy.write(buffer.getvalue())
    return len(frame)


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
