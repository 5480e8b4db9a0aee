"""Weight methods: each returns exact weights for one set of children."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import date, datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from itertools import pairwise
from typing import Any

import numpy as np
import pandas as pd

from allocation.engine.errors import AllocationError
from allocation.engine.exact import check_length, fmt_value, key_names, non_negative, to_fraction
from allocation.engine.fiscal import month_add

_DEFAULT_RAMP = (Decimal("0.25"), Decimal("0.5"), Decimal("0.75"), Decimal(1))


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
    names = key_names(keys)
    check_length(percents, len(names), "percentages")
    exact = [non_negative(p, "percentage", k) for p, k in zip(percents, names, strict=True)]
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
    names = key_names(keys)
    n = len(names)
    check_length(history, n, "history")
    amounts = [
        max(to_fraction(h, "history", k), Fraction(0)) for h, k in zip(history, names, strict=True)
    ]
    smooth = to_fraction(smoothing, "smoothing")
    if not 0 <= smooth <= 1:
        raise AllocationError(f"smoothing must be between 0 and 1, got {fmt_value(smoothing)}")
    floor = to_fraction(floor_share, "floor share")
    if n and not 0 <= floor < Fraction(1, n):
        raise AllocationError(
            f"floor share must be at least 0 and below 1/{n} (an equal share), "
            f"got {fmt_value(floor_share)}"
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
    names = key_names(keys)
    check_length(last_year, len(names), "last year")
    check_length(growth, len(names), "growth")
    result = []
    for base, rate, name in zip(last_year, growth, names, strict=True):
        g = to_fraction(rate, "growth", name)
        if g < -1:
            raise AllocationError(
                f"growth of {name!r} is below -100% ({fmt_value(rate)})", child=name
            )
        result.append(max(to_fraction(base, "last year", name), Fraction(0)) * (1 + g))
    return result


def weights_potential(index: Sequence[object], keys: Sequence[str]) -> list[Fraction]:
    """Weight children by a user-supplied potential index (each ≥ 0)."""
    names = key_names(keys)
    check_length(index, len(names), "potential index")
    return [non_negative(v, "potential index", k) for v, k in zip(index, names, strict=True)]


def _as_date(value: date | None) -> date | None:
    return value.date() if isinstance(value, datetime) else value


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
    names = key_names(keys)
    n = len(names)
    for values, what in ((fte, "FTE"), (start, "start dates"), (end, "end dates")):
        check_length(values, n, what)
    if isinstance(period_start, datetime):
        period_start = period_start.date()
    if period_start.day != 1:
        raise AllocationError(f"the period must start on the first of a month, not {period_start}")
    if months < 1:
        raise AllocationError(f"the period needs at least one month, got {months}")
    curve = [non_negative(r, "ramp factor") for r in ramp]
    month_starts = [month_add(period_start, k) for k in range(months + 1)]
    result = []
    for name, raw_fte, raw_start, raw_end in zip(names, fte, start, end, strict=True):
        full_time = non_negative(raw_fte, "FTE", name)
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
    names = key_names(keys) if keys is not None else [str(i) for i in range(len(a))]
    check_length(a, len(names), "weights")
    mix = to_fraction(alpha, "alpha")
    if not 0 <= mix <= 1:
        raise AllocationError(f"alpha must be between 0 and 1, got {fmt_value(alpha)}")
    n = len(names)
    if n == 0:
        return []

    def shares(values: Sequence[object]) -> list[Fraction]:
        exact = [non_negative(v, "weight", k) for v, k in zip(values, names, strict=True)]
        total = sum(exact, Fraction(0))
        return [Fraction(1, n)] * n if total == 0 else [v / total for v in exact]

    first, second = shares(a), shares(b)
    return [mix * x + (1 - mix) * y for x, y in zip(first, second, strict=True)]


_INT_WEIGHT_LIMIT = 10**15


_WEIGHT_SCALE = 10**12


def fractions_to_int_weights(values: Sequence[Fraction]) -> list[int]:
    """Scale exact non-negative weights to proportional integers (exact when they fit).

    With a common denominator up to 10**15 the integers are exactly proportional; beyond
    that (e.g. averages of many historical shares) each weight is rounded to 10**-12 of the
    largest one, which can move a cent only on a tie closer than that.
    """
    fractions = [Fraction(v) for v in values]
    if not fractions:
        return []
    denominator = math.lcm(*(f.denominator for f in fractions))
    scaled = [f.numerator * (denominator // f.denominator) for f in fractions]
    if max(scaled, default=0) <= _INT_WEIGHT_LIMIT:
        return scaled
    top = max(fractions)
    return [round(f / top * _WEIGHT_SCALE) for f in fractions]


def _present(values: pd.Series) -> list[object]:
    """Values with pandas' missing markers (None, NaN, NA) as None."""
    return [None if v is None or (not isinstance(v, str) and pd.isna(v)) else v for v in values]


def _as_fraction_series(values: pd.Series) -> pd.Series:
    return values.map(lambda v: Fraction(v) if v is not None and not pd.isna(v) else None)


ORG_METHODS = ("equal", "manual", "historical", "growth", "potential", "capacity", "blend")


PRODUCT_LINE_METHODS = ("historical", "company", "equal", "manual")


def effective_floor(floor: Fraction, n: int) -> Fraction:
    """The floor share for new entities in a group of ``n``: capped just below an equal share.

    A floor at or above 1/n would give newcomers more than everybody else; the engine refuses
    it, so a floor configured for large groups is capped at 99 % of an equal share in small
    ones.
    """
    if n <= 1 or floor <= 0:
        return Fraction(0)
    return min(floor, Fraction(99, 100 * n))


def org_level_weights(children: pd.DataFrame, spec: Mapping[str, Any]) -> pd.Series:
    """Weights of one org level's children under ``spec`` (a cleaned method spec).

    ``children`` has one row per child: ``parent`` (group), ``code``, and the inputs the
    methods read: ``history`` (cents of the base period), ``last_year`` (cents),
    ``growth`` / ``potential`` / ``manual`` (Decimal or None), ``capacity`` (Fraction).
    Returns weights aligned to ``children.index`` (ints or Fractions; the engine reads both
    exactly). Methods that depend on the whole group (smoothing, floors, manual percentages,
    blends) are computed per group; the rest are row-wise.
    """
    method = spec["method"]
    if children.empty:
        return pd.Series([], dtype=object, index=children.index)
    if method == "equal":
        return pd.Series(1, index=children.index, dtype=np.int64)
    if method == "historical":
        smoothing = Fraction(spec.get("smoothing") or 0)
        floor = Fraction(spec.get("floor_share") or 0)
        history = children["history"].clip(lower=0).astype(np.int64)
        if smoothing == 0 and floor == 0:
            return history
        out = pd.Series(0, index=children.index, dtype=object)
        for _, group in children.groupby("parent", sort=False):
            shares = weights_historical(
                group["history"].astype(np.int64).tolist(),
                group["code"].astype(str).tolist(),
                smoothing=smoothing,
                floor_share=effective_floor(floor, len(group)),
            )
            out.loc[group.index] = np.array(shares, dtype=object)
        return out
    if method == "growth":
        default = Fraction(spec.get("growth") or 0)
        rates = _as_fraction_series(children["growth"]).map(lambda g: default if g is None else g)
        weights = weights_growth(
            children["last_year"].astype(np.int64).tolist(),
            rates.tolist(),
            [f"{p}/{c}" for p, c in zip(children["parent"], children["code"], strict=True)],
        )
        return pd.Series(weights, index=children.index, dtype=object)
    if method == "potential":
        weights = weights_potential(_present(children["potential"]), children["code"].tolist())
        return pd.Series(weights, index=children.index, dtype=object)
    if method == "capacity":
        return pd.Series(children["capacity"].tolist(), index=children.index, dtype=object)
    if method == "manual":
        out = pd.Series(0, index=children.index, dtype=object)
        for parent, group in children.groupby("parent", sort=False):
            percents = [0 if v is None else v for v in _present(group["manual"])]
            try:
                weights = weights_manual_percent(percents, group["code"].tolist())
            except AllocationError as error:
                raise AllocationError(
                    f"manual percentages under {group['parent_code'].iloc[0]}: {error.message}",
                    child=error.child or str(parent),
                ) from error
            out.loc[group.index] = np.array(weights, dtype=object)
        return out
    if method == "blend":
        first = org_level_weights(children, spec["a"])
        second = org_level_weights(children, spec["b"])
        alpha = Fraction(spec["alpha"])
        out = pd.Series(0, index=children.index, dtype=object)
        for _, group in children.groupby("parent", sort=False):
            blended = weights_blend(
                first.loc[group.index].tolist(),
                second.loc[group.index].tolist(),
                alpha,
                keys=group["code"].tolist(),
            )
            out.loc[group.index] = np.array(blended, dtype=object)
        return out
    raise AllocationError(f"unknown method {method!r}")
