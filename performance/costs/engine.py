"""Pure cost-allocation maths: split a pool exactly by a driver, contribution margin.

No Django. Amounts are integer cents in the split (the allocation engine's largest remainder,
ties to the lower key, DESIGN §3) and ``Decimal`` in the report.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from allocation.engine.errors import AllocationError
from allocation.engine.split import split

__all__ = ["ContributionRow", "CostSplitError", "contribution_rows", "pool_split"]


class CostSplitError(ValueError):
    """A driver that cannot split the pool; ``.key`` names the offending key when there is one."""

    def __init__(self, message: str, *, key: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.key = key


def pool_split(amount_cents: int, weights: Mapping[str, object]) -> dict[str, int]:
    """Split ``amount_cents`` over the keys by weight; the amounts sum to it exactly.

    Keys are sorted first, so the result does not depend on the mapping's order; all-zero
    weights split equally; a negative weight is an error naming its key.
    """
    if not weights:
        raise CostSplitError("there is nothing to split the pool over")
    keys = sorted(weights)
    try:
        amounts = split(amount_cents, [weights[key] for key in keys], keys)
    except AllocationError as exc:
        raise CostSplitError(exc.message, key=exc.child) from exc
    return dict(zip(keys, amounts, strict=True))


@dataclass(frozen=True)
class ContributionRow:
    key: str
    revenue: Decimal
    cost_of_goods: Decimal
    allocated_cost: Decimal
    contribution: Decimal
    margin: Decimal | None  # contribution / revenue as a ratio to 4 places; None without revenue


def contribution_rows(
    *,
    revenue: Mapping[str, Decimal],
    cost_of_goods: Mapping[str, Decimal],
    allocated: Mapping[str, Decimal],
) -> list[ContributionRow]:
    """Revenue − cost of goods − allocated cost per key, and the margin on revenue."""
    rows = []
    for key in sorted(set(revenue) | set(cost_of_goods) | set(allocated)):
        rev = revenue.get(key, Decimal(0))
        cogs = cost_of_goods.get(key, Decimal(0))
        alloc = allocated.get(key, Decimal(0))
        contribution = rev - cogs - alloc
        margin = (
            (contribution / rev).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)
            if rev > 0
            else None
        )
        rows.append(ContributionRow(key, rev, cogs, alloc, contribution, margin))
    return rows
