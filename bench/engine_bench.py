"""Time the pure allocation engine on plan-sized inputs (prints figures, asserts nothing).

Run from the repository root: ``python bench/engine_bench.py``. Figures are the best of a
few runs on this machine; DESIGN §8 budgets a whole 2,000 × 20 × 12 allocation at 5 s and
an edit with rebalance at 50 ms p50 over the API (the engine is a small part of both).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from allocation.engine.grouped import split_frame
from allocation.engine.rebalance import rebalance
from allocation.engine.twoway import two_way_split

REPEATS = 3
T = TypeVar("T")
rng = np.random.default_rng(20240101)


def best_of(function: Callable[[], T], repeats: int = REPEATS) -> tuple[float, T]:
    """Return the fastest wall time of `repeats` calls and the first result."""
    started = time.perf_counter()
    result = function()
    best = time.perf_counter() - started
    for _ in range(repeats - 1):
        started = time.perf_counter()
        function()
        best = min(best, time.perf_counter() - started)
    return best, result


def bench_split_frame() -> None:
    groups, per_group = 40_000, 12
    rows = groups * per_group
    frame = pd.DataFrame(
        {
            "cell": np.repeat(np.arange(groups), per_group),
            "month": np.tile([f"2025-{m:02d}" for m in range(1, 13)], groups),
            "weight": rng.integers(0, 5_000_000, rows),
        }
    )
    totals = pd.Series(rng.integers(0, 10**11, groups), index=np.arange(groups))
    seconds, result = best_of(
        lambda: split_frame(frame, group="cell", weight="weight", key="month", totals=totals)
    )
    exact = bool((result.groupby(frame["cell"]).sum().to_numpy() == totals.to_numpy()).all())
    print(
        f"split_frame: {rows:,} rows in {groups:,} groups: {seconds * 1000:.0f} ms (exact: {exact})"
    )


def _children(parents: pd.DataFrame, count: int, prefix: str) -> pd.DataFrame:
    """Give every parent `count` children with random historical weights."""
    frame = parents.loc[parents.index.repeat(count), ["code"]].rename(columns={"code": "parent"})
    frame["code"] = frame["parent"] + np.tile(
        [f"{prefix}{i:02d}" for i in range(count)], len(parents)
    )
    frame["weight"] = rng.integers(0, 10**9, len(frame))
    return frame.reset_index(drop=True)


def bench_top_down_plan() -> None:
    """Company → 5 regions → 20 departments → 100 teams → 2,000 people × 20 lines × 12 months."""
    company = pd.DataFrame({"code": ["ACME"]})
    regions = _children(company, 5, "R")
    departments = _children(regions, 4, "D")
    teams = _children(departments, 5, "T")
    people = _children(teams, 20, "S")
    lines = _children(people, 20, "P")
    months = _children(lines, 12, "M")
    levels = [regions, departments, teams, people, lines, months]
    plan_total = 12_345_678_901_23  # 12.3 billion yuan in cents

    def allocate() -> list[pd.Series]:
        totals = pd.Series([plan_total], index=["ACME"])
        amounts = []
        for level in levels:
            amount = split_frame(level, group="parent", weight="weight", key="code", totals=totals)
            amounts.append(amount)
            totals = pd.Series(amount.to_numpy(), index=level["code"].to_numpy())
        return amounts

    seconds, amounts = best_of(allocate)
    cells = len(months)
    exact = int(amounts[-1].sum()) == plan_total
    print(
        f"top-down plan: 2,000 people × 20 lines × 12 months ({cells:,} cells, 6 levels): "
        f"{seconds * 1000:.0f} ms (Σ cells == plan: {exact})"
    )


def bench_two_way() -> None:
    rows, cols = 50, 20
    seed = rng.random((rows, cols)) * (rng.random((rows, cols)) < 0.8)
    row_totals = rng.integers(10**8, 10**10, rows)
    col_totals = rng.multinomial(int(row_totals.sum()), rng.dirichlet(np.ones(cols)))
    row_keys = [f"R{i:03d}" for i in range(rows)]
    col_keys = [f"P{j:02d}" for j in range(cols)]
    seconds, table = best_of(
        lambda: two_way_split(
            seed, row_totals.tolist(), col_totals.tolist(), row_keys=row_keys, col_keys=col_keys
        )
    )
    exact = bool(
        (table.sum(axis=1) == row_totals).all() and (table.sum(axis=0) == col_totals).all()
    )
    print(f"two_way_split: {rows} × {cols}: {seconds * 1000:.1f} ms (both margins exact: {exact})")


def bench_rebalance() -> None:
    """Edit one region (480,000 leaves under the company) and one salesperson (240 leaves)."""
    leaves = 480_000
    amounts = rng.integers(0, 10**7, leaves)
    region = np.repeat(np.arange(5), leaves // 5)
    frozen = rng.random(leaves) < 0.01
    keys = [f"R{i}" for i in range(5)]
    target = int(amounts[region == 0].sum()) * 11 // 10
    seconds, _ = best_of(
        lambda: rebalance(
            amounts=amounts,
            child=region,
            child_keys=keys,
            targets={0: target},
            frozen=frozen,
        )
    )
    print(f"rebalance: a region edit over {leaves:,} leaves: {seconds * 1000:.0f} ms")
    team = rng.integers(0, 10**7, 20 * 240)
    person = np.repeat(np.arange(20), 240)
    people = [f"S{i:02d}" for i in range(20)]
    new = int(team[person == 3].sum()) + 12_345
    seconds, _ = best_of(
        lambda: rebalance(amounts=team, child=person, child_keys=people, targets={3: new}),
        repeats=20,
    )
    print(
        f"rebalance: a salesperson edit in a 20-person team (4,800 leaves): {seconds * 1000:.1f} ms"
    )


def main() -> None:
    print(f"engine bench (best of {REPEATS}, numpy {np.__version__}, pandas {pd.__version__})")
    bench_split_frame()
    bench_top_down_plan()
    bench_two_way()
    bench_rebalance()


if __name__ == "__main__":
    main()
