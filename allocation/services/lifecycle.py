"""A plan's life: draft -> submitted -> approved -> published -> archived, versions, scenarios,
the mid-year re-spread and the salespeople's acknowledgements."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from allocation.access import viewer_scope
from allocation.engine.errors import AllocationError
from allocation.engine.fiscal import MONTHS
from allocation.engine.rebalance import respread_rows
from allocation.models import Acknowledgement, Plan, PlanChange, TargetCell
from allocation.selectors import (
    PublishCheck,
    plan_leaves_frame,
    plan_structure_get,
    publish_check,
)
from allocation.selectors.frames import plan_row_month_actuals
from allocation.services.common import audit, plan_lock, rule_error
from allocation.services.measures import measures_follow, measures_ready_check
from allocation.services.relief_rules import relief_requests_close
from allocation.services.storage import target_cells_delete, target_cells_insert
from allocation.signals import acknowledgement_recorded, plan_status_changed
from allocation.structure import PlanStructure
from salesalloc.core.exceptions import ConflictError, ScopeError
from salesalloc.core.money import from_cents
from salesalloc.core.users import acting_user

if TYPE_CHECKING:
    from django.contrib.auth.models import User

Status = Plan.Status


class PublishRefusedError(ConflictError):
    """Publishing would leave two published plans for one org unit and year (409)."""

    code = "publish_refused"


def _actor(actor: AbstractBaseUser | None) -> User | None:
    return acting_user(actor)


def _require(plan: Plan, allowed: set[str], action: str) -> None:
    if plan.status not in allowed:
        raise ConflictError(
            _("Can't %(action)s a plan that is %(status)s.")
            % {"action": action, "status": plan.get_status_display().lower()}
        )


def _transition(
    *,
    plan: Plan,
    to: str,
    actor: AbstractBaseUser | None,
    action: str,
    comment: str,
    stamp: str | None,
    details: dict[str, Any] | None = None,
) -> Plan:
    if plan.measure_of_id is not None:
        raise ConflictError(
            _("A measure plan moves with its revenue plan: %(action)s the revenue plan.")
            % {"action": action}
        )
    old = plan.status
    plan.status = to
    fields = ["status", "updated_at"]
    if stamp:
        setattr(plan, f"{stamp}_by", _actor(actor))
        setattr(plan, f"{stamp}_at", timezone.now())
        fields += [f"{stamp}_by", f"{stamp}_at"]
    plan.full_clean()
    plan.save(update_fields=fields)
    audit(
        plan=plan,
        actor=actor,
        action=action,
        reason=comment,
        details={"from": old, "to": to, **(details or {})},
    )
    if to == Status.ARCHIVED:
        relief_requests_close(plan=plan)
    measures_follow(plan=plan, to=to, actor=actor, action=action, comment=comment, stamp=stamp)
    plan_status_changed.send(sender=Plan, plan=plan, action=action, actor=actor, comment=comment)
    return plan


@transaction.atomic
def plan_submit(*, plan: Plan, actor: AbstractBaseUser | None = None, comment: str = "") -> Plan:
    """Draft -> submitted (for approval). An allocated draft only."""
    plan = plan_lock(plan=plan)
    _require(plan, {Status.DRAFT}, _("submit"))
    if plan.allocated_at is None:
        raise ConflictError(_("Allocate the plan before submitting it."))
    measures_ready_check(plan)
    return _transition(
        plan=plan,
        to=Status.SUBMITTED,
        actor=actor,
        action=PlanChange.Action.SUBMIT,
        comment=comment,
        stamp="submitted",
    )


@transaction.atomic
def plan_approve(
    *,
    plan: Plan,
    actor: AbstractBaseUser | None = None,
    comment: str = "",
    override_four_eyes: bool = False,
) -> Plan:
    """Submitted -> approved, by someone other than the submitter (four-eyes).

    Only an admin who says so explicitly (``override_four_eyes``) approves their own plan.
    """
    plan = plan_lock(plan=plan)
    _require(plan, {Status.SUBMITTED}, _("approve"))
    own = actor is not None and plan.submitted_by_id == actor.pk
    if own and not (override_four_eyes and actor is not None and viewer_scope(user=actor).is_admin):
        raise ConflictError(
            _(
                "You submitted this plan, so someone else approves it (four-eyes). "
                "An administrator may override this explicitly."
            )
        )
    return _transition(
        plan=plan,
        to=Status.APPROVED,
        actor=actor,
        action=PlanChange.Action.APPROVE,
        comment=comment,
        stamp="approved",
    )


@transaction.atomic
def plan_reject(*, plan: Plan, reason: str, actor: AbstractBaseUser | None = None) -> Plan:
    """Submitted (or approved, before publishing) -> draft, with the reason why."""
    if not reason or not reason.strip():
        raise ValidationError({"reason": _("Say why the plan goes back to draft.")})
    plan = plan_lock(plan=plan)
    _require(plan, {Status.SUBMITTED, Status.APPROVED}, _("reject"))
    plan.submitted_by = plan.submitted_at = plan.approved_by = plan.approved_at = None
    plan.save(update_fields=["submitted_by", "submitted_at", "approved_by", "approved_at"])
    return _transition(
        plan=plan,
        to=Status.DRAFT,
        actor=actor,
        action=PlanChange.Action.REJECT,
        comment=reason.strip(),
        stamp=None,
    )


def _publish_refusal(check: PublishCheck, *, replace: bool) -> str | None:
    """Why the publish is refused (None: it may go ahead)."""
    plan = check.plan
    if check.overlaps:
        other = check.overlaps[0]
        return _(
            "%(other)s (v%(version)s, org unit %(unit)s) is the published plan of FY %(year)s "
            "for a part of the company that overlaps this plan's (%(own)s): each org unit "
            "has one published plan a year. Archive it first."
        ) % {
            "other": other.name,
            "version": other.version,
            "unit": other.root_org_unit.code,
            "year": plan.fiscal_year,
            "own": plan.root_org_unit.code,
        }
    if check.replaces is not None and not replace:
        other = check.replaces
        return _(
            "%(other)s (v%(version)s) is the published plan of FY %(year)s for %(unit)s. "
            "Publish this plan in its place (it archives that one), or archive it first."
        ) % {
            "other": other.name,
            "version": other.version,
            "year": plan.fiscal_year,
            "unit": plan.root_org_unit.code,
        }
    return None


def _replaced_comment(old: Plan, new: Plan) -> str:
    if _in_lineage(new, old):
        return _("Replaced by version %(version)s.") % {"version": new.version}
    return _("Replaced by %(name)s (v%(version)s), published for the same year and org unit.") % {
        "name": new.name,
        "version": new.version,
    }


def _in_lineage(plan: Plan, ancestor: Plan) -> bool:
    seen = {plan.pk}
    current = plan.previous_version
    while current is not None and current.pk not in seen:
        if current.pk == ancestor.pk:
            return True
        seen.add(current.pk)
        current = current.previous_version
    return False


@transaction.atomic
def plan_publish(
    *, plan: Plan, actor: AbstractBaseUser | None = None, comment: str = "", replace: bool = True
) -> Plan:
    """Approved -> published: the one published plan of its fiscal year and scope.

    One truth per year (``allocation.selectors.plans``): the published plan of the same
    year and root org unit is archived (with an audit row naming this plan), or, with
    ``replace=False``, the publish is refused with its name; a published plan of that year
    whose scope nests in this plan's or holds it refuses the publish. The plans of the
    year are locked together, in primary-key order, so two publishes take turns; the
    partial unique constraint backs the rule in the database. Scenarios never publish.
    """
    year = Plan.objects.values_list("fiscal_year", flat=True).get(pk=plan.pk)
    locked_rows = {
        p.pk: p
        for p in Plan.objects.select_for_update(of=("self",))
        .select_related("root_org_unit")
        .filter(Q(pk=plan.pk) | Q(fiscal_year=year, scenario_of__isnull=True))
        .order_by("pk")
    }
    plan = locked_rows[plan.pk]
    if plan.scenario_of_id is not None:
        raise ConflictError(
            _("A scenario is a what-if and is never published; copy its numbers into a version.")
        )
    _require(plan, {Status.APPROVED}, _("publish"))
    published = [p for p in locked_rows.values() if p.status == Status.PUBLISHED]
    check = publish_check(plan=plan, published=published)
    refusal = _publish_refusal(check, replace=replace)
    if refusal:
        raise PublishRefusedError(refusal)
    if check.replaces is not None:
        _transition(
            plan=check.replaces,
            to=Status.ARCHIVED,
            actor=actor,
            action=PlanChange.Action.ARCHIVE,
            comment=_replaced_comment(check.replaces, plan),
            stamp="archived",
            details={"replaced_by": plan.pk},
        )
    return _transition(
        plan=plan,
        to=Status.PUBLISHED,
        actor=actor,
        action=PlanChange.Action.PUBLISH,
        comment=comment,
        stamp="published",
        details={"replaces": check.replaces.pk} if check.replaces is not None else None,
    )


@transaction.atomic
def plan_archive(*, plan: Plan, actor: AbstractBaseUser | None = None, comment: str = "") -> Plan:
    """Any plan that is not archived yet -> archived (kept, read-only)."""
    plan = plan_lock(plan=plan)
    _require(
        plan, {Status.DRAFT, Status.SUBMITTED, Status.APPROVED, Status.PUBLISHED}, _("archive")
    )
    return _transition(
        plan=plan,
        to=Status.ARCHIVED,
        actor=actor,
        action=PlanChange.Action.ARCHIVE,
        comment=comment,
        stamp="archived",
    )


def _copy(
    *,
    source: Plan,
    actor: AbstractBaseUser | None,
    name: str,
    version: int,
    previous: Plan | None,
    scenario_of: Plan | None,
    copy_cells: bool = True,
    measure_of: Plan | None = None,
) -> Plan:
    """A draft copy of ``source``: settings, methods, inputs, locks, members and leaves, and
    of its measure plans (each a copy of its own, under the new plan)."""
    plan = Plan(
        name=name,
        fiscal_year=source.fiscal_year,
        start_month=source.start_month,
        currency=source.currency,
        total_amount=source.total_amount,
        mode=source.mode,
        version=version,
        previous_version=previous,
        scenario_of=scenario_of,
        root_org_unit=source.root_org_unit,
        method_config=source.method_config,
        relief_distribution=source.relief_distribution,
        allocated_at=source.allocated_at if copy_cells else None,
        created_by=_actor(actor),
        measure=source.measure,
        measure_of=measure_of,
    )
    plan.full_clean()
    plan.save()
    plan.product_lines.set(source.product_lines.all())
    plan.salespeople.set(source.salespeople.all())
    for rows in (
        source.constraints.all(),
        source.method_inputs.all(),
        source.product_line_totals.all(),
    ):
        _clone_rows(rows, plan=plan)
    if copy_cells:
        _copy_cells(source_id=source.pk, plan_id=plan.pk)
    for child in source.measures.order_by("pk"):  # with their targets (a re-spread is revenue's)
        _copy(
            source=child,
            actor=actor,
            name=name,
            version=version,
            previous=None,
            scenario_of=None,
            measure_of=plan,
        )
    return plan


_NOT_CLONED = {"id", "plan_id", "created_at", "updated_at"}


def _clone_rows(rows: QuerySet[Any], *, plan: Plan) -> None:
    """Copy a plan's own rows (locks, method inputs, line totals) to ``plan``, values kept."""
    model = rows.model
    fields = [f.attname for f in model._meta.concrete_fields if f.attname not in _NOT_CLONED]
    model.objects.bulk_create(
        [model(plan=plan, **{name: getattr(row, name) for name in fields}) for row in rows]
    )


def _copy_cells(*, source_id: int, plan_id: int) -> int:
    """Copy every leaf of one plan into another in one ``INSERT ... SELECT``."""
    table = TargetCell._meta.db_table
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} "  # noqa: S608 - our table name, values are parameters
            "(plan_id, salesperson_id, product_line_id, month, amount, created_at, updated_at) "
            f"SELECT %s, salesperson_id, product_line_id, month, amount, %s, %s FROM {table} "
            "WHERE plan_id = %s",
            [plan_id, now, now, source_id],
        )
        return cursor.rowcount


def _refuse_measure_plan(plan: Plan) -> None:
    if plan.measure_of_id is not None:
        raise ConflictError(
            _("A measure plan is copied with its revenue plan: copy the revenue plan.")
        )


def _open_next_version(plan: Plan) -> Plan | None:
    return plan.next_versions.exclude(status=Status.ARCHIVED).filter(scenario_of=None).first()


@transaction.atomic
def plan_new_version(
    *, plan: Plan, actor: AbstractBaseUser | None = None, reason: str = ""
) -> Plan:
    """Open a draft copy (version + 1) of a published plan: the only way to change it.

    Publishing the new version later archives this one. One open new version at a time.
    """
    plan = plan_lock(plan=plan)
    _refuse_measure_plan(plan)
    if plan.scenario_of_id is not None:
        raise ConflictError(_("Scenarios have no versions; create another scenario instead."))
    _require(plan, {Status.PUBLISHED}, _("create a new version of"))
    existing = _open_next_version(plan)
    if existing is not None:
        raise ConflictError(
            _("Version %(version)s of this plan is already open (%(status)s).")
            % {"version": existing.version, "status": existing.get_status_display().lower()}
        )
    new = _copy(
        source=plan,
        actor=actor,
        name=plan.name,
        version=plan.version + 1,
        previous=plan,
        scenario_of=None,
    )
    audit(
        plan=new,
        actor=actor,
        action=PlanChange.Action.NEW_VERSION,
        reason=reason,
        details={"from_plan": plan.pk, "from_version": plan.version},
    )
    return new


@transaction.atomic
def plan_scenario_create(
    *, plan: Plan, name: str = "", actor: AbstractBaseUser | None = None
) -> Plan:
    """Clone any plan into a draft what-if scenario (never published); compare it after."""
    plan = Plan.objects.select_related("root_org_unit").get(pk=plan.pk)
    _refuse_measure_plan(plan)
    scenario = _copy(
        source=plan,
        actor=actor,
        name=(name or "").strip() or _("%(name)s (scenario)") % {"name": plan.name},
        version=1,
        previous=None,
        scenario_of=plan,
    )
    audit(
        plan=scenario,
        actor=actor,
        action=PlanChange.Action.SCENARIO,
        details={"from_plan": plan.pk, "from_version": plan.version},
    )
    return scenario


@transaction.atomic
def _respread_closed_months(plan: Plan, structure: PlanStructure, as_of: dt.date) -> int:
    """How many months are over by ``as_of``; refuse none, all, or a next version open."""
    closed = structure.fiscal.closed_months(as_of)
    if closed == 0:
        raise ConflictError(
            _("No month of the fiscal year has ended by %(date)s.") % {"date": as_of}
        )
    if closed == MONTHS:
        raise ConflictError(_("The whole fiscal year is over by %(date)s.") % {"date": as_of})
    existing = _open_next_version(plan)
    if existing is not None:
        raise ConflictError(
            _("Version %(version)s of this plan is already open (%(status)s).")
            % {"version": existing.version, "status": existing.get_status_display().lower()}
        )
    return closed


def plan_respread(
    *, plan: Plan, as_of: dt.date, actor: AbstractBaseUser | None = None, reason: str = ""
) -> Plan:
    """Mid-year re-spread: a new draft version where what remains goes to the open months.

    Per leaf row (salesperson x product line), the fiscal months that ended by ``as_of``
    take their actuals (a net-negative month counts as 0) and the open months share
    ``max(annual − actual to date, 0)`` in proportion to their current targets
    (``respread_rows``, the vectorised ``respread``). A row already past its
    annual target keeps its actuals and gets 0 for the rest. The plan total becomes the sum
    of the rows.
    """
    plan = plan_lock(plan=plan)
    _refuse_measure_plan(plan)
    _require(plan, {Status.PUBLISHED}, _("re-spread"))
    structure = plan_structure_get(plan=plan, with_constraints=False)
    closed = _respread_closed_months(plan, structure, as_of)
    leaves = plan_leaves_frame(plan=plan, structure=structure)
    rows = (
        leaves.pivot_table(
            index=["salesperson_id", "pl_id"], columns="m", values="cents", aggfunc="sum"
        )
        .reindex(columns=range(MONTHS))
        .fillna(0)
        .astype(np.int64)
    )
    months = structure.fiscal.months
    actual_table = plan_row_month_actuals(structure=structure, rows=rows.index, closed=closed)
    try:
        table = respread_rows(targets=rows.to_numpy(), actuals=actual_table, closed=closed)
    except AllocationError as error:
        raise rule_error(error) from error
    new = _copy(
        source=plan,
        actor=actor,
        name=plan.name,
        version=plan.version + 1,
        previous=plan,
        scenario_of=None,
        copy_cells=False,
    )
    out = pd.DataFrame(
        {
            "salesperson_id": np.repeat(rows.index.get_level_values(0).to_numpy(), MONTHS),
            "pl_id": np.repeat(rows.index.get_level_values(1).to_numpy(), MONTHS),
            "m": np.tile(np.arange(MONTHS), len(rows)),
            "cents": table.reshape(-1),
        }
    )
    target_cells_delete(plan_id=new.pk)
    target_cells_insert(plan_id=new.pk, leaves=out, months=months)
    new.total_amount = from_cents(int(table.sum()))
    new.allocated_at = timezone.now()
    new.revision = 1
    new.save(update_fields=["total_amount", "allocated_at", "revision", "updated_at"])
    audit(
        plan=new,
        actor=actor,
        action=PlanChange.Action.RESPREAD,
        reason=reason,
        old_cents=int(rows.to_numpy().sum()),
        new_cents=int(table.sum()),
        leaf_count=int(table.size),
        details={"as_of": as_of.isoformat(), "closed_months": closed, "from_plan": plan.pk},
    )
    return new


@transaction.atomic
def acknowledgement_record(
    *,
    plan: Plan,
    status: str,
    comment: str = "",
    actor: AbstractBaseUser | AnonymousUser,
) -> Acknowledgement:
    """A salesperson acknowledges or disputes (with a comment) their published targets.

    The latest answer counts; every answer is also in the plan's audit trail.
    """
    scope = viewer_scope(user=actor)
    if scope.salesperson_id is None:
        raise ScopeError(_("Only salespeople acknowledge their own targets."))
    plan = Plan.objects.get(pk=plan.pk)
    if plan.measure_of_id is not None:
        raise ConflictError(_("Acknowledge the revenue plan; its measures go with it."))
    if plan.status != Status.PUBLISHED:
        raise ConflictError(_("Only published targets can be acknowledged."))
    if not plan.salespeople.filter(pk=scope.salesperson_id).exists():
        raise ScopeError(_("You have no targets in this plan."))
    if status not in {choice.value for choice in Acknowledgement.Status}:
        raise ValidationError({"status": _("Choose acknowledged or disputed.")})
    comment = (comment or "").strip()
    if status == Acknowledgement.Status.DISPUTED and not comment:
        raise ValidationError({"comment": _("Say what you dispute.")})
    row, _created = Acknowledgement.objects.update_or_create(
        plan=plan,
        salesperson_id=scope.salesperson_id,
        defaults={
            "status": status,
            "comment": comment,
            "acted_by": acting_user(actor),
            "acted_at": timezone.now(),
        },
    )
    change = audit(
        plan=plan,
        actor=acting_user(actor),
        action=PlanChange.Action.ACKNOWLEDGE
        if status == Acknowledgement.Status.ACKNOWLEDGED
        else PlanChange.Action.DISPUTE,
        reason=comment,
        details={"salesperson": row.salesperson.code},
        save=False,
    )
    change.salesperson_id = scope.salesperson_id
    change.cell = row.salesperson.code
    change.save()
    acknowledgement_recorded.send(sender=Acknowledgement, acknowledgement=row, actor=actor)
    return row
