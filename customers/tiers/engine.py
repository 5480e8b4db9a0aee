"""Pure tier maths: RFM scores, named segments, ABC classes and rule tiers (no Django).

Every function takes and returns pandas objects and plain scalars; money is an integer
number of *units* of 0.0001 (order amounts keep up to 4 places, so sums stay exact) and
never float. Everything is vectorised: a loop runs over rules or score cells, never over
customers.

Input of ``tiers_compute`` (one row per customer that has at least one order line dated
before ``as_of`` and inside the window; customers without such a line are not in the run):

    customer_id  code  region  state  last_order_date  frequency  monetary_units

**Scores (the tie rule).** A customer's score for a measure is ``ceil(5 * p)`` where ``p`` is
the *mid-point percentile* of its value among the run's customers, worst to best::

    p = (worse + equal / 2) / n

``worse`` counts customers with a strictly worse value, ``equal`` those with the same value
(itself included): a tied block occupies the share [worse/n, (worse+equal)/n] of the
ranking and is scored at its middle. Computed in exact integers,
``score = ceil(5 (2 worse + equal) / (2 n))``. Without ties it gives the usual quintiles
(n = 10: ranks 1-2 score 1, ..., 9-10 score 5; n = 5: one customer per score); a
mid-point exactly on a quintile boundary takes the lower score. Equal values always get
the same score, and a tied block sits at the middle of the quintiles it spans, so the
result does not depend on input order or on how ties would be broken.

Edge cases: with a single customer, or when everyone has the same value, everybody scores
3 (the middle); with fewer than 5 distinct values some scores are unused (two equal halves
score 2 and 4). Better means: fewer days for recency, more orders for frequency, more net
amount for monetary. A customer whose net amount is zero or negative (returns outweigh
purchases) always gets ``m = 1``.

**Segments.** ``fm = (f + m + 1) // 2`` (the mean of F and M, halves rounded up); the segment
is the first rule of the mapping whose ``r`` and ``fm`` ranges (inclusive) contain the
customer's scores. ``DEFAULT_SEGMENT_MAP`` covers all 25 cells; a custom mapping must too
(``segment_map_validate``).

**ABC.** Customers sorted by monetary descending, ties by code ascending. With T the sum of
the positive net amounts, a customer is A while the running total *before* it is below
``abc_a`` x T (so A is the smallest top set that reaches ``abc_a``; a boundary hit exactly
closes A), B while it is below ``abc_b`` x T, C otherwise. Net <= 0 is always C; with
T = 0 everyone is C.

**Rule tiers.** Ordered rules with optional conditions (monetary/frequency/recency ranges,
regions, states, segments, ABC classes); the first rule whose conditions all hold gives
the tier; a rule without conditions matches everyone; no match leaves the tier empty.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_CEILING, Decimal
from typing import Any

import numpy as np
import pandas as pd

SCALE = 10_000  # money units per currency unit: amounts keep 4 places
SCORES = 5
ABC_CLASSES = ("A", "B", "C")
DIMENSIONS = ("abc", "segment", "tier")

SEGMENTS = (
    "champions",
    "loyal",
    "potential_loyalist",
    "new",
    "promising",
    "need_attention",
    "about_to_sleep",
    "at_risk",
    "cant_lose",
    "hibernating",
    "lost",
)

# (segment, (r_min, r_max), (fm_min, fm_max)); first match wins. The grid it draws:
#
#         fm=1            fm=2                fm=3                fm=4        fm=5
#   r=5   new             potential_loyalist  potential_loyalist  champions   champions
#   r=4   promising       potential_loyalist  potential_loyalist  loyal       champions
#   r=3   about_to_sleep  about_to_sleep      need_attention      loyal       loyal
#   r=2   hibernating     hibernating         at_risk             at_risk     cant_lose
#   r=1   lost            lost                at_risk             at_risk     cant_lose
DEFAULT_SEGMENT_MAP: list[dict[str, Any]] = [
    {"segment": "champions", "r": [5, 5], "fm": [4, 5]},
    {"segment": "champions", "r": [4, 4], "fm": [5, 5]},
    {"segment": "loyal", "r": [3, 4], "fm": [4, 5]},
    {"segment": "potential_loyalist", "r": [4, 5], "fm": [2, 3]},
    {"segment": "new", "r": [5, 5], "fm": [1, 1]},
    {"segment": "promising", "r": [4, 4], "fm": [1, 1]},
    {"segment": "need_attention", "r": [3, 3], "fm": [3, 3]},
    {"segment": "about_to_sleep", "r": [3, 3], "fm": [1, 2]},
    {"segment": "cant_lose", "r": [1, 2], "fm": [5, 5]},
    {"segment": "at_risk", "r": [1, 2], "fm": [3, 4]},
    {"segment": "hibernating", "r": [2, 2], "fm": [1, 2]},
    {"segment": "lost", "r": [1, 1], "fm": [1, 2]},
]

OUTPUT_COLUMNS = [
    "customer_id",
    "code",
    "last_order_date",
    "recency_days",
    "frequency",
    "monetary_units",
    "r",
    "f",
    "m",
    "segment",
    "abc",
    "tier",
]


class ConfigError(ValueError):
    """A tier configuration that cannot be used; ``field`` names the offending input."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


@dataclass(frozen=True)
class TierRuleSpec:
    """One rule tier's conditions; ``None`` / empty means "any". Ranges are inclusive."""

    code: str
    monetary_min_units: int | None = None
    monetary_max_units: int | None = None
    frequency_min: int | None = None
    frequency_max: int | None = None
    recency_min: int | None = None
    recency_max: int | None = None
    regions: tuple[str, ...] = ()
    states: tuple[str, ...] = ()
    segments: tuple[str, ...] = ()
    abc: tuple[str, ...] = ()


@dataclass(frozen=True)
class TierConfig:
    abc_a: Decimal = Decimal("0.80")
    abc_b: Decimal = Decimal("0.95")
    segment_map: Sequence[Mapping[str, Any]] = field(default_factory=lambda: DEFAULT_SEGMENT_MAP)
    rules: Sequence[TierRuleSpec] = ()


# --- scores ------------------------------------------------------------------------------------


def quintile_scores(values: pd.Series, *, higher_is_better: bool = True) -> pd.Series:
    """Score values 1-5 by mid-rank percentile (see the module docstring); ties score alike.

    Exact integer arithmetic: ``score = ceil(5 (2 worse + equal) / (2 n))``.
    """
    n = len(values)
    if n == 0:
        return pd.Series([], index=values.index, dtype="int64")
    keys = values.to_numpy(dtype=np.int64)
    if not higher_is_better:
        keys = -keys
    order = np.sort(keys)
    worse = np.searchsorted(order, keys, side="left").astype(np.int64)
    equal = np.searchsorted(order, keys, side="right").astype(np.int64) - worse
    numerator = SCORES * (2 * worse + equal)
    denominator = 2 * n
    scores = -(-numerator // denominator)  # ceiling division
    return pd.Series(np.clip(scores, 1, SCORES), index=values.index, dtype="int64")


def rfm_scores(frame: pd.DataFrame, *, as_of: dt.date) -> pd.DataFrame:
    """Add ``recency_days`` and the ``r``, ``f``, ``m`` scores to per-customer aggregates."""
    out = frame.copy()
    last = pd.to_datetime(out["last_order_date"])
    out["recency_days"] = (pd.Timestamp(as_of) - last).dt.days.astype("int64")
    out["r"] = quintile_scores(out["recency_days"], higher_is_better=False)
    out["f"] = quintile_scores(out["frequency"].astype("int64"))
    monetary = out["monetary_units"].astype("int64")
    out["m"] = quintile_scores(monetary).where(monetary > 0, 1).astype("int64")
    return out


# --- segments ----------------------------------------------------------------------------------


def segment_map_validate(mapping: Any) -> list[dict[str, Any]]:
    """Check a segment mapping (a list of rules) and return it normalised.

    Each rule is ``{"segment": key, "r": [lo, hi], "fm": [lo, hi]}`` with 1 <= lo <= hi <= 5;
    together the rules must cover every (r, fm) cell, so every customer gets a segment.
    Raises ``ConfigError`` (field ``segment_map``) otherwise.
    """
    if not isinstance(mapping, list) or not mapping:
        raise ConfigError("segment_map", "The segment mapping must be a non-empty list of rules.")
    normalised: list[dict[str, Any]] = []
    covered = np.zeros((SCORES + 1, SCORES + 1), dtype=bool)
    for number, rule in enumerate(mapping, start=1):
        if not isinstance(rule, Mapping):
            raise ConfigError("segment_map", f"Rule {number} is not an object.")
        segment = rule.get("segment")
        if not isinstance(segment, str) or not segment.strip() or len(segment) > 40:
            raise ConfigError("segment_map", f"Rule {number} needs a segment name (<= 40 chars).")
        bounds = {}
        for key in ("r", "fm"):
            pair = rule.get(key)
            if not (
                isinstance(pair, (list, tuple))
                and len(pair) == 2
                and all(isinstance(v, int) and not isinstance(v, bool) for v in pair)
                and 1 <= pair[0] <= pair[1] <= SCORES
            ):
                raise ConfigError(
                    "segment_map", f"Rule {number}: “{key}” must be [low, high] within 1-5."
                )
            bounds[key] = [int(pair[0]), int(pair[1])]
        covered[bounds["r"][0] : bounds["r"][1] + 1, bounds["fm"][0] : bounds["fm"][1] + 1] = True
        normalised.append({"segment": segment.strip(), **bounds})
    missing = [
        f"r={r} fm={fm}"
        for r in range(1, SCORES + 1)
        for fm in range(1, SCORES + 1)
        if not covered[r, fm]
    ]
    if missing:
        raise ConfigError(
            "segment_map",
            "The mapping leaves these score cells without a segment: " + ", ".join(missing),
        )
    return normalised


def segments_assign(
    r: pd.Series, f: pd.Series, m: pd.Series, mapping: Sequence[Mapping[str, Any]]
) -> pd.Series:
    """The named segment of each customer (first matching rule of ``mapping``)."""
    fm = (f.astype("int64") + m.astype("int64") + 1) // 2
    lookup = np.empty((SCORES + 1, SCORES + 1), dtype=object)
    lookup[:] = ""
    # Fill the 5 x 5 grid in reverse so that earlier rules overwrite later ones.
    for rule in reversed(list(mapping)):
        r_lo, r_hi = rule["r"]
        fm_lo, fm_hi = rule["fm"]
        lookup[r_lo : r_hi + 1, fm_lo : fm_hi + 1] = rule["segment"]
    values = lookup[r.to_numpy(dtype=np.int64), fm.to_numpy(dtype=np.int64)]
    return pd.Series(values, index=r.index, dtype=object)


# --- ABC ---------------------------------------------------------------------------------------


def abc_thresholds_validate(abc_a: Any, abc_b: Any) -> tuple[Decimal, Decimal]:
    """Check 0 < abc_a < abc_b <= 1 (decimals); raises ``ConfigError`` naming the field."""
    values = {}
    for name, value in (("abc_a", abc_a), ("abc_b", abc_b)):
        try:
            number = Decimal(str(value))
        except (ArithmeticError, ValueError):
            raise ConfigError(name, "Enter a decimal number such as 0.80.") from None
        if not number.is_finite() or not (0 < number <= 1):
            raise ConfigError(name, "Must be more than 0 and at most 1.")
        if number.as_tuple().exponent < -4:  # type: ignore[operator]
            raise ConfigError(name, "Use at most 4 decimal places.")
        values[name] = number
    if values["abc_a"] >= values["abc_b"]:
        raise ConfigError("abc_b", "The B threshold must be greater than the A threshold.")
    return values["abc_a"], values["abc_b"]


def _limit(total_units: int, share: Decimal) -> int:
    """ceil(share x total) exactly: ``running < limit`` <=> ``running < share x total``."""
    return int((Decimal(total_units) * share).to_integral_value(rounding=ROUND_CEILING))


def abc_classes(
    frame: pd.DataFrame, *, abc_a: Decimal = Decimal("0.80"), abc_b: Decimal = Decimal("0.95")
) -> pd.Series:
    """A/B/C by cumulative share of net amount (``code`` and ``monetary_units`` columns)."""
    if frame.empty:
        return pd.Series([], index=frame.index, dtype=object)
    monetary = frame["monetary_units"].astype("int64")
    ordered = frame.assign(_m=monetary).sort_values(
        ["_m", "code"], ascending=[False, True], kind="mergesort"
    )
    positive = ordered["_m"].clip(lower=0)
    total = int(positive.sum())
    before = positive.cumsum() - positive
    classes = np.where(
        before < _limit(total, abc_a), "A", np.where(before < _limit(total, abc_b), "B", "C")
    )
    result = pd.Series(classes, index=ordered.index, dtype=object)
    result[ordered["_m"] <= 0] = "C"
    return result.reindex(frame.index)


# --- rule tiers --------------------------------------------------------------------------------


def tiers_assign(frame: pd.DataFrame, rules: Sequence[TierRuleSpec]) -> pd.Series:
    """The first matching rule's code for each customer ("" when none matches)."""
    tier = pd.Series("", index=frame.index, dtype=object)
    open_ = pd.Series(True, index=frame.index)
    for rule in rules:
        mask = open_.copy()
        for column, low, high in (
            ("monetary_units", rule.monetary_min_units, rule.monetary_max_units),
            ("frequency", rule.frequency_min, rule.frequency_max),
            ("recency_days", rule.recency_min, rule.recency_max),
        ):
            if low is not None:
                mask &= frame[column] >= low
            if high is not None:
                mask &= frame[column] <= high
        for column, allowed in (
            ("region", rule.regions),
            ("state", rule.states),
            ("segment", rule.segments),
            ("abc", rule.abc),
        ):
            if allowed:
                mask &= frame[column].isin(list(allowed))
        tier[mask] = rule.code
        open_ &= ~mask
    return tier


def rule_match_counts(frame: pd.DataFrame, rules: Sequence[TierRuleSpec]) -> dict[str, int]:
    """How many customers each rule takes (first match wins), for the rule editor's preview."""
    assigned = tiers_assign(frame, rules)
    counts = assigned.value_counts()
    return {rule.code: int(counts.get(rule.code, 0)) for rule in rules}


# --- everything --------------------------------------------------------------------------------


def tiers_compute(aggregates: pd.DataFrame, *, as_of: dt.date, config: TierConfig) -> pd.DataFrame:
    """R/F/M, scores, segment, ABC and tier per customer, sorted by code (``OUTPUT_COLUMNS``)."""
    frame = aggregates.copy()
    for column in ("region", "state"):
        if column not in frame:
            frame[column] = ""
    if frame.empty:
        empty = pd.DataFrame({column: pd.Series(dtype=object) for column in OUTPUT_COLUMNS})
        return empty
    frame = rfm_scores(frame, as_of=as_of)
    frame["segment"] = segments_assign(frame["r"], frame["f"], frame["m"], config.segment_map)
    frame["abc"] = abc_classes(frame, abc_a=config.abc_a, abc_b=config.abc_b)
    frame["tier"] = tiers_assign(frame, config.rules)
    frame = frame.sort_values("code", kind="mergesort").reset_index(drop=True)
    return frame[[*OUTPUT_COLUMNS, "region", "state"]]


def migration_matrix(before: pd.DataFrame, after: pd.DataFrame, *, by: str) -> pd.DataFrame:
    """Customers and net amount moving between two runs' classes along ``by``.

    ``before``/``after`` have ``customer_id``, ``monetary_units`` and the ``by`` column. A
    customer in only one run has ``None`` on the other side. ``monetary_units`` of a cell is
    the customers' net amount in the *later* run (0 for customers that left it). Rows are
    sorted by (from, to) with ``None`` last.
    """
    if by not in DIMENSIONS:
        raise ConfigError("by", f"Choose one of: {', '.join(DIMENSIONS)}.")
    left = before[["customer_id", by]].rename(columns={by: "from"})
    right = after[["customer_id", by, "monetary_units"]].rename(columns={by: "to"})
    joined = left.merge(right, on="customer_id", how="outer")
    joined["monetary_units"] = joined["monetary_units"].fillna(0).astype("int64")
    joined["from"] = joined["from"].astype(object).where(joined["from"].notna(), "\uffff")
    joined["to"] = joined["to"].astype(object).where(joined["to"].notna(), "\uffff")
    cells = (
        joined.groupby(["from", "to"], sort=True)
        .agg(customers=("customer_id", "size"), monetary_units=("monetary_units", "sum"))
        .reset_index()
    )
    for column in ("from", "to"):
        cells[column] = cells[column].mask(cells[column] == "\uffff", None)
    cells["customers"] = cells["customers"].astype("int64")
    cells["monetary_units"] = cells["monetary_units"].astype("int64")
    return cells
