"""Split order lines over their credited salespeople, exactly (pure numpy, no database).

Amounts are scaled integers in units of 0.0001 (the order lines' precision). Each line's
amount ``A`` is split by the parties' weights ``w_i`` (shares = w_i / Σw) *to the cent* by the
largest-remainder method (DESIGN §3), on the magnitude (a return splits like a sale, negative):

1. raw_i = |A|·w_i/Σw; each is floored to the cent;
2. the cents left over go one at a time to the largest remainders, ties to the lower
   salesperson code;
3. a line with sub-cent digits (Superstore's ``Sales`` has four places) leaves a rest below
   one cent after the whole cents; it goes to the next party in the same order, so the
   credits still add up to the line exactly. A line in whole cents never has such a rest.

So 100.00 split in three equal shares is 33.34 / 33.33 / 33.33 (the first code takes the
cent), and Σ credits == the line, always. Quantities and costs split the same way.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

CENT = 100  # units of 0.0001 in one hundredth
HALF_UP_SCALE = 10**6  # a share in 1/10,000 of a percent: 100 % = 1,000,000


def split_frame(
    *, group: np.ndarray, weight: np.ndarray, key: np.ndarray, total: np.ndarray
) -> np.ndarray:
    """Split each group's ``total`` (repeated on each of its rows) over its rows by weight.

    ``group`` identifies the line of each row, ``weight`` is positive, ``key`` orders ties
    (lower first: the salesperson code) and ``total`` is the line's scaled amount. Returns
    each row's credited scaled amount, in input order; per group they sum to its total.
    """
    size = len(group)
    if size == 0:
        return np.zeros(0, dtype=np.int64)
    group = np.asarray(group, dtype=np.int64)
    weight = np.asarray(weight, dtype=np.int64)
    total = np.asarray(total, dtype=np.int64)
    if (weight <= 0).any():
        raise ValueError("every weight must be positive")
    codes, groups = pd.factorize(group)
    weight_sum = np.zeros(len(groups), dtype=np.int64)
    np.add.at(weight_sum, codes, weight)
    sign = np.where(total < 0, -1, 1)
    magnitude = np.abs(total).astype(object)
    denominator = (weight_sum[codes] * CENT).astype(object)
    # |A|·w can pass 2**63 (an 18-digit amount times a million): exact Python integers here.
    product = magnitude * weight.astype(object)
    floors = np.array([int(v) for v in product // denominator], dtype=np.int64)
    remainders = np.array([int(v) for v in product % denominator], dtype=np.int64)
    given = np.zeros(len(groups), dtype=np.int64)
    np.add.at(given, codes, floors * CENT)
    leftover = np.abs(total[_first_rows(codes, len(groups))]) - given
    whole, rest = leftover // CENT, leftover % CENT
    key_rank = pd.factorize(np.asarray(key, dtype=object), sort=True)[0]
    order = np.lexsort((key_rank, -remainders, codes))
    rank = np.empty(size, dtype=np.int64)
    starts = np.searchsorted(codes[order], np.arange(len(groups)))
    rank[order] = np.arange(size) - starts[codes[order]]
    credited = floors * CENT
    credited += np.where(rank < whole[codes], CENT, 0)
    credited += np.where(rank == whole[codes], rest[codes], 0)
    return sign * credited


def _first_rows(codes: np.ndarray, count: int) -> np.ndarray:
    first = np.full(count, -1, dtype=np.int64)
    first[codes[::-1]] = np.arange(len(codes))[::-1]
    return first


def split_line(total: int, weights: Sequence[int], keys: Sequence[str]) -> list[int]:
    """One line: ``total`` (units of 0.0001) split by ``weights``, ties to the lower key."""
    if len(weights) != len(keys):
        raise ValueError("one weight per key")
    return [
        int(v)
        for v in split_frame(
            group=np.zeros(len(weights), dtype=np.int64),
            weight=np.asarray(weights, dtype=np.int64),
            key=np.asarray(keys, dtype=object),
            total=np.full(len(weights), total, dtype=np.int64),
        )
    ]


def share_percent(weight: np.ndarray, weight_sum: np.ndarray) -> np.ndarray:
    """Shares in 1/10,000 of a percent (display), rounded half up: 1 of 3 -> 333,333."""
    weight = np.asarray(weight, dtype=np.int64).astype(object)
    weight_sum = np.asarray(weight_sum, dtype=np.int64).astype(object)
    doubled = weight * (2 * HALF_UP_SCALE) // weight_sum
    return np.array([int((v + 1) // 2) for v in doubled], dtype=np.int64)
