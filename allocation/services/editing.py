"""Editing a plan's grid: one cell, a pasted block of cells, locks and bounds (drafts only).

A *cell* is (org node or salesperson or all) x (product-line node or all) x (year | quarter
| month); its amount is the sum of its leaves. In top-down mode a change keeps the cell's
*parent* unchanged (see ``PlanStructure.parent``): the unlocked siblings rebalance in
proportion and the cell's own leaves are re-split in their current proportions; leaves in any
locked cell that does not contain the parent are frozen. In bottom-up mode the cell's leaves
are re-split and every ancestor (and the plan total) follows. Infeasible changes raise
``PlanRuleError`` and change nothing.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import BigIntegerField, Sum
from django.db.models.functions import Cast, Round
from django.utils.translation import gettext as _

from allocation.engine.errors import AllocationError
from allocation.engine.exact import format_cents
from allocation.engine.rebalance import rebalance, rescale
from allocation.models import CellConstraint, Plan, PlanChange, TargetCell
from allocation.selectors import (
    Cell,
    PlanScope,
    PlanStructure,
    plan_leaves_frame,
    plan_structure_get,
)
from allocation.services.common import (
    CellsRejectedError,
    PlanRuleError,
    actor_scope,
    amount_problem,
    audit,
    ensure_editable,
    ensure_may_change,
    ensure_revision,
    parse_amount,
    plan_lock,
    rule_error,
)
from allocation.services.storage import target_amounts_update
from salesalloc.core.exceptions import ScopeError
from salesalloc.core.money import from_cents, to_cents


@dataclass(frozen=True)
class CellChange:
    cell: Cell
    old_cents: int
    new_cents: int


@dataclass
class EditResult:
    """What an edit did: the plan after it, the cells set, how many leaves changed."""

    plan: Plan
    changes: list[CellChange]
    leaf_count: int
    batch: uuid.UUID | None = None


@dataclass(frozen=True)
class CellInput:
    """One cell of a multi-cell edit, as sent by a client (codes; ``ref`` echoes in errors)."""

    amount: Any
    period: str = "year"
    org_unit: str | None = None
    salesperson: str | None = None
    product_line: str | None = None
    ref: str | None = None


def _coords(
    org_unit: str | None, salesperson: str | None, product_line: str | None, period: str
) -> dict:
    return {
        "org_unit": org_unit,
        "salesperson": salesperson,
        "product_line": product_line,
        "period": period,
    }


def _resolve_visible(structure: PlanStructure, window: PlanScope, **coords: Any) -> Cell:
    cell = structure.resolve(**coords)
    if cell.org.is_root and window.role != "admin":
        raise ScopeError(_("Only administrators may change the plan total or its lines."))
    if not window.sees(cell.org):
        field_name = "salesperson" if coords.get("salesperson") else "org_unit"
        code = coords.get(field_name) or structure.root.code
        raise ValidationError(
            {
                field_name: _("No org unit or salesperson with code “%(value)s” is visible to you.")
                % {"value": code}
            }
        )
    return cell


def _load_leaves(plan: Plan, structure: PlanStructure, region: Cell) -> pd.DataFrame:
    """The stored leaves of ``region`` sorted by (salesperson, line, month) for stable ties."""
    leaves = plan_leaves_frame(
        plan=plan,
        structure=structure,
        salesperson_ids=None if region.org.is_root else structure.members_under(region.org),
        pl_ids=structure.leaves_under(region.pl),
        months=structure.months(region),
    )
    expected = structure.leaf_count(region)
    if len(leaves) != expected:
        if leaves.empty:
            raise PlanRuleError(_("Allocate the plan before editing its cells."))
        raise PlanRuleError(
            _("The grid of this plan is incomplete (%(have)s of %(want)s cells); allocate again.")
            % {"have": len(leaves), "want": expected}
        )
    return leaves.sort_values(["salesperson_id", "pl_id", "m"]).reset_index(drop=True)


def _frozen(
    structure: PlanStructure, leaves: pd.DataFrame, keeper: Cell | None, extra: Sequence[Cell] = ()
) -> np.ndarray:
    """Leaves inside locked cells (and ``extra`` cells) that do not contain ``keeper``."""
    frozen = np.zeros(len(leaves), dtype=bool)
    cells = [info.cell for info in structure.constraints if info.locked] + list(extra)
    for cell in cells:
        if keeper is not None and structure.contains(cell, keeper):
            continue
        frozen |= structure.mask(cell, leaves)
    return frozen


def _db_sum(plan: Plan, structure: PlanStructure, cell: Cell) -> int:
    cells = TargetCell.objects.filter(plan=plan)
    if not cell.org.is_root:
        cells = cells.filter(salesperson_id__in=[int(x) for x in structure.members_under(cell.org)])
    if cell.pl is not None:
        cells = cells.filter(product_line_id__in=[int(x) for x in structure.leaves_under(cell.pl)])
    if cell.period != "year":
        months = structure.fiscal.months
        cells = cells.filter(month__in=[months[m] for m in structure.months(cell)])
    total = cells.aggregate(c=Cast(Round(Sum("amount") * 100), BigIntegerField()))["c"]
    return int(total or 0)


def check_changed_constraints(
    *,
    plan: Plan,
    structure: PlanStructure,
    leaves: pd.DataFrame,
    old: np.ndarray,
    new: np.ndarray,
    region: Cell | None,
) -> None:
    """Locks and bounds of every cell the change touches still hold (else AllocationError).

    Only constraints whose sum moves are checked; a cell whose leaves are all in memory
    (inside ``region``) is summed here, any other gets one query (None: always query).
    """
    changed = old != new
    if not changed.any():
        return
    for info in structure.constraints:
        mask = structure.mask(info.cell, leaves)
        delta = int((new[mask] - old[mask]).sum())
        if delta == 0:
            continue
        if info.locked:
            raise AllocationError(f"{info.cell.label} is locked", child=info.cell.label)
        if info.min_cents is None and info.max_cents is None:
            continue
        if region is not None and structure.contains(region, info.cell):
            total = int(new[mask].sum())
        else:
            total = _db_sum(plan, structure, info.cell) + delta
        if info.min_cents is not None and total < info.min_cents:
            raise AllocationError(
                f"{info.cell.label} would be {format_cents(total)}, below its minimum "
                f"{format_cents(info.min_cents)}",
                child=info.cell.label,
            )
        if info.max_cents is not None and total > info.max_cents:
            raise AllocationError(
                f"{info.cell.label} would be {format_cents(total)}, above its maximum "
                f"{format_cents(info.max_cents)}",
                child=info.cell.label,
            )


def _write(leaves: pd.DataFrame, old: np.ndarray, new: np.ndarray) -> int:
    changed = old != new
    target_amounts_update(ids=leaves["id"].to_numpy()[changed], cents=new[changed])
    return int(changed.sum())


def _rebalance_one(
    structure: PlanStructure,
    leaves: pd.DataFrame,
    cell: Cell,
    parent: Cell,
    dimension: str,
    target: int,
) -> np.ndarray:
    """rebalance of ``cell`` among the children of ``parent`` along ``dimension``."""
    groups = [cell] + [
        child
        for child in structure.children(parent, dimension)
        if not structure.overlaps(child, cell)
    ]
    owner = np.full(len(leaves), -1, dtype=np.int64)
    for index, group in enumerate(groups):
        owner[structure.mask(group, leaves)] = index
    if (owner < 0).any():  # pragma: no cover - the children partition the parent
        raise AllocationError("the cell's siblings don't cover its parent")
    infos = [structure.constraint_at(group) for group in groups]
    return rebalance(
        amounts=leaves["cents"].to_numpy(dtype=np.int64),
        child=owner,
        child_keys=[group.label for group in groups],
        targets={0: target},
        frozen=_frozen(structure, leaves, parent),
        locked_children=[bool(info and info.locked) for info in infos],
        mins=[info.min_cents if info else None for info in infos],
        maxs=[info.max_cents if info else None for info in infos],
    )


def _rescale(
    structure: PlanStructure,
    leaves: pd.DataFrame,
    cell: Cell,
    target: int,
    extra: Sequence[Cell] = (),
) -> np.ndarray:
    """Re-split a cell's own leaves to ``target`` (bottom-up edits and the plan total).

    A locked cell containing ``cell`` would change with it, so that is refused; leaves of
    locked (and ``extra``) cells inside or across it are frozen.
    """
    for info in structure.constraints:
        if info.locked and structure.contains(info.cell, cell):
            raise AllocationError(f"{info.cell.label} is locked", child=info.cell.label)
    mask = structure.mask(cell, leaves)
    frozen = _frozen(structure, leaves.loc[mask], cell, extra=extra)
    out = leaves["cents"].to_numpy(dtype=np.int64).copy()
    out[mask] = rescale(amounts=out[mask], new_total=target, frozen=frozen)
    return out


@transaction.atomic
def cell_edit(
    *,
    plan: Plan,
    amount: Decimal,
    period: str = "year",
    org_unit: str | None = None,
    salesperson: str | None = None,
    product_line: str | None = None,
    reason: str = "",
    actor: AbstractBaseUser | None = None,
    expected_revision: int | None = None,
) -> EditResult:
    """Set one cell of a draft to ``amount`` (DESIGN §3 editing; see the module docstring).

    1. Lock the plan row; check it is a draft at ``expected_revision`` and that the actor
       may change the cell (managers: its parent lies in their subtree).
    2. Top-down: ``rebalance`` over the leaves under the parent, so the parent is
       unchanged to the cent. The plan total (no parent) rescales every unlocked leaf.
       Bottom-up: ``rescale`` of the cell's leaves; the plan total follows.
    3. Check every lock and bound the change touches, write only the leaves that changed,
       audit one row, bump the plan's revision.
    """
    plan = plan_lock(plan=plan)
    ensure_editable(plan)
    ensure_revision(plan, expected_revision)
    structure = plan_structure_get(plan=plan)
    window = actor_scope(actor=actor, structure=structure)
    cell = _resolve_visible(
        structure, window, **_coords(org_unit, salesperson, product_line, period)
    )
    ensure_may_change(window=window, structure=structure, cell=cell)
    target = to_cents(parse_amount(amount))
    info = structure.constraint_at(cell)
    if info is not None and info.locked:
        raise PlanRuleError(
            _("Nothing was changed: %(cell)s is locked; unlock it first.") % {"cell": cell.label}
        )
    parent = structure.parent(cell)
    top_down = plan.mode == Plan.Mode.TOP_DOWN
    region = parent[0] if (parent is not None and top_down) else cell
    leaves = _load_leaves(plan, structure, region)
    old = leaves["cents"].to_numpy(dtype=np.int64)
    old_cell = int(old[structure.mask(cell, leaves)].sum())
    try:
        if parent is None or not top_down:
            if info is not None:
                _bounds_of_cell(cell, target, info.min_cents, info.max_cents)
            new = _rescale(structure, leaves, cell, target)
        else:
            new = _rebalance_one(structure, leaves, cell, parent[0], parent[1], target)
        check_changed_constraints(
            plan=plan, structure=structure, leaves=leaves, old=old, new=new, region=region
        )
    except AllocationError as error:
        raise rule_error(error) from error
    count = _write(leaves, old, new)
    fields = ["revision", "updated_at"]
    if parent is None or not top_down:
        plan.total_amount = from_cents(to_cents(plan.total_amount) + target - old_cell)
        fields.append("total_amount")
    plan.revision += 1
    plan.save(update_fields=fields)
    audit(
        plan=plan,
        actor=actor,
        action=PlanChange.Action.EDIT,
        cell=cell,
        old_cents=old_cell,
        new_cents=target,
        reason=reason,
        leaf_count=count,
    )
    return EditResult(plan=plan, changes=[CellChange(cell, old_cell, target)], leaf_count=count)


def _bounds_of_cell(cell: Cell, target: int, low: int | None, high: int | None) -> None:
    if low is not None and target < low:
        raise AllocationError(
            f"{cell.label} can't go below its minimum of {format_cents(low)}",
            child=cell.label,
        )
    if high is not None and target > high:
        raise AllocationError(
            f"{cell.label} can't go above its maximum of {format_cents(high)}",
            child=cell.label,
        )


@dataclass
class _Item:
    index: int
    ref: str | None
    cell: Cell
    target: int


@dataclass
class _Group:
    parent: Cell | None
    dimension: str | None
    items: list[_Item] = field(default_factory=list)


def _error(item_index: int, ref: str | None, label: str | None, message: str) -> dict[str, Any]:
    return {"index": item_index, "ref": ref, "cell": label, "message": message}


def _messages(error: ValidationError) -> str:
    if hasattr(error, "error_dict"):
        return " ".join(str(m) for messages in error.message_dict.values() for m in messages)
    return " ".join(str(m) for m in error.messages)


def _validated_items(
    structure: PlanStructure, window: PlanScope, cells: Sequence[CellInput]
) -> list[_Item]:
    """Resolve and check every cell; refuse the whole set naming each offending cell."""
    errors: list[dict[str, Any]] = []
    items: list[_Item] = []
    seen: dict[tuple, int] = {}
    for index, raw in enumerate(cells):
        try:
            cell = _resolve_visible(
                structure,
                window,
                **_coords(raw.org_unit, raw.salesperson, raw.product_line, raw.period),
            )
        except ValidationError as error:
            errors.append(_error(index, raw.ref, None, _messages(error)))
            continue
        problem = amount_problem(raw.amount)
        if problem:
            errors.append(_error(index, raw.ref, cell.label, problem))
            continue
        try:
            ensure_may_change(window=window, structure=structure, cell=cell)
        except ScopeError as error:
            errors.append(_error(index, raw.ref, cell.label, error.message))
            continue
        target = to_cents(parse_amount(raw.amount))
        info = structure.constraint_at(cell)
        if info is not None and info.locked:
            errors.append(_error(index, raw.ref, cell.label, _("This cell is locked.")))
            continue
        if info is not None:
            try:
                _bounds_of_cell(cell, target, info.min_cents, info.max_cents)
            except AllocationError as error:
                errors.append(_error(index, raw.ref, cell.label, error.message))
                continue
        if cell.key in seen:
            errors.append(
                _error(index, raw.ref, cell.label, _("The same cell appears twice in the block."))
            )
            continue
        seen[cell.key] = index
        items.append(_Item(index=index, ref=raw.ref, cell=cell, target=target))
    if errors:
        raise CellsRejectedError(
            _("Nothing was changed: %(count)s of the cells can't be set.") % {"count": len(errors)},
            errors=errors,
        )
    return _drop_redundant(structure, items)


def _drop_redundant(structure: PlanStructure, items: list[_Item]) -> list[_Item]:
    """Check totals pasted together with all their parts (a whole grid row pasted back).

    A quarter pasted with its three months must equal their sum and is then dropped (a
    quarter is a sum, not a split level). A year pasted with all its months (or quarters)
    must equal their sum too, and stays: it is set first, then its months fill it.
    """
    errors = []
    remaining = list(items)
    for period_kind in ("quarter", "year"):
        keep = []
        for item in remaining:
            is_kind = (
                (item.cell.period == "year")
                if period_kind == "year"
                else item.cell.period.startswith("Q")
            )
            if not is_kind:
                keep.append(item)
                continue
            months = set(structure.months(item.cell))
            parts = [
                other
                for other in remaining
                if other is not item
                and other.cell.org.opath == item.cell.org.opath
                and (other.cell.pl.id if other.cell.pl else None)
                == (item.cell.pl.id if item.cell.pl else None)
                and set(structure.months(other.cell)) <= months
                and other.cell.period != item.cell.period
            ]
            covered = [m for part in parts for m in structure.months(part.cell)]
            if sorted(covered) == sorted(months) and len(covered) == len(months):
                total = sum(part.target for part in parts)
                if total != item.target:
                    errors.append(
                        _error(
                            item.index,
                            item.ref,
                            item.cell.label,
                            _("It is %(cell)s but the months pasted with it add up to %(sum)s.")
                            % {
                                "cell": format_cents(item.target),
                                "sum": format_cents(total),
                            },
                        )
                    )
                if period_kind == "quarter":
                    continue  # consistent: the months carry the change
            keep.append(item)
        remaining = keep
    if errors:
        raise CellsRejectedError(
            _("Nothing was changed: %(count)s of the cells can't be set.") % {"count": len(errors)},
            errors=errors,
        )
    return remaining


def _group_order(structure: PlanStructure, parent: Cell | None) -> tuple:
    if parent is None:
        return (-1, -1, -1)
    return (
        parent.org.depth,
        parent.pl.depth if parent.pl is not None else 0,
        0 if parent.period == "year" else 1,
    )


@transaction.atomic
def cells_edit(
    *,
    plan: Plan,
    cells: Sequence[CellInput],
    reason: str = "",
    actor: AbstractBaseUser | None = None,
    expected_revision: int | None = None,
    action: str = PlanChange.Action.PASTE,
) -> EditResult:
    """Set several cells at once (a block pasted from Excel) as one audited change.

    1. Validate the set: every cell resolvable, visible and changeable by the actor, an
       amount >= 0 with at most 2 decimals, not locked, within its own bounds, no duplicate;
       otherwise refuse the whole set naming every offending cell. A quarter/year pasted with
       all its months must equal their sum (and is then only a check).
    2. Top-down: group the cells by parent and apply the groups coarse to fine; within a
       group the pasted siblings take their amounts together and the other unlocked siblings
       share the difference (the engine's ``rebalance``); cells set by an earlier group are
       frozen for later ones. Bottom-up: each cell's leaves are re-split in turn.
    3. Every pasted cell must end at its amount and every touched lock/bound must hold;
       otherwise nothing changes. One ``PlanChange`` per cell with a shared batch id.
    """
    plan = plan_lock(plan=plan)
    ensure_editable(plan)
    ensure_revision(plan, expected_revision)
    if not cells:
        raise ValidationError({"cells": _("Give at least one cell.")})
    structure = plan_structure_get(plan=plan)
    window = actor_scope(actor=actor, structure=structure)
    items = _validated_items(structure, window, cells)
    top_down = plan.mode == Plan.Mode.TOP_DOWN
    groups: dict[tuple, _Group] = {}
    for item in items:
        parent = structure.parent(item.cell)
        if parent is None or not top_down:
            key: tuple = ("self", item.cell.key)
            groups[key] = _Group(parent=None, dimension=None, items=[item])
            continue
        key = (parent[0].key, parent[1])
        groups.setdefault(key, _Group(parent=parent[0], dimension=parent[1])).items.append(item)
    region = _union_region(structure, items, top_down)
    leaves = _load_leaves(plan, structure, region)
    old = leaves["cents"].to_numpy(dtype=np.int64)
    work = old.copy()
    ordered = sorted(
        groups.values(),
        key=lambda g: _group_order(
            structure, g.parent if g.parent is not None else g.items[0].cell
        ),
    )
    done: list[Cell] = []
    try:
        for group in ordered:
            frame = leaves.assign(cents=work)
            if group.parent is None:
                item = group.items[0]
                work = _rescale(structure, frame, item.cell, item.target, extra=done)
            else:
                work = _apply_group(structure, frame, group, done)
            done.extend(item.cell for item in group.items)
        for item in items:
            total = int(work[structure.mask(item.cell, leaves)].sum())
            if total != item.target:
                raise CellsRejectedError(
                    _("Nothing was changed: these cells can't all keep their amounts together."),
                    errors=[
                        _error(
                            item.index,
                            item.ref,
                            item.cell.label,
                            _(
                                "Other cells of the block would move it to %(amount)s; "
                                "paste them separately."
                            )
                            % {"amount": format_cents(total)},
                        )
                    ],
                )
        check_changed_constraints(
            plan=plan, structure=structure, leaves=leaves, old=old, new=work, region=region
        )
    except AllocationError as error:
        raise rule_error(error) from error
    count = _write(leaves, old, work)
    batch = uuid.uuid4()
    fields = ["revision", "updated_at"]
    if not top_down or any(structure.parent(item.cell) is None for item in items):
        delta = int(work.sum()) - int(old.sum())
        plan.total_amount = from_cents(to_cents(plan.total_amount) + delta)
        fields.append("total_amount")
    plan.revision += 1
    plan.save(update_fields=fields)
    rows = [
        audit(
            plan=plan,
            actor=actor,
            action=action,
            cell=item.cell,
            old_cents=int(old[structure.mask(item.cell, leaves)].sum()),
            new_cents=item.target,
            reason=reason,
            leaf_count=count,
            batch=batch,
            details={"ref": item.ref} if item.ref else None,
            save=False,
        )
        for item in items
    ]
    PlanChange.objects.bulk_create(rows)
    changes = [
        CellChange(item.cell, int(old[structure.mask(item.cell, leaves)].sum()), item.target)
        for item in items
    ]
    return EditResult(plan=plan, changes=changes, leaf_count=count, batch=batch)


def _union_region(structure: PlanStructure, items: list[_Item], top_down: bool) -> Cell:
    """All lines x the year of the closest org node holding every region the set touches
    (the parent of each cell in top-down mode, the cell itself in bottom-up mode)."""
    regions = []
    for item in items:
        parent = structure.parent(item.cell)
        if parent is None:
            return Cell(structure.root, None, "year")
        regions.append(parent[0] if top_down else item.cell)
    opaths = {region.org.opath for region in regions}
    if len(opaths) == 1:
        return Cell(regions[0].org, None, "year")
    common = os.path.commonprefix(sorted(opaths))  # noqa: RUF071 - paths end in "/"
    common = common[: common.rfind("/") + 1]
    while common not in structure.by_opath and len(common) > len(structure.root.opath):
        common = common[: common.rstrip("/").rfind("/") + 1]
    return Cell(structure.by_opath.get(common, structure.root), None, "year")


def _apply_group(
    structure: PlanStructure, frame: pd.DataFrame, group: _Group, done: list[Cell]
) -> np.ndarray:
    """Apply one parent's pasted children at once (the engine's ``rebalance``)."""
    parent, dimension = group.parent, group.dimension
    assert parent is not None  # noqa: S101 - grouped by parent above
    assert dimension is not None  # noqa: S101
    inside = structure.mask(parent, frame)
    sub = frame.loc[inside].reset_index(drop=True)
    edited = [item.cell for item in group.items]
    for i, first in enumerate(edited):
        for second in edited[i + 1 :]:
            if structure.overlaps(first, second):
                raise AllocationError(
                    f"{first.label} and {second.label} overlap; paste one of them"
                )
    groups = edited + [
        child
        for child in structure.children(parent, dimension)
        if not any(structure.overlaps(child, cell) for cell in edited)
    ]
    owner = np.full(len(sub), -1, dtype=np.int64)
    for index, cell in enumerate(groups):
        owner[structure.mask(cell, sub)] = index
    infos = [structure.constraint_at(cell) for cell in groups]
    new_sub = rebalance(
        amounts=sub["cents"].to_numpy(dtype=np.int64),
        child=owner,
        child_keys=[cell.label for cell in groups],
        targets={i: item.target for i, item in enumerate(group.items)},
        frozen=_frozen(structure, sub, parent, extra=done),
        locked_children=[bool(info and info.locked) for info in infos],
        mins=[info.min_cents if info else None for info in infos],
        maxs=[info.max_cents if info else None for info in infos],
    )
    work = frame["cents"].to_numpy(dtype=np.int64).copy()
    work[inside] = new_sub
    return work


@transaction.atomic
def cell_constraint_set(
    *,
    plan: Plan,
    period: str = "year",
    org_unit: str | None = None,
    salesperson: str | None = None,
    product_line: str | None = None,
    locked: bool | None = None,
    bounds: tuple[Decimal | None, Decimal | None] | None = None,
    reason: str = "",
    actor: AbstractBaseUser | None = None,
) -> CellConstraint | None:
    """Lock/unlock a cell and/or set its min/max bounds (``bounds=(None, None)`` clears).

    The same people may do this as may edit the cell. New bounds must hold for the cell's
    current amount. A cell with no lock and no bounds keeps no row. Audited.
    """
    plan = plan_lock(plan=plan)
    ensure_editable(plan)
    structure = plan_structure_get(plan=plan)
    window = actor_scope(actor=actor, structure=structure)
    cell = _resolve_visible(
        structure, window, **_coords(org_unit, salesperson, product_line, period)
    )
    ensure_may_change(window=window, structure=structure, cell=cell)
    row = CellConstraint.objects.filter(
        plan=plan,
        org_unit_id=cell.org.id if cell.org.kind == "unit" else None,
        salesperson_id=cell.org.id if cell.org.kind == "salesperson" else None,
        product_line_id=cell.pl.id if cell.pl is not None else None,
        period=cell.period,
    ).first()
    if row is None:
        row = CellConstraint(
            plan=plan,
            org_unit_id=cell.org.id if cell.org.kind == "unit" else None,
            salesperson_id=cell.org.id if cell.org.kind == "salesperson" else None,
            product_line_id=cell.pl.id if cell.pl is not None else None,
            period=cell.period,
        )
    current = _db_sum(plan, structure, cell)
    actions = []
    if locked is not None and locked != row.locked:
        row.locked = locked
        actions.append(PlanChange.Action.LOCK if locked else PlanChange.Action.UNLOCK)
    if bounds is not None:
        low, high = bounds
        for name, value in (("min_amount", low), ("max_amount", high)):
            if value is not None:
                parse_amount(value, field=name)
        if low is not None and high is not None and low > high:
            raise ValidationError({"max_amount": _("The maximum is below the minimum.")})
        if plan.allocated_at is not None:
            if low is not None and current < to_cents(low):
                raise PlanRuleError(
                    _("%(cell)s is %(amount)s now, below the new minimum.")
                    % {"cell": cell.label, "amount": format_cents(current)}
                )
            if high is not None and current > to_cents(high):
                raise PlanRuleError(
                    _("%(cell)s is %(amount)s now, above the new maximum.")
                    % {"cell": cell.label, "amount": format_cents(current)}
                )
        if (low, high) != (row.min_amount, row.max_amount):
            row.min_amount, row.max_amount = low, high
            actions.append(PlanChange.Action.BOUNDS)
    for action in actions:
        audit(
            plan=plan,
            actor=actor,
            action=action,
            cell=cell,
            old_cents=current,
            new_cents=current,
            reason=reason,
            details={
                "min": str(row.min_amount) if row.min_amount is not None else None,
                "max": str(row.max_amount) if row.max_amount is not None else None,
            }
            if action == PlanChange.Action.BOUNDS
            else None,
        )
    if not actions:
        return row if row.pk else None
    if not row.locked and row.min_amount is None and row.max_amount is None:
        if row.pk:
            row.delete()
        result = None
    else:
        row.full_clean(validate_constraints=False)
        row.save()
        result = row
    plan.revision += 1
    plan.save(update_fields=["revision", "updated_at"])
    return result
