"""The rules a grid change must keep, checked around the edit path (``services.cells``).

Which leaves are frozen by locks, which lock an edit would move, and whether every lock
and bound a change touches still holds afterwards (summed in memory where the leaves are
loaded, by the database elsewhere).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from django.db.models import BigIntegerField, Sum
from django.db.models.functions import Cast, Round

from allocation.engine.errors import AllocationError
from allocation.engine.exact import format_cents
from allocation.models import Plan, TargetCell
from allocation.structure import Cell, PlanStructure


def frozen_leaves(
    structure: PlanStructure, leaves: pd.DataFrame, keeper: Cell | None, extra: Sequence[Cell] = ()
) -> np.ndarray:
    """Leaves inside locked cells (and ``extra`` cells) that do not contain ``keeper``."""
    frozen = np.zeros(len(leaves), dtype=bool)
    cells = [info.cell for info in structure.constraints if info.locked] + list(extra)
    for cell in cells:
        if keeper is not None and structure.contains(cell, keeper):
            continue
        frozen |= structure.mask(cell, leaves)
    return frozen


def lock_holding(structure: PlanStructure, cell: Cell, keeper: Cell | None) -> Cell | None:
    """A locked cell (other than ``cell`` itself) that holds ``cell`` but not ``keeper``,
    the cell an edit keeps: changing ``cell`` would change that lock's amount."""
    for info in structure.constraints:
        if (
            info.locked
            and info.cell.key != cell.key
            and structure.contains(info.cell, cell)
            and (keeper is None or not structure.contains(info.cell, keeper))
        ):
            return info.cell
    return None


def db_cell_sum(plan: Plan, structure: PlanStructure, cell: Cell) -> int:
    """A cell's stored amount in cents, summed by the database."""
    cells = TargetCell.objects.filter(plan=plan)
    if not cell.org.is_root:
        cells = cells.filter(salesperson_id__in=[int(x) for x in structure.members_under(cell.org)])
    if cell.pl is not None:
        cells = cells.filter(product_line_id__in=[int(x) for x in structure.leaves_under(cell.pl)])
    if cell.period != "year":
        months = structure.fiscal.months
        cells = cells.filter(month__in=[months[m] for m in structure.months(cell)])
    total = cells.aggregate(c=Cast(Round(Sum("amount") * 100), BigIntegerField()))["c"]
    return int(total or 0)


def check_changed_constraints(
    *,
    plan: Plan,
    structure: PlanStructure,
    leaves: pd.DataFrame,
    old: np.ndarray,
    new: np.ndarray,
    region: Cell | None,
) -> None:
    """Locks and bounds of every cell the change touches still hold (else AllocationError).

    Only constraints whose sum moves are checked; a cell whose leaves are all in memory
    (inside ``region``) is summed here, any other gets one query (None: always query).
    """
    changed = old != new
    if not changed.any():
        return
    for info in structure.constraints:
        mask = structure.mask(info.cell, leaves)
        delta = int((new[mask] - old[mask]).sum())
        if delta == 0:
            continue
        if info.locked:
            raise AllocationError(f"{info.cell.label} is locked", child=info.cell.label)
        if info.min_cents is None and info.max_cents is None:
            continue
        if region is not None and structure.contains(region, info.cell):
            total = int(new[mask].sum())
        else:
            total = db_cell_sum(plan, structure, info.cell) + delta
        if info.min_cents is not None and total < info.min_cents:
            raise AllocationError(
                f"{info.cell.label} would be {format_cents(total)}, below its minimum "
                f"{format_cents(info.min_cents)}",
                child=info.cell.label,
            )
        if info.max_cents is not None and total > info.max_cents:
            raise AllocationError(
                f"{info.cell.label} would be {format_cents(total)}, above its maximum "
                f"{format_cents(info.max_cents)}",
                child=info.cell.label,
            )
