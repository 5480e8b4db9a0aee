"""Measure plans: a revenue plan's targets for units, gross margin and new-customer revenue.

A measure plan (``Plan.measure_of`` set) is a plan of its own, so allocation, editing, locks,
bounds, two-way totals, sheets and the audit trail work on it unchanged; what ties it to its
revenue plan is here: it is created from it (same fiscal year, org unit, product lines,
currency and, unless given, methods), it moves through the lifecycle with it (see
``lifecycle._transition``, which calls :func:`measures_follow`), and it is copied with it
into new versions and scenarios.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from allocation.engine.fiscal import FiscalYear
from allocation.measures import measure_label
from allocation.models import Plan, PlanChange
from allocation.services.common import (
    audit,
    ensure_editable,
    parse_amount,
    plan_lock,
    whole_units_problem,
)
from allocation.services.methods import method_config_clean
from salesalloc.core.exceptions import ConflictError
from salesalloc.core.money import to_cents
from salesalloc.core.users import acting_user


@transaction.atomic
def measure_plan_create(
    *,
    plan: Plan,
    measure: str,
    total_amount: Decimal,
    method_config: dict[str, Any] | None = None,
    actor: AbstractBaseUser | None = None,
) -> Plan:
    """Add a ``measure`` plan to the draft revenue plan ``plan``; nothing is allocated yet.

    One plan per measure and revenue plan (the database keeps it unique). A quantity total
    is a whole number of units. The methods default to the revenue plan's: historical
    methods and seasonality then read the measure's own history.
    """
    plan = plan_lock(plan=plan)
    if plan.measure_of_id is not None:
        raise ConflictError(_("Add measures to the revenue plan, not to one of its measures."))
    ensure_editable(plan)
    if measure not in Plan.Measure.values or measure == Plan.Measure.REVENUE:
        raise ValidationError(
            {"measure": _("Choose quantity, gross margin or new-customer revenue.")}
        )
    if plan.measures.filter(measure=measure).exists():
        raise ConflictError(
            _("This plan already has a %(measure)s plan.")
            % {"measure": measure_label(measure).lower()}
        )
    total = parse_amount(total_amount, field="total_amount")
    fiscal = FiscalYear(plan.fiscal_year, plan.start_month)
    child = Plan(
        name=plan.name,
        fiscal_year=plan.fiscal_year,
        start_month=plan.start_month,
        currency=plan.currency,
        total_amount=total,
        mode=plan.mode,
        version=plan.version,
        measure=measure,
        measure_of=plan,
        root_org_unit=plan.root_org_unit,
        method_config=method_config_clean(
            method_config if method_config is not None else plan.method_config, fiscal=fiscal
        ),
        created_by=acting_user(actor),
    )
    units = whole_units_problem(child, to_cents(total))
    if units:
        raise ValidationError({"total_amount": units})
    child.full_clean()
    child.save()
    child.product_lines.set(plan.product_lines.all())
    audit(
        plan=child,
        actor=actor,
        action=PlanChange.Action.CREATE,
        details={"version": child.version, "measure": measure, "measure_of": plan.pk},
    )
    return child


# What a measure plan takes from its revenue plan (the grid's shape and its labels).
FOLLOWED = ("name", "currency", "fiscal_year", "start_month", "root_org_unit")


def measure_settings_check(plan: Plan, fields: dict[str, Any], product_lines: Any) -> None:
    """Refuse to change on a measure plan what it takes from its revenue plan."""
    if plan.measure_of_id is None:
        return
    own = [name for name in fields if name in FOLLOWED]
    if own or product_lines is not None:
        raise ConflictError(
            _(
                "A measure plan takes its name, currency, year, org unit and product lines "
                "from its revenue plan: change them there."
            )
        )


def measures_settings_follow(
    *, plan: Plan, changed: dict[str, Any], product_lines: list[Any] | None
) -> None:
    """Give ``plan``'s measure plans the settings just changed on it (locked in pk order).

    The grid's shape (year, start month, org unit, product lines) changes only while every
    measure plan is unallocated too.
    """
    followed = {name: value for name, value in changed.items() if name in FOLLOWED}
    if not followed and product_lines is None:
        return
    children = list(Plan.objects.select_for_update().filter(measure_of=plan).order_by("pk"))
    shape = product_lines is not None or any(n != "name" and n != "currency" for n in followed)
    if shape and any(child.cells.exists() for child in children):
        raise ConflictError(
            _("Its measure plans are allocated: the year, org unit and product lines stay.")
        )
    fiscal = FiscalYear(plan.fiscal_year, plan.start_month)
    for child in children:
        for name, value in followed.items():
            setattr(child, name, value)
        child.method_config = method_config_clean(child.method_config, fiscal=fiscal)
        child.full_clean()
        child.save(update_fields=[*followed, "method_config", "updated_at"])
        if product_lines is not None:
            child.product_lines.set(product_lines)


def measures_ready_check(plan: Plan) -> None:
    """Refuse to submit a revenue plan whose measure plans are not allocated yet."""
    waiting = [m for m in plan.measures.order_by("pk") if m.allocated_at is None]
    if waiting:
        raise ConflictError(
            _("Allocate the %(measures)s plan before submitting.")
            % {"measures": ", ".join(measure_label(m.measure).lower() for m in waiting)}
        )


def measures_follow(
    *,
    plan: Plan,
    to: str,
    actor: AbstractBaseUser | None,
    action: str,
    comment: str,
    stamp: str | None,
) -> list[Plan]:
    """Move ``plan``'s measure plans to status ``to`` with it (same stamp, one audit row each).

    Runs inside the revenue plan's transition, after its row lock, and locks the measure
    plans in primary-key order, so every path locks revenue plan first, then its measures.
    """
    moved = []
    for child in Plan.objects.select_for_update().filter(measure_of=plan).order_by("pk"):
        old = child.status
        child.status = to
        fields = ["status", "updated_at"]
        if stamp:
            setattr(child, f"{stamp}_by", acting_user(actor))
            setattr(child, f"{stamp}_at", timezone.now())
            fields += [f"{stamp}_by", f"{stamp}_at"]
        if to == Plan.Status.DRAFT:  # rejected: the approval stamps go with the revenue plan's
            child.submitted_by = child.submitted_at = child.approved_by = child.approved_at = None
            fields += ["submitted_by", "submitted_at", "approved_by", "approved_at"]
        child.save(update_fields=fields)
        audit(
            plan=child,
            actor=actor,
            action=action,
            reason=comment,
            details={"from": old, "to": to, "with_plan": plan.pk},
        )
        moved.append(child)
    return moved
