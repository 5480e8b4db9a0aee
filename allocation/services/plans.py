"""Creating plans and changing their settings and method inputs (drafts only)."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import reduce
from operator import or_
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from allocation.engine.fiscal import FiscalYear
from allocation.models import (
    MethodInput,
    OrgUnit,
    Plan,
    PlanChange,
    ProductLine,
    ProductLineTotal,
    ReliefDistribution,
    Salesperson,
)
from allocation.selectors import company_currency, plan_structure_get
from allocation.services.common import audit, ensure_editable, plan_lock, whole_units_problem
from allocation.services.editing import cell_edit
from allocation.services.measures import measure_settings_check, measures_settings_follow
from allocation.services.methods import method_config_clean
from salesalloc.core.exceptions import ConflictError
from salesalloc.core.money import to_cents
from salesalloc.core.users import acting_user


def default_root_org_unit() -> OrgUnit:
    """The company: the only root of the org tree."""
    roots = list(OrgUnit.objects.filter(parent__isnull=True).order_by("path")[:2])
    if len(roots) != 1:
        raise ValidationError({"root_org_unit": _("Choose the org unit the plan covers.")})
    return roots[0]


def leaf_product_lines(lines: Collection[ProductLine] | None = None) -> list[ProductLine]:
    """Active leaf product lines at or below ``lines`` (all active leaves when None)."""
    leaves = ProductLine.objects.filter(is_active=True, children__isnull=True)
    if lines is not None:
        paths = [line.path for line in lines]
        if not paths:
            return []
        leaves = leaves.filter(reduce(or_, [Q(path__startswith=p) for p in paths]))
    return list(leaves.order_by("path"))


@transaction.atomic
def plan_create(
    *,
    name: str,
    fiscal_year: int,
    total_amount: Decimal,
    start_month: int = 1,
    currency: str | None = None,
    mode: str = Plan.Mode.TOP_DOWN,
    root_org_unit: OrgUnit | None = None,
    product_lines: Collection[ProductLine] | None = None,
    method_config: dict[str, Any] | None = None,
    relief_distribution: str = ReliefDistribution.ABSORB,
    actor: AbstractBaseUser | None = None,
) -> Plan:
    """Create a draft plan (version 1); nothing is allocated yet.

    Defaults: the whole company, the company's currency (``company_currency``), every
    active leaf product line (nodes given are expanded to their active leaves), the default
    methods (history of the previous fiscal year, historical seasonality over three years,
    China's calendar).
    """
    fiscal = FiscalYear(fiscal_year, start_month)
    root = root_org_unit or default_root_org_unit()
    plan = Plan(
        name=name.strip(),
        fiscal_year=fiscal_year,
        start_month=start_month,
        currency=(currency or "").strip().upper() or company_currency(org_unit=root),
        total_amount=total_amount,
        mode=mode,
        root_org_unit=root,
        method_config=method_config_clean(method_config, fiscal=fiscal),
        relief_distribution=relief_distribution,
        created_by=acting_user(actor),
    )
    plan.full_clean()
    plan.save()
    leaves = leaf_product_lines(product_lines)
    if not leaves:
        raise ValidationError({"product_lines": _("The plan needs at least one product line.")})
    plan.product_lines.set(leaves)
    audit(plan=plan, actor=actor, action=PlanChange.Action.CREATE, details={"version": 1})
    return plan


UPDATABLE = (
    "name",
    "currency",
    "mode",
    "fiscal_year",
    "start_month",
    "root_org_unit",
    "relief_distribution",
)
STRUCTURAL = ("fiscal_year", "start_month", "root_org_unit")
# Policies, not the grid: they may change while the plan is submitted, approved or published.
POLICIES = ("relief_distribution",)


@transaction.atomic
def plan_update(
    *,
    plan: Plan,
    actor: AbstractBaseUser | None = None,
    product_lines: Collection[ProductLine] | None = None,
    total_amount: Decimal | None = None,
    reason: str = "",
    **fields: Any,
) -> Plan:
    """Change a draft's settings (and the policies of any plan not archived yet).

    The fiscal year, start month, org unit and product lines only change before the plan
    is allocated (they define the grid). A new ``total_amount`` of an allocated plan is an
    edit of the plan total: every unlocked leaf is rescaled, locks are kept. The relief
    rule (``relief_distribution``) is a policy: it also changes on a published plan.
    """
    plan = plan_lock(plan=plan)
    policy_only = set(fields) <= set(POLICIES) and product_lines is None and total_amount is None
    if not policy_only or plan.status == Plan.Status.ARCHIVED:
        ensure_editable(plan)
    unknown = set(fields) - set(UPDATABLE)
    if unknown:
        raise ValidationError({name: _("This field can't be changed.") for name in unknown})
    measure_settings_check(plan, fields, product_lines)
    allocated = plan.cells.exists()
    changed: dict[str, Any] = {}
    for name, value in fields.items():
        if getattr(plan, name) != value:
            if allocated and name in STRUCTURAL:
                raise ConflictError(
                    _("%(field)s can't change once the plan is allocated.") % {"field": name}
                )
            changed[name] = value
            setattr(plan, name, value)
    if "fiscal_year" in changed or "start_month" in changed:
        plan.method_config = method_config_clean(
            plan.method_config, fiscal=FiscalYear(plan.fiscal_year, plan.start_month)
        )
    if changed:
        plan.full_clean()
        plan.save(update_fields=[*changed, "method_config", "updated_at"])
        audit(
            plan=plan,
            actor=actor,
            action=PlanChange.Action.UPDATE,
            details={k: str(getattr(v, "code", v)) for k, v in changed.items()},
            reason=reason,
        )
    if product_lines is not None:
        if allocated:
            raise ConflictError(_("The product lines can't change once the plan is allocated."))
        leaves = leaf_product_lines(product_lines)
        if not leaves:
            raise ValidationError({"product_lines": _("The plan needs at least one product line.")})
        plan.product_lines.set(leaves)
    measures_settings_follow(
        plan=plan,
        changed=changed,
        product_lines=list(plan.product_lines.all()) if product_lines is not None else None,
    )
    if total_amount is not None and total_amount != plan.total_amount:
        plan = _total_update(
            plan=plan, total_amount=total_amount, allocated=allocated, reason=reason, actor=actor
        )
    return plan


def _total_update(
    *,
    plan: Plan,
    total_amount: Decimal,
    allocated: bool,
    reason: str,
    actor: AbstractBaseUser | None,
) -> Plan:
    """A new plan total: an edit of the plan total once allocated, else just the setting
    (whole units for a quantity plan)."""
    units = whole_units_problem(plan, to_cents(total_amount))
    if units:
        raise ValidationError({"total_amount": units})
    if allocated:
        cell_edit(plan=plan, period="year", amount=total_amount, reason=reason, actor=actor)
        plan.refresh_from_db()
    else:
        old = plan.total_amount
        plan.total_amount = total_amount
        plan.full_clean()
        plan.save(update_fields=["total_amount", "updated_at"])
        audit(
            plan=plan,
            actor=actor,
            action=PlanChange.Action.UPDATE,
            old_cents=to_cents(old),
            new_cents=to_cents(total_amount),
            reason=reason,
            details={"total_amount": str(total_amount)},
        )
    return plan


@transaction.atomic
def plan_method_config_update(
    *, plan: Plan, config: dict[str, Any], actor: AbstractBaseUser | None = None
) -> Plan:
    """Replace a draft's method configuration (validated; see ``services.methods``)."""
    plan = plan_lock(plan=plan)
    ensure_editable(plan)
    plan.method_config = method_config_clean(
        config, fiscal=FiscalYear(plan.fiscal_year, plan.start_month)
    )
    plan.save(update_fields=["method_config", "updated_at"])
    audit(plan=plan, actor=actor, action=PlanChange.Action.METHOD, details=plan.method_config)
    return plan


@dataclass(frozen=True)
class MethodInputData:
    """One node's inputs: exactly one of org unit / salesperson / product line."""

    org_unit: OrgUnit | None = None
    salesperson: Salesperson | None = None
    product_line: ProductLine | None = None
    manual_percent: Decimal | None = None
    growth_rate: Decimal | None = None
    potential_index: Decimal | None = None
    fte_override: Decimal | None = None


@transaction.atomic
def plan_method_inputs_set(
    *,
    plan: Plan,
    inputs: Sequence[MethodInputData],
    actor: AbstractBaseUser | None = None,
) -> list[MethodInput]:
    """Replace all per-node method inputs of a draft (manual %, growth, potential, FTE)."""
    plan = plan_lock(plan=plan)
    ensure_editable(plan)
    seen: set[tuple[int | None, int | None, int | None]] = set()
    rows = []
    for item in inputs:
        key = (
            item.org_unit.pk if item.org_unit else None,
            item.salesperson.pk if item.salesperson else None,
            item.product_line.pk if item.product_line else None,
        )
        if sum(x is not None for x in key) != 1:
            raise ValidationError(
                {"inputs": _("Each input names exactly one org unit, salesperson or product line.")}
            )
        if key in seen:
            raise ValidationError({"inputs": _("A node appears twice.")})
        seen.add(key)
        row = MethodInput(
            plan=plan,
            org_unit=item.org_unit,
            salesperson=item.salesperson,
            product_line=item.product_line,
            manual_percent=item.manual_percent,
            growth_rate=item.growth_rate,
            potential_index=item.potential_index,
            fte_override=item.fte_override,
        )
        row.full_clean(validate_constraints=False)
        rows.append(row)
    MethodInput.objects.filter(plan=plan).delete()
    MethodInput.objects.bulk_create(rows)
    audit(plan=plan, actor=actor, action=PlanChange.Action.METHOD, details={"inputs": len(rows)})
    return rows


@transaction.atomic
def plan_product_line_totals_set(
    *,
    plan: Plan,
    totals: Sequence[tuple[ProductLine, Decimal]],
    actor: AbstractBaseUser | None = None,
) -> list[ProductLineTotal]:
    """Fix (or, with an empty list, release) product-line totals of a draft.

    With fixed totals every org level is split two-way, meeting the org amounts and the
    product-line totals at once. Lines must be covered by the plan (leaves or their
    ancestors), not nested in one another, and add up to no more than the plan total.
    """
    plan = plan_lock(plan=plan)
    ensure_editable(plan)
    structure = plan_structure_get(plan=plan, with_constraints=False)
    rows = []
    paths: list[str] = []
    for line, amount in totals:
        if line.pk not in structure.pl_nodes:
            raise ValidationError(
                {
                    "product_line": _("The plan doesn't cover product line %(code)s.")
                    % {"code": line.code}
                }
            )
        if any(line.path.startswith(p) or p.startswith(line.path) for p in paths):
            raise ValidationError(
                {
                    "product_line": _("%(code)s is nested in another fixed line.")
                    % {"code": line.code}
                }
            )
        paths.append(line.path)
        row = ProductLineTotal(plan=plan, product_line=line, amount=amount)
        row.full_clean(validate_constraints=False)
        rows.append(row)
    fixed = sum((row.amount for row in rows), Decimal(0))
    if fixed > plan.total_amount:
        raise ValidationError(
            {
                "totals": _(
                    "The fixed totals add up to %(fixed)s, more than the plan total %(total)s."
                )
                % {"fixed": fixed, "total": plan.total_amount}
            }
        )
    ProductLineTotal.objects.filter(plan=plan).delete()
    ProductLineTotal.objects.bulk_create(rows)
    audit(
        plan=plan,
        actor=actor,
        action=PlanChange.Action.METHOD,
        details={"product_line_totals": {r.product_line.code: str(r.amount) for r in rows}},
    )
    return rows
