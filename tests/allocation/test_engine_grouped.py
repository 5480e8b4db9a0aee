"""Splitting many groups at once (allocation.engine.grouped.split_frame).

Example-based tests pinning down DESIGN §3; no database.
"""

from decimal import Decimal

import numpy as np
import pandas as pd
import pytest

from allocation.engine.errors import AllocationError
from allocation.engine.grouped import split_frame
from allocation.engine.split import split

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
