"""Vectorised split of many groups at once (split_frame and its exact integer core)."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd

from allocation.engine.arrays import Cents, ExactInts, Flags
from allocation.engine.errors import AllocationError
from allocation.engine.exact import (
    MAX_FLOAT_DECIMALS,
    fmt_value,
    format_cents,
    non_negative,
    whole_cents,
)


def _muldiv(x: Cents, y: Cents, d: Cents) -> tuple[Cents, Cents] | None:
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


def grouped_largest_remainder(
    *,
    codes: Cents,
    totals: ExactInts,
    weights: ExactInts,
    locked_mask: Flags,
    locked_values: ExactInts,
    ties: Cents,
    label: Callable[[int], str],
) -> ExactInts:
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


def _exact_integer_weights(values: Sequence[object], names: Sequence[str]) -> ExactInts:
    """Turn exact weights into integers with one common scale (int64 if it fits, else object)."""
    fractions = [
        non_negative(value, "weight", name) for value, name in zip(values, names, strict=True)
    ]
    if not fractions:
        return np.zeros(0, np.int64)
    denominator = math.lcm(*{f.denominator for f in fractions})
    scaled = [f.numerator * (denominator // f.denominator) for f in fractions]
    if max(scaled) < 2**62 // max(len(scaled), 1):
        return np.array(scaled, dtype=np.int64)
    return np.array(scaled, dtype=object)


def _weight_column(values: pd.Series, free: Flags, names: pd.Series) -> ExactInts:
    """Convert a frame's weight column to exact non-negative integers (rows not free → 0)."""

    def fail_at(mask: Flags, problem: str) -> None:
        bad = np.flatnonzero(mask & free)
        if bad.size:
            i = int(bad[0])
            name = str(names.iloc[i])
            raw = values.iloc[i]
            raise AllocationError(f"weight of {name!r} is {problem} ({fmt_value(raw)})", child=name)

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
        for places in range(MAX_FLOAT_DECIMALS + 1):
            scale = float(10**places)
            scaled = np.round(floats * scale)
            if float(np.abs(scaled).max(initial=0.0)) < 2.0**53 and bool(
                np.all(scaled / scale == floats)
            ):
                return scaled.astype(np.int64)
    # Decimals, strings, Fractions, mixed objects, or floats that need their full repr.
    picked = [value if ok else 0 for value, ok in zip(values.tolist(), free, strict=True)]
    return _exact_integer_weights(picked, [str(name) for name in names.tolist()])


def _cents_column(values: pd.Series, what: str, allow_missing: bool) -> tuple[Flags, ExactInts]:
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
            0 if not ok else whole_cents(item, what)
            for item, ok in zip(items, present, strict=True)
        ]
        if all(-(2**62) < c < 2**62 for c in cents):
            return present, np.array(cents, dtype=np.int64)
        return present, np.array(cents, dtype=object)
    raise AllocationError(
        f"{what} must be integer cents (an integer or nullable Int64 column), not {dtype}"
    )


def _locked_column(
    frame: pd.DataFrame, locked: str | None, names: pd.Series
) -> tuple[Flags, ExactInts]:
    """(mask, cents) of the rows that keep a locked amount (none without a column)."""
    n = len(frame)
    if locked is None:
        return np.zeros(n, bool), np.zeros(n, np.int64)
    locked_mask, locked_values = _cents_column(frame[locked], "locked", allow_missing=True)
    negative = np.flatnonzero(locked_mask & (locked_values < 0))
    if negative.size:
        name = names.iloc[int(negative[0])]
        raise AllocationError(
            f"locked amount of {name!r} is negative "
            f"({format_cents(int(locked_values[int(negative[0])]))})",
            child=name,
        )
    return locked_mask, locked_values


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
    locked_mask, locked_values = _locked_column(frame, locked, names)
    weights = _weight_column(frame[weight], ~locked_mask, names)
    amounts = grouped_largest_remainder(
        codes=codes,
        totals=total_cents,
        weights=weights,
        locked_mask=locked_mask,
        locked_values=locked_values,
        ties=ties,
        label=lambda grp: f"group {totals.index[grp]!r}",
    )
    return pd.Series(amounts, index=frame.index)
