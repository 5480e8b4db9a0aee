"""Scorecard maths, worked by hand (no database)."""

from decimal import Decimal

import pytest

from performance.scorecards.engine import (
    Band,
    ScoringError,
    check_weights,
    kpi_points,
    rank_within_groups,
    weighted_score,
)

BANDS = [
    Band(Decimal("0.8"), Decimal(50)),
    Band(Decimal("1"), Decimal(100)),
    Band(Decimal("1.2"), Decimal(120)),
]


@pytest.mark.parametrize(
    ("actual", "expected"),
    [
        ("900", "90.00"),  # 900 / 1000 × 100
        ("1000", "100.00"),
        ("1199.99", "120.00"),  # 119.999 → 120.00 (half-up)
        ("1500", "120.00"),  # capped at 1.2 × 100
        ("-50", "0.00"),  # never negative
        ("333.335", "33.33"),  # 33.3335 → 33.33
    ],
)
def test_linear_to_target_with_cap(actual, expected):
    points = kpi_points(
        actual=Decimal(actual), target=Decimal(1000), rule="linear", cap=Decimal("1.2")
    )
    assert points == Decimal(expected)


@pytest.mark.parametrize(
    ("actual", "expected"),
    [
        ("790", "0"),
        ("800", "50"),
        ("999.99", "50"),
        ("1000", "100"),
        ("1199", "100"),
        ("1200", "120"),
        ("9000", "120"),
    ],
)
def test_threshold_bands(actual, expected):
    points = kpi_points(actual=Decimal(actual), target=Decimal(1000), rule="bands", bands=BANDS)
    assert points == Decimal(expected)


def test_no_target_scores_zero():
    assert kpi_points(actual=Decimal(5), target=None, rule="linear") == 0
    assert kpi_points(actual=Decimal(5), target=Decimal(0), rule="bands", bands=BANDS) == 0
    assert kpi_points(actual=None, target=Decimal(5), rule="linear") == 0


def test_weights_must_sum_to_100():
    check_weights([Decimal(60), Decimal(40)])
    with pytest.raises(ScoringError):
        check_weights([Decimal(60), Decimal(30)])
    with pytest.raises(ScoringError):
        check_weights([Decimal(110), Decimal(-10)])


def test_weighted_score():
    # 60 % × 90 + 40 % × 50 = 54 + 20 = 74
    assert weighted_score([(Decimal(60), Decimal(90)), (Decimal(40), Decimal(50))]) == Decimal(
        "74.00"
    )
    # 33.33 % × 100 + 66.67 % × 33.33 = 33.33 + 22.221… = 55.551… → 55.55
    assert weighted_score(
        [(Decimal("33.33"), Decimal(100)), (Decimal("66.67"), Decimal("33.33"))]
    ) == Decimal("55.55")


def test_equal_scores_share_a_rank_and_a_percentile():
    scores = {
        "A": Decimal(80),
        "B": Decimal(90),
        "C": Decimal(80),
        "D": Decimal(70),
        "E": Decimal(10),
    }
    groups = {"A": "N", "B": "N", "C": "N", "D": "N", "E": "S"}
    frame = rank_within_groups(scores, groups)
    # N: B 1st; A and C tie for 2nd; D is 4th (competition ranking). n = 4:
    # percentile = 100 × (n − rank) / (n − 1): B 100, A/C 66.7, D 0. S has one person: 100.
    assert frame["rank"].to_dict() == {"A": 2, "B": 1, "C": 2, "D": 4, "E": 1}
    assert frame["percentile"].to_dict() == {
        "A": Decimal("66.7"),
        "B": Decimal(100),
        "C": Decimal("66.7"),
        "D": Decimal(0),
        "E": Decimal(100),
    }
