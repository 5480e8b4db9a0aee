"""Controlled rounding of a real table to whole cents meeting both margins."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from allocation.engine.arrays import Cents, Reals
from allocation.engine.errors import AllocationError
from allocation.engine.exact import check_length, key_names, whole_cents

_UNROUNDABLE = "the values can't be rounded to whole cents that meet every row and column total"


def _round_up_cost(fractions: Reals) -> Cents:
    """Integer cost of rounding each cell up.

    Primary, the missing part of its fraction (quantised to 2**-20); secondary, i·(n−1−j).
    With both margins fixed only the cross term −i·j of the secondary matters, and it is
    Monge, so ties resolve towards the north-west-corner solution that pairs lower row keys
    with lower column keys, as a greedy pass in (row key, col key) order would. `spread`
    keeps the secondary from outweighing any difference in the primary.
    """
    m, n = fractions.shape
    cells = m * n
    spread = cells * cells + 1
    bits = 20
    while bits > 8 and (2**bits + 1) * spread * (m + n + 2) >= 2**60:
        bits -= 1
    if (2**bits + 1) * spread * (m + n + 2) >= 2**60:  # pragma: no cover - enormous tables
        spread = 1
    quantised = np.rint(fractions * 2**bits).astype(np.int64)
    row_index = np.arange(m, dtype=np.int64)[:, None]
    col_index = np.arange(n, dtype=np.int64)[None, :]
    cost: Cents = (2**bits - quantised) * spread + row_index * (n - 1 - col_index)
    return cost


def _shortest_from_surplus(step: Cents, excess: Cents, huge: np.int64) -> tuple[Cents, Cents]:
    """Bellman-Ford over columns from every surplus column: (distance, previous column).

    ``step[j, j']`` is the cheapest move of one rounded-up cell from column j to j'; there
    are no negative cycles (see :func:`round_table`).
    """
    n = step.shape[0]
    dist = np.where(excess > 0, 0, huge).astype(np.int64)
    previous = np.full(n, -1, dtype=np.int64)
    for _ in range(n):
        usable = (dist[:, None] < huge) & (step < huge)
        reach = np.where(usable, dist[:, None] + step, huge)
        best_from = reach.argmin(axis=0)
        best = reach[best_from, np.arange(n)]
        better = best < dist
        if not better.any():
            break
        dist = np.where(better, best, dist)
        previous = np.where(better, best_from, previous)
    return dist, previous


def round_table(
    values: Reals, rows: list[int], cols: list[int], row_names: list[str], col_names: list[str]
) -> Cents:
    """Round `values` (rows/cols already in key order) to int64 meeting both margins exactly.

    Every cell becomes floor or ceil. Which cells round up is a min-cost transportation
    problem solved exactly in integers: each row first takes its cheapest cells; surplus
    columns then pass units to short columns along shortest augmenting paths (successive
    shortest paths: each row's start is optimal for that row, so there are no negative
    cycles, and every augmentation keeps the solution optimal).
    """
    m, n = values.shape
    floors = np.floor(values)
    fractions = values - floors
    base = floors.astype(np.int64)
    eligible = fractions > 0
    row_need = np.array(rows, dtype=np.int64) - base.sum(axis=1)
    col_need = np.array(cols, dtype=np.int64) - base.sum(axis=0)
    problem = (
        (row_need < 0).any()
        or (col_need < 0).any()
        or (row_need > eligible.sum(axis=1)).any()
        or (col_need > eligible.sum(axis=0)).any()
        or row_need.sum() != col_need.sum()
    )
    if problem:
        raise AllocationError(_UNROUNDABLE)
    cost = _round_up_cost(fractions)
    chosen = np.zeros((m, n), dtype=bool)
    huge = np.int64(2**61)
    row_cost = np.where(eligible, cost, huge)
    for i in range(m):
        need = int(row_need[i])
        if need:
            chosen[i, np.argsort(row_cost[i], kind="stable")[:need]] = True
    excess = chosen.sum(axis=0) - col_need
    for _ in range(int(excess[excess > 0].sum())):
        # Cheapest way to move one rounded-up cell of a row from column j to column j'.
        droppable = chosen
        takeable = ~chosen & eligible
        valid = droppable[:, :, None] & takeable[:, None, :]
        moves = np.where(valid, cost[:, None, :] - cost[:, :, None], huge)
        via = moves.argmin(axis=0)
        step = np.take_along_axis(moves, via[None, :, :], axis=0)[0]
        dist, previous = _shortest_from_surplus(step, excess, huge)
        short = np.flatnonzero(excess < 0)
        target = int(short[np.argmin(dist[short])])
        if dist[target] >= huge:
            raise AllocationError(_UNROUNDABLE)
        column = target
        for _ in range(n):
            origin = int(previous[column])
            if origin < 0:
                break
            row = int(via[origin, column])
            chosen[row, origin] = False
            chosen[row, column] = True
            column = origin
        excess[column] -= 1
        excess[target] += 1
    rounded: Cents = base + chosen
    return rounded


def controlled_round(
    values: npt.ArrayLike,
    row_totals: Sequence[int],
    col_totals: Sequence[int],
    *,
    row_keys: Sequence[str] | None = None,
    col_keys: Sequence[str] | None = None,
) -> Cents:
    """Round a real table to int64 so that every row and column sums exactly to its total.

    Each cell becomes the floor or ceiling of its value; the cells rounded up are those with
    the largest fractional parts overall (an exact min-cost transportation problem), ties to
    the lower (row key, col key); keys default to the positions. Deterministic and
    independent of row/column order. The values should meet the margins (e.g. a RAS fit);
    if no floor/ceil table meets them, AllocationError.
    """
    table = np.asarray(values, dtype=np.float64)
    if table.ndim != 2:
        raise AllocationError("values must be a 2-D table")
    m, n = table.shape
    if not np.isfinite(table).all():
        raise AllocationError("values must be finite numbers")
    row_names = key_names(row_keys if row_keys is not None else [f"{i:09d}" for i in range(m)])
    col_names = key_names(col_keys if col_keys is not None else [f"{j:09d}" for j in range(n)])
    check_length(row_names, m, "row keys")
    check_length(col_names, n, "column keys")
    check_length(row_totals, m, "row totals")
    check_length(col_totals, n, "column totals")
    rows = [whole_cents(v, "row total") for v in row_totals]
    cols = [whole_cents(v, "column total") for v in col_totals]
    row_order = np.array(sorted(range(m), key=lambda i: row_names[i]), dtype=np.int64)
    col_order = np.array(sorted(range(n), key=lambda j: col_names[j]), dtype=np.int64)
    rounded = round_table(
        table[np.ix_(row_order, col_order)],
        [rows[i] for i in row_order],
        [cols[j] for j in col_order],
        [row_names[i] for i in row_order],
        [col_names[j] for j in col_order],
    )
    result = np.empty_like(rounded)
    result[np.ix_(row_order, col_order)] = rounded
    return result
