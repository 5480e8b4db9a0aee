"""Shared pieces of the plan services: rule errors, the plan row lock, amounts, audit rows."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from allocation.access import PlanScope, plan_scope_get
from allocation.engine.errors import AllocationError
from allocation.engine.rebalance import KEEP_PERIOD_TOTAL, KEEP_ROW_YEAR, KEEP_RULES
from allocation.measures import measure_step
from allocation.models import Plan, PlanChange
from allocation.scoping import node_label_for
from allocation.structure import Cell, PlanStructure
from salesalloc.core.exceptions import ApplicationError, ConflictError, ScopeError
from salesalloc.core.fields import DecimalInputError, parse_decimal
from salesalloc.core.money import from_cents
from salesalloc.core.users import acting_user

MAX_AMOUNT = Decimal("999999999999.99")
AMOUNT_DIGITS = 14  # the target columns: DecimalField(max_digits=14, decimal_places=2)
AMOUNT_PLACES = 2


class PlanNotEditableError(ConflictError):
    """Only drafts change; anything else is a 409 with the way forward in the message."""

    code = "plan_not_editable"


class PlanStaleError(ConflictError):
    """The client edited an older revision of the grid than the current one."""

    code = "plan_stale"


class PlanRuleError(ApplicationError):
    """An allocation rule refuses the change (locks, bounds, exact sums); nothing changed."""

    code = "allocation_rule"


class CellsRejectedError(ApplicationError):
    """A set of cells (paste, upload) was refused as a whole; ``errors`` names every cell."""

    code = "cells_rejected"

    def __init__(self, message: str, *, errors: list[dict[str, Any]]) -> None:
        super().__init__(message, extra={"errors": errors})
        self.errors = errors


def plan_lock(*, plan: Plan) -> Plan:
    """Re-read the plan under a row lock: edits of one plan run one after the other."""
    return Plan.objects.select_for_update().select_related("root_org_unit").get(pk=plan.pk)


def ensure_editable(plan: Plan) -> None:
    if plan.status != Plan.Status.DRAFT:
        raise PlanNotEditableError(
            _("This plan is %(status)s; only drafts can be changed. %(hint)s")
            % {"status": plan.get_status_display().lower(), "hint": _editable_hint(plan)}
        )


def _editable_hint(plan: Plan) -> str:
    if plan.status == Plan.Status.SUBMITTED:
        return _("An administrator can reject it back to draft.")
    if plan.status in {Plan.Status.APPROVED, Plan.Status.PUBLISHED}:
        return _("Create a new version to change it.")
    return _("Archived plans are kept as they are.")


def ensure_revision(plan: Plan, expected: int | None) -> None:
    if expected is not None and expected != plan.revision:
        raise PlanStaleError(
            _(
                "The plan has changed since you loaded it (your revision %(yours)s, now "
                "%(now)s). Reload it and try again."
            )
            % {"yours": expected, "now": plan.revision}
        )


def actor_scope(*, actor: AbstractBaseUser | None, structure: PlanStructure) -> PlanScope:
    """The acting user's window on the plan; ``None`` (system) may change everything."""
    if actor is None:
        root = structure.root.opath
        return PlanScope(visible=(root,), editable=(root,), role="admin")
    return plan_scope_get(user=actor, structure=structure)


def keep_rule_check(keep: str) -> str:
    """A keep rule as sent (``row_year`` or ``period_total``), or ValidationError."""
    if keep not in KEEP_RULES:
        raise ValidationError(
            {"keep": _("Choose “row_year” or “period_total”, not “%(value)s”.") % {"value": keep}}
        )
    return keep


def keep_label(keep: str) -> str:
    """The keep rule as the editor names it."""
    if keep == KEEP_PERIOD_TOTAL:
        return _("keep the month's total")
    return _("keep the row's year")


def ensure_may_change(
    *, window: PlanScope, structure: PlanStructure, cell: Cell, keep: str = KEEP_ROW_YEAR
) -> None:
    """Managers change a cell only when the cell its keep rule keeps (its parent under
    ``keep``) lies inside their subtree (admins: all)."""
    parent = structure.parent(cell, keep)
    if parent is None:
        if window.role != "admin":
            raise ScopeError(_("Only administrators may change the plan total."))
        return
    if not window.may_change(parent[0].org):
        shown = node_label_for(structure, window, parent[0])
        rule = keep_label(keep)
        if shown is None:  # never name a node outside the viewer's part of the plan
            raise ScopeError(
                _(
                    "You may only change cells whose parent lies inside your part of the "
                    "company; with “%(rule)s” %(cell)s is not one of them."
                )
                % {"cell": cell.label, "rule": rule}
            )
        raise ScopeError(
            _(
                "You may only change cells whose parent lies inside your part of the company; "
                "with “%(rule)s” the parent of %(cell)s is %(parent)s."
            )
            % {"cell": cell.label, "parent": shown, "rule": rule}
        )


def parse_amount(value: Any, *, field: str = "amount") -> Decimal:
    """An amount as entered: a non-negative number with at most 2 decimals."""
    message = amount_problem(value)
    if message:
        raise ValidationError({field: message})
    return _amount(value)


def _amount(value: Any) -> Decimal:
    return parse_decimal(
        value,
        max_digits=AMOUNT_DIGITS,
        decimal_places=AMOUNT_PLACES,
        min_value=Decimal(0),
        max_value=MAX_AMOUNT,
        separators=True,
    )


def whole_units_problem(plan: Plan, cents: int) -> str | None:
    """Why ``cents`` can't be a target of ``plan`` because its measure counts whole units."""
    if cents % measure_step(plan.measure):
        return _("A quantity is a whole number of units.")
    return None


def amount_problem(value: Any) -> str | None:
    """Why ``value`` isn't an amount (None if it is one). Floats from a sheet are read as
    the decimal Excel displays, 15 significant digits (589.8399999999999 is 589.84).

    Strict (``parse_decimal``): ``NaN``, ``1e400`` or 30 digits are refused with a message,
    never an ``InvalidOperation``.
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        return _("An amount is required.")
    try:
        _amount(value)
    except DecimalInputError as error:
        shown = value if len(str(value)) <= 40 else f"{str(value)[:37]}..."
        if error.code == "invalid":
            return _("“%(value)s” is not an amount.") % {"value": shown}
        if error.code == "min_value":
            return _("%(value)s is negative; targets can't be.") % {"value": shown}
        if error.code == "max_decimal_places":
            return _("%(value)s has more than 2 decimal places.") % {"value": shown}
        return _("%(value)s is too large.") % {"value": shown}
    return None


def rule_error(error: AllocationError, *, prefix: str | None = None) -> PlanRuleError:
    """Turn the engine's message into a 400 that says nothing changed."""
    detail = error.message
    if prefix:
        detail = f"{prefix}: {detail}"
    return PlanRuleError(
        _("Nothing was changed: %(detail)s.") % {"detail": detail.rstrip(".")},
        extra={"child": error.child} if error.child else None,
    )


def audit(
    *,
    plan: Plan,
    actor: AbstractBaseUser | None,
    action: str,
    cell: Cell | None = None,
    old_cents: int | None = None,
    new_cents: int | None = None,
    reason: str = "",
    leaf_count: int = 0,
    details: dict[str, Any] | None = None,
    batch: uuid.UUID | None = None,
    save: bool = True,
) -> PlanChange:
    """One audit row (``save=False`` to collect rows for ``bulk_create``)."""
    change = PlanChange(
        plan=plan,
        actor=acting_user(actor),
        action=action,
        batch=batch,
        reason=reason or "",
        leaf_count=leaf_count,
        details=details or {},
        old_amount=from_cents(old_cents) if old_cents is not None else None,
        new_amount=from_cents(new_cents) if new_cents is not None else None,
    )
    if cell is not None:
        change.org_unit_id = (
            cell.org.id if cell.org.kind in {"unit", "root"} and not cell.org.is_root else None
        )
        change.salesperson_id = cell.org.id if cell.org.kind == "salesperson" else None
        change.product_line_id = cell.pl.id if cell.pl is not None else None
        change.period = cell.period
        change.cell = cell.label
    if save:
        change.full_clean()
        change.save()
    return change
