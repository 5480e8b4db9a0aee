"""Scalar split of one parent among its children: largest remainder, locks, bounds."""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import date
from fractions import Fraction

from allocation.engine.errors import AllocationError
from allocation.engine.exact import (
    check_length,
    format_cents,
    key_names,
    non_negative,
    optional_cents,
    whole_cents,
)


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


def _check_own_bounds(
    names: list[str], locks: list[int | None], lows: list[int | None], highs: list[int | None]
) -> None:
    """Each child's own settings agree: min <= max, a lock within its min and max."""
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
    names = key_names(keys)
    n = len(names)
    check_length(weights, n, "weights")
    total_cents = whole_cents(total, "the total")
    if total_cents < 0:
        raise AllocationError(f"the total can't be negative ({format_cents(total_cents)})")
    locks = optional_cents(locked, n, "locked amount", names)
    lows = optional_cents(mins, n, "minimum", names)
    highs = optional_cents(maxs, n, "maximum", names)
    _check_own_bounds(names, locks, lows, highs)
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
    free_weights = [non_negative(weights[i], "weight", names[i]) for i in free]
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
