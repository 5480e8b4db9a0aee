"""The whole plan allocation: org levels, product lines, months."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from allocation.engine.arrays import Cents, Reals
from allocation.engine.errors import AllocationError
from allocation.engine.fiscal import MONTH_KEYS, MONTHS
from allocation.engine.levels import (
    Bounds,
    bounds_arrays,
    missing_ints,
    nullable,
    nullable_max,
    split_level,
)
from allocation.engine.twoway import two_way_split
from allocation.engine.weights import org_level_weights, weights_manual_percent

TWO_WAY_BLEND = 0.01


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
    org_methods: dict[int, dict[str, Any]]
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
    _check_input(data, tree, leaf_ids)
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
    column_totals: dict[str, Cents] = {}
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
        parents = list(pd.unique(children["parent"]))
        group_of = {key: i for i, key in enumerate(parents)}
        rows = _org_level_rows(children, level, group_of, data, frozen_nodes, size)
        totals = pd.Series([amounts[key] for key in parents], index=range(len(parents)))
        describe = {i: str(names[key]) for key, i in group_of.items()}
        split = split_level(rows, totals, describe=describe)
        amounts.update(zip(children["key"], split.astype(np.int64).tolist(), strict=True))
        if two_way:
            column_totals.update(
                _two_way_level(
                    children, split, parents, column_totals, leaf_ids, data, frozen, tree
                )
            )
    people = tree.people
    if two_way:
        pl_cells = _two_way_person_lines(people, column_totals, leaf_ids)
    else:
        person_amounts = pd.Series(
            [amounts[key] for key in people["key"]],
            index=people["salesperson_id"].to_numpy(dtype=np.int64),
        )
        pl_cells = _split_product_lines(person_amounts, data, frozen, names, tree)
    return _split_months(pl_cells, data, frozen)


def _check_input(data: AllocationInput, tree: _OrgTree, leaf_ids: Cents) -> None:
    if tree.people.empty:
        raise AllocationError("the plan has no salespeople to allocate to")
    if leaf_ids.size == 0:
        raise AllocationError("the plan covers no product lines")
    if data.total < 0:
        raise AllocationError("the plan total can't be negative")


def _org_level_rows(
    children: pd.DataFrame,
    level: int,
    group_of: dict[str, int],
    data: AllocationInput,
    frozen_nodes: pd.DataFrame,
    size: pd.Series,
) -> pd.DataFrame:
    """The rows :func:`split_level` splits for one org level: weight, locks and bounds.

    A child whose leaves are all frozen is locked at their sum; a partly frozen child gets
    at least its frozen part, on top of its own min/max bounds.
    """
    spec = data.org_methods.get(level) or data.org_methods.get(0) or {"method": "equal"}
    weights = org_level_weights(children, spec)
    keys = children["key"].tolist()
    f_sum = frozen_nodes["sum"].reindex(keys).fillna(0).to_numpy(dtype=np.int64)
    f_count = frozen_nodes["count"].reindex(keys).fillna(0).to_numpy(dtype=np.int64)
    f_size = size.reindex(keys).fillna(0).to_numpy(dtype=np.int64)
    fully = (f_count == f_size) & (f_size > 0)
    partly = (f_count > 0) & ~fully
    lows, highs = bounds_arrays(keys, data.org_bounds)
    return pd.DataFrame(
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


def _two_way_person_lines(
    people: pd.DataFrame, column_totals: dict[str, Cents], leaf_ids: Cents
) -> pd.DataFrame:
    """Each salesperson's leaf-line amounts from the last two-way level's rows."""
    sp_ids = people["salesperson_id"].to_numpy(dtype=np.int64)
    matrix = np.vstack([column_totals[key] for key in people["key"]])
    return pd.DataFrame(
        {
            "salesperson_id": np.repeat(sp_ids, leaf_ids.size),
            "pl_id": np.tile(leaf_ids, sp_ids.size),
            "cents": matrix.reshape(-1),
        }
    )


def _two_way_level(
    children: pd.DataFrame,
    split: pd.Series,
    parents: Sequence[str],
    column_totals: dict[str, Cents],
    leaf_ids: Cents,
    data: AllocationInput,
    frozen: pd.DataFrame,
    tree: _OrgTree,
) -> dict[str, Cents]:
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
    out: dict[str, Cents] = {}
    for parent in parents:
        kids = children.loc[children["parent"] == parent]
        keys = kids["key"].tolist()
        rows = split.loc[kids.index].to_numpy(dtype=np.int64)
        cols = column_totals[parent]
        seed: Reals = np.zeros((len(keys), leaf_ids.size))
        if not seed_frame.empty:
            history = seed_frame.reindex(index=keys, columns=leaf_index).fillna(0)
            seed = history.clip(lower=0).to_numpy(dtype=np.float64)
        fixed = np.zeros((len(keys), leaf_ids.size), dtype=np.int64)
        full = np.zeros((len(keys), leaf_ids.size), dtype=bool)
        if not frozen_lines.empty:
            index = pd.MultiIndex.from_product([keys, pd.Index(leaf_ids)])
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
            matrix = two_way_split(
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
        weights_manual_percent([0 if value is None else value for value in values], codes)


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
        rows["weight"] = _pl_level_weights(rows, data, weights, to_node, row_index)
        locked, partly_low = _pl_level_frozen(rows, frozen_leaf, to_node, row_index, leaves_below)
        lows, highs = bounds_arrays(
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


def _pl_level_weights(
    rows: pd.DataFrame,
    data: AllocationInput,
    weights: pd.DataFrame,
    to_node: dict[int, int],
    row_index: pd.MultiIndex,
) -> npt.NDArray[np.int64] | npt.NDArray[np.object_]:
    """Weights of one product-line level's rows: manual percentages, or each salesperson's
    leaf-line mix summed up to the level's nodes."""
    if data.pl_manual is not None:
        manual = [data.pl_manual.get(int(pl)) or 0 for pl in rows["pl_id"]]
        return np.array(manual, dtype=object)
    node_weights = (
        weights.assign(node=weights["pl_id"].map(to_node))
        .dropna(subset=["node"])
        .groupby(["salesperson_id", "node"])["weight"]
        .sum()
    )
    return node_weights.reindex(row_index).fillna(0).to_numpy(dtype=np.int64)


def _pl_level_frozen(
    rows: pd.DataFrame,
    frozen_leaf: pd.DataFrame | None,
    to_node: dict[int, int],
    row_index: pd.MultiIndex,
    leaves_below: pd.Series,
) -> tuple[pd.arrays.IntegerArray, pd.arrays.IntegerArray]:
    """(locked, minimum) of one product-line level's rows from the frozen leaves below them:
    locked at their sum when every leaf is frozen, at least their sum when some are."""
    n = len(rows)
    if frozen_leaf is None:
        return missing_ints(n), missing_ints(n)
    fz = frozen_leaf.assign(node=frozen_leaf["pl_id"].map(to_node)).dropna(subset=["node"])
    agg = fz.groupby(["salesperson_id", "node"])[["sum", "count"]].sum()
    hit = agg.reindex(row_index).fillna(0)
    f_sum = hit["sum"].to_numpy(dtype=np.int64)
    f_count = hit["count"].to_numpy(dtype=np.int64)
    f_size = leaves_below.reindex(rows["pl_id"]).to_numpy(dtype=np.int64) * MONTHS
    fully = (f_count == f_size) & (f_size > 0)
    return nullable(f_sum, fully), nullable(f_sum, (f_count > 0) & ~fully)


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
    position = pd.Index(season_ids).get_indexer(pd.Index(pl))
    if (position < 0).any():
        raise AllocationError("a product line has no seasonality")
    locked = missing_ints(len(months))
    if not frozen.empty:
        hit = frozen.set_index(["salesperson_id", "pl_id", "m"])["cents"].reindex(
            pd.MultiIndex.from_arrays([sp, pl, months])
        )
        locked = nullable(hit.fillna(0).to_numpy(dtype=np.int64), hit.notna().to_numpy())
    lows, highs = (missing_ints(len(months)), missing_ints(len(months)))
    if data.month_bounds:
        lows, highs = bounds_arrays(
            list(zip(sp.tolist(), pl.tolist(), months.tolist(), strict=True)), data.month_bounds
        )
    frame = pd.DataFrame(
        {
            "group": np.repeat(np.arange(n_rows, dtype=np.int64), MONTHS),
            "key": MONTH_KEYS[months],
            "weight": table[position, months],
            "locked": locked,
            "min": lows,
            "max": highs,
        }
    )
    totals = pd.Series(pl_cells["cents"].to_numpy(dtype=np.int64), index=range(n_rows))
    cents = split_level(frame, totals).to_numpy(dtype=np.int64)
    return pd.DataFrame({"salesperson_id": sp, "pl_id": pl, "m": months, "cents": cents})
