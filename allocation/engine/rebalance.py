"""Editing: rebalance siblings, rescale a cell, re-spread the open months.

Which parent an edit keeps is the *keep rule* (``KEEP_RULES``), chosen per edit:

- ``row_year`` ("keep the row's year", the default): a month or quarter keeps its row's
  year, so the row's other months rebalance; a year cell keeps its parent line's or parent
  unit's year, so its siblings' years rebalance.
- ``period_total`` ("keep the month's total"): a cell keeps the total of its period one
  level up the org tree (the parent unit's same month, quarter or year and product line),
  so the sibling rows in that period rebalance and the rows' years move; at the top of the
  tree a product line keeps its parent line's total of that period. The plan's own total of
  a month (top row, all lines) has nothing above it to keep, so such an edit is refused.

The plan's cube decides the parent (``allocation.structure.PlanStructure.parent``); the
arithmetic below is the same under both rules: :func:`rebalance` sets children of one
parent and rebalances the rest, to the cent.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from allocation.engine.arrays import Cents, Flags
from allocation.engine.errors import AllocationError
from allocation.engine.exact import (
    check_length,
    format_cents,
    is_missing,
    key_names,
    optional_cents,
    whole_cents,
)
from allocation.engine.fiscal import MONTH_KEYS, MONTHS
from allocation.engine.grouped import grouped_largest_remainder, split_frame
from allocation.engine.split import split

KEEP_ROW_YEAR = "row_year"
KEEP_PERIOD_TOTAL = "period_total"
KEEP_RULES = (KEEP_ROW_YEAR, KEEP_PERIOD_TOTAL)


def _int_array(values: npt.ArrayLike, what: str) -> Cents:
    array = np.asarray(values)
    if array.ndim != 1:
        raise AllocationError(f"{what} must be a 1-D array")
    if array.size and not (np.issubdtype(array.dtype, np.integer) or array.dtype == object):
        raise AllocationError(f"{what} must be integer cents, not {array.dtype}")
    if array.dtype == object:
        return np.array([whole_cents(v, what) for v in array], dtype=np.int64)
    return array.astype(np.int64, copy=False)


def _tie_codes(keys: Sequence[str] | None, n: int) -> Cents:
    if keys is None:
        return np.arange(n, dtype=np.int64)
    names = key_names(keys)
    check_length(names, n, "keys")
    codes, _ = pd.factorize(pd.Series(names, dtype=object), sort=True)
    return codes.astype(np.int64)


def rescale(
    *,
    amounts: npt.ArrayLike,
    new_total: int,
    frozen: npt.ArrayLike | None = None,
    keys: Sequence[str] | None = None,
) -> Cents:
    """Re-split a cell's leaves to `new_total` cents in their current proportions; Σ exact.

    Frozen leaves keep their amount; the free leaves share ``new_total − Σfrozen`` by their
    current amounts (equal if they are all zero), largest remainder, ties to the lower key
    (or the earlier position without keys).
    """
    current = _int_array(amounts, "amounts")
    n = current.size
    target = whole_cents(new_total, "the new total")
    if target < 0:
        raise AllocationError(f"a total can't be negative ({format_cents(target)})")
    keep = np.zeros(n, bool) if frozen is None else np.asarray(frozen, dtype=bool)
    if keep.shape != (n,):
        raise AllocationError("frozen must have one flag per amount")
    names = key_names(keys) if keys is not None else None
    negative = np.flatnonzero(~keep & (current < 0))
    if negative.size:
        i = int(negative[0])
        who = names[i] if names is not None else None
        raise AllocationError(
            f"can't rescale a negative amount ({format_cents(int(current[i]))})",
            child=who,
        )
    frozen_sum = int(current[keep].sum())
    if target < frozen_sum:
        raise AllocationError(
            f"the new total {format_cents(target)} is below the locked part "
            f"{format_cents(frozen_sum)}"
        )
    if keep.all() and target != frozen_sum:
        raise AllocationError(
            f"everything is locked ({format_cents(frozen_sum)}); the total can't become "
            f"{format_cents(target)}"
        )
    if n == 0:
        return np.zeros(0, np.int64)
    return grouped_largest_remainder(
        codes=np.zeros(n, np.int64),
        totals=np.array([target], dtype=np.int64),
        weights=np.where(keep, 0, current),
        locked_mask=keep,
        locked_values=np.where(keep, current, 0),
        ties=_tie_codes(keys, n),
        label=lambda _: "the cell",
    ).astype(np.int64)


def check_child_target(
    *,
    label: str,
    child: str,
    target: int,
    total: int,
    frozen_part: int,
    free_leaves: int,
    locked: bool,
    low: int | None,
    high: int | None,
) -> None:
    """Refuse a new total for one child of an edit: locked, below what is locked inside it,
    everything inside locked, or outside its own bounds (``label`` names it in messages)."""
    if locked:
        raise AllocationError(f"{label} is locked; unlock it before changing it", child=child)
    if target < frozen_part:
        raise AllocationError(
            f"{label} can't go below {format_cents(frozen_part)}, the amount locked inside it",
            child=child,
        )
    if free_leaves == 0 and target != total:
        raise AllocationError(
            f"everything inside {label} is locked, so it has to stay at {format_cents(total)}",
            child=child,
        )
    if low is not None and target < low:
        raise AllocationError(
            f"{label} can't go below its minimum of {format_cents(low)}", child=child
        )
    if high is not None and target > high:
        raise AllocationError(
            f"{label} can't go above its maximum of {format_cents(high)}", child=child
        )


@dataclass(frozen=True)
class _Children:
    """The children of one parent as an edit sees them (validated inputs and their totals)."""

    leaves: Cents  # leaf amounts
    owner: Cents  # child index per leaf
    keep: Flags  # frozen leaves
    names: list[str]
    locks: list[bool]
    lows: list[int | None]
    highs: list[int | None]
    totals: list[int]
    frozen_parts: list[int]
    free_leaves: list[int]

    @property
    def parent(self) -> int:
        return sum(self.totals)


def _children(
    amounts: npt.ArrayLike,
    child: npt.ArrayLike,
    child_keys: Sequence[str],
    frozen: npt.ArrayLike | None,
    locked_children: Sequence[bool] | None,
    mins: Sequence[int | None] | None,
    maxs: Sequence[int | None] | None,
) -> _Children:
    """Validate a rebalance's inputs and sum the leaves per child."""
    current = _int_array(amounts, "amounts")
    n = current.size
    names = key_names(child_keys)
    k = len(names)
    owner = np.asarray(child)
    if owner.shape != (n,) or (n and not np.issubdtype(owner.dtype, np.integer)):
        raise AllocationError("child must give one child index per leaf")
    owner = owner.astype(np.int64)
    if n and (owner.min() < 0 or owner.max() >= k):
        raise AllocationError(f"child indexes must be between 0 and {k - 1}")
    keep = np.zeros(n, bool) if frozen is None else np.asarray(frozen, dtype=bool)
    if keep.shape != (n,):
        raise AllocationError("frozen must have one flag per leaf")
    locks = [False] * k if locked_children is None else [bool(x) for x in locked_children]
    check_length(locks, k, "locked children")
    totals = np.zeros(k, np.int64)
    np.add.at(totals, owner, current)
    frozen_parts = np.zeros(k, np.int64)
    np.add.at(frozen_parts, owner, np.where(keep, current, 0))
    return _Children(
        leaves=current,
        owner=owner,
        keep=keep,
        names=names,
        locks=locks,
        lows=optional_cents(mins, k, "minimum", names),
        highs=optional_cents(maxs, k, "maximum", names),
        totals=[int(v) for v in totals],
        frozen_parts=[int(v) for v in frozen_parts],
        free_leaves=[int(v) for v in np.bincount(owner[~keep], minlength=k)],
    )


def _edited_label(kids: _Children, targets: Mapping[int, int]) -> str:
    """How messages name the edited children: 'a' for one, "A, B" or "the 12 cells set"."""
    if len(targets) == 1:
        return repr(kids.names[next(iter(targets))])
    if len(targets) <= 3:
        return ", ".join(kids.names[c] for c in sorted(targets))
    return f"the {len(targets)} cells set"


def _check_targets(kids: _Children, targets: Mapping[int, int]) -> None:
    """Each edited child may take its target: not negative, not locked, within its bounds."""
    single = len(targets) == 1
    for c, target in targets.items():
        name = kids.names[c]
        label = repr(name) if single else name
        if target < 0:
            message = (
                f"{label} can't be set to a negative amount ({format_cents(target)})"
                if single
                else f"{label} can't be negative"
            )
            raise AllocationError(message, child=name)
        check_child_target(
            label=label,
            child=name,
            target=target,
            total=kids.totals[c],
            frozen_part=kids.frozen_parts[c],
            free_leaves=kids.free_leaves[c],
            locked=kids.locks[c],
            low=kids.lows[c],
            high=kids.highs[c],
        )


def _new_totals(kids: _Children, targets: Mapping[int, int]) -> list[int]:
    """Children totals after the edit: targets set, the free siblings share what is left.

    A sibling that is locked, or whose leaves are all frozen, keeps its total; the others
    share ``parent − Σtargets − Σfixed`` in proportion to their current totals by
    :func:`split`, each at least its frozen part and within its bounds.
    """
    k = len(kids.names)
    single = len(targets) == 1
    edited = _edited_label(kids, targets)
    first = kids.names[next(iter(targets))] if single else None
    fixed = [kids.locks[c] or kids.free_leaves[c] == 0 for c in range(k)]
    others = [c for c in range(k) if c not in targets and not fixed[c]]
    fixed_total = sum(kids.totals[c] for c in range(k) if c not in targets and fixed[c])
    target_sum = sum(targets.values())
    parent = kids.parent
    room = parent - target_sum - fixed_total
    if room < 0:
        raise AllocationError(
            f"{edited} can be at most {format_cents(parent - fixed_total)}: the parent total is "
            f"{format_cents(parent)} and {format_cents(fixed_total)} of it is locked in "
            f"other items"
            if single
            else f"{edited} add up to {format_cents(target_sum)}, but only "
            f"{format_cents(parent - fixed_total)} of the parent total "
            f"{format_cents(parent)} is not locked",
            child=first,
        )
    new_totals = list(kids.totals)
    for c, target in targets.items():
        new_totals[c] = target
    if others:
        try:
            shares = split(
                room,
                [max(kids.totals[c], 0) for c in others],
                [kids.names[c] for c in others],
                mins=[max(kids.frozen_parts[c], kids.lows[c] or 0, 0) for c in others],
                maxs=[kids.highs[c] for c in others],
            )
        except AllocationError as error:
            lead = (
                f"can't set {edited} to {format_cents(target_sum)}"
                if single
                else f"after setting {edited}"
            )
            raise AllocationError(
                f"{lead}: the other unlocked items would have to share {format_cents(room)}, "
                f"but {error.message}",
                child=first,
            ) from error
        for c, share in zip(others, shares, strict=True):
            new_totals[c] = share
    elif room != 0:
        raise AllocationError(
            f"can't change {edited}: there is no unlocked item next to it to take up the "
            f"difference of {format_cents(room)} (the parent total stays "
            f"{format_cents(parent)})"
            if single
            else f"{edited} must add up to {format_cents(parent - fixed_total)} (the parent "
            f"total {format_cents(parent)} stays), not {format_cents(target_sum)}; nothing "
            f"else is free to take up the difference",
            child=first,
        )
    return new_totals


def rebalance(
    *,
    amounts: npt.ArrayLike,
    child: npt.ArrayLike,
    child_keys: Sequence[str],
    targets: Mapping[int, int],
    frozen: npt.ArrayLike | None = None,
    locked_children: Sequence[bool] | None = None,
    mins: Sequence[int | None] | None = None,
    maxs: Sequence[int | None] | None = None,
    leaf_keys: Sequence[str] | None = None,
) -> Cents:
    """Set some children of a parent to new totals and rebalance the rest; Σ stays the same.

    The one rebalance behind every edit (a cell, a pasted block, an uploaded sheet).
    ``amounts`` are the parent's leaves, ``child[i]`` the child that leaf ``i`` belongs to,
    ``targets`` child index → its new total in cents.

    1. Every edited child takes its target (not negative, not below its frozen part, within
       its own bounds, not a locked child; a child whose leaves are all frozen can't move).
    2. Locked children and children whose leaves are all frozen keep their totals; the other
       children share ``parent − Σtargets − Σlocked`` in proportion to their current totals
       (equal if all zero) via :func:`split`, each at least its frozen part and within
       `mins`/`maxs`.
    3. Inside every child whose total changed the free leaves are re-split to its new total
       in proportion to their current amounts (equal among them if all zero); frozen leaves
       and the leaves of unchanged children keep theirs. Leaf ties go to the lower
       `leaf_keys` (default: the earlier leaf).

    Returns new int64 leaf amounts in input order. Raises AllocationError with a message for a
    manager when the edit is impossible (worded for one edited child or for several); nothing
    is computed partially.
    """
    kids = _children(amounts, child, child_keys, frozen, locked_children, mins, maxs)
    if not targets:
        raise AllocationError("give at least one child to set")
    last = len(kids.names) - 1
    if any(not 0 <= c <= last for c in targets):
        raise AllocationError(f"edited children must be indexes between 0 and {last}")
    clean = {int(c): whole_cents(t, "the new amount", kids.names[c]) for c, t in targets.items()}
    _check_targets(kids, clean)
    new_totals = _new_totals(kids, clean)
    current, owner = kids.leaves, kids.owner
    if current.size == 0:
        return np.zeros(0, np.int64)
    changed = np.array(new_totals, dtype=np.int64) != np.array(kids.totals, dtype=np.int64)
    keep_leaf = kids.keep | ~changed[owner]
    negative = np.flatnonzero(~keep_leaf & (current < 0))
    if negative.size:
        name = kids.names[int(owner[int(negative[0])])]
        raise AllocationError(
            f"{name!r} has a negative amount inside it "
            f"({format_cents(int(current[int(negative[0])]))}) and can't be re-split",
            child=name,
        )
    present, codes = np.unique(owner, return_inverse=True)
    return grouped_largest_remainder(
        codes=codes.astype(np.int64),
        totals=np.array(new_totals, dtype=np.int64)[present],
        weights=np.where(keep_leaf, 0, current),
        locked_mask=keep_leaf,
        locked_values=np.where(keep_leaf, current, 0),
        ties=_tie_codes(leaf_keys, current.size),
        label=lambda g: repr(kids.names[int(present[g])]),
    ).astype(np.int64)


def respread(
    *,
    annual: int,
    month_targets: Sequence[int],
    month_actuals: Sequence[int | None],
    closed: int,
) -> list[int]:
    """Re-spread what remains of the annual target over the open months; Σ exact.

    Months are in fiscal order and the first `closed` are over: they take their actuals
    (None → 0). The open months share ``max(annual − actual to date, 0)`` in proportion to
    their current targets (equal if those are all zero), largest remainder, earlier month
    first on ties. The result sums to ``max(annual, actual to date)``: if the actual to date
    already exceeds the annual target, the open months get 0 and the row's total becomes the
    actual to date (a target can't be lower than what is already achieved).
    """
    n = len(month_targets)
    check_length(month_actuals, n, "month actuals")
    total = whole_cents(annual, "the annual target")
    if total < 0:
        raise AllocationError(f"the annual target can't be negative ({format_cents(total)})")
    if isinstance(closed, bool) or not 0 <= closed <= n:
        raise AllocationError(f"closed must be between 0 and {n}, got {closed!r}")
    labels = [f"month {i + 1:02d}" for i in range(n)]
    targets = [
        whole_cents(t, f"target of {labels[i]}", labels[i]) for i, t in enumerate(month_targets)
    ]
    actuals = [
        0 if is_missing(a) else whole_cents(a, f"actual of {labels[i]}", labels[i])
        for i, a in enumerate(month_actuals)
    ]
    done = actuals[:closed]
    to_date = sum(done)
    remaining = max(total - to_date, 0)
    open_months = list(range(closed, n))
    if not open_months:
        if remaining:
            raise AllocationError(
                f"every month is closed; {format_cents(remaining)} of the annual target has "
                f"no month left to go to"
            )
        return done
    for i in open_months:
        if targets[i] < 0:
            raise AllocationError(
                f"target of {labels[i]} is negative ({format_cents(targets[i])})",
                child=labels[i],
            )
    spread = split(remaining, [targets[i] for i in open_months], [labels[i] for i in open_months])
    return done + spread


def respread_rows(*, targets: npt.ArrayLike, actuals: npt.ArrayLike, closed: int) -> Cents:
    """Re-spread many leaf rows at once: the vectorised :func:`respread`.

    ``targets`` and ``actuals`` are (rows x 12) cents in fiscal order. Per row, the first
    ``closed`` months take their actual (a negative month counts as 0: a target is never
    negative) and the open months share ``max(annual − actual to date, 0)`` in proportion to
    their current targets (equal if those are all zero), ties to the earlier month; the row
    then sums to ``max(annual, actual to date)``. Same result as calling ``respread``
    row by row.
    """
    table = np.asarray(targets, dtype=np.int64)
    done = np.maximum(np.asarray(actuals, dtype=np.int64), 0)
    rows = table.shape[0]
    if not 0 <= closed <= MONTHS:
        raise AllocationError(f"closed must be between 0 and {MONTHS}, got {closed!r}")
    out = table.copy()
    out[:, :closed] = done[:, :closed]
    if closed == MONTHS or rows == 0:
        return out
    annual = table.sum(axis=1)
    remaining = np.maximum(annual - done[:, :closed].sum(axis=1), 0)
    open_months = MONTHS - closed
    frame = pd.DataFrame(
        {
            "group": np.repeat(np.arange(rows), open_months),
            "key": np.tile(MONTH_KEYS[closed:], rows),
            "weight": np.maximum(table[:, closed:], 0).reshape(-1),
        }
    )
    spread = split_frame(
        frame,
        group="group",
        weight="weight",
        key="key",
        totals=pd.Series(remaining, index=range(rows)),
    )
    out[:, closed:] = spread.to_numpy(dtype=np.int64).reshape(rows, open_months)
    return out
