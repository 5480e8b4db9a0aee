"""Two-way (row x column) fitting: RAS, max-flow feasibility, Newton finish."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
from scipy.sparse import coo_array
from scipy.sparse.csgraph import connected_components

from allocation.engine.arrays import Cents, Flags, Reals
from allocation.engine.errors import AllocationError
from allocation.engine.exact import check_length, format_cents, key_names, whole_cents
from allocation.engine.precise import newton_scale_decimal
from allocation.engine.rounding import round_table


def ras(
    seed: npt.ArrayLike,
    row_totals: npt.ArrayLike,
    col_totals: npt.ArrayLike,
    *,
    tol: float = 1e-9,
    max_iter: int = 1000,
) -> Reals:
    """Fit a non-negative `seed` to both margins by iterative proportional fitting (RAS).

    Alternately scales rows and columns until every row and column sum is within
    ``tol × max(1, largest total)`` of its total; returns a float matrix (the last step is a
    column scaling, so columns are met to rounding error). Cells in zero-total rows/columns
    become 0. Raises AllocationError for a negative/non-finite seed, unequal grand totals, a
    positive total with no seed weight to carry it, or no convergence in `max_iter` rounds
    (the pattern of zero weights makes the margins impossible or only reachable in the limit).
    """
    matrix = np.array(seed, dtype=np.float64, copy=True)
    rows = np.asarray(row_totals, dtype=np.float64)
    cols = np.asarray(col_totals, dtype=np.float64)
    if matrix.ndim != 2 or matrix.shape != (rows.size, cols.size):
        raise AllocationError(f"seed has shape {matrix.shape}, expected ({rows.size}, {cols.size})")
    if not (np.isfinite(matrix).all() and np.isfinite(rows).all() and np.isfinite(cols).all()):
        raise AllocationError("seed and totals must be finite numbers")
    bad = np.argwhere(matrix < 0)
    if bad.size:
        i, j = (int(v) for v in bad[0])
        raise AllocationError(f"weight of cell ({i}, {j}) is negative ({matrix[i, j]!r})")
    if (rows < 0).any() or (cols < 0).any():
        raise AllocationError("row and column totals can't be negative")
    scale = max(1.0, float(rows.max(initial=0.0)), float(cols.max(initial=0.0)))
    if abs(rows.sum() - cols.sum()) > tol * max(1.0, float(rows.sum())):
        raise AllocationError(
            f"row totals add up to {rows.sum()!r} but column totals to {cols.sum()!r}"
        )
    matrix[rows == 0, :] = 0.0
    matrix[:, cols == 0] = 0.0
    empty_rows = np.flatnonzero((matrix.sum(axis=1) == 0) & (rows > 0))
    if empty_rows.size:
        raise AllocationError(
            f"row {int(empty_rows[0])} has a positive total but no weight in any column "
            f"with a positive total"
        )
    empty_cols = np.flatnonzero((matrix.sum(axis=0) == 0) & (cols > 0))
    if empty_cols.size:
        raise AllocationError(
            f"column {int(empty_cols[0])} has a positive total but no weight in any row "
            f"with a positive total"
        )
    matrix, gap = _ras_loop(matrix, rows, cols, limit=tol * scale, max_iter=max_iter)
    if gap > tol * scale:
        raise AllocationError(
            f"the two-way fit did not converge in {max_iter} rounds (rows still off by up to "
            f"{gap:.3g}); the pattern of zero weights may make the totals impossible to meet"
        )
    return matrix


def _ras_loop(
    matrix: Reals, rows: Reals, cols: Reals, *, limit: float, max_iter: int
) -> tuple[Reals, float]:
    """Scale rows then columns until the largest row gap is ≤ `limit` or stops shrinking.

    Returns the matrix (columns met, up to float rounding) and the final row gap. Stops early
    when 50 rounds in a row improve the gap by less than 0.1 % (float noise or a fit that is
    only reachable in the limit).
    """
    gap = best = math.inf
    stalled = 0
    for _ in range(max_iter):
        row_sums = matrix.sum(axis=1)
        matrix *= np.divide(rows, row_sums, out=np.zeros_like(rows), where=row_sums > 0)[:, None]
        col_sums = matrix.sum(axis=0)
        matrix *= np.divide(cols, col_sums, out=np.zeros_like(cols), where=col_sums > 0)[None, :]
        gap = float(np.abs(matrix.sum(axis=1) - rows).max(initial=0.0))
        if gap <= limit:
            break
        if gap < best * (1 - 1e-3):
            best, stalled = gap, 0
        else:
            stalled += 1
            if stalled >= 50:
                break
    return matrix, gap


def _max_flow(
    capacity_rows: list[int], capacity_cols: list[int], support: Flags
) -> tuple[int, npt.NDArray[np.object_], Flags]:
    """Max flow source → rows → (support cells, unbounded) → cols → sink with Python ints.

    Returns (value, flow per cell as an object matrix, rows reachable from the source in the
    residual graph). Dinic's algorithm; the graph is small (one node per row and column).
    """
    m, n = support.shape
    source, sink = m + n, m + n + 1
    heads: list[list[int]] = [[] for _ in range(m + n + 2)]
    to: list[int] = []
    cap: list[int] = []

    def add(u: int, v: int, c: int) -> int:
        heads[u].append(len(to))
        to.append(v)
        cap.append(c)
        heads[v].append(len(to))
        to.append(u)
        cap.append(0)
        return len(to) - 2

    unbounded = sum(capacity_rows) + 1
    for i, c in enumerate(capacity_rows):
        add(source, i, c)
    for j, c in enumerate(capacity_cols):
        add(m + j, sink, c)
    cell_edge: dict[tuple[int, int], int] = {}
    for i, j in zip(*np.nonzero(support), strict=True):
        cell_edge[(int(i), int(j))] = add(int(i), m + int(j), unbounded)

    def levels() -> list[int]:
        level = [-1] * (m + n + 2)
        level[source] = 0
        queue = [source]
        for u in queue:
            for e in heads[u]:
                if cap[e] > 0 and level[to[e]] < 0:
                    level[to[e]] = level[u] + 1
                    queue.append(to[e])
        return level

    value = 0
    while True:
        level = levels()
        if level[sink] < 0:
            break
        pointer = [0] * (m + n + 2)

        def push(u: int, limit: int, level: list[int] = level, pointer: list[int] = pointer) -> int:
            if u == sink:
                return limit
            while pointer[u] < len(heads[u]):
                e = heads[u][pointer[u]]
                v = to[e]
                if cap[e] > 0 and level[v] == level[u] + 1:
                    pushed = push(v, min(limit, cap[e]))
                    if pushed:
                        cap[e] -= pushed
                        cap[e ^ 1] += pushed
                        return pushed
                pointer[u] += 1
            return 0

        while True:
            pushed = push(source, unbounded)
            if not pushed:
                break
            value += pushed
    flow = np.zeros((m, n), dtype=object)
    for (i, j), e in cell_edge.items():
        flow[i, j] = cap[e ^ 1]
    reach = levels()
    reachable_rows = np.array([reach[i] >= 0 for i in range(m)], dtype=bool)
    return value, flow, reachable_rows


def _prepare_two_way(
    seed: npt.ArrayLike,
    row_totals: Sequence[int],
    col_totals: Sequence[int],
    row_keys: Sequence[str],
    col_keys: Sequence[str],
) -> tuple[Reals, list[int], list[int], list[str], list[str], Cents, Cents]:
    """Validate, sort by keys and build the fitting seed (uniform fill, forced zeros removed)."""
    row_names = key_names(row_keys)
    col_names = key_names(col_keys)
    m, n = len(row_names), len(col_names)
    check_length(row_totals, m, "row totals")
    check_length(col_totals, n, "column totals")
    rows = [
        whole_cents(v, f"row total of {k!r}", k) for v, k in zip(row_totals, row_names, strict=True)
    ]
    cols = [
        whole_cents(v, f"column total of {k!r}", k)
        for v, k in zip(col_totals, col_names, strict=True)
    ]
    for name, value in [*zip(row_names, rows, strict=True), *zip(col_names, cols, strict=True)]:
        if value < 0:
            raise AllocationError(
                f"the total of {name!r} is negative ({format_cents(value)})", child=name
            )
    if sum(rows) != sum(cols):
        raise AllocationError(
            f"row totals add up to {format_cents(sum(rows))} but column totals to "
            f"{format_cents(sum(cols))}; they must be equal"
        )
    weights = np.array(seed, dtype=np.float64)
    if weights.shape != (m, n):
        raise AllocationError(f"seed has shape {weights.shape}, expected ({m}, {n})")
    for i, j in np.argwhere(~np.isfinite(weights) | (weights < 0)):
        cell = f"{row_names[i]}/{col_names[j]}"
        problem = "negative" if weights[i, j] < 0 else "not a finite number"
        raise AllocationError(
            f"weight of cell ({row_names[i]!r}, {col_names[j]!r}) is {problem} ({weights[i, j]!r})",
            child=cell,
        )
    row_order = np.array(sorted(range(m), key=lambda i: row_names[i]), dtype=np.int64)
    col_order = np.array(sorted(range(n), key=lambda j: col_names[j]), dtype=np.int64)
    weights = weights[np.ix_(row_order, col_order)]
    rows = [rows[i] for i in row_order]
    cols = [cols[j] for j in col_order]
    row_names = [row_names[i] for i in row_order]
    col_names = [col_names[j] for j in col_order]
    row_positive = np.array(rows, dtype=object) > 0
    col_positive = np.array(cols, dtype=object) > 0
    weights[~row_positive, :] = 0.0
    weights[:, ~col_positive] = 0.0
    empty_rows = row_positive & (weights.sum(axis=1) == 0)
    weights[np.ix_(empty_rows, col_positive)] = 1.0
    empty_cols = col_positive & (weights.sum(axis=0) == 0)
    weights[np.ix_(row_positive, empty_cols)] = 1.0
    support = weights > 0
    value, flow, reachable = _max_flow(rows, cols, support)
    if value != sum(rows):
        stuck_rows = [row_names[i] for i in np.flatnonzero(reachable & row_positive)]
        reach_cols = [col_names[j] for j in np.flatnonzero(support[reachable].any(axis=0))]
        need = sum(rows[i] for i in np.flatnonzero(reachable))
        have = sum(cols[j] for j in np.flatnonzero(support[reachable].any(axis=0)))
        shown_rows = ", ".join(repr(name) for name in stuck_rows)
        shown_cols = ", ".join(repr(name) for name in reach_cols) or "(none)"
        raise AllocationError(
            f"row(s) {shown_rows} only have weight in column(s) {shown_cols}: together they "
            f"need {format_cents(need)} but those columns total only {format_cents(have)}",
            child=stuck_rows[0] if stuck_rows else None,
        )
    weights[_forced_zeros(support, flow)] = 0.0
    return weights, rows, cols, row_names, col_names, row_order, col_order


def _forced_zeros(support: Flags, flow: npt.NDArray[np.object_]) -> Flags:
    """Cells of the support that are zero in every table meeting the margins.

    A cell with no flow can carry some iff the residual graph has a path back from its column
    to its row, i.e. row and column share a strongly connected component. RAS only converges
    slowly towards such cells, so they are removed before fitting.
    """
    m, n = support.shape
    cells = np.argwhere(support)
    if cells.size == 0:
        return np.zeros_like(support)
    positive = np.array([flow[i, j] > 0 for i, j in cells], dtype=bool)
    sources = np.concatenate([cells[:, 0], m + cells[positive, 1]])
    targets = np.concatenate([m + cells[:, 1], cells[positive, 0]])
    graph = coo_array((np.ones(sources.size), (sources, targets)), shape=(m + n, m + n)).tocsr()
    _, labels = connected_components(graph, directed=True, connection="strong")
    forced = np.zeros_like(support)
    idle = ~positive & (labels[cells[:, 0]] != labels[m + cells[:, 1]])
    forced[cells[idle, 0], cells[idle, 1]] = True
    return forced


def _newton_scale(
    matrix: Reals, rows: Reals, cols: Reals, *, limit: float, max_iter: int = 100
) -> tuple[Reals, float]:
    """Finish a RAS fit with Newton's method on the dual; returns (matrix, largest gap).

    RAS (matrix scaling) converges linearly and can crawl when the seed's zero pattern leaves
    little slack. The same fixpoint minimises the convex function
    Σ a_ij·e^(x_i+y_j) − Σ r_i·x_i − Σ c_j·y_j over the log scaling factors x, y, whose
    Newton steps (Schur complement on the longer side, damped by a backtracking line search)
    converge quadratically near the optimum. Works in units of the grand total.
    """
    if matrix.shape[1] > matrix.shape[0]:
        fitted, gap = _newton_scale(matrix.T, cols, rows, limit=limit, max_iter=max_iter)
        return fitted.T, gap
    grand = float(rows.sum())
    if grand <= 0:
        return matrix, 0.0
    base, r, c, tolerance = matrix / grand, rows / grand, cols / grand, limit / grand
    x = np.zeros(r.size)
    y = np.zeros(c.size)

    def scaled(x: Reals, y: Reals) -> Reals:
        fitted: Reals = base * np.exp(x)[:, None] * np.exp(y)[None, :]
        return fitted

    current = scaled(x, y)
    value = current.sum() - r @ x - c @ y
    gap = math.inf
    for _ in range(max_iter):
        row_sums, col_sums = current.sum(axis=1), current.sum(axis=0)
        grad_r, grad_c = row_sums - r, col_sums - c
        gap = max(float(np.abs(grad_r).max()), float(np.abs(grad_c).max()))
        if gap <= tolerance:
            break
        inverse = np.divide(1.0, row_sums, out=np.zeros_like(row_sums), where=row_sums > 0)
        schur = np.diag(col_sums) - current.T @ (inverse[:, None] * current)
        step_c = np.linalg.lstsq(schur, -grad_c + current.T @ (inverse * grad_r), rcond=None)[0]
        step_r = inverse * (-grad_r - current @ step_c)
        slope = grad_r @ step_r + grad_c @ step_c
        if not slope < 0:
            break
        length = 1.0
        while True:
            new_x, new_y = x + length * step_r, y + length * step_c
            candidate = scaled(new_x, new_y)
            new_value = candidate.sum() - r @ new_x - c @ new_y
            if new_value <= value + 1e-4 * length * slope or length < 1e-8:
                break
            length /= 2
        if new_value > value:
            break
        x, y, current, value = new_x, new_y, candidate, new_value
    return current * grand, gap * grand


def _fit_sorted(weights: Reals, rows: list[int], cols: list[int]) -> Reals:
    """Fit a prepared seed tightly enough that controlled rounding is always feasible.

    If every row and column is within 1/(2·(m+n)) of a cent of its total, the rounding's cut
    conditions, which compare integers, hold exactly. A few hundred RAS rounds usually get
    there; otherwise Newton's method on the same fixpoint finishes the job, in floats, or for
    totals too far apart for floats, in 50-digit decimals (``precise``).
    """
    if weights.size == 0:
        return weights
    m, n = weights.shape
    row_totals = np.array(rows, dtype=np.float64)
    col_totals = np.array(cols, dtype=np.float64)
    limit = 0.5 / (m + n)
    fitted, gap = _ras_loop(weights.copy(), row_totals, col_totals, limit=limit, max_iter=300)
    if gap > limit:
        fitted, gap = _newton_scale(fitted, row_totals, col_totals, limit=limit)
    if gap > limit:  # totals twenty orders of magnitude apart: 16 digits are not enough
        fitted, gap = newton_scale_decimal(fitted, rows, cols, limit=limit)
    if gap > limit:
        raise AllocationError(
            f"the two-way fit did not converge (margins still off by up to {gap:.3g} cents)"
        )
    return fitted


def two_way_fit(
    seed: npt.ArrayLike,
    row_totals: Sequence[int],
    col_totals: Sequence[int],
    *,
    row_keys: Sequence[str],
    col_keys: Sequence[str],
) -> Reals:
    """Return the real-valued RAS fit that :func:`two_way_split` rounds (for checks and UI)."""
    weights, rows, cols, _, _, row_order, col_order = _prepare_two_way(
        seed, row_totals, col_totals, row_keys, col_keys
    )
    fitted = _fit_sorted(weights, rows, cols)
    result = np.empty_like(fitted)
    result[np.ix_(row_order, col_order)] = fitted
    return result


def two_way_split(
    seed: npt.ArrayLike,
    row_totals: Sequence[int],
    col_totals: Sequence[int],
    *,
    row_keys: Sequence[str],
    col_keys: Sequence[str],
) -> Cents:
    """Split a table so every row and every column meets its total exactly, in int64 cents.

    1. Check: totals are whole non-negative cents, Σrows == Σcols, seed non-negative.
    2. Seed: zero rows/columns with a positive total get a uniform seed; cells in zero-total
       rows/columns are 0; cells that are zero in *every* table meeting the margins (found by
       max flow) are dropped so RAS converges fast. If no table on the seed's pattern can meet
       the margins, AllocationError names the rows and columns that block it.
    3. Fit by RAS (iterative proportional fitting), then controlled rounding: every cell is
       floor or ceil of its fitted value, cells with the largest fractional parts round up,
       ties to the lower (row key, col key).

    Works on the table sorted by keys, so the result doesn't depend on row/column order.
    """
    weights, rows, cols, row_names, col_names, row_order, col_order = _prepare_two_way(
        seed, row_totals, col_totals, row_keys, col_keys
    )
    if weights.size == 0:
        return np.zeros(weights.shape, dtype=np.int64)
    fitted = _fit_sorted(weights, rows, cols)
    rounded = round_table(fitted, rows, cols, row_names, col_names)
    result = np.empty_like(rounded)
    result[np.ix_(row_order, col_order)] = rounded
    return result
