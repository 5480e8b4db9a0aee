"""Pure scorecard maths: KPI points by rule, weighted score, rank and percentile. No Django.

* **Linear to target with a cap**: points = 100 × min(actual / target, cap).
* **Threshold bands**: points of the highest band whose ``from`` ≤ actual / target; below the
  first band 0.
* No positive target → 0 points (never infinity).
* Score = Σ weight_i × points_i / 100, with weights in percent summing to 100; every KPI's
  points and the score are rounded half-up to 2 places.
* Rank: 1 = best; equal scores share a rank and the next rank skips (1, 2, 2, 4).
* Percentile within the peer group: 100 × (n − rank) / (n − 1), so the best is 100 and the
  worst 0; a group of one is 100. Equal scores share a percentile.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, localcontext

import pandas as pd

LINEAR = "linear"
BANDS = "bands"
HUNDRED = Decimal(100)
POINTS = Decimal("0.01")


class ScoringError(ValueError):
    """A template whose weights or rules cannot score."""


@dataclass(frozen=True)
class Band:
    start: Decimal  # achievement ratio where the band begins
    points: Decimal


def achievement(actual: Decimal | None, target: Decimal | None) -> Decimal | None:
    """actual / target, exact enough for any band edge; None without a positive target."""
    if actual is None or target is None or target <= 0:
        return None
    with localcontext() as ctx:
        ctx.prec = 40
        return Decimal(actual) / Decimal(target)


def kpi_points(
    *,
    actual: Decimal | None,
    target: Decimal | None,
    rule: str,
    cap: Decimal | None = None,
    bands: Sequence[Band] = (),
) -> Decimal:
    """The KPI's points (100 = on target), rounded half-up to 2 places."""
    ratio = achievement(actual, target)
    if ratio is None:
        return Decimal("0.00")
    if rule == LINEAR:
        points = HUNDRED * (ratio if cap is None else min(ratio, cap))
        points = max(points, Decimal(0))
    elif rule == BANDS:
        reached = [band for band in sorted(bands, key=lambda b: b.start) if band.start <= ratio]
        points = reached[-1].points if reached else Decimal(0)
    else:
        raise ScoringError(f"unknown rule {rule!r}")
    return points.quantize(POINTS, rounding=ROUND_HALF_UP)


def check_weights(weights: Sequence[Decimal]) -> None:
    """Weights are percentages that sum to exactly 100."""
    if any(w < 0 for w in weights):
        raise ScoringError("a weight can't be negative")
    if sum(weights, Decimal(0)) != HUNDRED:
        raise ScoringError(f"weights add up to {sum(weights, Decimal(0))} %, not 100 %")


def weighted_score(items: Sequence[tuple[Decimal, Decimal]]) -> Decimal:
    """Σ weight × points / 100 over (weight %, points) pairs, half-up to 2 places."""
    total = sum((weight * points for weight, points in items), Decimal(0)) / HUNDRED
    return total.quantize(POINTS, rounding=ROUND_HALF_UP)


def rank_within_groups(scores: Mapping[str, Decimal], groups: Mapping[str, str]) -> pd.DataFrame:
    """Rank (1 = best, ties share, competition style) and percentile per key in its group.

    Returns a frame indexed by key with ``group``, ``score``, ``rank``, ``percentile``.
    """
    keys = sorted(scores)
    frame = pd.DataFrame(
        {
            "group": [groups[k] for k in keys],
            # Scores have 2 places: integer hundredths rank exactly, with no float ties.
            "hundredths": [int(scores[k] * 100) for k in keys],
        },
        index=pd.Index(keys, name="key"),
    )
    if frame.empty:
        return frame.assign(score=[], rank=[], percentile=[])
    frame["rank"] = (
        frame.groupby("group")["hundredths"].rank(method="min", ascending=False).astype(int)
    )
    sizes = frame.groupby("group")["hundredths"].transform("size")
    frame["score"] = pd.Series([scores[k] for k in keys], index=frame.index, dtype=object)
    percentiles = [
        HUNDRED
        if n <= 1
        else (HUNDRED * (n - r) / (n - 1)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
        for n, r in zip(sizes, frame["rank"], strict=True)
    ]
    frame["percentile"] = pd.Series(percentiles, index=frame.index, dtype=object)
    return frame.drop(columns=["hundredths"])
