"""Editing by rescale, rebalance and respread (allocation.engine.rebalance).

Example-based tests pinning down DESIGN §3; no database.
"""

import numpy as np
import pytest

from allocation.engine.errors import AllocationError
from allocation.engine.rebalance import rebalance, rescale, respread

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
