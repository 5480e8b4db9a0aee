"""Example-based tests pinning down the allocation engine's rules (DESIGN §3). No database."""

from datetime import date
from decimal import Decimal
from fractions import Fraction

import numpy as np
import pandas as pd
import pytest

from allocation.engine.errors import AllocationError
from allocation.engine.exact import format_cents
from allocation.engine.grouped import split_frame
from allocation.engine.rebalance import rebalance, rescale, respread
from allocation.engine.rounding import controlled_round
from allocation.engine.seasonality import season_custom, season_historical, season_uniform
from allocation.engine.split import split, split_days
from allocation.engine.twoway import ras, two_way_fit, two_way_split
from allocation.engine.weights import (
    weights_blend,
    weights_capacity,
    weights_equal,
    weights_growth,
    weights_historical,
    weights_manual_percent,
    weights_potential,
)

# --------------------------------------------------------------------------------------------
# Split: largest remainder, ties, zero weights, weight validation
# --------------------------------------------------------------------------------------------


def test_split_100_by_thirds_gives_the_extra_cent_to_the_lowest_code():
    # 100.00 / 3 = 33.333…: floors 33.33 ×3 leave 1 cent; all remainders tie → lowest code.
    assert split(10000, [1, 1, 1], ["S-N2", "S-N1", "S-S1"]) == [3333, 3334, 3333]


def test_split_gives_leftover_cents_to_largest_remainders_ties_to_lower_code():
    # 1.00 by 1:1:1:3 → raw 16.67, 16.67, 16.67, 50.00 cents; leftover 1 cent, ties → "a".
    assert split(100, [1, 1, 1, 3], ["c", "a", "b", "d"]) == [16, 17, 17, 50]
    # 10 cents by 7:2:1 → 7, 2, 1 exactly.
    assert split(10, [7, 2, 1], ["x", "y", "z"]) == [7, 2, 1]
    # 10 cents by 1:1:1:1:1:1:3 (Σ9) → raw 1.11…×6, 3.33…; floors 1×6+3=9, leftover 1;
    # remainders 1/9 ×6 and 3/9 → the weight-3 child takes it.
    assert split(10, [1, 1, 1, 1, 1, 1, 3], list("abcdefg")) == [1, 1, 1, 1, 1, 1, 4]


def test_split_tie_break_uses_string_order_not_input_order():
    forward = split(200, [1, 1, 1], ["10", "9", "100"])
    # String order: "10" < "100" < "9": the two extra cents go to "10" and "100".
    assert dict(zip(["10", "9", "100"], forward, strict=True)) == {"10": 67, "100": 67, "9": 66}


def test_split_sums_exactly_to_the_parent_for_awkward_weights():
    weights = ["0.1", Decimal("0.2"), 0.3, Fraction(1, 7), 11]
    amounts = split(123_456_789, weights, list("abcde"))
    assert sum(amounts) == 123_456_789


def test_split_with_all_zero_weights_is_an_equal_split():
    assert split(1000, [0, 0, 0], ["a", "b", "c"]) == [334, 333, 333]


def test_split_with_some_zero_weights_gives_them_nothing():
    assert split(1000, [0, 1, 0], ["a", "b", "c"]) == [0, 1000, 0]


def test_split_reads_float_weights_as_the_decimals_they_show():
    # 0.1 + 0.2 != 0.3 in binary; read exactly as decimals the weights are 1:2:3.
    assert split(600, [0.1, 0.2, 0.3], ["a", "b", "c"]) == [100, 200, 300]
    assert split(600, ["0.1", Decimal("0.2"), Fraction(3, 10)], ["a", "b", "c"]) == [100, 200, 300]


def test_split_rejects_negative_weight_naming_the_child():
    with pytest.raises(AllocationError, match=r"weight of 'S-N1' is negative \(-3\)") as info:
        split(1000, [1, -3], ["S-S1", "S-N1"])
    assert info.value.child == "S-N1"


@pytest.mark.parametrize(
    ("bad", "problem"),
    [
        (float("nan"), "not a finite number"),
        (float("inf"), "not a finite number"),
        ("abc", "not a number"),
        (None, "missing"),
        (True, "not a number"),
        (Decimal("NaN"), "not a finite number"),
        (object(), "not a number"),
    ],
)
def test_split_rejects_non_numeric_weight_naming_the_child(bad, problem):
    with pytest.raises(AllocationError, match=f"weight of 'S-N2' is {problem}") as info:
        split(1000, [1, bad], ["S-N1", "S-N2"])
    assert info.value.child == "S-N2"


def test_split_rejects_duplicate_keys():
    with pytest.raises(AllocationError, match="duplicate key 'a'") as info:
        split(100, [1, 1], ["a", "a"])
    assert info.value.child == "a"


def test_split_rejects_negative_and_float_totals():
    with pytest.raises(AllocationError, match="can't be negative"):
        split(-1, [1], ["a"])
    with pytest.raises(AllocationError, match="whole number of cents"):
        split(10.5, [1], ["a"])


def test_split_rejects_mismatched_lengths():
    with pytest.raises(AllocationError, match="weights has 1 entries for 2 children"):
        split(100, [1], ["a", "b"])


def test_split_of_nothing_and_of_zero():
    assert split(0, [], []) == []
    assert split(0, [1, 2], ["a", "b"]) == [0, 0]
    with pytest.raises(AllocationError, match="every child is locked"):
        split(5, [], [])


# --------------------------------------------------------------------------------------------
# Split with locks
# --------------------------------------------------------------------------------------------


def test_split_keeps_locked_children_and_splits_the_rest_by_weight():
    # 100.00 with "b" locked at 40.00: 60.00 by 1:2 between "a" and "c".
    assert split(10000, [1, 5, 2], ["a", "b", "c"], locked=[None, 4000, None]) == [2000, 4000, 4000]


def test_split_ignores_the_weight_of_a_locked_child():
    assert split(100, [1, None, 1], ["a", "b", "c"], locked=[None, 50, None]) == [25, 50, 25]


def test_split_rejects_locks_above_the_total():
    with pytest.raises(AllocationError, match=r"locked amounts add up to 120\.00, more than"):
        split(10000, [1, 1, 1], ["a", "b", "c"], locked=[6000, 6000, None])


def test_split_with_everything_locked_must_add_up():
    assert split(100, [1, 1], ["a", "b"], locked=[40, 60]) == [40, 60]
    with pytest.raises(AllocationError, match="every child is locked"):
        split(100, [1, 1], ["a", "b"], locked=[40, 50])


def test_split_accepts_numpy_ints_and_pandas_na_as_no_lock():
    assert split(np.int64(100), [1, 1], ["a", "b"], locked=[pd.NA, np.int64(30)]) == [70, 30]


# --------------------------------------------------------------------------------------------
# Split with bounds (water-filling)
# --------------------------------------------------------------------------------------------


def test_split_caps_a_child_at_its_maximum_and_resplits_the_rest():
    # 100.00 by 1:1:1:10 would give "d" 76.92; capped at 40.00, 60.00 splits equally.
    assert split(10000, [1, 1, 1, 10], list("abcd"), maxs=[None, None, None, 4000]) == [
        2000,
        2000,
        2000,
        4000,
    ]


def test_split_lifts_a_child_to_its_minimum_and_resplits_the_rest():
    # 100.00 by 1:9 → 10.00 / 90.00; "a" has min 30.00, so "b" gets the remaining 70.00.
    assert split(10000, [1, 9], ["a", "b"], mins=[3000, None]) == [3000, 7000]


def test_split_water_fills_repeatedly_until_stable():
    # Raw 1:2:3:4 of 100 → 10/20/30/40. Cap "d" at 35 → 65 left over a,b,c by 1:2:3 →
    # 10.83/21.67/32.5; cap "c" at 30 too → 35 over a,b by 1:2 → 11.67/23.33.
    amounts = split(100, [1, 2, 3, 4], list("abcd"), maxs=[None, None, 30, 35])
    assert amounts == [12, 23, 30, 35]
    assert sum(amounts) == 100


def test_split_with_mins_and_maxs_at_once_keeps_every_bound():
    amounts = split(
        1000, [1, 1, 1, 97], list("abcd"), mins=[100, 150, None, None], maxs=[None] * 3 + [600]
    )
    assert sum(amounts) == 1000
    assert amounts[0] >= 100
    assert amounts[1] >= 150
    assert amounts[3] <= 600
    # "d" is capped at 600 and "a", "b", "c" share 400 by weight but "a", "b" are lifted.
    assert amounts == [125, 150, 125, 600]


def test_split_gives_zero_weight_children_the_overflow_when_weighted_ones_are_full():
    assert split(100, [1, 0, 0], ["a", "b", "c"], maxs=[50, None, None]) == [50, 25, 25]


def test_split_rounded_amounts_respect_bounds():
    amounts = split(10, [1, 1, 1], ["a", "b", "c"], maxs=[3, 4, 4])
    # "a" capped at 3, 7 left over b and c = 3.5 each; the spare cent goes to "b".
    assert amounts == [3, 4, 3]


def test_split_rejects_minimums_above_the_amount():
    with pytest.raises(AllocationError, match=r"minimums add up to 1\.20, more than the 1\.00"):
        split(100, [1, 1], ["a", "b"], mins=[60, 60])


def test_split_rejects_maximums_below_the_amount():
    with pytest.raises(AllocationError, match=r"maximums add up to 0\.80, less than the 1\.00"):
        split(100, [1, 1], ["a", "b"], maxs=[40, 40])


def test_split_checks_bounds_after_locks():
    # Locks take 70; the 30 left can't meet "b"'s minimum of 40.
    with pytest.raises(AllocationError, match=r"minimums add up to 0\.40, more than the 0\.30"):
        split(100, [1, 1, 1], ["a", "b", "c"], locked=[70, None, None], mins=[None, 40, None])


def test_split_rejects_min_above_max_naming_the_child():
    with pytest.raises(AllocationError, match=r"minimum of 'b'.*above its maximum") as info:
        split(100, [1, 1], ["a", "b"], mins=[None, 60], maxs=[None, 50])
    assert info.value.child == "b"


def test_split_rejects_a_lock_outside_its_own_bounds():
    with pytest.raises(AllocationError, match=r"'a' is locked at 0\.90, above its maximum") as info:
        split(100, [1, 1], ["a", "b"], locked=[90, None], maxs=[50, None])
    assert info.value.child == "a"


def test_split_rejects_negative_bounds():
    with pytest.raises(AllocationError, match="minimum of 'a' is negative"):
        split(100, [1, 1], ["a", "b"], mins=[-1, None])


# --------------------------------------------------------------------------------------------
# Day split and money formatting
# --------------------------------------------------------------------------------------------


def test_split_days_gives_extra_cents_to_the_earliest_days():
    days = [date(2024, 3, 6), date(2024, 3, 4), date(2024, 3, 5)]
    assert split_days(100, days) == {
        date(2024, 3, 4): 34,
        date(2024, 3, 5): 33,
        date(2024, 3, 6): 33,
    }


def test_split_days_without_working_days_is_an_error():
    with pytest.raises(AllocationError, match="no working days"):
        split_days(100, [])


def test_format_cents_shows_money_with_separators():
    assert format_cents(123456789) == "1,234,567.89"
    assert format_cents(-5) == "-0.05"


# --------------------------------------------------------------------------------------------
# split_frame
# --------------------------------------------------------------------------------------------


def _frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "region": ["N", "N", "N", "S", "S"],
            "person": ["S-N2", "S-N1", "S-N3", "S-S1", "S-S2"],
            "weight": [1, 1, 1, 0, 0],
        },
        index=[10, 11, 12, 13, 14],
    )


def test_split_frame_splits_each_group_with_largest_remainder_and_key_ties():
    result = split_frame(
        _frame(),
        group="region",
        weight="weight",
        key="person",
        totals=pd.Series({"N": 10000, "S": 5}),
    )
    assert result.dtype == np.int64
    assert result.to_dict() == {10: 3333, 11: 3334, 12: 3333, 13: 3, 14: 2}


def test_split_frame_keeps_locked_rows():
    frame = _frame().assign(locked=pd.array([None, 5000, None, None, None], dtype="Int64"))
    result = split_frame(
        frame,
        group="region",
        weight="weight",
        key="person",
        totals=pd.Series({"N": 10000, "S": 5}),
        locked="locked",
    )
    assert result.to_dict() == {10: 2500, 11: 5000, 12: 2500, 13: 3, 14: 2}


def test_split_frame_supports_several_group_columns():
    frame = pd.DataFrame(
        {
            "sp": ["a", "a", "a", "a"],
            "pl": ["x", "x", "y", "y"],
            "month": ["01", "02", "01", "02"],
            "w": [1, 3, 1, 1],
        }
    )
    totals = pd.Series([400, 101], index=pd.MultiIndex.from_tuples([("a", "x"), ("a", "y")]))
    result = split_frame(frame, group=["sp", "pl"], weight="w", key="month", totals=totals)
    assert result.tolist() == [100, 300, 51, 50]


def test_split_frame_agrees_with_split_on_decimal_and_float_weights():
    frame = pd.DataFrame(
        {
            "g": [1, 1, 1, 2, 2],
            "k": ["c", "b", "a", "a", "b"],
            "w": [Decimal("0.1"), Decimal("0.2"), Decimal("0.3"), Decimal("1"), Decimal("3")],
        }
    )
    totals = pd.Series({1: 1001, 2: 7})
    result = split_frame(frame, group="g", weight="w", key="k", totals=totals)
    assert result.tolist()[:3] == split(1001, ["0.1", "0.2", "0.3"], ["c", "b", "a"])
    assert result.tolist()[3:] == split(7, [1, 3], ["a", "b"])
    floats = frame.assign(w=frame["w"].astype(float))
    assert split_frame(floats, group="g", weight="w", key="k", totals=totals).equals(result)


def test_split_frame_rejects_groups_without_rows_or_without_totals():
    with pytest.raises(AllocationError, match="group 'X' has a total but no rows"):
        split_frame(
            _frame(),
            group="region",
            weight="weight",
            key="person",
            totals=pd.Series({"N": 1, "S": 1, "X": 1}),
        )
    with pytest.raises(AllocationError, match="group 'S' has rows but no total"):
        split_frame(
            _frame(), group="region", weight="weight", key="person", totals=pd.Series({"N": 1})
        )


def test_split_frame_rejects_negative_weight_naming_the_child():
    frame = _frame()
    frame.loc[12, "weight"] = -2
    with pytest.raises(AllocationError, match=r"weight of 'S-N3' is negative \(-2\)") as info:
        split_frame(
            frame, group="region", weight="weight", key="person", totals=pd.Series({"N": 1, "S": 1})
        )
    assert info.value.child == "S-N3"


def test_split_frame_rejects_nan_weight_naming_the_child():
    frame = _frame().assign(weight=[1.0, np.nan, 1.0, 0.0, 0.0])
    with pytest.raises(AllocationError, match="weight of 'S-N1' is not a finite number"):
        split_frame(
            frame, group="region", weight="weight", key="person", totals=pd.Series({"N": 1, "S": 1})
        )


def test_split_frame_rejects_locks_above_the_group_total():
    frame = _frame().assign(locked=pd.array([90, None, None, None, None], dtype="Int64"))
    with pytest.raises(AllocationError, match=r"locked amounts in group 'N' add up to 0\.90"):
        split_frame(
            frame,
            group="region",
            weight="weight",
            key="person",
            totals=pd.Series({"N": 50, "S": 1}),
            locked="locked",
        )


def test_split_frame_refuses_float_money_and_duplicate_keys():
    with pytest.raises(AllocationError, match="must be integer cents"):
        split_frame(
            _frame(),
            group="region",
            weight="weight",
            key="person",
            totals=pd.Series({"N": 1.0, "S": 1.0}),
        )
    frame = _frame()
    frame.loc[12, "person"] = "S-N1"
    with pytest.raises(AllocationError, match="key 'S-N1' appears twice in group 'N'"):
        split_frame(
            frame, group="region", weight="weight", key="person", totals=pd.Series({"N": 1, "S": 1})
        )


def test_split_frame_is_exact_for_totals_beyond_float_precision():
    total = 2**62 + 12345  # far past 2**53: a float would lose the cents
    frame = pd.DataFrame({"g": [1, 1, 1], "k": ["a", "b", "c"], "w": [1, 1, 1]})
    result = split_frame(frame, group="g", weight="w", key="k", totals=pd.Series({1: total}))
    assert result.tolist() == split(total, [1, 1, 1], ["a", "b", "c"])
    assert int(result.sum()) == total


def test_split_frame_of_an_empty_frame_is_empty():
    frame = pd.DataFrame({"g": pd.Series([], dtype=int), "k": [], "w": pd.Series([], dtype=int)})
    result = split_frame(frame, group="g", weight="w", key="k", totals=pd.Series([], dtype="int64"))
    assert result.empty


# --------------------------------------------------------------------------------------------
# Two-way fitting, controlled rounding and two_way_split
# --------------------------------------------------------------------------------------------


def test_ras_converges_to_both_margins():
    seed = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    fitted = ras(seed, np.array([100.0, 200.0]), np.array([50.0, 100.0, 150.0]))
    np.testing.assert_allclose(fitted.sum(axis=1), [100, 200], rtol=1e-9)
    np.testing.assert_allclose(fitted.sum(axis=0), [50, 100, 150], rtol=1e-9)
    # RAS keeps the seed's cross-ratios (odds ratios): (a·d)/(b·c) is invariant.
    assert fitted[0, 0] * fitted[1, 1] / (fitted[0, 1] * fitted[1, 0]) == pytest.approx(5 / 8)


def test_ras_reports_impossible_margins():
    # Row 0 can only use column 0 (total 10) but needs 50: the fit can't converge.
    seed = np.array([[1.0, 0.0], [1.0, 1.0]])
    with pytest.raises(AllocationError, match="did not converge"):
        ras(seed, np.array([50.0, 50.0]), np.array([10.0, 90.0]), max_iter=200)


def test_ras_rejects_negative_seed_and_unequal_totals():
    with pytest.raises(AllocationError, match=r"cell \(0, 1\) is negative"):
        ras(np.array([[1.0, -1.0]]), np.array([1.0]), np.array([0.5, 0.5]))
    with pytest.raises(AllocationError, match="row totals add up to"):
        ras(np.ones((1, 2)), np.array([1.0]), np.array([1.0, 1.0]))


def test_controlled_round_keeps_margins_and_rounds_each_cell_down_or_up():
    values = np.array([[1.2, 2.3, 3.5], [4.8, 0.7, 0.5]])
    result = controlled_round(values, [7, 6], [6, 3, 4])
    assert result.sum(axis=1).tolist() == [7, 6]
    assert result.sum(axis=0).tolist() == [6, 3, 4]
    assert ((result == np.floor(values)) | (result == np.ceil(values))).all()
    # Largest fractions win: 4.8 → 5 and 0.7 → 1 in row 2; row 1 rounds up 3.5.
    assert result.tolist() == [[1, 2, 4], [5, 1, 0]]


def test_controlled_round_breaks_ties_towards_lower_keys():
    # Uniform thirds: each row and column rounds exactly one cell up; with every fraction equal
    # the cells go along the diagonal in key order, whatever the input order.
    values = np.full((3, 3), 1 / 3)
    result = controlled_round(
        values, [1, 1, 1], [1, 1, 1], row_keys=["r3", "r1", "r2"], col_keys=["a", "b", "c"]
    )
    assert result.tolist() == [[0, 0, 1], [1, 0, 0], [0, 1, 0]]


def test_controlled_round_rejects_tables_that_cant_meet_the_margins():
    with pytest.raises(AllocationError, match="can't be rounded"):
        controlled_round(np.array([[1.0, 1.0]]), [3], [1, 2])


def test_two_way_split_meets_both_margins_exactly():
    seed = np.array([[3.0, 1.0, 1.0], [1.0, 2.0, 5.0]])
    rows, cols = [100_001, 250_000], [120_000, 80_000, 150_001]
    result = two_way_split(
        seed, rows, cols, row_keys=["NORTH", "SOUTH"], col_keys=["P1", "P2", "P3"]
    )
    assert result.dtype == np.int64
    assert result.sum(axis=1).tolist() == rows
    assert result.sum(axis=0).tolist() == cols
    fitted = two_way_fit(seed, rows, cols, row_keys=["NORTH", "SOUTH"], col_keys=["P1", "P2", "P3"])
    assert ((result == np.floor(fitted)) | (result == np.ceil(fitted))).all()


def test_two_way_split_does_not_depend_on_row_or_column_order():
    seed = np.array([[1.0, 2.0, 3.0], [3.0, 2.0, 1.0], [1.0, 1.0, 1.0]])
    rows, cols = [1000, 1001, 999], [700, 1300, 1000]
    keys_r, keys_c = ["a", "b", "c"], ["x", "y", "z"]
    base = two_way_split(seed, rows, cols, row_keys=keys_r, col_keys=keys_c)
    rp, cp = [2, 0, 1], [1, 2, 0]
    shuffled = two_way_split(
        seed[np.ix_(rp, cp)],
        [rows[i] for i in rp],
        [cols[j] for j in cp],
        row_keys=[keys_r[i] for i in rp],
        col_keys=[keys_c[j] for j in cp],
    )
    assert (shuffled == base[np.ix_(rp, cp)]).all()


def test_two_way_split_gives_zero_seed_rows_and_columns_a_uniform_seed():
    seed = np.array([[0.0, 0.0], [1.0, 0.0]])
    result = two_way_split(seed, [600, 400], [500, 500], row_keys=["a", "b"], col_keys=["x", "y"])
    assert result.sum(axis=1).tolist() == [600, 400]
    assert result.sum(axis=0).tolist() == [500, 500]
    # Column "y" had no seed: it is uniform, so both rows may sell it; row "b" keeps its
    # pattern of only "x" where that fits.
    assert result.tolist() == [[100, 500], [400, 0]]


def test_two_way_split_handles_cells_forced_to_zero_by_the_margins():
    # Rows a and b can only use x and y; x + y totals 1000 = a + b, so c must take all of z
    # and a/b's cells in z are forced to 0 — still exact and fast.
    seed = np.array([[1.0, 1.0, 1.0], [1.0, 1.0, 0.0], [0.0, 0.0, 1.0]])
    seed[0, 2] = 1.0
    result = two_way_split(
        seed, [500, 500, 300], [400, 600, 300], row_keys=list("abc"), col_keys=list("xyz")
    )
    assert result.sum(axis=1).tolist() == [500, 500, 300]
    assert result.sum(axis=0).tolist() == [400, 600, 300]
    assert result[0, 2] == 0


def test_two_way_split_names_the_blocking_rows_when_structurally_impossible():
    seed = np.array([[1.0, 0.0], [1.0, 1.0]])
    with pytest.raises(AllocationError, match=r"'a'.*only.*'x'.*need 5\.00.*only 2\.00") as info:
        two_way_split(seed, [500, 500], [200, 800], row_keys=["a", "b"], col_keys=["x", "y"])
    assert info.value.child == "a"


def test_two_way_split_rejects_unequal_grand_totals_and_negative_seed():
    with pytest.raises(AllocationError, match="must be equal"):
        two_way_split(np.ones((1, 2)), [10], [5, 6], row_keys=["a"], col_keys=["x", "y"])
    with pytest.raises(AllocationError, match=r"cell \('a', 'y'\) is negative") as info:
        two_way_split(np.array([[1.0, -1.0]]), [10], [5, 5], row_keys=["a"], col_keys=["x", "y"])
    assert info.value.child == "a/y"


# --------------------------------------------------------------------------------------------
# Weight methods
# --------------------------------------------------------------------------------------------


def test_weights_equal():
    assert weights_equal(3) == [1, 1, 1]
    assert weights_equal(0) == []
    with pytest.raises(AllocationError):
        weights_equal(-1)


def test_weights_manual_percent_must_add_up_to_exactly_100():
    assert weights_manual_percent(["33.34", "33.33", "33.33"], ["a", "b", "c"]) == [
        Fraction(3334, 10000),
        Fraction(3333, 10000),
        Fraction(3333, 10000),
    ]
    with pytest.raises(AllocationError, match=r"percentages add up to 99\.99, not 100"):
        weights_manual_percent(["33.33", "33.33", "33.33"], ["a", "b", "c"])
    with pytest.raises(AllocationError, match="percentage of 'b' is negative") as info:
        weights_manual_percent([110, -10], ["a", "b"])
    assert info.value.child == "b"


def test_weights_historical_uses_shares_of_history():
    assert weights_historical([300, 100], ["a", "b"]) == [Fraction(3, 4), Fraction(1, 4)]


def test_weights_historical_smooths_toward_equal():
    # s = 0.5: (1 − 0.5)·share + 0.5/2 → 0.375 + 0.25, 0.125 + 0.25.
    assert weights_historical([300, 100], ["a", "b"], smoothing="0.5") == [
        Fraction(5, 8),
        Fraction(3, 8),
    ]


def test_weights_historical_gives_newcomers_the_floor_and_renormalises_the_others():
    # New "c" gets 10 %; a and b share the other 90 % as 3:1.
    weights = weights_historical([300, 100, 0], ["a", "b", "c"], floor_share="0.1")
    assert weights == [Fraction(27, 40), Fraction(9, 40), Fraction(1, 10)]
    assert sum(weights) == 1


def test_weights_historical_counts_net_returns_as_zero_and_all_zero_as_equal():
    assert weights_historical([-50, 100], ["a", "b"]) == [0, 1]
    assert weights_historical([0, -5], ["a", "b"]) == [Fraction(1, 2), Fraction(1, 2)]


def test_weights_historical_validates_its_options():
    with pytest.raises(AllocationError, match="smoothing must be between 0 and 1"):
        weights_historical([1, 2], ["a", "b"], smoothing=2)
    with pytest.raises(AllocationError, match="floor share"):
        weights_historical([1, 2], ["a", "b"], floor_share="0.5")


def test_weights_growth_multiplies_last_year_by_one_plus_growth():
    assert weights_growth([1000, 2000], ["0.1", "-0.5"], ["a", "b"]) == [1100, 1000]
    with pytest.raises(AllocationError, match="growth of 'b' is below -100%") as info:
        weights_growth([1000, 2000], [0, "-1.5"], ["a", "b"])
    assert info.value.child == "b"


def test_weights_potential_rejects_negative_index():
    assert weights_potential(["1.5", 2], ["a", "b"]) == [Fraction(3, 2), 2]
    with pytest.raises(AllocationError, match="potential index of 'a' is negative"):
        weights_potential([-1, 2], ["a", "b"])


def test_weights_capacity_full_year_person_counts_fte_times_twelve():
    weights = weights_capacity(
        fte=["0.5"], start=[None], end=[None], period_start=date(2024, 1, 1), keys=["a"]
    )
    assert weights == [6]


def test_weights_capacity_applies_the_ramp_from_the_start_month():
    # Starts 2024-03-01: Mar 25 %, Apr 50 %, May 75 %, Jun–Dec 100 % (7 months) → 8.5.
    weights = weights_capacity(
        fte=[1], start=[date(2024, 3, 1)], end=[None], period_start=date(2024, 1, 1), keys=["a"]
    )
    assert weights == [Fraction(17, 2)]


def test_weights_capacity_prorates_a_mid_month_start_and_end_by_calendar_days():
    # Starts 2024-01-16 (16 of 31 days at 25 %), Feb at 50 %, Mar at 75 %, leaves 2024-04-10
    # (10 of 30 days at 100 %).
    weights = weights_capacity(
        fte=[1],
        start=[date(2024, 1, 16)],
        end=[date(2024, 4, 10)],
        period_start=date(2024, 1, 1),
        keys=["a"],
    )
    assert weights == [Fraction(16, 31) / 4 + Fraction(1, 2) + Fraction(3, 4) + Fraction(1, 3)]


def test_weights_capacity_counts_ramp_from_a_start_before_the_period():
    # Started 2023-11-01: Nov k=0, Dec k=1, so Jan 2024 is k=2 (75 %), then fully ramped.
    weights = weights_capacity(
        fte=[1],
        start=[date(2023, 11, 1)],
        end=[None],
        period_start=date(2024, 1, 1),
        months=3,
        keys=["a"],
    )
    assert weights == [Fraction(3, 4) + 1 + 1]


def test_weights_capacity_rejects_bad_dates():
    with pytest.raises(AllocationError, match=r"start date of 'a'.*after the end date") as info:
        weights_capacity(
            fte=[1],
            start=[date(2024, 5, 1)],
            end=[date(2024, 4, 1)],
            period_start=date(2024, 1, 1),
            keys=["a"],
        )
    assert info.value.child == "a"
    with pytest.raises(AllocationError, match="first of a month"):
        weights_capacity(
            fte=[1], start=[None], end=[None], period_start=date(2024, 1, 2), keys=["a"]
        )


def test_weights_blend_mixes_normalised_weightings():
    assert weights_blend([1, 3], [1, 1], "0.5") == [Fraction(3, 8), Fraction(5, 8)]
    assert weights_blend([0, 0], [1, 3], 1) == [Fraction(1, 2), Fraction(1, 2)]
    with pytest.raises(AllocationError, match="alpha must be between 0 and 1"):
        weights_blend([1], [1], "1.5")
    with pytest.raises(AllocationError, match="weight of 'b' is negative"):
        weights_blend([1, -1], [1, 1], 0, keys=["a", "b"])


# --------------------------------------------------------------------------------------------
# Seasonality
# --------------------------------------------------------------------------------------------


def test_season_uniform_is_twelve_equal_shares():
    assert season_uniform() == [Fraction(1, 12)] * 12


def test_season_historical_averages_each_years_monthly_shares():
    year1 = [100] + [0] * 11
    year2 = [0, 300] + [0] * 10
    empty = [0] * 12
    profile = season_historical([year1, year2, empty])
    assert profile[:3] == [Fraction(1, 2), Fraction(1, 2), 0]
    assert sum(profile) == 1


def test_season_historical_of_no_history_is_uniform():
    assert season_historical(np.zeros((2, 12), dtype=int)) == season_uniform()


def test_season_historical_needs_twelve_months():
    with pytest.raises(AllocationError, match="12 monthly amounts"):
        season_historical([[1, 2, 3]])


def test_season_custom_normalises_and_validates():
    curve = season_custom([1] * 6 + [3] * 6)
    assert curve[0] == Fraction(1, 24)
    assert curve[-1] == Fraction(3, 24)
    with pytest.raises(AllocationError, match="all zero"):
        season_custom([0] * 12)
    with pytest.raises(AllocationError, match="curve value of 'month 2' is negative"):
        season_custom([1, -1] + [1] * 10)
    with pytest.raises(AllocationError, match="12 months"):
        season_custom([1] * 11)


def test_season_split_of_an_annual_target_sums_exactly():
    months = split(
        1_000_000_01,
        season_historical([[5, 7, 9, 11, 13, 3, 2, 8, 6, 4, 10, 12]]),
        [f"{m:02d}" for m in range(1, 13)],
    )
    assert sum(months) == 1_000_000_01


# --------------------------------------------------------------------------------------------
# Editing by rescale, rebalance and respread
# --------------------------------------------------------------------------------------------


def test_rescale_keeps_proportions_and_frozen_leaves():
    result = rescale(
        amounts=np.array([100, 200, 300]), new_total=900, frozen=np.array([False, False, True])
    )
    assert result.tolist() == [200, 400, 300]


def test_rescale_of_all_zero_free_leaves_is_an_equal_split():
    assert rescale(amounts=np.array([0, 0, 0]), new_total=10).tolist() == [4, 3, 3]
    assert rescale(amounts=np.array([0, 0, 0]), new_total=10, keys=["c", "b", "a"]).tolist() == [
        3,
        3,
        4,
    ]


def test_rescale_rejects_a_total_below_the_frozen_part():
    with pytest.raises(AllocationError, match=r"below the locked part 3\.00"):
        rescale(amounts=np.array([100, 300]), new_total=200, frozen=np.array([False, True]))


def test_rebalance_keeps_the_parent_and_shares_the_difference_by_current_totals():
    # Children a=[10,20] (30), b=[30] (30), c=[40] (40); parent 100. Set a to 50:
    # b and c share 50 by 30:40 → 21.43/28.57 → 21/29; a's leaves 50 by 1:2 → 17/33.
    result = rebalance(
        amounts=np.array([10, 20, 30, 40]),
        child=np.array([0, 0, 1, 2]),
        child_keys=["a", "b", "c"],
        targets={0: 50},
    )
    assert result.tolist() == [17, 33, 21, 29]
    assert result.sum() == 100


def test_rebalance_respects_locked_siblings_and_frozen_leaves():
    result = rebalance(
        amounts=np.array([100, 100, 200, 300, 300]),
        child=np.array([0, 0, 1, 2, 2]),
        child_keys=["a", "b", "c"],
        targets={0: 400},
        frozen=np.array([True, False, False, False, True]),
        locked_children=[False, True, False],
    )
    # b (200) is locked; c keeps its frozen 300 and gives up 200: c = 400 → [100, 300].
    assert result.tolist() == [100, 300, 200, 100, 300]
    assert result.sum() == 1000


def test_rebalance_shares_equally_when_siblings_are_all_zero():
    result = rebalance(
        amounts=np.array([10, 0, 0]),
        child=np.array([0, 1, 2]),
        child_keys=["a", "b", "c"],
        targets={0: 5},
    )
    assert result.tolist() == [5, 3, 2]


def test_rebalance_respects_sibling_bounds():
    result = rebalance(
        amounts=np.array([100, 100, 100]),
        child=np.array([0, 1, 2]),
        child_keys=["a", "b", "c"],
        targets={0: 0},
        maxs=[None, 120, None],
    )
    assert result.tolist() == [0, 120, 180]


def test_rebalance_refuses_to_edit_a_locked_child():
    with pytest.raises(AllocationError, match=r"'a' is locked; unlock it") as info:
        rebalance(
            amounts=np.array([1, 1]),
            child=np.array([0, 1]),
            child_keys=["a", "b"],
            targets={0: 2},
            locked_children=[True, False],
        )
    assert info.value.child == "a"


def test_rebalance_refuses_to_go_below_the_frozen_part():
    with pytest.raises(AllocationError, match=r"can't go below 0\.60, the amount locked inside"):
        rebalance(
            amounts=np.array([60, 40, 100]),
            child=np.array([0, 0, 1]),
            child_keys=["a", "b"],
            targets={0: 50},
            frozen=np.array([True, False, False]),
        )


def test_rebalance_refuses_negative_amounts():
    with pytest.raises(AllocationError, match="negative amount"):
        rebalance(
            amounts=np.array([1, 1]),
            child=np.array([0, 1]),
            child_keys=["a", "b"],
            targets={0: -1},
        )


def test_rebalance_refuses_when_there_is_no_room_among_the_siblings():
    with pytest.raises(
        AllocationError, match=r"can be at most 0\.70.*1\.00.*0\.30 of it is locked"
    ):
        rebalance(
            amounts=np.array([30, 30, 40]),
            child=np.array([0, 1, 2]),
            child_keys=["a", "b", "c"],
            targets={0: 80},
            locked_children=[False, True, False],
        )


def test_rebalance_refuses_when_siblings_cant_absorb_within_their_bounds():
    with pytest.raises(AllocationError, match="other unlocked items would have to share"):
        rebalance(
            amounts=np.array([50, 50]),
            child=np.array([0, 1]),
            child_keys=["a", "b"],
            targets={0: 10},
            maxs=[None, 60],
        )


def test_rebalance_refuses_when_no_sibling_can_move():
    with pytest.raises(AllocationError, match="no unlocked item next to it"):
        rebalance(
            amounts=np.array([50, 50]),
            child=np.array([0, 1]),
            child_keys=["a", "b"],
            targets={0: 10},
            locked_children=[False, True],
        )


def test_rebalance_treats_a_fully_frozen_sibling_as_locked():
    result = rebalance(
        amounts=np.array([50, 20, 30]),
        child=np.array([0, 1, 2]),
        child_keys=["a", "b", "c"],
        targets={0: 40},
        frozen=np.array([False, True, False]),
    )
    assert result.tolist() == [40, 20, 40]


def test_respread_spreads_what_remains_over_the_open_months():
    # Annual 1,200; three months closed with actuals 150 + 150 + none = 300; 900 left over
    # nine open months in proportion to their targets (all 100) → 100 each.
    result = respread(
        annual=1200, month_targets=[100] * 12, month_actuals=[150, 150, None] + [None] * 9, closed=3
    )
    assert result == [150, 150, 0] + [100] * 9
    assert sum(result) == 1200


def test_respread_follows_current_targets_with_largest_remainder():
    result = respread(
        annual=1000, month_targets=[500, 1, 2, 0], month_actuals=[400, 0, 0, 0], closed=1
    )
    assert result == [400, 200, 400, 0]


def test_respread_when_already_above_target_keeps_the_actual_to_date():
    result = respread(
        annual=1000, month_targets=[250] * 4, month_actuals=[700, 600, 0, 0], closed=2
    )
    assert result == [700, 600, 0, 0]
    assert sum(result) == max(1000, 1300)


def test_respread_with_zero_targets_spreads_equally():
    assert respread(
        annual=10, month_targets=[0, 0, 0, 0], month_actuals=[1, None, None, None], closed=1
    ) == [1, 3, 3, 3]


def test_respread_rejects_bad_input():
    with pytest.raises(AllocationError, match="closed must be between"):
        respread(annual=10, month_targets=[1, 1], month_actuals=[None, None], closed=3)
    with pytest.raises(AllocationError, match="every month is closed"):
        respread(annual=10, month_targets=[1, 1], month_actuals=[1, 1], closed=2)
    with pytest.raises(AllocationError, match="annual target can't be negative"):
        respread(annual=-1, month_targets=[1], month_actuals=[None], closed=0)


def test_rebalance_refuses_to_resplit_a_child_holding_negative_leaves():
    with pytest.raises(AllocationError, match="'b' has a negative amount inside it") as info:
        rebalance(
            amounts=np.array([50, -5, 55]),
            child=np.array([0, 1, 1]),
            child_keys=["a", "b"],
            targets={0: 40},
        )
    assert info.value.child == "b"


def test_rebalance_by_leaf_keys_breaks_leaf_ties_by_key():
    result = rebalance(
        amounts=np.array([10, 10, 100]),
        child=np.array([0, 0, 1]),
        child_keys=["a", "b"],
        targets={0: 25},
        leaf_keys=["z", "y", "x"],
    )
    # 25 over two equal leaves: the spare cent goes to leaf "y", the lower key.
    assert result.tolist() == [12, 13, 95]
