"""Seasonality: 12 monthly weights in fiscal order."""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction

import numpy as np
import numpy.typing as npt

from allocation.engine.errors import AllocationError
from allocation.engine.exact import non_negative, to_fraction
from allocation.engine.fiscal import MONTHS

SEASONALITY_METHODS = ("historical", "uniform", "working_days", "custom")


def season_uniform() -> list[Fraction]:
    """Return 12 equal monthly shares (1/12 each)."""
    return [Fraction(1, MONTHS)] * MONTHS


def season_historical(history: npt.ArrayLike) -> list[Fraction]:
    """Average the monthly shares of N base years (rows, 12 months each, fiscal order).

    Negative months (net returns) count as 0; years with a zero total are ignored; if every
    year is zero the profile is uniform. A single flat list of 12 is one base year.
    """
    table = np.asarray(history, dtype=object)
    if table.ndim == 1:
        table = table.reshape(1, -1)
    if table.ndim != 2 or table.shape[1] != MONTHS:
        raise AllocationError("each base year needs exactly 12 monthly amounts")
    profiles = []
    for number, year in enumerate(table, start=1):
        amounts = [
            max(to_fraction(v, "history", f"year {number} month {m}"), Fraction(0))
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
    if len(curve) != MONTHS:
        raise AllocationError(f"a custom curve needs 12 months, got {len(curve)}")
    exact = [non_negative(v, "curve value", f"month {m}") for m, v in enumerate(curve, start=1)]
    total = sum(exact, Fraction(0))
    if total == 0:
        raise AllocationError("a custom curve can't be all zero")
    return [v / total for v in exact]
