"""The pure account split and buckets (customers.accounts.engine), worked by hand."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from customers.accounts.engine import (
    OTHER_KEY,
    AccountLine,
    AccountSplitError,
    account_buckets,
    account_split,
)


def test_entered_amounts_stay_and_the_rest_follows_history_by_largest_remainder():
    # 10,000.00 target; C-1 entered 3,000.00; C-2 (history 2,000), tier KEY (1,000) and the
    # other accounts (3,000) share 7,000.00 = 700,000 cents as 2 : 1 : 3:
    # 233,333.33 / 116,666.67 / 350,000 -> floors 699,999; the cent left goes to the larger
    # remainder, KEY's .67.
    amounts, rest = account_split(
        target=1_000_000,
        lines=[
            AccountLine("C-1", 300_000, 0),
            AccountLine("C-2", None, 2_000),
            AccountLine("tier:KEY", None, 1_000),
        ],
        other_history=3_000,
    )
    assert (amounts, rest) == ([300_000, 233_333, 116_667], 350_000)
    assert sum(amounts) + rest == 1_000_000


def test_equal_remainders_go_to_the_lower_code_and_the_remainder_sorts_last():
    # 100 cents over three equal histories: 33.33 each -> 99; the cent goes to "A" (lower
    # code than "B" and than the remainder's key).
    amounts, rest = account_split(
        target=100, lines=[AccountLine("B", None, 5), AccountLine("A", None, 5)], other_history=5
    )
    assert (amounts, rest) == ([33, 34], 33)


def test_without_share_accounts_the_remainder_takes_all_that_is_left():
    amounts, rest = account_split(
        target=50_000, lines=[AccountLine("C-1", 20_000, 0)], other_history=0
    )
    assert (amounts, rest) == ([20_000], 30_000)


def test_no_history_at_all_splits_equally_and_losses_weigh_nothing():
    assert account_split(target=90, lines=[AccountLine("A", None, 0)], other_history=0) == (
        [45],
        45,
    )
    assert account_split(target=90, lines=[AccountLine("A", None, -50)], other_history=10) == (
        [0],
        90,
    )


def test_entered_amounts_above_the_target_are_refused():
    with pytest.raises(AccountSplitError):
        account_split(
            target=100, lines=[AccountLine("A", 60, 0), AccountLine("B", 41, 0)], other_history=0
        )


@given(
    target=st.integers(min_value=0, max_value=10**12),
    histories=st.lists(st.integers(min_value=-(10**6), max_value=10**9), max_size=8),
    entered=st.lists(st.one_of(st.none(), st.integers(min_value=0, max_value=10**9)), max_size=8),
    other=st.integers(min_value=-(10**6), max_value=10**9),
)
def test_accounts_always_sum_to_the_target_and_keep_what_was_entered(
    target, histories, entered, other
):
    lines = [
        AccountLine(f"C{i:02d}", entered[i] if i < len(entered) else None, history)
        for i, history in enumerate(histories)
    ]
    fixed = sum(line.entered for line in lines if line.entered is not None)
    if fixed > target:
        with pytest.raises(AccountSplitError):
            account_split(target=target, lines=lines, other_history=other)
        return
    amounts, rest = account_split(target=target, lines=lines, other_history=other)
    assert sum(amounts) + rest == target
    assert all(a >= 0 for a in [*amounts, rest])
    for line, cents in zip(lines, amounts, strict=True):
        if line.entered is not None:
            assert cents == line.entered


def test_a_named_customer_counts_for_itself_before_its_tier():
    sales = pd.DataFrame({"customer_id": [1, 2, 3, 4], "cents": [800, 100, 400, 50]})
    totals = account_buckets(
        sales, customer_keys={1: "C-1", 2: "C-2"}, tier_of={2: "tier:GOLD", 3: "tier:GOLD"}
    )
    # C-2 is in GOLD but named: its 100 stays on C-2; GOLD has C-3's 400; C-4 is the rest.
    assert totals == {"C-1": 800, "C-2": 100, "tier:GOLD": 400, OTHER_KEY: 50}
    empty = account_buckets(
        pd.DataFrame(columns=["customer_id", "cents"]), customer_keys={1: "C-1"}, tier_of={}
    )
    assert empty == {"C-1": 0, OTHER_KEY: 0}
