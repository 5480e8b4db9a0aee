"""Exact splits (allocation.engine.split): largest remainder, locks, bounds, days.

Example-based tests pinning down DESIGN §3; no database.
"""

from datetime import date
from decimal import Decimal
from fractions import Fraction

import numpy as np
import pandas as pd
import pytest

from allocation.engine.errors import AllocationError
from allocation.engine.exact import format_cents
from allocation.engine.split import split, split_days

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
