"""The split-credit engine (``customers.credit.engine``): largest remainder to the cent, ties
to the lower salesperson code, the rest below a cent to the next in that order, and the
credits always adding up to the line exactly. Amounts are in units of 0.0001."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from customers.credit.engine import CENT, share_percent, split_frame, split_line

UNIT = 10_000  # units in 1.00


def test_100_split_in_three_equal_shares_gives_the_cent_to_the_lowest_code():
    # 100.00 / 3 = 33.333...: each floors to 33.33, which leaves 100.00 - 99.99 = 0.01; the
    # remainders (0.00333...) tie, so the lowest code, W01, takes it: 33.34 / 33.33 / 33.33.
    total = 100 * UNIT
    assert split_line(total, [1, 1, 1], ["W02", "W01", "W03"]) == [
        33_3300,  # W02
        33_3400,  # W01
        33_3300,  # W03
    ]


def test_a_return_splits_like_a_sale_with_the_sign():
    # -100.00 in thirds: the magnitude splits as above, every part negative.
    assert split_line(-100 * UNIT, [1, 1, 1], ["W01", "W02", "W03"]) == [
        -33_3400,
        -33_3300,
        -33_3300,
    ]


def test_percent_shares_that_divide_the_amount_exactly_need_no_rounding():
    # 1,234.56 at 60 % = 740.736 -> 740.73 (remainder 0.006); at 40 % = 493.824 -> 493.82
    # (remainder 0.004); 740.73 + 493.82 = 1,234.55 leaves one cent for the larger remainder
    # (60 %, W01): 740.74 / 493.82.
    total = 1_234_5600
    assert split_line(total, [600_000, 400_000], ["W01", "W02"]) == [740_7400, 493_8200]


def test_the_largest_remainder_wins_before_the_code():
    # 10.00 at 33.34 / 33.33 / 33.33 %: 3.334 -> 3.33 (rem 0.004), 3.333 -> 3.33 (rem 0.003)
    # twice; one cent is left and goes to the largest remainder, W03, not to the lowest code.
    total = 10 * UNIT
    assert split_line(total, [333_300, 333_300, 333_400], ["W01", "W02", "W03"]) == [
        3_3300,
        3_3300,
        3_3400,
    ]


def test_an_amount_with_sub_cent_digits_leaves_its_rest_with_the_next_in_order():
    # 22.3680 halves: 11.1840 each floors to 11.18 (22.36 given), 0.0080 left: no whole cent,
    # so the rest goes to the first in order (tie: W01): 11.1880 / 11.1800, 22.3680 in all.
    assert split_line(22_3680, [1, 1], ["W01", "W02"]) == [11_1880, 11_1800]
    # 0.0050 halves: nothing reaches a cent; the whole rest goes to W01.
    assert split_line(50, [1, 1], ["W01", "W02"]) == [50, 0]


def test_whole_cents_and_a_rest_together():
    # 0.0350 in thirds: 0.011666.. each floors to 0.01 (0.03 given); 0.0050 left, no whole
    # cent; remainders tie; the first in code order takes the rest: 0.0150 / 0.0100 / 0.0100.
    assert split_line(350, [1, 1, 1], ["A", "B", "C"]) == [150, 100, 100]


def test_groups_split_independently_and_keep_input_order():
    group = np.array([7, 3, 7, 3, 3])
    weight = np.array([1, 1, 1, 2, 1])
    key = np.array(["B", "X", "A", "Y", "Z"], dtype=object)
    # group 7: 0.0003 in halves -> no cent, the rest 0.0003 to the lower code, A
    total = np.array([3, 100 * UNIT, 3, 100 * UNIT, 100 * UNIT])
    credited = split_frame(group=group, weight=weight, key=key, total=total)
    # group 3: 100.00 by 1:2:1 = 25.00 / 50.00 / 25.00 exactly
    assert credited.tolist() == [0, 25_0000, 3, 50_0000, 25_0000]


def test_weights_must_be_positive():
    with pytest.raises(ValueError, match="positive"):
        split_line(100, [1, 0], ["A", "B"])


def test_share_percent_is_rounded_for_display():
    # 1 of 3 = 33.3333 %; 2 of 3 = 66.66666.. -> 66.6667 %
    assert share_percent(np.array([1, 2]), np.array([3, 3])).tolist() == [333_333, 666_667]


@st.composite
def lines(draw):
    parties = draw(st.integers(min_value=1, max_value=10))
    weights = draw(
        st.lists(st.integers(min_value=1, max_value=1_000_000), min_size=parties, max_size=parties)
    )
    codes = draw(
        st.lists(
            st.text("ABCDEFGHWXYZ0123456789", min_size=1, max_size=4),
            min_size=parties,
            max_size=parties,
            unique=True,
        )
    )
    total = draw(st.integers(min_value=-(10**17), max_value=10**17))
    return total, weights, codes


@settings(max_examples=300, deadline=None)
@given(lines())
def test_credits_always_add_up_to_the_line_and_stay_near_the_exact_share(line):
    total, weights, codes = line
    credited = split_line(total, weights, codes)
    assert sum(credited) == total
    weight_sum = sum(weights)
    for amount, weight in zip(credited, weights, strict=True):
        exact = abs(total) * weight / weight_sum
        # each is its exact share floored to the cent, plus at most one cent
        assert abs(amount) >= (abs(total) * weight // weight_sum) // CENT * CENT
        assert abs(amount) - exact < CENT + 1e-6 * abs(total)
        assert amount == 0 or (amount > 0) == (total > 0)


@settings(max_examples=200, deadline=None)
@given(lines(), st.randoms())
def test_the_split_does_not_depend_on_the_order_of_the_parties(line, random):
    total, weights, codes = line
    order = list(range(len(codes)))
    random.shuffle(order)
    first = dict(zip(codes, split_line(total, weights, codes), strict=True))
    shuffled = split_line(total, [weights[i] for i in order], [codes[i] for i in order])
    assert dict(zip([codes[i] for i in order], shuffled, strict=True)) == first


@settings(max_examples=200, deadline=None)
@given(lines())
def test_a_whole_cent_amount_splits_into_whole_cents(line):
    total, weights, codes = line
    total -= total % CENT
    assert all(amount % CENT == 0 for amount in split_line(total, weights, codes))
