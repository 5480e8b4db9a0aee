"""The two-way fit's last resort: Newton's method on the dual in 50-digit decimal arithmetic.

Float64 Newton (``twoway._newton_scale``) finishes almost every fit, but a table whose totals
span twenty orders of magnitude (a row of 6.5 billion currency units beside rows of one
cent, say) makes its linear systems too ill-conditioned for 16 digits: it stalls a few
cents short of the margins, which is more than controlled rounding can absorb. The same
iteration in decimals of 50 digits does not: the tables are small (regions x product lines),
so a few Newton steps on a few hundred cells cost well under a second, and only such
tables ever get here.
"""

from __future__ import annotations

from decimal import Decimal, localcontext

import numpy as np

from allocation.engine.arrays import Reals

DIGITS = 50


def _solve(matrix: list[list[Decimal]], rhs: list[Decimal]) -> list[Decimal]:
    """Solve a symmetric positive semi-definite system by elimination with partial pivoting;
    a variable whose pivot vanishes (a direction the system doesn't fix) is set to zero."""
    n = len(rhs)
    a = [[*row, b] for row, b in zip(matrix, rhs, strict=True)]
    scale = max((abs(v) for row in matrix for v in row), default=Decimal(0))
    tiny = scale * Decimal(10) ** (-(DIGITS - 10))
    pivots: list[int | None] = [None] * n
    row = 0
    for col in range(n):
        best = max(range(row, n), key=lambda k: abs(a[k][col]), default=None)
        if best is None or abs(a[best][col]) <= tiny:
            continue
        a[row], a[best] = a[best], a[row]
        for k in range(n):
            if k != row and a[k][col]:
                factor = a[k][col] / a[row][col]
                a[k] = [v - factor * p for v, p in zip(a[k], a[row], strict=True)]
        pivots[col] = row
        row += 1
    return [Decimal(0) if p is None else a[p][n] / a[p][col] for col, p in enumerate(pivots)]


def newton_scale_decimal(
    matrix: Reals, rows: list[int], cols: list[int], *, limit: float, max_iter: int = 60
) -> tuple[Reals, float]:
    """Scale ``matrix`` (non-negative) to whole-cent margins ``rows``/``cols`` by Newton's
    method on the dual, minimising Σ a_ij·e^(x_i+y_j) − Σ r_i·x_i − Σ c_j·y_j in 50-digit
    decimals; returns (matrix, largest margin gap in cents).

    Works in units of the grand total, eliminates the rows (Schur complement on the
    columns) and backtracks on the objective, as the float version does.
    """
    if matrix.shape[1] > matrix.shape[0]:
        fitted, gap = newton_scale_decimal(matrix.T, cols, rows, limit=limit, max_iter=max_iter)
        return fitted.T, gap
    m, n = matrix.shape
    with localcontext() as context:
        context.prec = DIGITS
        grand = Decimal(sum(rows))
        if grand <= 0:
            return matrix, 0.0
        cells = [
            (int(i), int(j), Decimal(float(matrix[i, j])) / grand)
            for i, j in np.argwhere(matrix > 0)
        ]
        r = [Decimal(v) / grand for v in rows]
        c = [Decimal(v) / grand for v in cols]
        tolerance = Decimal(limit) / grand
        x, y = [Decimal(0)] * m, [Decimal(0)] * n

        def scaled(x: list[Decimal], y: list[Decimal]) -> list[Decimal]:
            return [a * (x[i] + y[j]).exp() for i, j, a in cells]

        def objective(values: list[Decimal], x: list[Decimal], y: list[Decimal]) -> Decimal:
            return sum(values, Decimal(0)) - _dot(r, x) - _dot(c, y)

        current = scaled(x, y)
        value = objective(current, x, y)
        worst = Decimal("Infinity")
        for _ in range(max_iter):
            row_sums, col_sums = [Decimal(0)] * m, [Decimal(0)] * n
            for (i, j, _a), v in zip(cells, current, strict=True):
                row_sums[i] += v
                col_sums[j] += v
            grad_r = [s - t for s, t in zip(row_sums, r, strict=True)]
            grad_c = [s - t for s, t in zip(col_sums, c, strict=True)]
            worst = max(abs(g) for g in (*grad_r, *grad_c))
            if worst <= tolerance:
                break
            step_r, step_c = _newton_step(cells, current, row_sums, col_sums, grad_r, grad_c)
            slope = _dot(grad_r, step_r) + _dot(grad_c, step_c)
            if not slope < 0:
                break
            length = Decimal(1)
            while True:
                new_x = [a + length * b for a, b in zip(x, step_r, strict=True)]
                new_y = [a + length * b for a, b in zip(y, step_c, strict=True)]
                candidate = scaled(new_x, new_y)
                new_value = objective(candidate, new_x, new_y)
                if new_value <= value + Decimal("1e-4") * length * slope or length < Decimal(
                    "1e-12"
                ):
                    break
                length /= 2
            if new_value > value:
                break
            x, y, current, value = new_x, new_y, candidate, new_value
        fitted = np.zeros(matrix.shape, dtype=np.float64)
        for (i, j, _a), v in zip(cells, current, strict=True):
            fitted[i, j] = float(v * grand)
        return fitted, float(worst * grand)


def _dot(a: list[Decimal], b: list[Decimal]) -> Decimal:
    return sum((p * q for p, q in zip(a, b, strict=True)), Decimal(0))


def _newton_step(
    cells: list[tuple[int, int, Decimal]],
    current: list[Decimal],
    row_sums: list[Decimal],
    col_sums: list[Decimal],
    grad_r: list[Decimal],
    grad_c: list[Decimal],
) -> tuple[list[Decimal], list[Decimal]]:
    """The Newton direction: rows eliminated, the columns' Schur complement solved."""
    m, n = len(row_sums), len(col_sums)
    by_row: list[list[tuple[int, Decimal]]] = [[] for _ in range(m)]
    for (i, j, _a), v in zip(cells, current, strict=True):
        by_row[i].append((j, v))
    inverse = [Decimal(0) if s == 0 else 1 / s for s in row_sums]
    schur = [[Decimal(0)] * n for _ in range(n)]
    rhs = [-g for g in grad_c]
    for j in range(n):
        schur[j][j] = col_sums[j]
    for i, entries in enumerate(by_row):
        if not entries:
            continue
        for j, v in entries:
            rhs[j] += v * inverse[i] * grad_r[i]
            for k, w in entries:
                schur[j][k] -= v * w * inverse[i]
    step_c = _solve(schur, rhs)
    step_r = [
        inverse[i] * (-grad_r[i] - sum((v * step_c[j] for j, v in entries), Decimal(0)))
        for i, entries in enumerate(by_row)
    ]
    return step_r, step_c
