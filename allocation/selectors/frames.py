"""A plan's leaves and per-person monthly sums as integer-cent numpy/pandas frames."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from django.db import connections
from django.db.models import BigIntegerField, F, Sum
from django.db.models.functions import Cast, ExtractMonth, ExtractYear, Round

from allocation.engine.fiscal import MONTHS
from allocation.measures import actual_sum
from allocation.models import ActualCell, Plan, TargetCell
from allocation.structure import PlanStructure, PlNode

ID_FILTER_LIMIT = 5000  # more ids than this: read the plan's leaves and filter in memory


def plan_leaves_frame(
    *,
    plan: Plan,
    structure: PlanStructure,
    salesperson_ids: np.ndarray | None = None,
    pl_ids: np.ndarray | None = None,
    months: tuple[int, ...] | None = None,
    ids: np.ndarray | None = None,
) -> pd.DataFrame:
    """A plan's target leaves as ``id, salesperson_id, pl_id, m, cents`` (int64, cents).

    ``ids`` narrows them to those target cells (a long list is filtered after reading)."""
    cells = TargetCell.objects.filter(plan=plan)
    if ids is not None and len(ids) <= ID_FILTER_LIMIT:
        cells = cells.filter(id__in=[int(x) for x in ids])
    if salesperson_ids is not None and len(salesperson_ids) < len(structure.member_ids):
        cells = cells.filter(salesperson_id__in=[int(x) for x in salesperson_ids])
    if pl_ids is not None and len(pl_ids) < len(structure.leaf_ids):
        cells = cells.filter(product_line_id__in=[int(x) for x in pl_ids])
    if months is not None and len(months) < MONTHS:
        all_months = structure.fiscal.months
        cells = cells.filter(month__in=[all_months[m] for m in months])
    query = (
        cells.annotate(
            calendar_year=ExtractYear("month"),
            calendar_month=ExtractMonth("month"),
            cents=Cast(Round(F("amount") * 100), BigIntegerField()),
        )
        .order_by()
        .values_list(
            "id", "salesperson_id", "product_line_id", "calendar_year", "calendar_month", "cents"
        )
    )
    # Plain integers straight from the cursor: the ORM's per-row converters would double the
    # cost of reading the leaves under a large parent.
    sql, params = query.query.sql_with_params()
    with connections[query.db].cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    frame = pd.DataFrame(
        np.array(rows, dtype=np.int64).reshape(-1, 6),
        columns=["id", "salesperson_id", "pl_id", "year", "month", "cents"],
    )
    first = structure.fiscal.year * 12 + structure.fiscal.start_month - 1
    frame["m"] = frame["year"] * 12 + frame["month"] - 1 - first
    if ids is not None and len(ids) > ID_FILTER_LIMIT:
        frame = frame.loc[frame["id"].isin(ids)]
    return frame[["id", "salesperson_id", "pl_id", "m", "cents"]].astype(np.int64)


def sum_cents(field: str = "amount", scale: int = 100) -> Any:
    return Cast(Round(Sum(field) * scale), BigIntegerField())


def month_index_frame(
    rows: list[tuple], structure: PlanStructure, columns: list[str]
) -> pd.DataFrame:
    """Rows of (key, month date, value) -> a frame with the fiscal month index ``m``."""
    frame = pd.DataFrame(rows, columns=columns)
    if frame.empty:
        frame["m"] = pd.Series([], dtype=np.int64)
        return frame
    first = structure.fiscal.year * 12 + structure.fiscal.start_month - 1
    frame["m"] = [d.year * 12 + d.month - 1 - first for d in frame["month"]]
    return frame


def plan_person_month_cents(
    *, structure: PlanStructure, pl: PlNode | None = None, salesperson_ids: np.ndarray | None = None
) -> np.ndarray:
    """Targets per (plan member, fiscal month) in cents: a members x 12 matrix.

    Rows follow ``structure.member_ids``. One aggregate query.
    """
    cells = TargetCell.objects.filter(plan=structure.plan)
    if pl is not None:
        cells = cells.filter(product_line_id__in=[int(x) for x in structure.leaves_under(pl)])
    if salesperson_ids is not None and len(salesperson_ids) < len(structure.member_ids):
        cells = cells.filter(salesperson_id__in=[int(x) for x in salesperson_ids])
    rows = list(
        cells.order_by()
        .values("salesperson_id", "month")
        .annotate(cents=sum_cents())
        .values_list("salesperson_id", "month", "cents")
    )
    return _person_month_matrix(rows, structure)


def plan_person_month_actuals(
    *, structure: PlanStructure, pl: PlNode | None = None, salesperson_ids: np.ndarray | None = None
) -> np.ndarray:
    """Actuals per (plan member, fiscal month) in 1/10000 of the currency unit (exact)."""
    months = structure.fiscal.months
    cells = ActualCell.objects.filter(
        month__gte=months[0],
        month__lte=months[-1],
        product_line_id__in=[int(x) for x in structure.leaves_under(pl)],
    )
    if salesperson_ids is not None and len(salesperson_ids) < len(structure.member_ids):
        cells = cells.filter(salesperson_id__in=[int(x) for x in salesperson_ids])
    else:
        cells = cells.filter(salesperson__in=structure.plan.salespeople.all())
    rows = list(
        cells.order_by()
        .values("salesperson_id", "month")
        .annotate(units=actual_sum(structure.plan.measure, scale=10000))
        .values_list("salesperson_id", "month", "units")
    )
    return _person_month_matrix(rows, structure)


def _person_month_matrix(rows: list[tuple], structure: PlanStructure) -> np.ndarray:
    matrix = np.zeros((len(structure.member_ids), MONTHS), dtype=np.int64)
    if not rows:
        return matrix
    frame = month_index_frame(rows, structure, ["salesperson_id", "month", "value"])
    position = pd.Index(structure.member_ids).get_indexer(pd.Index(frame["salesperson_id"]))
    keep = (position >= 0) & (frame["m"].between(0, MONTHS - 1)).to_numpy()
    np.add.at(
        matrix,
        (position[keep], frame["m"].to_numpy()[keep]),
        frame["value"].fillna(0).to_numpy(dtype=np.int64)[keep],
    )
    return matrix


def plan_row_month_actuals(*, structure: PlanStructure, rows: pd.Index, closed: int) -> np.ndarray:
    """Actual cents of the first ``closed`` fiscal months for each (salesperson, line) row.

    Returns a ``len(rows) x 12`` int64 table (open months and rows without actuals are 0).
    """
    table = np.zeros((len(rows), MONTHS), dtype=np.int64)
    months = structure.fiscal.months
    actual = list(
        ActualCell.objects.filter(
            month__gte=months[0],
            month__lte=months[closed - 1],
            salesperson_id__in=[int(x) for x in structure.member_ids],
            product_line_id__in=[int(x) for x in structure.leaf_ids],
        )
        .order_by()
        .values("salesperson_id", "product_line_id", "month")
        .annotate(cents=actual_sum(structure.plan.measure))
        .values_list("salesperson_id", "product_line_id", "month", "cents")
    )
    if not actual:
        return table
    frame = pd.DataFrame(actual, columns=["salesperson_id", "pl_id", "month", "cents"])
    frame["m"] = [structure.fiscal.month_index(m) for m in frame["month"]]
    position = rows.get_indexer(pd.MultiIndex.from_frame(frame[["salesperson_id", "pl_id"]]))
    keep = position >= 0
    np.add.at(
        table,
        (position[keep], frame["m"].to_numpy(dtype=np.int64)[keep]),
        frame["cents"].to_numpy(dtype=np.int64)[keep],
    )
    return table
