"""Split a salesperson's period target over accounts, and bucket order lines by account.

Pure: integers (cents) and pandas in, integers out, no Django.

**The split.** Accounts with an entered amount keep it. What is left of the target,
``target - Σ entered``, goes to the accounts marked "by share" and to the *other accounts*
remainder together, in proportion to each one's history (the salesperson's net sales to it
in the base period; negative history weighs 0), by largest remainder with ties to the lower
key (``allocation.engine.split``; no history at all splits equally). Without share accounts
the remainder takes all that is left. So the lines always add up to the target exactly, and
changing one entered amount rebalances the share accounts and the remainder. Entered amounts
above the target are refused.

**Buckets.** An order line counts for its customer's line when that customer is a named key
account; otherwise for its customer's rule tier when that tier has a line; otherwise for the
other accounts. Every line lands in exactly one bucket, so the actuals add up too.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from allocation.engine.errors import AllocationError
from allocation.engine.split import split

OTHER_KEY = "~other"  # sorts after every customer code and tier key: the remainder last


@dataclass(frozen=True)
class AccountLine:
    """One named account: ``key`` (customer code or ``tier:CODE``), entered cents or None
    (by share), and its history in cents."""

    key: str
    entered: int | None
    history: int


class AccountSplitError(AllocationError):
    """The entered amounts exceed the target."""


def account_split(
    *, target: int, lines: Sequence[AccountLine], other_history: int
) -> tuple[list[int], int]:
    """The cents of each line (input order) and of the remainder; Σ == ``target`` exactly."""
    entered = sum(line.entered for line in lines if line.entered is not None)
    if entered > target:
        raise AccountSplitError(f"the entered amounts add up to {entered} of a target of {target}")
    shared = [line for line in lines if line.entered is None]
    rest = target - entered
    keys = [line.key for line in shared] + [OTHER_KEY]
    weights = [max(line.history, 0) for line in shared] + [max(other_history, 0)]
    if not shared:
        parts = [rest]
    elif sum(weights) == 0:
        parts = split(rest, [1] * len(keys), keys)
    else:
        parts = split(rest, weights, keys)
    by_key = dict(zip(keys, parts, strict=True))
    amounts = [line.entered if line.entered is not None else by_key[line.key] for line in lines]
    return amounts, by_key[OTHER_KEY]


def account_buckets(
    sales: pd.DataFrame, *, customer_keys: dict[int, str], tier_of: dict[int, str]
) -> dict[str, int]:
    """Sum ``sales`` (``customer_id``, ``cents``) into account keys: a named customer's key,
    else ``tier:CODE`` when ``tier_of`` maps the customer to a tier with a line, else
    :data:`OTHER_KEY`. Every key of ``customer_keys`` and ``tier_of`` values is present."""
    totals = dict.fromkeys([*customer_keys.values(), *set(tier_of.values()), OTHER_KEY], 0)
    if sales.empty:
        return totals
    customers = sales["customer_id"].astype("int64")
    named = customers.map(customer_keys).astype(object)
    tiered = customers.map(tier_of).astype(object)
    key = named.where(named.notna(), tiered)
    key = key.where(key.notna(), OTHER_KEY)
    summed = sales["cents"].astype("int64").groupby(key.to_numpy()).sum()
    for bucket, cents in summed.items():
        totals[str(bucket)] += int(cents)
    return totals
