"""Quota relief in cents: how much is relieved, from which leaves, and who takes it over.

Pure functions over integer cents (no Django). The service loads the leaves and writes the
result; everything here is exact and deterministic:

1. ``relief_cents``: an amount is taken as it is (at most the covered target); a share
   ``s`` % of the covered target ``T`` is ``T·s/100`` rounded half up to the cent.
2. ``relief_split``: the relieved cents are split over the covered leaves in proportion to
   their targets (largest remainder, ties by the leaf's key), so no leaf goes below zero
   and the pieces add up to the relief exactly.
3. ``relief_redistribute``: optionally, each leaf's piece goes to the teammates' leaves of
   the same product line and month that are not frozen (locks), in proportion to their
   targets (all zero: equally), ties by key; every (line, month) total of the team stays.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from decimal import Decimal
from typing import TypeVar

from allocation.engine.errors import AllocationError
from allocation.engine.exact import format_cents
from allocation.engine.split import split

Slot = TypeVar("Slot", bound=Hashable)
PERCENT_SCALE = 100  # the share has 2 decimal places: 12.34 % is 1234 hundredths


def relief_cents(*, target: int, amount: int | None = None, share: Decimal | None = None) -> int:
    """The cents to relieve out of ``target`` cents: ``amount``, or ``share`` percent.

    Errors: neither or both given, nothing to relieve (a target of 0, a share worth less
    than a cent), an amount above the target, a share outside (0, 100].
    """
    if (amount is None) == (share is None):
        raise AllocationError("give an amount or a share, not both")
    if target <= 0:
        raise AllocationError("there is no target to relieve in those months")
    if amount is not None:
        if amount <= 0:
            raise AllocationError("the amount must be more than 0")
        if amount > target:
            raise AllocationError(
                f"the amount {format_cents(amount)} is more than the target "
                f"{format_cents(target)} of those months"
            )
        return amount
    assert share is not None  # noqa: S101 - one of the two, checked above
    hundredths = share * PERCENT_SCALE
    if hundredths != hundredths.to_integral_value() or not 0 < hundredths <= 100 * PERCENT_SCALE:
        raise AllocationError(f"the share must be more than 0 and at most 100 % ({share})")
    scale = 100 * PERCENT_SCALE
    cents = (2 * target * int(hundredths) + scale) // (2 * scale)  # half up
    if cents == 0:
        raise AllocationError(
            f"{share} % of {format_cents(target)} is less than a cent; relieve more"
        )
    return cents


def relief_split(*, targets: Sequence[int], keys: Sequence[str], relief: int) -> list[int]:
    """Split ``relief`` cents over leaves with ``targets`` in proportion (largest remainder).

    Each piece is at most its leaf's target: ``relief ≤ Σ targets`` gives raw shares at most
    the target, and a leftover cent only goes to a share with a fractional part.
    """
    total = sum(targets)
    if not 0 < relief <= total:
        raise AllocationError(
            f"can't relieve {format_cents(relief)} of a target of {format_cents(total)}"
        )
    return split(relief, list(targets), list(keys))


def relief_redistribute(
    *,
    pieces: Mapping[Slot, int],
    receivers: Mapping[Slot, Sequence[tuple[str, int]]],
    labels: Mapping[Slot, str],
) -> dict[Slot, list[int]]:
    """Give each slot's relieved piece to that slot's receivers (key, target cents).

    Returns, per slot, what each receiver gets (in the order given), summing to the piece.
    A slot with a piece and no receiver is an error naming it (``labels``).
    """
    out: dict[Slot, list[int]] = {}
    for slot in sorted(pieces, key=lambda s: labels[s]):
        piece = pieces[slot]
        takers = receivers.get(slot, ())
        if piece == 0:
            out[slot] = [0] * len(takers)
            continue
        if not takers:
            raise AllocationError(
                f"no unlocked teammate takes over {labels[slot]}", child=labels[slot]
            )
        out[slot] = split(piece, [cents for _key, cents in takers], [key for key, _ in takers])
    return out
