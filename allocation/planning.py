"""Plan-grid computations on top of :mod:`allocation.engine`: pure pandas/numpy, no Django.

The services gather frames (dimensions, history, constraints) and call these functions; the
functions return frames of integer cents. Everything is deterministic and exact: every split
sums to its parent to the cent (the engine's largest-remainder rounding).

Grid vocabulary:

* **leaf**: (salesperson, leaf product line, fiscal month index 0..11) with an amount in cents;
* **org node**: the plan's root, an org unit (with plan salespeople below it) or a salesperson;
  its ``opath`` is the unit's materialised path ("/1/4/") and, for a salesperson, the unit's
  path plus ``s<id>/``, so "below" is always a prefix test;
* **period**: ``"year"``, a fiscal quarter ``"Q1"``..``"Q4"`` or a month ``"YYYY-MM"``.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np
import pandas as pd

from allocation import engine
from allocation.engine import AllocationError

MONTHS = 12
YEAR = "year"
QUARTERS = ("Q1", "Q2", "Q3", "Q4")
_MONTH_RE = re.compile(r"(\d{4})-(\d{2})")
_INT_WEIGHT_LIMIT = 10**15
TWO_WAY_BLEND = 0.01
_WEIGHT_SCALE = 10**12


# --------------------------------------------------------------------------------------------
# Fiscal periods
# --------------------------------------------------------------------------------------------


def month_add(month: dt.date, months: int) -> dt.date:
    """The first of the month ``months`` after ``month``'s month."""
    index = month.year * 12 + month.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


@dataclass(frozen=True)
class FiscalYear:
    """The 12 months of a fiscal year that starts in ``start_month`` of ``year``."""

    year: int
    start_month: int = 1

    @property
    def first_month(self) -> dt.date:
        return dt.date(self.year, self.start_month, 1)

    @property
    def months(self) -> list[dt.date]:
        return [month_add(self.first_month, k) for k in range(MONTHS)]

    @property
    def end(self) -> dt.date:
        """The last day of the fiscal year."""
        return month_add(self.first_month, MONTHS) - dt.timedelta(days=1)

    def month_labels(self) -> list[str]:
        return [f"{month:%Y-%m}" for month in self.months]

    def month_index(self, month: dt.date) -> int | None:
        """Fiscal index (0..11) of a calendar month, None if outside the fiscal year."""
        index = (month.year * 12 + month.month - 1) - (self.year * 12 + self.start_month - 1)
        return index if 0 <= index < MONTHS else None

    def parse_period(self, text: str) -> str:
        """Return the canonical period ("year", "Q1".."Q4", "YYYY-MM") or raise ValueError."""
        value = (text or "").strip()
        if value.lower() in {YEAR, "fy", "total"}:
            return YEAR
        if value.upper() in QUARTERS:
            return value.upper()
        match = _MONTH_RE.fullmatch(value)
        if match and 1 <= int(match.group(2)) <= 12:
            month = dt.date(int(match.group(1)), int(match.group(2)), 1)
            if self.month_index(month) is None:
                raise ValueError("outside")
            return f"{month:%Y-%m}"
        raise ValueError("invalid")

    def period_months(self, period: str) -> tuple[int, ...]:
        """Fiscal month indexes (0..11) covered by a canonical period."""
        if period == YEAR:
            return tuple(range(MONTHS))
        if period in QUARTERS:
            first = QUARTERS.index(period) * 3
            return (first, first + 1, first + 2)
        match = _MONTH_RE.fullmatch(period)
        if match is None:
            raise ValueError(period)
        index = self.month_index(dt.date(int(match.group(1)), int(match.group(2)), 1))
        if index is None:
            raise ValueError(period)
        return (index,)

    def closed_months(self, as_of: dt.date) -> int:
        """How many fiscal months have ended on or before ``as_of`` (0..12)."""
        return sum(1 for month in self.months if month_add(month, 1) <= as_of + dt.timedelta(1))


def period_rank(period: str) -> int:
    """0 for the year (the period root), 1 for quarters and months."""
    return 0 if period == YEAR else 1


# --------------------------------------------------------------------------------------------
# Weights
# --------------------------------------------------------------------------------------------


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


# --------------------------------------------------------------------------------------------
# Org nodes and their weights
# --------------------------------------------------------------------------------------------

ORG_METHODS = ("equal", "manual", "historical", "growth", "potential", "capacity", "blend")
PRODUCT_LINE_METHODS = ("historical", "company", "equal", "manual")
SEASONALITY_METHODS = ("historical", "uniform", "working_days", "custom")


def effective_floor(floor: Fraction, n: int) -> Fraction:
    """The floor share for new entities in a group of ``n``: capped just below an equal share.

    A floor at or above 1/n would give newcomers more than everybody else; the engine refuses
    it, so a floor configured for large groups is capped at 99 % of an equal share in small
    ones.
    """
    if n <= 1 or floor <= 0:
        return Fraction(0)
    return min(floor, Fraction(99, 100 * n))


def org_level_weights(children: pd.DataFrame, spec: dict) -> pd.Series:
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
            shares = engine.weights_historical(
                group["history"].astype(np.int64).tolist(),
                group["code"].astype(str).tolist(),
                smoothing=smoothing,
                floor_share=effective_floor(floor, len(group)),
            )
            out.loc[group.index] = shares
        return out
    if method == "growth":
        default = Fraction(spec.get("growth") or 0)
        rates = _as_fraction_series(children["growth"]).map(lambda g: default if g is None else g)
        weights = engine.weights_growth(
            children["last_year"].astype(np.int64).tolist(),
            rates.tolist(),
            [f"{p}/{c}" for p, c in zip(children["parent"], children["code"], strict=True)],
        )
        return pd.Series(weights, index=children.index, dtype=object)
    if method == "potential":
        weights = engine.weights_potential(
            _present(children["potential"]), children["code"].tolist()
        )
        return pd.Series(weights, index=children.index, dtype=object)
    if method == "capacity":
        return pd.Series(children["capacity"].tolist(), index=children.index, dtype=object)
    if method == "manual":
        out = pd.Series(0, index=children.index, dtype=object)
        for parent, group in children.groupby("parent", sort=False):
            percents = [0 if v is None else v for v in _present(group["manual"])]
            try:
                weights = engine.weights_manual_percent(percents, group["code"].tolist())
            except AllocationError as error:
                raise AllocationError(
                    f"manual percentages under {group['parent_code'].iloc[0]}: {error.message}",
                    child=error.child or str(parent),
                ) from error
            out.loc[group.index] = weights
        return out
    if method == "blend":
        first = org_level_weights(children, spec["a"])
        second = org_level_weights(children, spec["b"])
        alpha = Fraction(spec["alpha"])
        out = pd.Series(0, index=children.index, dtype=object)
        for _, group in children.groupby("parent", sort=False):
            out.loc[group.index] = engine.weights_blend(
                first.loc[group.index].tolist(),
                second.loc[group.index].tolist(),
                alpha,
                keys=group["code"].tolist(),
            )
        return out
    raise AllocationError(f"unknown method {method!r}")


# --------------------------------------------------------------------------------------------
# Splitting one level of many groups, with locks and bounds
# --------------------------------------------------------------------------------------------


def nullable(values: object, present: object) -> pd.arrays.IntegerArray:
    """An Int64 array of ``values`` that is missing (NA) where ``present`` is False."""
    data = np.asarray(values, dtype=np.int64)
    mask = ~np.asarray(present, dtype=bool)
    return pd.arrays.IntegerArray(data.copy(), mask.copy())


def nullable_max(first: pd.arrays.IntegerArray, second: pd.arrays.IntegerArray) -> object:
    """Element-wise max of two Int64 arrays where NA means "no value"."""
    a = np.asarray(first.fillna(-1), dtype=np.int64)
    b = np.asarray(second.fillna(-1), dtype=np.int64)
    top = np.maximum(a, b)
    return nullable(top, top >= 0)


def _na(n: int) -> pd.arrays.IntegerArray:
    return nullable(np.zeros(n, np.int64), np.zeros(n, bool))


def split_level(
    rows: pd.DataFrame,
    totals: pd.Series,
    *,
    describe: dict[int, str] | None = None,
) -> pd.Series:
    """Split ``totals[group]`` among the ``rows`` of each group; Σ per group exact.

    ``rows`` columns: ``group`` (an index label of ``totals``), ``key`` (str, tie order),
    ``weight``, ``locked`` (Int64: keeps that amount), ``min``/``max`` (Int64 bounds). Groups
    without bounds go through one vectorised :func:`engine.split_frame`; the few with bounds
    are split one by one by :func:`engine.split` (clip-and-resplit). Errors are prefixed with
    ``describe[group]`` (the parent's name).
    """
    if rows.empty:
        return pd.Series([], dtype=np.int64, index=rows.index)
    bounded = rows["min"].notna().to_numpy() | rows["max"].notna().to_numpy()
    bounded_groups = pd.unique(rows["group"].to_numpy()[bounded])
    in_bounded = rows["group"].isin(bounded_groups).to_numpy()
    result = np.zeros(len(rows), dtype=np.int64)
    plain = rows.loc[~in_bounded]
    if not plain.empty:
        plain_totals = totals.loc[pd.unique(plain["group"])]
        try:
            result[~in_bounded] = engine.split_frame(
                plain,
                group="group",
                weight="weight",
                key="key",
                totals=plain_totals,
                locked="locked",
            ).to_numpy()
        except AllocationError as error:
            raise _located(error, plain, describe) from error
    positions = np.arange(len(rows))
    for group_id in bounded_groups:
        where = positions[(rows["group"] == group_id).to_numpy()]
        group = rows.iloc[where]
        try:
            amounts = engine.split(
                int(totals.loc[group_id]),
                group["weight"].tolist(),
                group["key"].astype(str).tolist(),
                locked=_optional_list(group["locked"]),
                mins=_optional_list(group["min"]),
                maxs=_optional_list(group["max"]),
            )
        except AllocationError as error:
            label = (describe or {}).get(int(group_id), f"group {group_id}")
            raise AllocationError(f"{label}: {error.message}", child=error.child) from error
        result[where] = amounts
    return pd.Series(result, index=rows.index)


def _optional_list(values: pd.Series) -> list[int | None]:
    return [None if pd.isna(v) else int(v) for v in values.tolist()]


def _located(
    error: AllocationError, rows: pd.DataFrame, describe: dict[int, str] | None
) -> AllocationError:
    """Replace the engine's "group 7" by the parent's name, when we can tell which it was."""
    if not describe:
        return error
    match = re.search(r"group (\d+)", error.message)
    group_id: int | None = int(match.group(1)) if match else None
    if group_id is None and error.child is not None:
        hit = rows.loc[rows["key"].astype(str) == error.child, "group"]
        group_id = int(hit.iloc[0]) if len(hit) else None
    if group_id is None or group_id not in describe:
        return error
    message = re.sub(r"\s*(in |of )?group \d+", "", error.message).strip()
    return AllocationError(f"{describe[group_id]}: {message}", child=error.child)


# --------------------------------------------------------------------------------------------
# The whole allocation
# --------------------------------------------------------------------------------------------

Bounds = tuple[int | None, int | None]


@dataclass
class AllocationInput:
    """Everything :func:`allocate` needs, as plain frames (built by the service).

    * ``org_nodes``: ``key`` (str, unique), ``code``, ``name``, ``parent`` (key; "" for the
      root), ``level`` (0 = root), ``kind`` ("root" | "unit" | "salesperson"),
      ``salesperson_id`` (-1 unless a salesperson), plus the weight inputs of
      :func:`org_level_weights` (``history``, ``last_year``, ``growth``, ``potential``,
      ``manual``, ``capacity``, ``parent_code``).
    * ``org_methods``: level (1 = the root's split) -> method spec; 0 = the default.
    * ``pl_nodes``: ``pl_id``, ``code``, ``parent_id`` (0 for top-level nodes), ``level``
      (1 = top), ``is_leaf``; only nodes with covered leaves below them.
    * ``pl_weights``: ``salesperson_id``, ``pl_id`` (leaf), ``weight`` (int): how each
      salesperson's amount spreads over the leaf lines; ``pl_manual``: pl_id -> percentage
      among its siblings (product-line method "manual").
    * ``season``: leaf pl_id -> 12 int weights in fiscal order.
    * ``frozen``: ``salesperson_id``, ``pl_id``, ``m``, ``cents``: leaves in locked cells.
    * ``org_bounds`` node key -> (min, max); ``pl_bounds`` (salesperson_id, pl node id) ->
      (min, max); ``month_bounds`` (salesperson_id, leaf pl_id, m) -> (min, max); cents.
    * ``pl_totals``: leaf pl_id -> cents when the plan fixes product-line totals (two-way);
      ``pl_seed``: org node key x leaf pl_id history (cents) seeding the two-way fits.
    """

    total: int
    org_nodes: pd.DataFrame
    org_methods: dict[int, dict]
    pl_nodes: pd.DataFrame
    pl_weights: pd.DataFrame
    season: dict[int, list[int]]
    pl_manual: dict[int, object] | None = None
    frozen: pd.DataFrame | None = None
    org_bounds: dict[str, Bounds] = field(default_factory=dict)
    pl_bounds: dict[tuple[int, int], Bounds] = field(default_factory=dict)
    month_bounds: dict[tuple[int, int, int], Bounds] = field(default_factory=dict)
    pl_totals: dict[int, int] | None = None
    pl_seed: pd.DataFrame | None = None


def empty_leaves() -> pd.DataFrame:
    """An empty leaf frame: ``salesperson_id, pl_id, m, cents``."""
    return pd.DataFrame(
        {
            "salesperson_id": pd.Series([], dtype=np.int64),
            "pl_id": pd.Series([], dtype=np.int64),
            "m": pd.Series([], dtype=np.int64),
            "cents": pd.Series([], dtype=np.int64),
        }
    )


def _bounds_arrays(
    keys: Sequence[object], bounds: dict
) -> tuple[pd.arrays.IntegerArray, pd.arrays.IntegerArray]:
    n = len(keys)
    if not bounds:
        return _na(n), _na(n)
    pairs = [bounds.get(key, (None, None)) for key in keys]
    lows = [low if low is not None else 0 for low, _ in pairs]
    highs = [high if high is not None else 0 for _, high in pairs]
    return (
        nullable(lows, [low is not None for low, _ in pairs]),
        nullable(highs, [high is not None for _, high in pairs]),
    )


class _OrgTree:
    """Parent links and per-node roll-ups of the org nodes frame."""

    def __init__(self, nodes: pd.DataFrame) -> None:
        self.nodes = nodes
        self.parent = dict(zip(nodes["key"], nodes["parent"], strict=True))
        people = nodes.loc[nodes["kind"] == "salesperson"]
        self.person_key = dict(
            zip(people["salesperson_id"].astype(int), people["key"], strict=True)
        )
        self.people = people
        # Ancestors (self included) of every salesperson, for roll-ups by path.
        rows = []
        for sp_id, key in self.person_key.items():
            node = key
            while node:
                rows.append((sp_id, node))
                node = self.parent.get(node, "")
        self.person_ancestors = pd.DataFrame(rows, columns=["salesperson_id", "node"])
        self.subtree_people = self.person_ancestors.groupby("node").size()

    def roll_up(self, per_person: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
        """Sum per-salesperson ``columns`` into every org node above (and at) them."""
        merged = self.person_ancestors.merge(per_person, on="salesperson_id", how="inner")
        return merged.groupby("node")[columns].sum()


def allocate(data: AllocationInput) -> pd.DataFrame:
    """Split the plan total down the org tree, then product lines, then months.

    1. Org levels, top-down: every node's amount is split among its children (child units
       and the salespeople placed directly in it) by the level's weight method, in one
       vectorised split per level. A child whose leaves are all frozen (inside locked cells)
       keeps their sum; a partly frozen child gets at least its frozen part; min/max bounds
       by clip-and-resplit.
    2. Product lines: each salesperson's amount down the product-line tree, level by level,
       by their mix (``pl_weights``) or manual percentages. When the plan fixes product-line
       totals, every org level is instead a two-way split meeting both margins (RAS and
       controlled rounding), and the salespeople's rows come out of the last one.
    3. Months: each (salesperson, leaf line) by the line's seasonality weights.

    Returns ``salesperson_id, pl_id, m, cents``: Σ == total, and every node equals the sum
    of its children to the cent.
    """
    frozen = data.frozen if data.frozen is not None else empty_leaves()
    nodes = data.org_nodes
    tree = _OrgTree(nodes)
    leaf_ids = data.pl_nodes.loc[data.pl_nodes["is_leaf"], "pl_id"].to_numpy(dtype=np.int64)
    if tree.people.empty:
        raise AllocationError("the plan has no salespeople to allocate to")
    if leaf_ids.size == 0:
        raise AllocationError("the plan covers no product lines")
    if data.total < 0:
        raise AllocationError("the plan total can't be negative")

    frozen_nodes = tree.roll_up(
        frozen.groupby("salesperson_id")["cents"]
        .agg(["sum", "count"])
        .reset_index()
        .astype(np.int64),
        ["sum", "count"],
    )
    size = tree.subtree_people * (leaf_ids.size * MONTHS)

    root_key = str(nodes.loc[nodes["level"] == 0, "key"].iloc[0])
    amounts: dict[str, int] = {root_key: int(data.total)}
    names = dict(zip(nodes["key"], nodes["name"], strict=True))
    two_way = data.pl_totals is not None
    column_totals: dict[str, np.ndarray] = {}
    if two_way:
        column_totals[root_key] = np.array(
            [int((data.pl_totals or {}).get(int(pl), 0)) for pl in leaf_ids], dtype=np.int64
        )
        if int(column_totals[root_key].sum()) != data.total:
            raise AllocationError("the product-line totals don't add up to the plan total")
    for level in range(1, int(nodes["level"].max()) + 1):
        children = nodes.loc[nodes["level"] == level].copy()
        if children.empty:
            continue
        spec = data.org_methods.get(level) or data.org_methods.get(0) or {"method": "equal"}
        weights = org_level_weights(children, spec)
        parents = list(pd.unique(children["parent"]))
        group_of = {key: i for i, key in enumerate(parents)}
        keys = children["key"].tolist()
        f_sum = frozen_nodes["sum"].reindex(keys).fillna(0).to_numpy(dtype=np.int64)
        f_count = frozen_nodes["count"].reindex(keys).fillna(0).to_numpy(dtype=np.int64)
        f_size = size.reindex(keys).fillna(0).to_numpy(dtype=np.int64)
        fully = (f_count == f_size) & (f_size > 0)
        partly = (f_count > 0) & ~fully
        lows, highs = _bounds_arrays(keys, data.org_bounds)
        rows = pd.DataFrame(
            {
                "group": children["parent"].map(group_of).to_numpy(dtype=np.int64),
                "key": children["code"].astype(str).to_numpy(),
                "weight": weights.to_numpy(),
                "locked": nullable(f_sum, fully),
                "min": nullable_max(lows, nullable(f_sum, partly)),
                "max": highs,
            },
            index=children.index,
        )
        totals = pd.Series([amounts[key] for key in parents], index=range(len(parents)))
        describe = {i: str(names[key]) for key, i in group_of.items()}
        split = split_level(rows, totals, describe=describe)
        amounts.update(zip(keys, split.astype(np.int64).tolist(), strict=True))
        if two_way:
            column_totals.update(
                _two_way_level(
                    children, split, parents, column_totals, leaf_ids, data, frozen, tree
                )
            )

    people = tree.people
    if two_way:
        sp_ids = people["salesperson_id"].to_numpy(dtype=np.int64)
        matrix = np.vstack([column_totals[key] for key in people["key"]])
        pl_cells = pd.DataFrame(
            {
                "salesperson_id": np.repeat(sp_ids, leaf_ids.size),
                "pl_id": np.tile(leaf_ids, sp_ids.size),
                "cents": matrix.reshape(-1),
            }
        )
    else:
        person_amounts = pd.Series(
            [amounts[key] for key in people["key"]],
            index=people["salesperson_id"].to_numpy(dtype=np.int64),
        )
        pl_cells = _split_product_lines(person_amounts, data, frozen, names, tree)
    return _split_months(pl_cells, data, frozen)


def _two_way_level(
    children: pd.DataFrame,
    split: pd.Series,
    parents: Sequence[str],
    column_totals: dict[str, np.ndarray],
    leaf_ids: np.ndarray,
    data: AllocationInput,
    frozen: pd.DataFrame,
    tree: _OrgTree,
) -> dict[str, np.ndarray]:
    """Children x leaf-line matrices meeting both margins, one parent at a time.

    Rows: the children's amounts just split; columns: the parent's product-line amounts.
    Seed: each child's own product-line mix (``pl_seed``, the history below it) blended with
    1 % of the parent's mix, so every line can reach every child; a child without history
    takes the parent's mix. Frozen leaves are taken off both margins first and added back
    after, so locked cells keep their amounts.
    """
    seed_frame = data.pl_seed if data.pl_seed is not None else pd.DataFrame()
    leaf_index = pd.Index(leaf_ids)
    line_codes = dict(
        zip(data.pl_nodes["pl_id"].astype(int), data.pl_nodes["code"].astype(str), strict=True)
    )
    frozen_lines = pd.DataFrame()
    if not frozen.empty:
        per_line = (
            frozen.groupby(["salesperson_id", "pl_id"])["cents"].agg(["sum", "count"]).reset_index()
        )
        merged = tree.person_ancestors.merge(per_line, on="salesperson_id")
        frozen_lines = merged.groupby(["node", "pl_id"])[["sum", "count"]].sum()
    out: dict[str, np.ndarray] = {}
    for parent in parents:
        kids = children.loc[children["parent"] == parent]
        keys = kids["key"].tolist()
        rows = split.loc[kids.index].to_numpy(dtype=np.int64)
        cols = column_totals[parent]
        if not seed_frame.empty:
            seed = seed_frame.reindex(index=keys, columns=leaf_index).fillna(0)
            seed = seed.clip(lower=0).to_numpy(dtype=np.float64)
        else:
            seed = np.zeros((len(keys), leaf_ids.size))
        fixed = np.zeros((len(keys), leaf_ids.size), dtype=np.int64)
        full = np.zeros((len(keys), leaf_ids.size), dtype=bool)
        if not frozen_lines.empty:
            index = pd.MultiIndex.from_product([keys, leaf_ids])
            hit = frozen_lines.reindex(index).fillna(0)
            fixed = hit["sum"].to_numpy(dtype=np.int64).reshape(len(keys), -1)
            counts = hit["count"].to_numpy(dtype=np.int64).reshape(len(keys), -1)
            people = tree.subtree_people.reindex(keys).fillna(0).to_numpy(dtype=np.int64)
            full = (counts == people[:, None] * MONTHS) & (counts > 0)
        # Each row: its own mix, plus 1 % of the parent's mix, so that a child without
        # history in a line can still carry some of it (a zero pattern can make the margins
        # impossible to meet); a row without history takes the parent's mix.
        if cols.sum() > 0:
            parent_mix = cols.astype(np.float64) / float(cols.sum())
            row_sums = seed.sum(axis=1, keepdims=True)
            own = np.divide(seed, row_sums, out=np.zeros_like(seed), where=row_sums > 0)
            seed = np.where(row_sums > 0, own * (1 - TWO_WAY_BLEND) + parent_mix * TWO_WAY_BLEND,
                            parent_mix)  # fmt: skip
        seed[full] = 0.0
        row_rest = rows - fixed.sum(axis=1)
        col_rest = cols - fixed.sum(axis=0)
        if (row_rest < 0).any() or (col_rest < 0).any():
            raise AllocationError(f"under {parent}: locked cells take more than there is to split")
        try:
            matrix = engine.two_way_split(
                seed,
                row_rest.tolist(),
                col_rest.tolist(),
                row_keys=kids["code"].astype(str).tolist(),
                col_keys=[line_codes[int(pl)] for pl in leaf_ids],
            )
        except AllocationError as error:
            raise AllocationError(
                f"the product-line totals can't be met under {parent}: {error.message}",
                child=error.child,
            ) from error
        for i, key in enumerate(keys):
            out[key] = matrix[i] + fixed[i]
    return out


def _pl_ancestors(pl_nodes: pd.DataFrame) -> dict[int, list[int]]:
    """Leaf pl_id -> its chain of product-line nodes, top first (the leaf last)."""
    parent_of = dict(
        zip(pl_nodes["pl_id"].astype(int), pl_nodes["parent_id"].astype(int), strict=True)
    )
    chains: dict[int, list[int]] = {}
    for leaf in pl_nodes.loc[pl_nodes["is_leaf"], "pl_id"].astype(int):
        chain = [leaf]
        while parent_of.get(chain[-1], 0):
            chain.append(parent_of[chain[-1]])
        chains[leaf] = chain[::-1]
    return chains


def manual_percent_check(pl_nodes: pd.DataFrame, percents: dict[int, object]) -> None:
    """Manual product-line percentages must add up to exactly 100 among every set of siblings."""
    for _, siblings in pl_nodes.groupby("parent_id"):
        values = [percents.get(int(pl)) for pl in siblings["pl_id"]]
        codes = siblings["code"].astype(str).tolist()
        engine.weights_manual_percent([0 if value is None else value for value in values], codes)


def _split_product_lines(
    person_amounts: pd.Series,
    data: AllocationInput,
    frozen: pd.DataFrame,
    names: dict[str, str],
    tree: _OrgTree,
) -> pd.DataFrame:
    """Each salesperson's amount down the product-line tree: one vectorised split per level."""
    pl_nodes = data.pl_nodes
    chains = _pl_ancestors(pl_nodes)
    code_of = dict(zip(pl_nodes["pl_id"].astype(int), pl_nodes["code"].astype(str), strict=True))
    is_leaf = dict(
        zip(pl_nodes["pl_id"].astype(int), pl_nodes["is_leaf"].astype(bool), strict=True)
    )
    leaves_below = pd.Series([node for chain in chains.values() for node in chain]).value_counts()
    weights = data.pl_weights.loc[data.pl_weights["pl_id"].isin(list(chains))]
    if data.pl_manual is not None:
        manual_percent_check(pl_nodes, data.pl_manual)
    frozen_leaf = (
        frozen.groupby(["salesperson_id", "pl_id"])["cents"].agg(["sum", "count"]).reset_index()
        if not frozen.empty
        else None
    )
    current = pd.DataFrame(
        {
            "salesperson_id": person_amounts.index.to_numpy(dtype=np.int64),
            "node": 0,
            "cents": person_amounts.to_numpy(dtype=np.int64),
        }
    )
    done: list[pd.DataFrame] = []
    level = 0
    while not current.empty:
        level += 1
        level_nodes = pl_nodes.loc[pl_nodes["level"] == level, ["pl_id", "parent_id", "code"]]
        rows = current.merge(level_nodes, left_on="node", right_on="parent_id", how="inner")
        if len(rows) == 0:
            raise AllocationError("the product-line tree is inconsistent")
        to_node = {leaf: chain[level - 1] for leaf, chain in chains.items() if len(chain) >= level}
        row_index = pd.MultiIndex.from_arrays([rows["salesperson_id"], rows["pl_id"]])
        if data.pl_manual is not None:
            rows["weight"] = [data.pl_manual.get(int(pl)) or 0 for pl in rows["pl_id"]]
        else:
            node_weights = (
                weights.assign(node=weights["pl_id"].map(to_node))
                .dropna(subset=["node"])
                .groupby(["salesperson_id", "node"])["weight"]
                .sum()
            )
            rows["weight"] = node_weights.reindex(row_index).fillna(0).to_numpy(dtype=np.int64)
        n = len(rows)
        locked, partly_low = _na(n), _na(n)
        if frozen_leaf is not None:
            fz = frozen_leaf.assign(node=frozen_leaf["pl_id"].map(to_node)).dropna(subset=["node"])
            agg = fz.groupby(["salesperson_id", "node"])[["sum", "count"]].sum()
            hit = agg.reindex(row_index).fillna(0)
            f_sum = hit["sum"].to_numpy(dtype=np.int64)
            f_count = hit["count"].to_numpy(dtype=np.int64)
            f_size = leaves_below.reindex(rows["pl_id"]).to_numpy(dtype=np.int64) * MONTHS
            fully = (f_count == f_size) & (f_size > 0)
            locked = nullable(f_sum, fully)
            partly_low = nullable(f_sum, (f_count > 0) & ~fully)
        lows, highs = _bounds_arrays(
            list(zip(rows["salesperson_id"].astype(int), rows["pl_id"].astype(int), strict=True)),
            data.pl_bounds,
        )
        groups, uniques = pd.factorize(
            pd.MultiIndex.from_arrays([rows["salesperson_id"], rows["node"]])
        )
        split_rows = pd.DataFrame(
            {
                "group": groups,
                "key": rows["code"].astype(str).to_numpy(),
                "weight": rows["weight"].to_numpy(),
                "locked": locked,
                "min": nullable_max(lows, partly_low),
                "max": highs,
            }
        )
        parent_cents = current.set_index(["salesperson_id", "node"])["cents"]
        totals = pd.Series(
            parent_cents.reindex(uniques).to_numpy(dtype=np.int64), index=range(len(uniques))
        )
        describe = {
            i: str(names.get(tree.person_key.get(int(sp), ""), sp))
            + (f" · {code_of[int(node)]}" if int(node) else "")
            for i, (sp, node) in enumerate(uniques)
        }
        rows["cents"] = split_level(split_rows, totals, describe=describe).to_numpy()
        leaf_mask = rows["pl_id"].map(is_leaf).to_numpy(dtype=bool)
        done.append(
            rows.loc[leaf_mask, ["salesperson_id", "pl_id", "cents"]].reset_index(drop=True)
        )
        current = rows.loc[~leaf_mask, ["salesperson_id", "pl_id", "cents"]].rename(
            columns={"pl_id": "node"}
        )
    return pd.concat(done, ignore_index=True)


_MONTH_KEYS = np.array([f"{m:02d}" for m in range(MONTHS)], dtype=object)


def _split_months(
    pl_cells: pd.DataFrame, data: AllocationInput, frozen: pd.DataFrame
) -> pd.DataFrame:
    """Each (salesperson, leaf line) across the 12 fiscal months by the line's seasonality."""
    n_rows = len(pl_cells)
    months = np.tile(np.arange(MONTHS, dtype=np.int64), n_rows)
    sp = np.repeat(pl_cells["salesperson_id"].to_numpy(dtype=np.int64), MONTHS)
    pl = np.repeat(pl_cells["pl_id"].to_numpy(dtype=np.int64), MONTHS)
    season_ids = sorted(data.season)
    table = np.array([data.season[i] for i in season_ids], dtype=np.int64).reshape(-1, MONTHS)
    position = pd.Index(season_ids).get_indexer(pl)
    if (position < 0).any():
        raise AllocationError("a product line has no seasonality")
    locked = _na(len(months))
    if not frozen.empty:
        hit = frozen.set_index(["salesperson_id", "pl_id", "m"])["cents"].reindex(
            pd.MultiIndex.from_arrays([sp, pl, months])
        )
        locked = nullable(hit.fillna(0).to_numpy(dtype=np.int64), hit.notna().to_numpy())
    lows, highs = (_na(len(months)), _na(len(months)))
    if data.month_bounds:
        lows, highs = _bounds_arrays(
            list(zip(sp.tolist(), pl.tolist(), months.tolist(), strict=True)), data.month_bounds
        )
    frame = pd.DataFrame(
        {
            "group": np.repeat(np.arange(n_rows, dtype=np.int64), MONTHS),
            "key": _MONTH_KEYS[months],
            "weight": table[position, months],
            "locked": locked,
            "min": lows,
            "max": highs,
        }
    )
    totals = pd.Series(pl_cells["cents"].to_numpy(dtype=np.int64), index=range(n_rows))
    cents = split_level(frame, totals).to_numpy(dtype=np.int64)
    return pd.DataFrame({"salesperson_id": sp, "pl_id": pl, "m": months, "cents": cents})


# --------------------------------------------------------------------------------------------
# Editing: several cells at once, and the mid-year re-spread
# --------------------------------------------------------------------------------------------


def rebalance_many(
    *,
    amounts: np.ndarray,
    child: np.ndarray,
    child_keys: Sequence[str],
    targets: dict[int, int],
    frozen: np.ndarray,
    locked_children: Sequence[bool],
    mins: Sequence[int | None],
    maxs: Sequence[int | None],
) -> np.ndarray:
    """Set several children of one parent at once and rebalance the rest; Σ unchanged.

    The multi-cell form of :func:`engine.rebalance` with the same rules: edited children take
    their targets (not locked, not below their frozen part, within bounds); locked children
    and children whose leaves are all frozen keep their totals; the other children share what
    is left in proportion to their current totals (clip-and-resplit within bounds); inside
    every child whose total changed the free leaves are re-split in their current
    proportions, and a child whose total didn't change keeps its leaves as they are.
    """
    current = np.asarray(amounts, dtype=np.int64)
    owner = np.asarray(child, dtype=np.int64)
    keep = np.asarray(frozen, dtype=bool)
    k = len(child_keys)
    totals = np.zeros(k, np.int64)
    np.add.at(totals, owner, current)
    frozen_part = np.zeros(k, np.int64)
    np.add.at(frozen_part, owner[keep], current[keep])
    free_leaves = np.bincount(owner[~keep], minlength=k)
    parent = int(current.sum())
    new_totals = totals.copy()
    for c, target in targets.items():
        who = child_keys[c]
        if target < 0:
            raise AllocationError(f"{who} can't be negative", child=who)
        engine.check_child_target(
            label=who,
            child=who,
            target=target,
            total=int(totals[c]),
            frozen_part=int(frozen_part[c]),
            free_leaves=int(free_leaves[c]),
            locked=bool(locked_children[c]),
            low=mins[c],
            high=maxs[c],
        )
        new_totals[c] = target
    fixed = [bool(locked_children[c]) or free_leaves[c] == 0 for c in range(k)]
    others = [c for c in range(k) if c not in targets and not fixed[c]]
    fixed_total = sum(int(totals[c]) for c in range(k) if c not in targets and fixed[c])
    room = parent - sum(targets.values()) - fixed_total
    edited = (
        ", ".join(child_keys[c] for c in sorted(targets))
        if len(targets) <= 3
        else f"the {len(targets)} cells set"
    )
    if room < 0:
        raise AllocationError(
            f"{edited} add up to {engine.format_cents(sum(targets.values()))}, but only "
            f"{engine.format_cents(parent - fixed_total)} of the parent total "
            f"{engine.format_cents(parent)} is not locked"
        )
    if others:
        try:
            shares = engine.split(
                room,
                [int(max(totals[c], 0)) for c in others],
                [child_keys[c] for c in others],
                mins=[max(int(frozen_part[c]), mins[c] or 0) for c in others],
                maxs=[maxs[c] for c in others],
            )
        except AllocationError as error:
            raise AllocationError(
                f"after setting {edited}, the other unlocked items would have to share "
                f"{engine.format_cents(room)}, but {error.message}"
            ) from error
        for c, share in zip(others, shares, strict=True):
            new_totals[c] = share
    elif room != 0:
        raise AllocationError(
            f"{edited} must add up to {engine.format_cents(parent - fixed_total)} (the parent "
            f"total {engine.format_cents(parent)} stays), not "
            f"{engine.format_cents(sum(targets.values()))}; nothing else is free to take up "
            f"the difference"
        )
    if current.size == 0:
        return current
    # Children whose total didn't change keep every leaf as it is (as engine.rebalance does).
    keep_leaf = keep | (new_totals == totals)[owner]
    negative = np.flatnonzero(~keep_leaf & (current < 0))
    if negative.size:
        who = child_keys[int(owner[int(negative[0])])]
        raise AllocationError(
            f"{who!r} has a negative amount inside it and can't be re-split", child=who
        )
    frame = pd.DataFrame(
        {
            "group": owner,
            "key": [f"{i:09d}" for i in range(current.size)],
            "weight": np.where(keep_leaf, 0, current),
            "locked": nullable(current, keep_leaf),
        }
    )
    return engine.split_frame(
        frame,
        group="group",
        weight="weight",
        key="key",
        totals=pd.Series(new_totals, index=range(k)).loc[pd.unique(owner)],
        locked="locked",
    ).to_numpy(dtype=np.int64)


def respread_rows(*, targets: np.ndarray, actuals: np.ndarray, closed: int) -> np.ndarray:
    """Re-spread many leaf rows at once: the vectorised :func:`engine.respread`.

    ``targets`` and ``actuals`` are (rows x 12) cents in fiscal order. Per row, the first
    ``closed`` months take their actual (a negative month counts as 0: a target is never
    negative) and the open months share ``max(annual − actual to date, 0)`` in proportion to
    their current targets (equal if those are all zero), ties to the earlier month; the row
    then sums to ``max(annual, actual to date)``. Same result as calling ``engine.respread``
    row by row.
    """
    table = np.asarray(targets, dtype=np.int64)
    done = np.maximum(np.asarray(actuals, dtype=np.int64), 0)
    rows = table.shape[0]
    if not 0 <= closed <= MONTHS:
        raise AllocationError(f"closed must be between 0 and {MONTHS}, got {closed!r}")
    out = table.copy()
    out[:, :closed] = done[:, :closed]
    if closed == MONTHS or rows == 0:
        return out
    annual = table.sum(axis=1)
    remaining = np.maximum(annual - done[:, :closed].sum(axis=1), 0)
    open_months = MONTHS - closed
    frame = pd.DataFrame(
        {
            "group": np.repeat(np.arange(rows), open_months),
            "key": np.tile(_MONTH_KEYS[closed:], rows),
            "weight": np.maximum(table[:, closed:], 0).reshape(-1),
        }
    )
    spread = engine.split_frame(
        frame,
        group="group",
        weight="weight",
        key="key",
        totals=pd.Series(remaining, index=range(rows)),
    )
    out[:, closed:] = spread.to_numpy(dtype=np.int64).reshape(rows, open_months)
    return out
