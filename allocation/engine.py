"""Pure allocation engine: exact splits of integer cents (DESIGN §3).

Everything here works on integer cents (Python ``int`` or ``numpy.int64``) and exact weights
(``Fraction``); floats never decide a cent. No Django: plain numpy, pandas and fractions, so
services call it and tests exercise it without a database.

Conventions shared by every function:

* Every split of a parent among its children sums to the parent **exactly**.
* Rounding is largest remainder: floor each exact share to the cent, then hand the leftover
  cents one at a time to the largest fractional remainders; ties go to the lower key (plain
  string order of the keys).
* Weights may be ``int``, ``Decimal``, ``Fraction``, ``str`` or ``float``. They are read
  exactly: a ``str`` or ``Decimal`` as written; a ``float`` as the shortest decimal with at
  most 12 places that round-trips to it (so ``0.1`` means 1/10), otherwise its ``repr``.
* Invalid or infeasible input raises :class:`AllocationError`; ``.child`` names the offending
  child when there is one. Functions are pure, so an error never leaves anything half done.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Sequence
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from itertools import pairwise

import numpy as np
import pandas as pd

__all__ = [
    "AllocationError",
    "check_child_target",
    "controlled_round",
    "ras",
    "rebalance",
    "rescale",
    "respread",
    "season_custom",
    "season_historical",
    "season_uniform",
    "split",
    "split_days",
    "split_frame",
    "two_way_fit",
    "two_way_split",
    "weights_blend",
    "weights_capacity",
    "weights_equal",
    "weights_growth",
    "weights_historical",
    "weights_manual_percent",
    "weights_potential",
]

_MAX_FLOAT_DECIMALS = 12
_MONTHS = 12
_DEFAULT_RAMP = (Decimal("0.25"), Decimal("0.5"), Decimal("0.75"), Decimal(1))


class AllocationError(ValueError):
    """Infeasible or invalid allocation input. `.child` names the offending child key (or None)."""

    def __init__(self, message: str, *, child: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.child = child


# --------------------------------------------------------------------------------------------
# Exact parsing and formatting helpers
# --------------------------------------------------------------------------------------------


def format_cents(cents: int) -> str:
    """Format integer cents as a money string with thousands separators ("1,234.56")."""
    sign = "-" if cents < 0 else ""
    whole, part = divmod(abs(int(cents)), 100)
    return f"{sign}{whole:,}.{part:02d}"


def _fmt_value(value: object) -> str:
    """Render a user-supplied number the way the user would recognise it."""
    if isinstance(value, float | np.floating):
        return repr(float(value))
    if isinstance(value, Fraction):
        return str(float(value)) if value.denominator != 1 else str(value.numerator)
    return str(value)


def _is_missing(value: object) -> bool:
    """Tell whether a bound/lock entry means "none" (None, pandas NA, NaN)."""
    if value is None or value is pd.NA:
        return True
    return isinstance(value, float | np.floating) and math.isnan(value)


def _float_to_fraction(value: float) -> Fraction:
    """Read a float as the short decimal it was meant to be (0.1 → 1/10); exact and cheap."""
    for places in range(_MAX_FLOAT_DECIMALS + 1):
        scale = 10**places
        scaled = round(value * scale)
        if abs(scaled) < 2**53 and scaled / scale == value:
            return Fraction(scaled, scale)
    return Fraction(Decimal(repr(value)))


def _to_fraction(value: object, what: str, child: str | None = None) -> Fraction:
    """Convert a user number to an exact Fraction or raise naming `what` (and the child)."""
    label = f"{what} of {child!r}" if child is not None else what
    if value is None or value is pd.NA:
        raise AllocationError(f"{label} is missing", child=child)
    if isinstance(value, bool | np.bool_):
        raise AllocationError(f"{label} is not a number ({value!r})", child=child)
    if isinstance(value, int | np.integer):
        return Fraction(int(value))
    if isinstance(value, Fraction):
        return value
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise AllocationError(f"{label} is not a finite number ({value})", child=child)
        return Fraction(value)
    if isinstance(value, float | np.floating):
        as_float = float(value)
        if not math.isfinite(as_float):
            raise AllocationError(f"{label} is not a finite number ({as_float!r})", child=child)
        return _float_to_fraction(as_float)
    if isinstance(value, str):
        try:
            parsed = Decimal(value.strip())
        except InvalidOperation:
            raise AllocationError(f"{label} is not a number ({value!r})", child=child) from None
        if not parsed.is_finite():
            raise AllocationError(f"{label} is not a finite number ({value!r})", child=child)
        return Fraction(parsed)
    if isinstance(value, numbers.Rational):
        return Fraction(int(value.numerator), int(value.denominator))
    raise AllocationError(f"{label} is not a number ({value!r})", child=child)


def _non_negative(value: object, what: str, child: str | None = None) -> Fraction:
    """Convert exactly and reject negatives: "weight of 'S-N1' is negative (-3)"."""
    exact = _to_fraction(value, what, child)
    if exact < 0:
        label = f"{what} of {child!r}" if child is not None else what
        raise AllocationError(f"{label} is negative ({_fmt_value(value)})", child=child)
    return exact


def _to_cents(value: object, what: str, child: str | None = None) -> int:
    """Accept whole cents as int/numpy integer only (money is never a float)."""
    if isinstance(value, int | np.integer) and not isinstance(value, bool | np.bool_):
        return int(value)
    raise AllocationError(
        f"{what} must be a whole number of cents (an integer), got {value!r}", child=child
    )


def _key_names(keys: Sequence[object]) -> list[str]:
    """Return the keys as strings, rejecting duplicates."""
    names = [key if isinstance(key, str) else str(key) for key in keys]
    seen: set[str] = set()
    for name in names:
        if name in seen:
            raise AllocationError(f"duplicate key {name!r}", child=name)
        seen.add(name)
    return names


def _check_length(values: Sequence[object] | None, n: int, what: str) -> None:
    if values is not None and len(values) != n:
        raise AllocationError(f"{what} has {len(values)} entries for {n} children")


def _optional_cents(
    values: Sequence[int | None] | None, n: int, what: str, names: list[str]
) -> list[int | None]:
    """Parse an optional per-child list of cents (None = not set); reject negatives."""
    if values is None:
        return [None] * n
    _check_length(values, n, what)
    parsed: list[int | None] = []
    for name, value in zip(names, values, strict=True):
        if _is_missing(value):
            parsed.append(None)
            continue
        cents = _to_cents(value, f"{what} of {name!r}", name)
        if cents < 0:
            raise AllocationError(
                f"{what} of {name!r} is negative ({format_cents(cents)})", child=name
            )
        parsed.append(cents)
    return parsed


# --------------------------------------------------------------------------------------------
# Scalar split with locks and bounds
# --------------------------------------------------------------------------------------------


def _largest_remainder(total: int, shares: list[Fraction], names: list[str]) -> list[int]:
    """Round exact shares summing to `total` to cents: floors plus leftover by remainder, key."""
    floors = [math.floor(share) for share in shares]
    leftover = total - sum(floors)
    if leftover:
        order = sorted(range(len(shares)), key=lambda j: (-(shares[j] - floors[j]), names[j]))
        for j in order[:leftover]:
            floors[j] += 1
    return floors


def _proportional(total: int, weights: list[Fraction], names: list[str]) -> list[int]:
    """Split `total` by positive-sum weights with integer arithmetic (the unbounded fast path)."""
    denominator = math.lcm(*(w.denominator for w in weights))
    scaled = [w.numerator * (denominator // w.denominator) for w in weights]
    weight_sum = sum(scaled)
    quotients: list[int] = []
    remainders: list[int] = []
    for w in scaled:
        q, r = divmod(total * w, weight_sum)
        quotients.append(q)
        remainders.append(r)
    leftover = total - sum(quotients)
    if leftover:
        order = sorted(range(len(scaled)), key=lambda j: (-remainders[j], names[j]))
        for j in order[:leftover]:
            quotients[j] += 1
    return quotients


def _solve_level(
    target: int, weights: list[Fraction], lows: list[int], highs: list[int | None]
) -> Fraction:
    """Find λ with Σ clip(λ·w_i, lo_i, hi_i) == target (all w_i > 0, feasible target)."""
    constant = Fraction(sum(lows))
    if constant >= target:
        return Fraction(0)
    slope = Fraction(0)
    events: list[tuple[Fraction, int, int]] = []
    for j, weight in enumerate(weights):
        events.append((lows[j] / weight, 0, j))
        high = highs[j]
        if high is not None:
            events.append((high / weight, 1, j))
    events.sort()
    for level, kind, j in events:
        if slope > 0 and constant + slope * level >= target:
            break
        if kind == 0:  # child j leaves its minimum and starts growing with λ
            constant -= lows[j]
            slope += weights[j]
        else:  # child j reaches its maximum and stops growing
            high = highs[j]
            assert high is not None  # noqa: S101 - only max events carry kind 1
            constant += high
            slope -= weights[j]
    if slope <= 0:  # pragma: no cover - excluded by the feasibility checks
        raise AllocationError("bounds leave no room to split the amount")
    return (target - constant) / slope


def _water_fill(
    total: int, weights: list[Fraction], lows: list[int], highs: list[int | None]
) -> list[Fraction]:
    """Return exact shares x_i = clip(λ·w_i, lo_i, hi_i) summing to `total` (clip-and-resplit).

    Zero-weight children sit at their minimum unless every weighted child is at its maximum;
    then they take the overflow equally (within their own bounds).
    """
    positive = [j for j, w in enumerate(weights) if w > 0]
    zero = [j for j, w in enumerate(weights) if w == 0]
    shares = [Fraction(low) for low in lows]
    target = total - sum(lows[j] for j in zero)
    pos_highs = [highs[j] for j in positive]
    capacity = None if any(h is None for h in pos_highs) else sum(h or 0 for h in pos_highs)
    if capacity is not None and target > capacity:
        for j in positive:
            shares[j] = Fraction(highs[j] or 0)
        overflow = _water_fill(
            total - capacity,
            [Fraction(1)] * len(zero),
            [lows[j] for j in zero],
            [highs[j] for j in zero],
        )
        for j, share in zip(zero, overflow, strict=True):
            shares[j] = share
        return shares
    level = _solve_level(
        target, [weights[j] for j in positive], [lows[j] for j in positive], pos_highs
    )
    for j in positive:
        share = max(level * weights[j], Fraction(lows[j]))
        high = highs[j]
        shares[j] = share if high is None else min(share, Fraction(high))
    return shares


def split(
    total: int,
    weights: Sequence[object],
    keys: Sequence[str],
    *,
    locked: Sequence[int | None] | None = None,
    mins: Sequence[int | None] | None = None,
    maxs: Sequence[int | None] | None = None,
) -> list[int]:
    """Split `total` cents among children by weight; the result sums to `total` exactly.

    1. Locked children (``locked[i]`` not None) keep exactly that amount; their weights are
       ignored. ``total - Σlocked`` is split among the others.
    2. Shares are raw_i = rest·w_i/Σw (Σw = 0 → equal split). With ``mins``/``maxs`` (cents,
       None = unbounded) the shares are clipped and the rest re-split until stable
       (water-filling: x_i = clip(λ·w_i, min_i, max_i) for one λ).
    3. Each exact share is floored to the cent and the leftover cents go to the largest
       remainders, ties to the lower key. Bounds hold for the rounded amounts too.

    The result is in input order and, as a key → amount mapping, independent of it. Errors:
    negative total, invalid weight, duplicate key, Σlocked > total, everything locked but not
    adding up, Σmin > rest, Σmax < rest, min > max, a locked amount outside its own bounds.
    """
    names = _key_names(keys)
    n = len(names)
    _check_length(weights, n, "weights")
    total_cents = _to_cents(total, "the total")
    if total_cents < 0:
        raise AllocationError(f"the total can't be negative ({format_cents(total_cents)})")
    locks = _optional_cents(locked, n, "locked amount", names)
    lows = _optional_cents(mins, n, "minimum", names)
    highs = _optional_cents(maxs, n, "maximum", names)
    for name, lock, low, high in zip(names, locks, lows, highs, strict=True):
        if low is not None and high is not None and low > high:
            raise AllocationError(
                f"minimum of {name!r} ({format_cents(low)}) is above its maximum "
                f"({format_cents(high)})",
                child=name,
            )
        if lock is not None and low is not None and lock < low:
            raise AllocationError(
                f"{name!r} is locked at {format_cents(lock)}, below its minimum "
                f"{format_cents(low)}",
                child=name,
            )
        if lock is not None and high is not None and lock > high:
            raise AllocationError(
                f"{name!r} is locked at {format_cents(lock)}, above its maximum "
                f"{format_cents(high)}",
                child=name,
            )
    free = [i for i in range(n) if locks[i] is None]
    locked_sum = sum(lock for lock in locks if lock is not None)
    rest = total_cents - locked_sum
    if rest < 0:
        raise AllocationError(
            f"locked amounts add up to {format_cents(locked_sum)}, more than the total "
            f"{format_cents(total_cents)}"
        )
    if not free:
        if rest:
            raise AllocationError(
                f"every child is locked and the locked amounts add up to "
                f"{format_cents(locked_sum)}, not the total {format_cents(total_cents)}"
            )
        return [lock or 0 for lock in locks]
    free_names = [names[i] for i in free]
    free_weights = [_non_negative(weights[i], "weight", names[i]) for i in free]
    free_lows = [lows[i] or 0 for i in free]
    free_highs = [highs[i] for i in free]
    if sum(free_lows) > rest:
        raise AllocationError(
            f"minimums add up to {format_cents(sum(free_lows))}, more than the "
            f"{format_cents(rest)} to split"
        )
    if all(h is not None for h in free_highs) and sum(h or 0 for h in free_highs) < rest:
        raise AllocationError(
            f"maximums add up to {format_cents(sum(h or 0 for h in free_highs))}, less than "
            f"the {format_cents(rest)} to split"
        )
    if sum(free_weights) == 0:
        free_weights = [Fraction(1)] * len(free)
    if any(free_lows) or any(h is not None for h in free_highs):
        shares = _water_fill(rest, free_weights, free_lows, free_highs)
        amounts = _largest_remainder(rest, shares, free_names)
    else:
        amounts = _proportional(rest, free_weights, free_names)
    result = [lock or 0 for lock in locks]
    for i, amount in zip(free, amounts, strict=True):
        result[i] = amount
    return result


def split_days(total: int, days: Sequence[date]) -> dict[date, int]:
    """Split a month's `total` cents equally over its working `days`; Σ == total exactly.

    Largest remainder: the leftover cents go to the earliest days. Returns the days in order.
    """
    if not days:
        raise AllocationError("there are no working days to spread the amount over")
    ordered = sorted(days)
    amounts = split(total, [1] * len(ordered), [day.isoformat() for day in ordered])
    return dict(zip(ordered, amounts, strict=True))


# --------------------------------------------------------------------------------------------
# Vectorised split of many groups (split_frame, rescale, rebalance)
# --------------------------------------------------------------------------------------------


def _muldiv(x: np.ndarray, y: np.ndarray, d: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """Return (q, r) with x·y == q·d + r and 0 ≤ r < d, exactly, in int64; None if too large.

    The quotient is estimated in float64 and corrected with the remainder computed in
    wrapping int64 arithmetic: the true remainder of the estimate is small, so its value
    modulo 2**64 is the value itself. Needs x, y ≥ 0, 0 < d < 2**60 and x·y/d < 2**52.
    """
    if x.size == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    if int(d.max()) >= 2**60:
        return None
    estimate = x.astype(np.float64) * y.astype(np.float64) / d.astype(np.float64)
    if not float(estimate.max()) < 2.0**52:
        return None
    q = np.floor(estimate).astype(np.int64)
    r = x * y - q * d  # wraps modulo 2**64; exact because the true value is within ±4d
    for _ in range(8):
        low = r < 0
        high = r >= d
        if not (low.any() or high.any()):
            return q, r
        q = q - low + high
        r = r + d * low - d * high
    return None  # pragma: no cover - the estimate is never that far off


def _grouped_largest_remainder(
    *,
    codes: np.ndarray,
    totals: np.ndarray,
    weights: np.ndarray,
    locked_mask: np.ndarray,
    locked_values: np.ndarray,
    ties: np.ndarray,
    label: Callable[[int], str],
) -> np.ndarray:
    """Split totals[g] among the rows with codes == g by weight, exactly; locked rows keep theirs.

    Every group must have at least one row. Σweight of a group's free rows = 0 → equal split
    among them. Leftover cents go to the largest remainders, ties to the lowest `ties` code.
    Uses int64 with an exactness guard and falls back to Python ints for huge values.
    """
    n = codes.size
    groups = totals.size
    free = ~locked_mask
    order = np.argsort(codes, kind="stable")
    g = codes[order]
    starts = np.searchsorted(g, np.arange(groups))
    use_objects = weights.dtype == object or totals.dtype == object
    w = np.where(free, weights, 0)[order]
    if not use_objects and float(w.astype(np.float64).sum()) >= 2.0**62:
        use_objects = True
    if use_objects:
        w = w.astype(object)
    free_sorted = free[order]
    lock_sorted = np.where(locked_mask, locked_values, 0)[order]
    weight_sum = np.add.reduceat(w, starts) if n else w[:0]
    free_count = np.add.reduceat(free_sorted.astype(np.int64), starts) if n else g[:0]
    locked_sum = np.add.reduceat(lock_sorted, starts) if n else g[:0]
    rest = totals - locked_sum
    over = np.flatnonzero(rest < 0)
    if over.size:
        grp = int(over[0])
        raise AllocationError(
            f"locked amounts in {label(grp)} add up to {format_cents(int(locked_sum[grp]))}, "
            f"more than its total {format_cents(int(totals[grp]))}"
        )
    stuck = np.flatnonzero((free_count == 0) & (rest != 0))
    if stuck.size:
        grp = int(stuck[0])
        raise AllocationError(
            f"every row of {label(grp)} is locked and they add up to "
            f"{format_cents(int(locked_sum[grp]))}, not its total {format_cents(int(totals[grp]))}"
        )
    equal = (weight_sum == 0) & (free_count > 0)
    if equal.any():
        w = np.where(equal[g] & free_sorted, 1, w)
        weight_sum = np.where(equal, free_count, weight_sum)
    divisor = np.where(weight_sum == 0, 1, weight_sum)[g]
    amount_rows = rest[g]
    exact = None if use_objects else _muldiv(amount_rows, w.astype(np.int64), divisor)
    if exact is not None:
        q, r = exact
        leftover = rest - np.add.reduceat(q, starts) if n else rest
        rank = np.lexsort((ties[order], -r, locked_mask[order], g))
        position = np.arange(n) - starts[g]
        bonus = np.zeros(n, np.int64)
        bonus[rank] = position < leftover[g]
        amounts_sorted = np.where(free_sorted, q + bonus, lock_sorted)
    else:
        products = amount_rows.astype(object) * w.astype(object)
        q = products // divisor.astype(object)
        r = products - q * divisor.astype(object)
        leftover = rest.astype(object) - np.add.reduceat(q, starts)
        tie_sorted = ties[order]
        rank_list = sorted(range(n), key=lambda i: (g[i], not free_sorted[i], -r[i], tie_sorted[i]))
        bonus = np.zeros(n, dtype=object)
        for pos, i in enumerate(rank_list):
            bonus[i] = 1 if pos - starts[g[i]] < leftover[g[i]] else 0
        amounts_sorted = np.where(free_sorted, q + bonus, lock_sorted.astype(object))
        if all(-(2**63) <= int(a) < 2**63 for a in amounts_sorted):
            amounts_sorted = amounts_sorted.astype(np.int64)
    result = np.empty(n, dtype=amounts_sorted.dtype)
    result[order] = amounts_sorted
    return result


def _exact_integer_weights(values: Sequence[object], names: Sequence[str]) -> np.ndarray:
    """Turn exact weights into integers with one common scale (int64 if it fits, else object)."""
    fractions = [
        _non_negative(value, "weight", name) for value, name in zip(values, names, strict=True)
    ]
    if not fractions:
        return np.zeros(0, np.int64)
    denominator = math.lcm(*{f.denominator for f in fractions})
    scaled = [f.numerator * (denominator // f.denominator) for f in fractions]
    if max(scaled) < 2**62 // max(len(scaled), 1):
        return np.array(scaled, dtype=np.int64)
    return np.array(scaled, dtype=object)


def _weight_column(values: pd.Series, free: np.ndarray, names: pd.Series) -> np.ndarray:
    """Convert a frame's weight column to exact non-negative integers (rows not free → 0)."""

    def fail_at(mask: np.ndarray, problem: str) -> None:
        bad = np.flatnonzero(mask & free)
        if bad.size:
            i = int(bad[0])
            name = str(names.iloc[i])
            raw = values.iloc[i]
            raise AllocationError(
                f"weight of {name!r} is {problem} ({_fmt_value(raw)})", child=name
            )

    dtype = values.dtype
    if pd.api.types.is_bool_dtype(dtype):
        fail_at(np.ones(len(values), bool), "not a number")
    if pd.api.types.is_integer_dtype(dtype):
        missing = values.isna().to_numpy()
        bad = np.flatnonzero(missing & free)
        if bad.size:
            name = str(names.iloc[int(bad[0])])
            raise AllocationError(f"weight of {name!r} is missing", child=name)
        ints = (
            values.fillna(0).to_numpy(dtype=np.int64)
            if missing.any()
            else values.to_numpy(dtype=np.int64)
        )
        fail_at(ints < 0, "negative")
        return np.where(free, ints, 0)
    if pd.api.types.is_float_dtype(dtype):
        floats = values.to_numpy(dtype=np.float64, na_value=np.nan)
        fail_at(~np.isfinite(floats), "not a finite number")
        fail_at(floats < 0, "negative")
        floats = np.where(free, floats, 0.0)
        for places in range(_MAX_FLOAT_DECIMALS + 1):
            scale = float(10**places)
            scaled = np.round(floats * scale)
            if float(np.abs(scaled).max(initial=0.0)) < 2.0**53 and bool(
                np.all(scaled / scale == floats)
            ):
                return scaled.astype(np.int64)
    # Decimals, strings, Fractions, mixed objects, or floats that need their full repr.
    picked = [value if ok else 0 for value, ok in zip(values.tolist(), free, strict=True)]
    return _exact_integer_weights(picked, [str(name) for name in names.tolist()])


def _cents_column(
    values: pd.Series, what: str, allow_missing: bool
) -> tuple[np.ndarray, np.ndarray]:
    """Return (present mask, int64 or object cents) of an integer column; floats are refused."""
    dtype = values.dtype
    present = values.notna().to_numpy()
    if not allow_missing and not present.all():
        raise AllocationError(f"{what} has missing values")
    if pd.api.types.is_integer_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype):
        filled = values.fillna(0) if not present.all() else values
        return present, filled.to_numpy(dtype=np.int64)
    if pd.api.types.is_object_dtype(dtype):
        items = values.tolist()
        cents = [
            0 if not ok else _to_cents(item, what) for item, ok in zip(items, present, strict=True)
        ]
        if all(-(2**62) < c < 2**62 for c in cents):
            return present, np.array(cents, dtype=np.int64)
        return present, np.array(cents, dtype=object)
    raise AllocationError(
        f"{what} must be integer cents (an integer or nullable Int64 column), not {dtype}"
    )


def split_frame(
    frame: pd.DataFrame,
    *,
    group: str | list[str],
    weight: str,
    key: str,
    totals: pd.Series,
    locked: str | None = None,
) -> pd.Series:
    """Split each group's total among its rows by `weight`; every group sums to its total exactly.

    Same rule as :func:`split` without bounds, for many parents at once: `totals` (int cents)
    is indexed by the group value(s) (a MultiIndex for several group columns); each group's
    rows share their total by weight with largest remainder, ties to the lower `key` (string
    order); Σweight of a group = 0 → equal split; an optional nullable-Int64 `locked` column
    keeps those amounts. Returns an int64 Series aligned to ``frame.index``. Vectorised int64
    arithmetic with an exactness guard (Python ints for huge values); no per-group loop.
    """
    group_columns = [group] if isinstance(group, str) else list(group)
    needed = [*group_columns, weight, key] + ([locked] if locked is not None else [])
    for column in needed:
        if column not in frame.columns:
            raise AllocationError(f"column {column!r} is missing from the frame")
    if not totals.index.is_unique:
        duplicated = totals.index[totals.index.duplicated()][0]
        raise AllocationError(f"group {duplicated!r} appears twice in the totals")
    n = len(frame)
    if len(group_columns) == 1:
        group_values: pd.Index = pd.Index(frame[group_columns[0]])
    else:
        group_values = pd.MultiIndex.from_frame(frame[group_columns])
    codes = np.asarray(totals.index.get_indexer(group_values), dtype=np.int64)
    unknown = np.flatnonzero(codes < 0)
    if unknown.size:
        raise AllocationError(f"group {group_values[int(unknown[0])]!r} has rows but no total")
    counts = np.bincount(codes, minlength=len(totals))
    empty = np.flatnonzero(counts == 0)
    if empty.size:
        raise AllocationError(f"group {totals.index[int(empty[0])]!r} has a total but no rows")
    _, total_cents = _cents_column(totals, "totals", allow_missing=False)
    negative = np.flatnonzero(total_cents < 0)
    if negative.size:
        grp = int(negative[0])
        raise AllocationError(
            f"the total of group {totals.index[grp]!r} is negative "
            f"({format_cents(int(total_cents[grp]))})"
        )
    names = frame[key].astype(str)
    ties, uniques = pd.factorize(names, sort=True)
    ties = ties.astype(np.int64)
    pair = codes * max(len(uniques), 1) + ties
    pair_index = pd.Index(pair)
    if n and not pair_index.is_unique:
        i = int(np.flatnonzero(pair_index.duplicated())[0])
        raise AllocationError(
            f"key {names.iloc[i]!r} appears twice in group {group_values[i]!r}",
            child=names.iloc[i],
        )
    if locked is not None:
        locked_mask, locked_values = _cents_column(frame[locked], "locked", allow_missing=True)
        negative = np.flatnonzero(locked_mask & (locked_values < 0))
        if negative.size:
            name = names.iloc[int(negative[0])]
            raise AllocationError(
                f"locked amount of {name!r} is negative "
                f"({format_cents(int(locked_values[int(negative[0])]))})",
                child=name,
            )
    else:
        locked_mask = np.zeros(n, bool)
        locked_values = np.zeros(n, np.int64)
    weights = _weight_column(frame[weight], ~locked_mask, names)
    amounts = _grouped_largest_remainder(
        codes=codes,
        totals=total_cents,
        weights=weights,
        locked_mask=locked_mask,
        locked_values=locked_values,
        ties=ties,
        label=lambda grp: f"group {totals.index[grp]!r}",
    )
    return pd.Series(amounts, index=frame.index)


# --------------------------------------------------------------------------------------------
# Two-way (row × column) fitting and controlled rounding
# --------------------------------------------------------------------------------------------


def ras(
    seed: np.ndarray,
    row_totals: np.ndarray,
    col_totals: np.ndarray,
    *,
    tol: float = 1e-9,
    max_iter: int = 1000,
) -> np.ndarray:
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
    matrix: np.ndarray, rows: np.ndarray, cols: np.ndarray, *, limit: float, max_iter: int
) -> tuple[np.ndarray, float]:
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
    capacity_rows: list[int], capacity_cols: list[int], support: np.ndarray
) -> tuple[int, np.ndarray, np.ndarray]:
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
    seed: np.ndarray,
    row_totals: Sequence[int],
    col_totals: Sequence[int],
    row_keys: Sequence[str],
    col_keys: Sequence[str],
) -> tuple[np.ndarray, list[int], list[int], list[str], list[str], np.ndarray, np.ndarray]:
    """Validate, sort by keys and build the fitting seed (uniform fill, forced zeros removed)."""
    row_names = _key_names(row_keys)
    col_names = _key_names(col_keys)
    m, n = len(row_names), len(col_names)
    _check_length(row_totals, m, "row totals")
    _check_length(col_totals, n, "column totals")
    rows = [
        _to_cents(v, f"row total of {k!r}", k) for v, k in zip(row_totals, row_names, strict=True)
    ]
    cols = [
        _to_cents(v, f"column total of {k!r}", k)
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


def _forced_zeros(support: np.ndarray, flow: np.ndarray) -> np.ndarray:
    """Cells of the support that are zero in every table meeting the margins.

    A cell with no flow can carry some iff the residual graph has a path back from its column
    to its row, i.e. row and column share a strongly connected component. RAS only converges
    slowly towards such cells, so they are removed before fitting.
    """
    from scipy.sparse import coo_array
    from scipy.sparse.csgraph import connected_components

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


def _round_table(
    values: np.ndarray, rows: list[int], cols: list[int], row_names: list[str], col_names: list[str]
) -> np.ndarray:
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
        raise AllocationError(
            "the values can't be rounded to whole cents that meet every row and column total"
        )
    # Cost of rounding a cell up: primary, the missing part of its fraction (quantised to
    # 2**-20); secondary, i·(n−1−j). With both margins fixed only the cross term −i·j of the
    # secondary matters, and it is Monge, so ties resolve towards the north-west-corner
    # solution that pairs lower row keys with lower column keys, as a greedy pass in
    # (row key, col key) order would. `spread` keeps the secondary from outweighing any
    # difference in the primary.
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
    cost = (2**bits - quantised) * spread + row_index * (n - 1 - col_index)
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
        # Bellman-Ford from every surplus column (no negative cycles, see docstring).
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
        short = np.flatnonzero(excess < 0)
        target = int(short[np.argmin(dist[short])])
        if dist[target] >= huge:
            raise AllocationError(
                "the values can't be rounded to whole cents that meet every row and column total"
            )
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
    return base + chosen


def controlled_round(
    values: np.ndarray,
    row_totals: Sequence[int],
    col_totals: Sequence[int],
    *,
    row_keys: Sequence[str] | None = None,
    col_keys: Sequence[str] | None = None,
) -> np.ndarray:
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
    row_names = _key_names(row_keys if row_keys is not None else [f"{i:09d}" for i in range(m)])
    col_names = _key_names(col_keys if col_keys is not None else [f"{j:09d}" for j in range(n)])
    _check_length(row_names, m, "row keys")
    _check_length(col_names, n, "column keys")
    _check_length(row_totals, m, "row totals")
    _check_length(col_totals, n, "column totals")
    rows = [_to_cents(v, "row total") for v in row_totals]
    cols = [_to_cents(v, "column total") for v in col_totals]
    row_order = np.array(sorted(range(m), key=lambda i: row_names[i]), dtype=np.int64)
    col_order = np.array(sorted(range(n), key=lambda j: col_names[j]), dtype=np.int64)
    rounded = _round_table(
        table[np.ix_(row_order, col_order)],
        [rows[i] for i in row_order],
        [cols[j] for j in col_order],
        [row_names[i] for i in row_order],
        [col_names[j] for j in col_order],
    )
    result = np.empty_like(rounded)
    result[np.ix_(row_order, col_order)] = rounded
    return result


def _newton_scale(
    matrix: np.ndarray, rows: np.ndarray, cols: np.ndarray, *, limit: float, max_iter: int = 100
) -> tuple[np.ndarray, float]:
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

    def scaled(x: np.ndarray, y: np.ndarray) -> np.ndarray:
        return base * np.exp(x)[:, None] * np.exp(y)[None, :]

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


def _fit_sorted(weights: np.ndarray, rows: list[int], cols: list[int]) -> np.ndarray:
    """Fit a prepared seed tightly enough that controlled rounding is always feasible.

    If every row and column is within 1/(2·(m+n)) of a cent of its total, the rounding's cut
    conditions, which compare integers, hold exactly. A few hundred RAS rounds usually get
    there; otherwise Newton's method on the same fixpoint finishes the job.
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
    if gap > limit:
        raise AllocationError(
            f"the two-way fit did not converge (margins still off by up to {gap:.3g} cents)"
        )
    return fitted


def two_way_fit(
    seed: np.ndarray,
    row_totals: Sequence[int],
    col_totals: Sequence[int],
    *,
    row_keys: Sequence[str],
    col_keys: Sequence[str],
) -> np.ndarray:
    """Return the real-valued RAS fit that :func:`two_way_split` rounds (for checks and UI)."""
    weights, rows, cols, _, _, row_order, col_order = _prepare_two_way(
        seed, row_totals, col_totals, row_keys, col_keys
    )
    fitted = _fit_sorted(weights, rows, cols)
    result = np.empty_like(fitted)
    result[np.ix_(row_order, col_order)] = fitted
    return result


def two_way_split(
    seed: np.ndarray,
    row_totals: Sequence[int],
    col_totals: Sequence[int],
    *,
    row_keys: Sequence[str],
    col_keys: Sequence[str],
) -> np.ndarray:
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
    rounded = _round_table(fitted, rows, cols, row_names, col_names)
    result = np.empty_like(rounded)
    result[np.ix_(row_order, col_order)] = rounded
    return result


# --------------------------------------------------------------------------------------------
# Weight methods (each returns exact Fractions in input order)
# --------------------------------------------------------------------------------------------


def weights_equal(n: int) -> list[Fraction]:
    """Return `n` equal weights (1 each)."""
    if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 0:
        raise AllocationError(f"the number of children must be a whole number ≥ 0, got {n!r}")
    return [Fraction(1)] * int(n)


def weights_manual_percent(percents: Sequence[object], keys: Sequence[str]) -> list[Fraction]:
    """Turn manual percentages into weights (p/100); each ≥ 0 and Σ exactly 100.

    Exactly 100, no tolerance: percentages are parsed as decimals ("33.33" is 33.33), so a
    user who wants thirds writes 33.34/33.33/33.33 and gets exactly what they typed.
    """
    names = _key_names(keys)
    _check_length(percents, len(names), "percentages")
    exact = [_non_negative(p, "percentage", k) for p, k in zip(percents, names, strict=True)]
    total = sum(exact, Fraction(0))
    if total != 100:
        shown = Decimal(total.numerator) / Decimal(total.denominator)
        raise AllocationError(f"percentages add up to {shown.normalize():f}, not 100")
    return [p / 100 for p in exact]


def weights_historical(
    history: Sequence[int],
    keys: Sequence[str],
    *,
    smoothing: object = 0,
    floor_share: object = 0,
) -> list[Fraction]:
    """Weight children by their share of a base period's actuals (shares sum to 1).

    share_i = h_i/Σh, smoothed toward equal: (1−s)·share_i + s/n with 0 ≤ s ≤ 1. Children
    with no history (h_i ≤ 0; net returns count as 0) get at least `floor_share`
    (0 ≤ floor < 1/n) and the others are scaled down to make room. Σh = 0 → equal.
    """
    names = _key_names(keys)
    n = len(names)
    _check_length(history, n, "history")
    amounts = [
        max(_to_fraction(h, "history", k), Fraction(0)) for h, k in zip(history, names, strict=True)
    ]
    smooth = _to_fraction(smoothing, "smoothing")
    if not 0 <= smooth <= 1:
        raise AllocationError(f"smoothing must be between 0 and 1, got {_fmt_value(smoothing)}")
    floor = _to_fraction(floor_share, "floor share")
    if n and not 0 <= floor < Fraction(1, n):
        raise AllocationError(
            f"floor share must be at least 0 and below 1/{n} (an equal share), "
            f"got {_fmt_value(floor_share)}"
        )
    if n == 0:
        return []
    total = sum(amounts, Fraction(0))
    if total == 0:
        return [Fraction(1, n)] * n
    shares = [(1 - smooth) * h / total + smooth / n for h in amounts]
    newcomers = [i for i in range(n) if amounts[i] == 0]
    if floor > 0 and newcomers:
        lifted = {i: max(shares[i], floor) for i in newcomers}
        room = 1 - sum(lifted.values(), Fraction(0))
        established = sum((shares[i] for i in range(n) if i not in lifted), Fraction(0))
        shares = [lifted[i] if i in lifted else shares[i] * room / established for i in range(n)]
    return shares


def weights_growth(
    last_year: Sequence[int], growth: Sequence[object], keys: Sequence[str]
) -> list[Fraction]:
    """Weight children by last year × (1 + g_i); g is a fraction (0.1 = +10 %), g_i ≥ −1.

    Negative last-year amounts (net returns) count as 0, as in :func:`weights_historical`.
    """
    names = _key_names(keys)
    _check_length(last_year, len(names), "last year")
    _check_length(growth, len(names), "growth")
    result = []
    for base, rate, name in zip(last_year, growth, names, strict=True):
        g = _to_fraction(rate, "growth", name)
        if g < -1:
            raise AllocationError(
                f"growth of {name!r} is below -100% ({_fmt_value(rate)})", child=name
            )
        result.append(max(_to_fraction(base, "last year", name), Fraction(0)) * (1 + g))
    return result


def weights_potential(index: Sequence[object], keys: Sequence[str]) -> list[Fraction]:
    """Weight children by a user-supplied potential index (each ≥ 0)."""
    names = _key_names(keys)
    _check_length(index, len(names), "potential index")
    return [_non_negative(v, "potential index", k) for v, k in zip(index, names, strict=True)]


def _as_date(value: date | None) -> date | None:
    return value.date() if isinstance(value, datetime) else value


def _add_months(month_start: date, months: int) -> date:
    index = month_start.year * 12 + month_start.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def weights_capacity(
    *,
    fte: Sequence[object],
    start: Sequence[date | None],
    end: Sequence[date | None],
    period_start: date,
    months: int = 12,
    ramp: Sequence[object] = _DEFAULT_RAMP,
    keys: Sequence[str],
) -> list[Fraction]:
    """Weight people by capacity: Σ over the period's months of FTE × employed share × ramp.

    * employed share = calendar days employed in the month (start/end inclusive, None =
      open) / days in the month;
    * ramp: the k-th calendar month since the start date's month (the start month is k = 0)
      counts ``ramp[k]``, 1 after the curve ends; people who started before the period keep
      counting from their start date; no start date = fully ramped.

    `period_start` must be the first day of a month; the period is `months` calendar months.
    """
    names = _key_names(keys)
    n = len(names)
    for values, what in ((fte, "FTE"), (start, "start dates"), (end, "end dates")):
        _check_length(values, n, what)
    if isinstance(period_start, datetime):
        period_start = period_start.date()
    if period_start.day != 1:
        raise AllocationError(f"the period must start on the first of a month, not {period_start}")
    if months < 1:
        raise AllocationError(f"the period needs at least one month, got {months}")
    curve = [_non_negative(r, "ramp factor") for r in ramp]
    month_starts = [_add_months(period_start, k) for k in range(months + 1)]
    result = []
    for name, raw_fte, raw_start, raw_end in zip(names, fte, start, end, strict=True):
        full_time = _non_negative(raw_fte, "FTE", name)
        begin, finish = _as_date(raw_start), _as_date(raw_end)
        if begin is not None and finish is not None and begin > finish:
            raise AllocationError(
                f"start date of {name!r} ({begin}) is after the end date ({finish})", child=name
            )
        capacity = Fraction(0)
        for first, after in pairwise(month_starts):
            last = after - timedelta(days=1)
            low = max(first, begin) if begin is not None else first
            high = min(last, finish) if finish is not None else last
            if low > high:
                continue
            share = Fraction((high - low).days + 1, (after - first).days)
            factor = Fraction(1)
            if begin is not None:
                tenure = (first.year - begin.year) * 12 + first.month - begin.month
                factor = curve[tenure] if tenure < len(curve) else Fraction(1)
            capacity += full_time * share * factor
        result.append(capacity)
    return result


def weights_blend(
    a: Sequence[object], b: Sequence[object], alpha: object, *, keys: Sequence[str] | None = None
) -> list[Fraction]:
    """Blend two weightings: alpha·a_i/Σa + (1−alpha)·b_i/Σb with 0 ≤ alpha ≤ 1 (Σ = 1).

    A weighting that sums to 0 counts as equal shares. `keys` only name children in errors.
    """
    if len(a) != len(b):
        raise AllocationError(f"the two weightings have {len(a)} and {len(b)} entries")
    names = _key_names(keys) if keys is not None else [str(i) for i in range(len(a))]
    _check_length(a, len(names), "weights")
    mix = _to_fraction(alpha, "alpha")
    if not 0 <= mix <= 1:
        raise AllocationError(f"alpha must be between 0 and 1, got {_fmt_value(alpha)}")
    n = len(names)
    if n == 0:
        return []

    def shares(values: Sequence[object]) -> list[Fraction]:
        exact = [_non_negative(v, "weight", k) for v, k in zip(values, names, strict=True)]
        total = sum(exact, Fraction(0))
        return [Fraction(1, n)] * n if total == 0 else [v / total for v in exact]

    first, second = shares(a), shares(b)
    return [mix * x + (1 - mix) * y for x, y in zip(first, second, strict=True)]


# --------------------------------------------------------------------------------------------
# Seasonality (12 monthly weights in fiscal order)
# --------------------------------------------------------------------------------------------


def season_uniform() -> list[Fraction]:
    """Return 12 equal monthly shares (1/12 each)."""
    return [Fraction(1, _MONTHS)] * _MONTHS


def season_historical(history: np.ndarray | Sequence[Sequence[int]]) -> list[Fraction]:
    """Average the monthly shares of N base years (rows, 12 months each, fiscal order).

    Negative months (net returns) count as 0; years with a zero total are ignored; if every
    year is zero the profile is uniform. A single flat list of 12 is one base year.
    """
    table = np.asarray(history, dtype=object)
    if table.ndim == 1:
        table = table.reshape(1, -1)
    if table.ndim != 2 or table.shape[1] != _MONTHS:
        raise AllocationError("each base year needs exactly 12 monthly amounts")
    profiles = []
    for number, year in enumerate(table, start=1):
        amounts = [
            max(_to_fraction(v, "history", f"year {number} month {m}"), Fraction(0))
            for m, v in enumerate(year, start=1)
        ]
        total = sum(amounts, Fraction(0))
        if total:
            profiles.append([v / total for v in amounts])
    if not profiles:
        return season_uniform()
    return [sum(month, Fraction(0)) / len(profiles) for month in zip(*profiles, strict=True)]


def season_custom(curve: Sequence[object]) -> list[Fraction]:
    """Normalise a custom curve of 12 non-negative monthly numbers (not all zero) to shares."""
    if len(curve) != _MONTHS:
        raise AllocationError(f"a custom curve needs 12 months, got {len(curve)}")
    exact = [_non_negative(v, "curve value", f"month {m}") for m, v in enumerate(curve, start=1)]
    total = sum(exact, Fraction(0))
    if total == 0:
        raise AllocationError("a custom curve can't be all zero")
    return [v / total for v in exact]


# --------------------------------------------------------------------------------------------
# Editing: rebalance, rescale, respread
# --------------------------------------------------------------------------------------------


def _int_array(values: np.ndarray, what: str) -> np.ndarray:
    array = np.asarray(values)
    if array.ndim != 1:
        raise AllocationError(f"{what} must be a 1-D array")
    if array.size and not (np.issubdtype(array.dtype, np.integer) or array.dtype == object):
        raise AllocationError(f"{what} must be integer cents, not {array.dtype}")
    if array.dtype == object:
        return np.array([_to_cents(v, what) for v in array], dtype=np.int64)
    return array.astype(np.int64, copy=False)


def _tie_codes(keys: Sequence[str] | None, n: int) -> np.ndarray:
    if keys is None:
        return np.arange(n, dtype=np.int64)
    names = _key_names(keys)
    _check_length(names, n, "keys")
    codes, _ = pd.factorize(pd.Series(names, dtype=object), sort=True)
    return codes.astype(np.int64)


def rescale(
    *,
    amounts: np.ndarray,
    new_total: int,
    frozen: np.ndarray | None = None,
    keys: Sequence[str] | None = None,
) -> np.ndarray:
    """Re-split a cell's leaves to `new_total` cents in their current proportions; Σ exact.

    Frozen leaves keep their amount; the free leaves share ``new_total − Σfrozen`` by their
    current amounts (equal if they are all zero), largest remainder, ties to the lower key
    (or the earlier position without keys).
    """
    current = _int_array(amounts, "amounts")
    n = current.size
    target = _to_cents(new_total, "the new total")
    if target < 0:
        raise AllocationError(f"a total can't be negative ({format_cents(target)})")
    keep = np.zeros(n, bool) if frozen is None else np.asarray(frozen, dtype=bool)
    if keep.shape != (n,):
        raise AllocationError("frozen must have one flag per amount")
    names = _key_names(keys) if keys is not None else None
    negative = np.flatnonzero(~keep & (current < 0))
    if negative.size:
        i = int(negative[0])
        who = names[i] if names is not None else None
        raise AllocationError(
            f"can't rescale a negative amount ({format_cents(int(current[i]))})",
            child=who,
        )
    frozen_sum = int(current[keep].sum())
    if target < frozen_sum:
        raise AllocationError(
            f"the new total {format_cents(target)} is below the locked part "
            f"{format_cents(frozen_sum)}"
        )
    if keep.all() and target != frozen_sum:
        raise AllocationError(
            f"everything is locked ({format_cents(frozen_sum)}); the total can't become "
            f"{format_cents(target)}"
        )
    if n == 0:
        return np.zeros(0, np.int64)
    return _grouped_largest_remainder(
        codes=np.zeros(n, np.int64),
        totals=np.array([target], dtype=np.int64),
        weights=np.where(keep, 0, current),
        locked_mask=keep,
        locked_values=np.where(keep, current, 0),
        ties=_tie_codes(keys, n),
        label=lambda _: "the cell",
    ).astype(np.int64)


def check_child_target(
    *,
    label: str,
    child: str,
    target: int,
    total: int,
    frozen_part: int,
    free_leaves: int,
    locked: bool,
    low: int | None,
    high: int | None,
) -> None:
    """Refuse a new total for one child of an edit: locked, below what is locked inside it,
    everything inside locked, or outside its own bounds (``label`` names it in messages)."""
    if locked:
        raise AllocationError(f"{label} is locked; unlock it before changing it", child=child)
    if target < frozen_part:
        raise AllocationError(
            f"{label} can't go below {format_cents(frozen_part)}, the amount locked inside it",
            child=child,
        )
    if free_leaves == 0 and target != total:
        raise AllocationError(
            f"everything inside {label} is locked, so it has to stay at {format_cents(total)}",
            child=child,
        )
    if low is not None and target < low:
        raise AllocationError(
            f"{label} can't go below its minimum of {format_cents(low)}", child=child
        )
    if high is not None and target > high:
        raise AllocationError(
            f"{label} can't go above its maximum of {format_cents(high)}", child=child
        )


def rebalance(
    *,
    amounts: np.ndarray,
    sibling: np.ndarray,
    sibling_keys: Sequence[str],
    edited: int,
    new_amount: int,
    frozen: np.ndarray | None = None,
    locked_siblings: Sequence[bool] | None = None,
    mins: Sequence[int | None] | None = None,
    maxs: Sequence[int | None] | None = None,
    leaf_keys: Sequence[str] | None = None,
) -> np.ndarray:
    """Set one child of a parent to `new_amount` and rebalance its siblings; Σ stays the same.

    1. The edited child's total becomes `new_amount` (not below its frozen part, within its
       own bounds, not a locked child).
    2. Locked siblings keep their totals; the other siblings share
       ``parent − new_amount − Σlocked`` in proportion to their current totals (equal if all
       zero) via :func:`split`, each at least its frozen part and within `mins`/`maxs`.
    3. Inside every child, the free leaves are re-split to its new total in proportion to
       their current amounts (equal among them if all zero); frozen leaves keep theirs.
       Leaf ties go to the lower `leaf_keys` (default: the earlier leaf).

    Returns new int64 leaf amounts in input order. Raises AllocationError with a message for a
    manager when the edit is impossible; nothing is computed partially.
    """
    current = _int_array(amounts, "amounts")
    n = current.size
    names = _key_names(sibling_keys)
    k = len(names)
    owner = np.asarray(sibling)
    if owner.shape != (n,) or (n and not np.issubdtype(owner.dtype, np.integer)):
        raise AllocationError("sibling must give one child index per leaf")
    owner = owner.astype(np.int64)
    if n and (owner.min() < 0 or owner.max() >= k):
        raise AllocationError(f"sibling indexes must be between 0 and {k - 1}")
    if not 0 <= edited < k:
        raise AllocationError(f"edited must be a child index between 0 and {k - 1}")
    target = _to_cents(new_amount, "the new amount", names[edited])
    child = names[edited]
    who = repr(child)
    if target < 0:
        raise AllocationError(
            f"{who} can't be set to a negative amount ({format_cents(target)})", child=child
        )
    keep = np.zeros(n, bool) if frozen is None else np.asarray(frozen, dtype=bool)
    if keep.shape != (n,):
        raise AllocationError("frozen must have one flag per leaf")
    locks = [False] * k if locked_siblings is None else [bool(x) for x in locked_siblings]
    _check_length(locks, k, "locked siblings")
    lows = _optional_cents(mins, k, "minimum", names)
    highs = _optional_cents(maxs, k, "maximum", names)
    child_totals = np.zeros(k, np.int64)
    np.add.at(child_totals, owner, current)
    child_frozen = np.zeros(k, np.int64)
    np.add.at(child_frozen, owner, np.where(keep, current, 0))
    totals = [int(v) for v in child_totals]
    frozen_parts = [int(v) for v in child_frozen]
    parent = sum(totals)
    free_leaves = np.bincount(owner[~keep], minlength=k) if n else np.zeros(k, np.int64)
    check_child_target(
        label=who,
        child=child,
        target=target,
        total=totals[edited],
        frozen_part=frozen_parts[edited],
        free_leaves=int(free_leaves[edited]),
        locked=locks[edited],
        low=lows[edited],
        high=highs[edited],
    )
    # A sibling whose leaves are all frozen can't move either: treat it as locked.
    fixed = [locks[c] or free_leaves[c] == 0 for c in range(k)]
    others = [c for c in range(k) if c != edited and not fixed[c]]
    locked_total = sum(totals[c] for c in range(k) if c != edited and fixed[c])
    room = parent - target - locked_total
    if room < 0:
        raise AllocationError(
            f"{who} can be at most {format_cents(parent - locked_total)}: the parent total is "
            f"{format_cents(parent)} and {format_cents(locked_total)} of it is locked in "
            f"other items",
            child=child,
        )
    new_totals = list(totals)
    new_totals[edited] = target
    if others:
        try:
            shares = split(
                room,
                [totals[c] if totals[c] > 0 else 0 for c in others],
                [names[c] for c in others],
                mins=[max(frozen_parts[c], lows[c] or 0, 0) for c in others],
                maxs=[highs[c] for c in others],
            )
        except AllocationError as error:
            raise AllocationError(
                f"can't set {who} to {format_cents(target)}: the other unlocked items would "
                f"have to share {format_cents(room)}, but {error.message}",
                child=child,
            ) from error
        for c, share in zip(others, shares, strict=True):
            new_totals[c] = share
    elif room != 0:
        raise AllocationError(
            f"can't change {who}: there is no unlocked item next to it to take up the "
            f"difference of {format_cents(room)} (the parent total stays "
            f"{format_cents(parent)})",
            child=child,
        )
    if n == 0:
        return np.zeros(0, np.int64)
    # Children whose total didn't change keep every leaf as it is.
    changed = np.array(new_totals, dtype=np.int64) != child_totals
    keep_leaf = keep | ~changed[owner]
    negative = np.flatnonzero(~keep_leaf & (current < 0))
    if negative.size:
        name = names[int(owner[int(negative[0])])]
        raise AllocationError(
            f"{name!r} has a negative amount inside it "
            f"({format_cents(int(current[int(negative[0])]))}) and can't be re-split",
            child=name,
        )
    return _grouped_largest_remainder(
        codes=owner,
        totals=np.array(new_totals, dtype=np.int64),
        weights=np.where(keep_leaf, 0, current),
        locked_mask=keep_leaf,
        locked_values=np.where(keep_leaf, current, 0),
        ties=_tie_codes(leaf_keys, n),
        label=lambda c: repr(names[c]),
    ).astype(np.int64)


def respread(
    *,
    annual: int,
    month_targets: Sequence[int],
    month_actuals: Sequence[int | None],
    closed: int,
) -> list[int]:
    """Re-spread what remains of the annual target over the open months; Σ exact.

    Months are in fiscal order and the first `closed` are over: they take their actuals
    (None → 0). The open months share ``max(annual − actual to date, 0)`` in proportion to
    their current targets (equal if those are all zero), largest remainder, earlier month
    first on ties. The result sums to ``max(annual, actual to date)``: if the actual to date
    already exceeds the annual target, the open months get 0 and the row's total becomes the
    actual to date (a target can't be lower than what is already achieved).
    """
    n = len(month_targets)
    _check_length(month_actuals, n, "month actuals")
    total = _to_cents(annual, "the annual target")
    if total < 0:
        raise AllocationError(f"the annual target can't be negative ({format_cents(total)})")
    if isinstance(closed, bool) or not 0 <= closed <= n:
        raise AllocationError(f"closed must be between 0 and {n}, got {closed!r}")
    labels = [f"month {i + 1:02d}" for i in range(n)]
    targets = [
        _to_cents(t, f"target of {labels[i]}", labels[i]) for i, t in enumerate(month_targets)
    ]
    actuals = [
        0 if _is_missing(a) else _to_cents(a, f"actual of {labels[i]}", labels[i])
        for i, a in enumerate(month_actuals)
    ]
    done = actuals[:closed]
    to_date = sum(done)
    remaining = max(total - to_date, 0)
    open_months = list(range(closed, n))
    if not open_months:
        if remaining:
            raise AllocationError(
                f"every month is closed; {format_cents(remaining)} of the annual target has "
                f"no month left to go to"
            )
        return done
    for i in open_months:
        if targets[i] < 0:
            raise AllocationError(
                f"target of {labels[i]} is negative ({format_cents(targets[i])})",
                child=labels[i],
            )
    spread = split(remaining, [targets[i] for i in open_months], [labels[i] for i in open_months])
    return done + spread
