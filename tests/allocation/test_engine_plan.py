"""The Django-free plan computations (allocation.engine: allocate, weights, rebalance)."""

from __future__ import annotations

import datetime as dt
from fractions import Fraction

import numpy as np
import pandas as pd
import pytest

from allocation.engine.allocate import AllocationInput, allocate
from allocation.engine.errors import AllocationError
from allocation.engine.fiscal import FiscalYear
from allocation.engine.rebalance import rebalance, respread, respread_rows
from allocation.engine.split import split
from allocation.engine.weights import (
    effective_floor,
    fractions_to_int_weights,
    org_level_weights,
    weights_historical,
)

# --- fiscal periods ---------------------------------------------------------------------------


def test_fiscal_year_starting_in_april_runs_into_the_next_calendar_year():
    fiscal = FiscalYear(2019, 4)

    assert fiscal.month_labels()[0] == "2019-04"
    assert fiscal.month_labels()[-1] == "2020-03"
    assert fiscal.end == dt.date(2020, 3, 31)
    assert fiscal.period_months("Q1") == (0, 1, 2)
    assert fiscal.period_months("Q4") == (9, 10, 11)
    assert fiscal.period_months("2020-01") == (9,)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("year", "year"),
        ("FY", "year"),
        ("q2", "Q2"),
        ("2019-03", "2019-03"),
        (" 2019-12 ", "2019-12"),
    ],
)
def test_periods_are_parsed_to_one_canonical_form(text, expected):
    assert FiscalYear(2019).parse_period(text) == expected


@pytest.mark.parametrize("text", ["2018-12", "2020-01", "Q5", "2019-13", "march", ""])
def test_periods_outside_the_fiscal_year_or_malformed_are_refused(text):
    with pytest.raises(ValueError):  # noqa: PT011 - the caller maps it to a field error
        FiscalYear(2019).parse_period(text)


def test_closed_months_count_the_months_that_ended_by_the_date():
    fiscal = FiscalYear(2019)

    assert fiscal.closed_months(dt.date(2019, 1, 30)) == 0
    assert fiscal.closed_months(dt.date(2019, 1, 31)) == 1
    assert fiscal.closed_months(dt.date(2019, 6, 30)) == 6
    assert fiscal.closed_months(dt.date(2020, 2, 1)) == 12


def test_integer_weights_are_exactly_proportional_when_they_fit():
    shares = [Fraction(1, 3), Fraction(1, 6), Fraction(1, 2)]

    assert fractions_to_int_weights(shares) == [2, 1, 3]


def test_integer_weights_of_huge_denominators_round_to_twelve_digits():
    shares = [Fraction(10**6, 10**16 + 1), Fraction(10**16 - 10**6 + 1, 10**16 + 1)]

    weights = fractions_to_int_weights(shares)

    assert weights == [100, 10**12]


# --- weight methods per org level -------------------------------------------------------------


def _children(**columns):
    frame = pd.DataFrame(
        {
            "parent": ["p", "p", "p"],
            "parent_code": ["P", "P", "P"],
            "code": ["A", "B", "C"],
            "history": [300, 100, 0],
            "last_year": [100, 100, 0],
            "growth": [None, None, None],
            "potential": [None, None, None],
            "manual": [None, None, None],
            "capacity": [Fraction(1)] * 3,
        }
    )
    for name, values in columns.items():
        frame[name] = values
    return frame


def test_historical_weights_are_the_base_period_shares():
    weights = org_level_weights(_children(), {"method": "historical"})

    assert weights.tolist() == [300, 100, 0]


def test_historical_smoothing_and_floor_lift_a_new_entity():
    spec = {"method": "historical", "smoothing": "0.1", "floor_share": "0.05"}

    weights = org_level_weights(_children(), spec)

    expected = weights_historical(
        [300, 100, 0], ["A", "B", "C"], smoothing=Fraction(1, 10), floor_share=Fraction(1, 20)
    )
    assert weights.tolist() == expected
    assert weights.iloc[2] == Fraction(1, 20)


def test_a_floor_above_an_equal_share_is_capped_below_it():
    assert effective_floor(Fraction(1, 2), 3) == Fraction(33, 100)
    assert effective_floor(Fraction(1, 20), 3) == Fraction(1, 20)
    assert effective_floor(Fraction(1, 2), 1) == 0


def test_growth_weights_are_last_year_times_one_plus_growth():
    frame = _children(growth=[None, "0.5", None])

    weights = org_level_weights(frame, {"method": "growth", "growth": "0.1"})

    assert weights.tolist() == [Fraction(110), Fraction(150), Fraction(0)]


def test_potential_weights_need_every_childs_index():
    with pytest.raises(AllocationError, match=r"potential index of 'B' is missing"):
        org_level_weights(_children(potential=[1, None, 2]), {"method": "potential"})


def test_manual_percentages_must_add_up_to_100_per_parent():
    weights = org_level_weights(_children(manual=["50", "30", "20"]), {"method": "manual"})
    assert weights.tolist() == [Fraction(1, 2), Fraction(3, 10), Fraction(1, 5)]

    with pytest.raises(
        AllocationError, match=r"manual percentages under P: percentages add up to 90"
    ):
        org_level_weights(_children(manual=["50", "30", "10"]), {"method": "manual"})


def test_blend_mixes_two_normalised_weightings():
    spec = {
        "method": "blend",
        "alpha": "0.5",
        "a": {"method": "historical"},
        "b": {"method": "equal"},
    }

    weights = org_level_weights(_children(), spec)

    assert weights.tolist() == [
        Fraction(1, 2) * Fraction(3, 4) + Fraction(1, 6),
        Fraction(1, 2) * Fraction(1, 4) + Fraction(1, 6),
        Fraction(1, 6),
    ]


# --- the whole allocation ---------------------------------------------------------------------


def _tree() -> AllocationInput:
    """ROOT ─ N (unit) ─ {S1, S2}, ROOT ─ S3 (placed directly under the root)."""
    nodes = pd.DataFrame(
        [
            ("r", "ROOT", "Root", "", 0, "root", -1),
            ("n", "N", "North", "r", 1, "unit", -1),
            ("s3", "S3", "Three", "r", 1, "salesperson", 3),
            ("s1", "S1", "One", "n", 2, "salesperson", 1),
            ("s2", "S2", "Two", "n", 2, "salesperson", 2),
        ],
        columns=["key", "code", "name", "parent", "level", "kind", "salesperson_id"],
    )
    nodes["history"] = [0, 300, 100, 200, 100]
    nodes["last_year"] = 0
    for column in ("growth", "potential", "manual"):
        nodes[column] = None
    nodes["capacity"] = Fraction(1)
    nodes["parent_code"] = ["", "ROOT", "ROOT", "N", "N"]
    pl_nodes = pd.DataFrame(
        [
            (10, "FUR", 0, 1, False),
            (11, "FUR-CH", 10, 2, True),
            (12, "FUR-TA", 10, 2, True),
            (20, "TEC", 0, 1, True),
        ],
        columns=["pl_id", "code", "parent_id", "level", "is_leaf"],
    )
    weights = pd.DataFrame(
        [
            (1, 11, 5),
            (1, 12, 5),
            (1, 20, 10),
            (2, 11, 1),
            (2, 12, 0),
            (2, 20, 0),
            (3, 11, 0),
            (3, 12, 3),
            (3, 20, 0),
        ],
        columns=["salesperson_id", "pl_id", "weight"],
    )
    return AllocationInput(
        total=1_000_001,
        org_nodes=nodes,
        org_methods={0: {"method": "historical"}},
        pl_nodes=pl_nodes,
        pl_weights=weights,
        season={11: [1] * 12, 12: list(range(1, 13)), 20: [0] * 12},
    )


def _sums(out: pd.DataFrame, *columns: str) -> dict:
    return out.groupby(list(columns))["cents"].sum().to_dict()


def test_allocate_splits_level_by_level_exactly_as_engine_split_would():
    out = allocate(_tree())

    # Root: N (300) vs S3 (100) of 1,000,001.
    assert split(1_000_001, [300, 100], ["N", "S3"]) == [750_001, 250_000]
    people = _sums(out, "salesperson_id")
    assert people[3] == 250_000
    # N: S1 (200) vs S2 (100) of 750,001.
    assert [people[1], people[2]] == split(750_001, [200, 100], ["S1", "S2"])
    # S1 across FUR (5 + 5) and TEC (10), then FUR across its leaves.
    fur, tec = split(people[1], [10, 10], ["FUR", "TEC"])
    lines = _sums(out, "salesperson_id", "pl_id")
    assert lines[(1, 20)] == tec
    assert [lines[(1, 11)], lines[(1, 12)]] == split(fur, [5, 5], ["FUR-CH", "FUR-TA"])
    # Months by the line's seasonality (FUR-TA: 1..12), ties to the earlier month.
    months = out.query("salesperson_id == 1 and pl_id == 12").sort_values("m")["cents"].tolist()
    assert months == split(lines[(1, 12)], list(range(1, 13)), [f"{m:02d}" for m in range(12)])
    assert int(out["cents"].sum()) == 1_000_001


def test_zero_weights_split_equally_and_ties_go_to_the_lower_code():
    data = _tree()
    data.total = 100
    out = allocate(data)

    tec = out.query("salesperson_id == 2 and pl_id == 20")["cents"]
    assert tec.sum() == 0  # S2 has weight 0 for TEC but 1 for FUR-CH: everything goes there
    s3_tec = out.query("salesperson_id == 3 and pl_id == 20").sort_values("m")["cents"].tolist()
    assert s3_tec == [0] * 12
    fur_ch_s2 = out.query("salesperson_id == 2 and pl_id == 11").sort_values("m")["cents"]
    # 33 cents over 12 equal months: 9 months of 3 cents... the first ones get the leftover.
    assert fur_ch_s2.tolist() == split(
        int(fur_ch_s2.sum()), [1] * 12, [f"{m:02d}" for m in range(12)]
    )


def test_a_fully_frozen_child_keeps_its_amount_and_a_partly_frozen_one_gets_at_least_it():
    data = _tree()
    frozen = pd.DataFrame({"salesperson_id": 3, "pl_id": [11, 12, 20], "m": 0, "cents": 0})
    grid = pd.MultiIndex.from_product([[3], [11, 12, 20], range(12)]).to_frame(index=False)
    grid.columns = ["salesperson_id", "pl_id", "m"]
    grid["cents"] = 1000  # S3 entirely locked at 36,000 cents
    data.frozen = pd.concat([grid, frozen.iloc[:0]])
    data.total = 2_000_000

    out = allocate(data)

    assert _sums(out, "salesperson_id")[3] == 36_000
    assert (out.query("salesperson_id == 3")["cents"] == 1000).all()
    assert int(out["cents"].sum()) == 2_000_000

    partly = grid.query("pl_id == 11 and m < 3").assign(salesperson_id=1, cents=500_000)
    data.frozen = partly
    out = allocate(data)
    assert (
        out.query("salesperson_id == 1 and pl_id == 11 and m < 3")["cents"].tolist()
        == [500_000] * 3
    )
    assert int(out["cents"].sum()) == 2_000_000


def test_bounds_are_met_by_clip_and_resplit_and_infeasible_ones_are_refused():
    data = _tree()
    data.org_bounds = {"s3": (600_000, None)}

    out = allocate(data)

    people = _sums(out, "salesperson_id")
    assert people[3] == 600_000
    assert people[1] + people[2] == 400_001

    data.org_bounds = {"s3": (None, 100), "n": (None, 100)}
    with pytest.raises(AllocationError, match=r"Root: maximums add up to 2.00"):
        allocate(data)


def test_two_way_split_meets_both_the_org_and_the_product_line_totals():
    data = _tree()
    data.total = 1_000_000
    data.pl_totals = {11: 200_000, 12: 300_000, 20: 500_000}
    data.pl_seed = pd.DataFrame(
        {11: [6, 5, 0, 1, 1], 12: [8, 5, 3, 0, 3], 20: [10, 10, 0, 0, 1]},
        index=["r", "n", "s3", "s1", "s2"],
    )

    out = allocate(data)

    assert _sums(out, "pl_id") == {11: 200_000, 12: 300_000, 20: 500_000}
    people = _sums(out, "salesperson_id")
    assert people[3] == 250_000  # the org split is unchanged: 300 : 100
    assert people[1] + people[2] == 750_000


def test_allocation_without_people_or_lines_is_refused():
    data = _tree()
    data.org_nodes = data.org_nodes.query("kind != 'salesperson'")
    with pytest.raises(AllocationError, match=r"no salespeople"):
        allocate(data)


# --- rebalance of several children, and the vectorised re-spread ----------------------------


def test_rebalance_sets_several_children_and_the_rest_absorb_the_difference():
    amounts = np.array([100, 100, 100, 100, 200, 200], dtype=np.int64)
    owner = np.array([0, 0, 1, 1, 2, 2])

    got = rebalance(
        amounts=amounts,
        child=owner,
        child_keys=["A", "B", "C"],
        targets={0: 300, 1: 100},
        frozen=np.zeros(6, bool),
        locked_children=[False] * 3,
        mins=[None] * 3,
        maxs=[None] * 3,
    )

    assert got.tolist() == [150, 150, 50, 50, 200, 200]


def test_rebalance_of_several_children_refuses_targets_that_leave_no_room():
    common = {
        "amounts": np.array([200, 200, 200]),
        "child": np.array([0, 1, 2]),
        "child_keys": ["A", "B", "C"],
        "frozen": np.zeros(3, bool),
        "locked_children": [False, False, True],
        "mins": [None] * 3,
        "maxs": [None] * 3,
    }
    with pytest.raises(AllocationError, match=r"A, B add up to 5.00, but only 4.00 of the parent"):
        rebalance(targets={0: 300, 1: 200}, **common)
    with pytest.raises(AllocationError, match=r"A, B must add up to 4.00"):
        rebalance(targets={0: 250, 1: 100}, **common)


@pytest.mark.parametrize("seed", range(20))
def test_respread_rows_is_engine_respread_row_by_row(seed):
    rng = np.random.default_rng(seed)
    targets = rng.integers(0, 100_000, size=(30, 12))
    targets[0] = 0
    actuals = rng.integers(-5_000, 150_000, size=(30, 12))
    closed = int(rng.integers(1, 12))

    got = respread_rows(targets=targets, actuals=actuals, closed=closed)

    for row in range(30):
        expected = respread(
            annual=int(targets[row].sum()),
            month_targets=targets[row].tolist(),
            month_actuals=np.maximum(actuals[row], 0).tolist(),
            closed=closed,
        )
        assert got[row].tolist() == expected
    assert (
        got.sum(axis=1)
        == np.maximum(targets.sum(axis=1), np.maximum(actuals, 0)[:, :closed].sum(axis=1))
    ).all()
