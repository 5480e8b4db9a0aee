"""Editing a plan's grid: one cell, a pasted block of cells, locks and bounds (drafts only).

A *cell* is (org node or salesperson or all) x (product-line node or all) x (year | quarter
| month); its amount is the sum of its leaves. Each service here checks its input in its
own terms and applies it through ``services.cells.cells_apply`` (how a change rebalances is
described there). Infeasible changes raise ``PlanRuleError`` and change nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from allocation.access import PlanScope
from allocation.engine.errors import AllocationError
from allocation.engine.exact import format_cents
from allocation.engine.rebalance import KEEP_ROW_YEAR
from allocation.models import CellConstraint, Plan, PlanChange
from allocation.scoping import cell_resolve_visible
from allocation.selectors import plan_structure_get
from allocation.services.cell_rules import db_cell_sum, lock_holding
from allocation.services.cells import CellTarget, EditResult, cells_apply, rejected_cell
from allocation.services.common import (
    CellsRejectedError,
    PlanRuleError,
    actor_scope,
    amount_problem,
    audit,
    ensure_editable,
    ensure_may_change,
    ensure_revision,
    keep_label,
    keep_rule_check,
    parse_amount,
    plan_lock,
    rule_error,
    whole_units_problem,
)
from allocation.structure import Cell, PlanStructure
from salesalloc.core.exceptions import ScopeError
from salesalloc.core.money import to_cents


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
    cell = cell_resolve_visible(structure, window, **coords)
    if cell.org.is_root and window.role != "admin":
        raise ScopeError(_("Only administrators may change the plan total or its lines."))
    return cell


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
    keep: str = KEEP_ROW_YEAR,
) -> EditResult:
    """Set one cell of a draft to ``amount`` (DESIGN §3 editing; see ``services.cells``).

    1. Lock the plan row; check it is a draft at ``expected_revision`` and that the actor
       may change the cell (managers: the cell its keep rule keeps lies in their subtree);
       refuse a locked cell, and a cell out of its own bounds when nothing above it is kept.
    2. :func:`cells_apply` with this one cell: top-down, the parent the keep rule names
       stays unchanged to the cent (``row_year``: the row's year, its other months
       rebalance; ``period_total``: the parent unit's total of the period, the sibling rows
       rebalance) and the plan total rescales every unlocked leaf; bottom-up, its leaves are
       re-split and the plan total follows. One audit row, recording the rule.
    """
    keep = keep_rule_check(keep)
    plan = plan_lock(plan=plan)
    ensure_editable(plan)
    ensure_revision(plan, expected_revision)
    structure = plan_structure_get(plan=plan)
    window = actor_scope(actor=actor, structure=structure)
    cell = _resolve_visible(
        structure, window, **_coords(org_unit, salesperson, product_line, period)
    )
    ensure_may_change(window=window, structure=structure, cell=cell, keep=keep)
    target = to_cents(parse_amount(amount))
    units = whole_units_problem(plan, target)
    if units:
        raise ValidationError({"amount": units})
    info = structure.constraint_at(cell)
    if info is not None and info.locked:
        raise PlanRuleError(
            _("Nothing was changed: %(cell)s is locked; unlock it first.") % {"cell": cell.label}
        )
    keeps_parent = structure.parent(cell, keep) is not None and plan.mode == Plan.Mode.TOP_DOWN
    try:
        if info is not None and not keeps_parent:
            _bounds_of_cell(cell, target, info.min_cents, info.max_cents)
        return cells_apply(
            plan=plan,
            structure=structure,
            items=[CellTarget(cell=cell, target=target)],
            action=PlanChange.Action.EDIT,
            actor=actor,
            reason=reason,
            keep=keep,
        )
    except AllocationError as error:
        raise rule_error(error, prefix=rule_prefix(plan, keep)) from error


def rule_prefix(plan: Plan, keep: str) -> str | None:
    """How a refusal names the rule it was refused under (top-down plans only)."""
    if plan.mode != Plan.Mode.TOP_DOWN:
        return None
    return _("with “%(rule)s”") % {"rule": keep_label(keep)}


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


def _messages(error: ValidationError) -> str:
    if hasattr(error, "error_dict"):
        return " ".join(str(m) for messages in error.message_dict.values() for m in messages)
    return " ".join(str(m) for m in error.messages)


def _pasted_cell(
    structure: PlanStructure, window: PlanScope, index: int, raw: CellInput, keep: str
) -> CellTarget:
    """Resolve and check one pasted cell, or raise ``_Refused`` with the reason."""
    try:
        cell = _resolve_visible(
            structure,
            window,
            **_coords(raw.org_unit, raw.salesperson, raw.product_line, raw.period),
        )
    except ValidationError as error:
        raise _Refused(None, _messages(error)) from error
    problem = amount_problem(raw.amount)
    if problem:
        raise _Refused(cell.label, problem)
    try:
        ensure_may_change(window=window, structure=structure, cell=cell, keep=keep)
    except ScopeError as error:
        raise _Refused(cell.label, error.message) from error
    target = to_cents(parse_amount(raw.amount))
    units = whole_units_problem(structure.plan, target)
    if units:
        raise _Refused(cell.label, units)
    info = structure.constraint_at(cell)
    if info is not None and info.locked:
        raise _Refused(cell.label, _("This cell is locked."))
    top_down = structure.plan.mode == Plan.Mode.TOP_DOWN
    kept = structure.parent(cell, keep) if top_down else None
    lock = lock_holding(structure, cell, kept[0] if kept else None)
    if lock is not None:
        raise _Refused(
            cell.label,
            _("It lies inside %(lock)s, which is locked (with “%(rule)s”).")
            % {"lock": lock.label, "rule": keep_label(keep)},
        )
    if info is not None:
        try:
            _bounds_of_cell(cell, target, info.min_cents, info.max_cents)
        except AllocationError as error:
            raise _Refused(cell.label, error.message) from error
    return CellTarget(cell=cell, target=target, index=index, ref=raw.ref)


class _Refused(Exception):  # noqa: N818 - a control-flow signal inside this module
    """One pasted cell can't be set: its label (if it resolved) and why."""

    def __init__(self, label: str | None, message: str) -> None:
        super().__init__(message)
        self.label = label
        self.message = message


def validated_items(
    structure: PlanStructure,
    window: PlanScope,
    cells: Sequence[CellInput],
    keep: str = KEEP_ROW_YEAR,
) -> list[CellTarget]:
    """Resolve and check every cell of a batch (a paste, a sheet) for the actor's window
    under ``keep``; refuse the whole set naming each offending cell."""
    errors: list[dict[str, Any]] = []
    items: list[CellTarget] = []
    seen: set[tuple[str, int | None, str]] = set()
    for index, raw in enumerate(cells):
        try:
            item = _pasted_cell(structure, window, index, raw, keep)
        except _Refused as refused:
            errors.append(rejected_cell(index, raw.ref, refused.label, refused.message))
            continue
        if item.cell.key in seen:
            errors.append(
                rejected_cell(
                    index, raw.ref, item.cell.label, _("The same cell appears twice in the block.")
                )
            )
            continue
        seen.add(item.cell.key)
        items.append(item)
    if errors:
        raise CellsRejectedError(
            _("Nothing was changed: %(count)s of the cells can't be set.") % {"count": len(errors)},
            errors=errors,
        )
    return _drop_redundant(structure, items)


def _drop_redundant(structure: PlanStructure, items: list[CellTarget]) -> list[CellTarget]:
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
                        rejected_cell(
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


@transaction.atomic
def cells_edit(
    *,
    plan: Plan,
    cells: Sequence[CellInput],
    reason: str = "",
    actor: AbstractBaseUser | None = None,
    expected_revision: int | None = None,
    action: str = PlanChange.Action.PASTE,
    keep: str = KEEP_ROW_YEAR,
) -> EditResult:
    """Set several cells at once (a block pasted from Excel) as one audited change.

    1. Validate the set: every cell resolvable, visible and changeable by the actor, an
       amount >= 0 with at most 2 decimals, not locked, within its own bounds, no duplicate;
       otherwise refuse the whole set naming every offending cell. A quarter/year pasted with
       all its months must equal their sum (and is then only a check).
    2. :func:`cells_apply`: top-down, the cells are grouped by the parent their keep rule
       keeps and the groups applied coarse to fine; within a group the pasted siblings take
       their amounts together and the other unlocked siblings share the difference; cells
       set by an earlier group are frozen for later ones. Bottom-up: each cell's leaves are
       re-split in turn.
    3. Every pasted cell must end at its amount and every touched lock/bound must hold;
       otherwise nothing changes. One ``PlanChange`` per cell with a shared batch id.
    """
    keep = keep_rule_check(keep)
    plan = plan_lock(plan=plan)
    ensure_editable(plan)
    ensure_revision(plan, expected_revision)
    if not cells:
        raise ValidationError({"cells": _("Give at least one cell.")})
    structure = plan_structure_get(plan=plan)
    window = actor_scope(actor=actor, structure=structure)
    items = validated_items(structure, window, cells, keep)
    try:
        return cells_apply(
            plan=plan,
            structure=structure,
            items=items,
            action=action,
            actor=actor,
            reason=reason,
            keep=keep,
        )
    except AllocationError as error:
        raise rule_error(error, prefix=rule_prefix(plan, keep)) from error


def _constraint_row(plan: Plan, cell: Cell) -> CellConstraint:
    """The cell's constraint row, or a new unsaved one."""
    key = {
        "plan": plan,
        "org_unit_id": cell.org.id if cell.org.kind == "unit" else None,
        "salesperson_id": cell.org.id if cell.org.kind == "salesperson" else None,
        "product_line_id": cell.pl.id if cell.pl is not None else None,
        "period": cell.period,
    }
    return CellConstraint.objects.filter(**key).first() or CellConstraint(**key)


def _bounds_changed(
    plan: Plan,
    cell: Cell,
    row: CellConstraint,
    bounds: tuple[Decimal | None, Decimal | None],
    current: int,
) -> bool:
    """Check new min/max bounds (valid amounts, min <= max, holding for the cell's current
    amount once allocated) and set them on ``row``; True if they changed."""
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
    if (low, high) == (row.min_amount, row.max_amount):
        return False
    row.min_amount, row.max_amount = low, high
    return True


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
    row = _constraint_row(plan, cell)
    current = db_cell_sum(plan, structure, cell)
    actions = []
    if locked is not None and locked != row.locked:
        row.locked = locked
        actions.append(PlanChange.Action.LOCK if locked else PlanChange.Action.UNLOCK)
    if bounds is not None and _bounds_changed(plan, cell, row, bounds, current):
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
