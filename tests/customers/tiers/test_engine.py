"""The pure tier engine: scores, segments, ABC, rules and migration (no database)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from customers.tiers import engine

AS_OF = dt.date(2024, 7, 1)


def frame(
    monetary: list[int], *, frequency: list[int] | None = None, recency: list[int] | None = None
) -> pd.DataFrame:
    n = len(monetary)
    return pd.DataFrame(
        {
            "customer_id": range(1, n + 1),
            "code": [f"C{i:03d}" for i in range(1, n + 1)],
            "region": "West",
            "state": "California",
            "last_order_date": [
                pd.Timestamp(AS_OF - dt.timedelta(days=d)) for d in (recency or [10] * n)
            ],
            "frequency": frequency or [1] * n,
            "monetary_units": monetary,
        }
    )


def test_scores_are_plain_quintiles_without_ties():
    assert engine.quintile_scores(pd.Series(range(10))).tolist() == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]
    assert engine.quintile_scores(pd.Series([50, 40, 30, 20, 10])).tolist() == [5, 4, 3, 2, 1]
    assert engine.quintile_scores(pd.Series([1, 2, 3]), higher_is_better=False).tolist() == [
        5,
        3,
        1,
    ]


@pytest.mark.parametrize(
    ("values", "scores"),
    [
        ([7], [3]),  # one customer: the middle
        ([7, 7, 7, 7], [3, 3, 3, 3]),  # everyone equal: the middle
        ([1, 1, 2, 2], [2, 2, 4, 4]),  # two distinct values: two halves
        ([1, 2, 2, 2, 2, 2, 2, 2, 2, 9], [1, 3, 3, 3, 3, 3, 3, 3, 3, 5]),
    ],
)
def test_edge_cases_of_the_tie_rule(values, scores):
    assert engine.quintile_scores(pd.Series(values)).tolist() == scores


def test_net_zero_or_negative_scores_m_1_and_is_always_c():
    result = engine.tiers_compute(
        frame([0, -500, 100, 200]), as_of=AS_OF, config=engine.TierConfig()
    )
    assert result["m"].tolist() == [1, 1, 4, 5]
    assert result["abc"].tolist() == ["C", "C", "A", "A"]


def test_abc_with_nothing_positive_is_all_c():
    assert engine.abc_classes(frame([0, -1])).tolist() == ["C", "C"]


def test_abc_ties_are_broken_by_code():
    # 4 equal customers, 25 % each: A needs 80 % -> the first four by code... all A except
    # none: 0, 25, 50, 75 < 80 -> all A. With 5 equal (20 % each): 0..60 < 80 -> 4 A, then B.
    result = engine.abc_classes(frame([1, 1, 1, 1, 1]).iloc[::-1])
    assert result.sort_index().tolist() == ["A", "A", "A", "A", "B"]


def test_default_segment_map_covers_every_cell_and_a_gap_is_refused():
    engine.segment_map_validate(engine.DEFAULT_SEGMENT_MAP)
    with pytest.raises(engine.ConfigError, match="r=1 fm=1") as info:
        engine.segment_map_validate(engine.DEFAULT_SEGMENT_MAP[:-1])
    assert info.value.field == "segment_map"
    with pytest.raises(engine.ConfigError):
        engine.segment_map_validate([{"segment": "x", "r": [0, 5], "fm": [1, 5]}])


def test_a_custom_segment_map_is_used_first_match_first():
    custom = [
        {"segment": "top", "r": [4, 5], "fm": [1, 5]},
        {"segment": "rest", "r": [1, 5], "fm": [1, 5]},
    ]
    result = engine.tiers_compute(
        frame([1, 2], recency=[1, 100]),
        as_of=AS_OF,
        config=engine.TierConfig(segment_map=engine.segment_map_validate(custom)),
    )
    assert result["segment"].tolist() == ["top", "rest"]


@pytest.mark.parametrize(
    ("a", "b", "field"),
    [
        ("0", "0.95", "abc_a"),
        ("0.9", "0.9", "abc_b"),
        ("0.8", "1.5", "abc_b"),
        ("x", "0.9", "abc_a"),
        ("NaN", "0.9", "abc_a"),
        ("0.80001", "0.9", "abc_a"),
    ],
)
def test_bad_thresholds_name_the_field(a, b, field):
    with pytest.raises(engine.ConfigError) as info:
        engine.abc_thresholds_validate(a, b)
    assert info.value.field == field


def test_rules_first_match_wins_and_preview_counts():
    data = engine.tiers_compute(
        frame([100, 200, 300, 400]), as_of=AS_OF, config=engine.TierConfig()
    )
    rules = [
        engine.TierRuleSpec(code="big", monetary_min_units=300),
        engine.TierRuleSpec(code="mid", monetary_min_units=200, monetary_max_units=300),
        engine.TierRuleSpec(code="any"),
    ]
    assert engine.tiers_assign(data, rules).tolist() == ["any", "mid", "big", "big"]
    assert engine.rule_match_counts(data, rules) == {"big": 2, "mid": 1, "any": 1}


def test_migration_matrix_counts_newcomers_and_leavers():
    before = pd.DataFrame(
        {"customer_id": [1, 2, 3], "abc": ["A", "B", "B"], "monetary_units": [5, 3, 2]}
    )
    after = pd.DataFrame(
        {"customer_id": [1, 2, 4], "abc": ["B", "B", "A"], "monetary_units": [7, 1, 9]}
    )
    cells = engine.migration_matrix(before, after, by="abc")
    assert cells.to_dict("records") == [
        {"from": "A", "to": "B", "customers": 1, "monetary_units": 7},
        {"from": "B", "to": "B", "customers": 1, "monetary_units": 1},
        {"from": "B", "to": None, "customers": 1, "monetary_units": 0},
        {"from": None, "to": "A", "customers": 1, "monetary_units": 9},
    ]


# --- properties -------------------------------------------------------------------------------

values = st.lists(st.integers(min_value=-(10**6), max_value=10**9), min_size=1, max_size=60)


@settings(max_examples=150, deadline=None)
@given(values)
def test_equal_values_get_equal_scores(data):
    series = pd.Series(data)
    scores = engine.quintile_scores(series)
    assert scores.between(1, 5).all()
    assert scores.groupby(series).nunique().max() == 1
    # and scores never decrease as values grow
    ordered = scores[series.sort_values(kind="mergesort").index]
    assert ordered.is_monotonic_increasing


@settings(max_examples=100, deadline=None)
@given(values, st.randoms(use_true_random=False))
def test_results_do_not_depend_on_input_order(data, rnd):
    base = frame(
        data, frequency=[abs(v) % 7 + 1 for v in data], recency=[abs(v) % 400 for v in data]
    )
    shuffled = base.sample(frac=1, random_state=rnd.randint(0, 10**6))
    config = engine.TierConfig(
        rules=[engine.TierRuleSpec(code="a", abc=("A",)), engine.TierRuleSpec(code="b")]
    )
    one = engine.tiers_compute(base, as_of=AS_OF, config=config)
    two = engine.tiers_compute(shuffled, as_of=AS_OF, config=config)
    pd.testing.assert_frame_equal(one, two)


@settings(max_examples=150, deadline=None)
@given(values, st.decimals(min_value="0.01", max_value="0.98", places=2))
def test_abc_is_monotone_in_monetary(data, a):
    classes = engine.abc_classes(frame(data), abc_a=a, abc_b=min(a + Decimal("0.01"), Decimal(1)))
    rank = classes.map({"A": 0, "B": 1, "C": 2})
    money = pd.Series(data)
    for i in range(len(data)):
        assert (rank[money > money[i]] <= rank[i]).all()
    # A is the smallest top set reaching the threshold
    positive = money.clip(lower=0)
    total = positive.sum()
    if total > 0:
        in_a = positive[rank == 0].sum()
        assert in_a >= a * total
        assert in_a - positive[rank == 0].min() < a * total


def test_segment_map_from_settings_is_validated_and_used_by_runs():
    # covered against the database in test_pipeline / test_views; here the pure contract:
    mapping = engine.segment_map_validate(
        [{"segment": "everyone", "r": [1, 5], "fm": [1, 5]}, *engine.DEFAULT_SEGMENT_MAP]
    )
    result = engine.tiers_compute(
        frame([1, 2, 3]), as_of=AS_OF, config=engine.TierConfig(segment_map=mapping)
    )
    assert set(result["segment"]) == {"everyone"}
