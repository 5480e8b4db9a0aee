"""Weight methods and seasonality (allocation.engine.weights, .seasonality).

Example-based tests pinning down DESIGN §3; no database.
"""

from datetime import date
from fractions import Fraction

import numpy as np
import pytest

from allocation.engine.errors import AllocationError
from allocation.engine.seasonality import season_custom, season_historical, season_uniform
from allocation.engine.split import split
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
