"""Cost split and contribution maths (no database)."""

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from performance.costs.engine import CostSplitError, contribution_rows, pool_split


def test_split_by_weights_gives_leftover_cents_to_largest_remainders():
    # 100001 cents × 2/3 = 66667.33, × 1/3 = 33333.67: floors leave 1 cent → SOUTH (.67)
    assert pool_split(100001, {"NORTH": 400, "SOUTH": 200}) == {"NORTH": 66667, "SOUTH": 33334}


def test_ties_go_to_the_lower_key():
    # 10000 / 3 = 3333.33 each; the one leftover cent goes to the lowest key
    assert pool_split(10000, {"C": 1, "A": 1, "B": 1}) == {"A": 3334, "B": 3333, "C": 3333}
    assert pool_split(1, {"SOUTH": 300, "NORTH": 300}) == {"NORTH": 1, "SOUTH": 0}


def test_all_zero_weights_split_equally_and_negative_names_the_key():
    assert pool_split(3, {"A": 0, "B": 0}) == {"A": 2, "B": 1}
    with pytest.raises(CostSplitError) as error:
        pool_split(100, {"A": 1, "B": -5})
    assert error.value.key == "B"
    with pytest.raises(CostSplitError):
        pool_split(100, {})


@settings(max_examples=200, deadline=None)
@given(
    st.integers(min_value=0, max_value=10**12),
    st.dictionaries(
        st.text(alphabet="ABCDEFGH", min_size=1, max_size=3),
        st.integers(min_value=0, max_value=10**9),
        min_size=1,
        max_size=12,
    ),
)
def test_split_sums_exactly_and_each_share_is_within_a_cent_of_exact(total, weights):
    result = pool_split(total, weights)
    assert sum(result.values()) == total
    weight_sum = sum(weights.values())
    for key, cents in result.items():
        exact = total * weights[key] / weight_sum if weight_sum else total / len(weights)
        assert abs(cents - exact) < 1


def test_contribution_is_revenue_minus_cost_of_goods_minus_allocated():
    rows = contribution_rows(
        revenue={"N": Decimal("1000.00"), "S": Decimal("0")},
        cost_of_goods={"N": Decimal("600.00")},
        allocated={"N": Decimal("150.00"), "S": Decimal("50.00")},
    )
    # N: 1000 − 600 − 150 = 250; margin 250/1000 = 0.25; S: −50, no revenue → no margin
    assert [(r.key, r.contribution, r.margin) for r in rows] == [
        ("N", Decimal("250.00"), Decimal("0.2500")),
        ("S", Decimal("-50.00"), None),
    ]
