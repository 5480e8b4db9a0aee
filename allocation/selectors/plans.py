"""Plans the viewer may see, their target cells, structure, audit trail and actions."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import reduce
from operator import or_

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Q, QuerySet
from django.db.models.functions import Length
from django.shortcuts import get_object_or_404

from allocation.access import viewer_scope
from allocation.models import MethodInput, OrgUnit, Plan, PlanChange, PlanUpload, TargetCell
from allocation.selectors.frames import sum_cents
from allocation.structure import PlanStructure, ancestor_paths


def plan_list(*, user: AbstractBaseUser | AnonymousUser) -> QuerySet[Plan]:
    """Plans the viewer may open (see the module notes), newest fiscal year first."""
    scope = viewer_scope(user=user)
    plans = Plan.objects.select_related("root_org_unit")
    if scope.is_admin:
        return plans
    parts = []
    for path in scope.managed_paths:
        parts.append(Q(root_org_unit__path__startswith=path))
        parts.append(Q(root_org_unit__path__in=ancestor_paths(path)))
    if scope.salesperson_id is not None:
        member_of = Plan.salespeople.through.objects.filter(
            salesperson_id=scope.salesperson_id
        ).values("plan_id")
        parts.append(Q(status=Plan.Status.PUBLISHED, pk__in=member_of))
    if not parts:
        return plans.none()
    return plans.filter(reduce(or_, parts))


def plan_get(*, user: AbstractBaseUser | AnonymousUser, plan_id: int) -> Plan:
    """One visible plan or ``Http404`` (a plan out of scope looks like a missing one)."""
    return get_object_or_404(plan_list(user=user), pk=plan_id)


def target_cell_list(*, user: AbstractBaseUser | AnonymousUser) -> QuerySet[TargetCell]:
    """Target leaves the viewer may read: managed people in visible plans, own published ones."""
    scope = viewer_scope(user=user)
    cells = TargetCell.objects.select_related("plan", "salesperson__org_unit", "product_line")
    if scope.is_admin:
        return cells
    parts = []
    if scope.is_manager:
        parts.append(
            scope.managed_salesperson_q("salesperson__")
            & Q(plan__in=plan_list(user=user).values("pk"))
        )
    if scope.salesperson_id is not None:
        parts.append(Q(salesperson_id=scope.salesperson_id, plan__status=Plan.Status.PUBLISHED))
    if not parts:
        return cells.none()
    return cells.filter(reduce(or_, parts))


def plan_structure_get(*, plan: Plan, with_constraints: bool = True) -> PlanStructure:
    """Load a plan's dimensions (unscoped: callers apply the viewer's scope)."""
    return PlanStructure(plan, with_constraints=with_constraints)


def plan_change_list(*, user: AbstractBaseUser | AnonymousUser, plan: Plan) -> QuerySet[PlanChange]:
    """A plan's audit trail as the viewer may see it: admins all of it; managers the changes
    of cells in their subtree plus plan-wide events (transitions, allocation)."""
    scope = viewer_scope(user=user)
    changes = PlanChange.objects.filter(plan=plan).select_related(
        "actor", "org_unit", "salesperson", "product_line"
    )
    if scope.is_admin:
        return changes
    if not scope.is_manager:
        return changes.none()
    plan_wide = Q(org_unit__isnull=True, salesperson__isnull=True, period="")
    inside = reduce(
        or_,
        [
            Q(org_unit__path__startswith=p) | Q(salesperson__org_unit__path__startswith=p)
            for p in scope.managed_paths
        ],
    )
    return changes.filter(plan_wide | inside)


def plan_scope_totals(
    *, user: AbstractBaseUser | AnonymousUser, plan_ids: list[int]
) -> dict[int, int] | None:
    """Per plan, the cents of the part the viewer sees (None for admins: the plan total).

    One aggregate query for a whole page of plans.
    """
    scope = viewer_scope(user=user)
    if scope.is_admin:
        return None
    parts = []
    if scope.is_manager:
        parts.append(scope.managed_salesperson_q("salesperson__"))
    if scope.salesperson_id is not None:
        parts.append(Q(salesperson_id=scope.salesperson_id))
    if not parts or not plan_ids:
        return {}
    rows = (
        TargetCell.objects.filter(plan_id__in=plan_ids)
        .filter(reduce(or_, parts))
        .order_by()
        .values("plan_id")
        .annotate(cents=sum_cents())
        .values_list("plan_id", "cents")
    )
    return {plan_id: int(cents or 0) for plan_id, cents in rows}


def plan_actions(*, user: AbstractBaseUser | AnonymousUser, plan: Plan) -> list[str]:
    """What the viewer may do with the plan in its current state (for the editor's buttons)."""
    scope = viewer_scope(user=user)
    status = plan.status
    draft = status == Plan.Status.DRAFT
    out: list[str] = []
    manages = scope.is_admin or any(
        plan.root_org_unit.path.startswith(p) or p.startswith(plan.root_org_unit.path)
        for p in scope.managed_paths
    )
    measure_plan = plan.measure_of_id is not None
    if draft and manages:
        out += ["edit", "lock", "upload"]
        if plan.allocated_at is not None and not measure_plan:
            out.append("submit")
    if scope.is_admin and draft:
        out.append("allocate")
    if measure_plan:  # the lifecycle, versions and scenarios go with the revenue plan
        return out
    if scope.is_admin:
        if status == Plan.Status.SUBMITTED:
            out += ["approve", "reject"]
        if status == Plan.Status.APPROVED:
            out.append("reject")
            if plan.scenario_of_id is None:
                out.append("publish")
        if status == Plan.Status.PUBLISHED and plan.scenario_of_id is None:
            out += ["new_version", "respread"]
        if status != Plan.Status.ARCHIVED:
            out.append("archive")
        out.append("scenario")
    if (
        status == Plan.Status.PUBLISHED
        and scope.salesperson_id is not None
        and plan.salespeople.filter(pk=scope.salesperson_id).exists()
    ):
        out.append("acknowledge")
    return out


def method_input_list(
    *, user: AbstractBaseUser | AnonymousUser, plan: Plan
) -> QuerySet[MethodInput]:
    """The plan's method inputs (manual %, growth, potential, FTE) the viewer may read.

    Admins: all. Managers: the inputs of org units and salespeople inside the subtrees they
    manage, and the product-line inputs (those apply plan-wide, to every region alike).
    Everyone else: none.
    """
    scope = viewer_scope(user=user)
    rows = MethodInput.objects.filter(plan=plan).select_related(
        "org_unit", "salesperson", "product_line"
    )
    if scope.is_admin:
        return rows.order_by("pk")
    if not scope.is_manager:
        return rows.none()
    inside = scope.managed_org_unit_q("org_unit__") | scope.managed_salesperson_q("salesperson__")
    return rows.filter(inside | Q(product_line__isnull=False)).order_by("pk")


def plan_upload_get(
    *, user: AbstractBaseUser | AnonymousUser, plan: Plan, upload_id: int
) -> PlanUpload:
    """One sheet upload of a visible plan, or ``Http404``: the uploader's own (all for admins)."""
    uploads = PlanUpload.objects.filter(plan=plan)
    if not viewer_scope(user=user).is_admin:
        uploads = uploads.filter(created_by_id=user.pk)
    return get_object_or_404(uploads, pk=upload_id)


# --- one truth per year --------------------------------------------------------------------
#
# A plan's scope is its root org unit's subtree. At most one published plan per fiscal year
# and scope (a partial unique constraint), and ``plan_publish`` refuses a plan whose scope
# nests in (or holds) the scope of another published plan of that year, so at most one
# published plan covers any org unit in a year. Readers ask ``published_plan_get``.


def published_plan_list(*, fiscal_year: int) -> QuerySet[Plan]:
    """The published (revenue) plans of a fiscal year (scenarios never publish; measure plans
    are published with their revenue plan and read through it), broadest scope first."""
    return (
        Plan.objects.filter(
            status=Plan.Status.PUBLISHED,
            scenario_of__isnull=True,
            measure_of__isnull=True,
            fiscal_year=fiscal_year,
        )
        .select_related("root_org_unit")
        .order_by(Length("root_org_unit__path"), "root_org_unit__path", "-published_at", "-pk")
    )


def published_plan_get(*, fiscal_year: int, org_unit: OrgUnit | None = None) -> Plan | None:
    """The published plan of ``fiscal_year`` that counts for ``org_unit`` (default: the top of
    the org tree): the one whose scope holds the unit, or None.

    Data from before the rule may still hold nested published plans; then the broadest
    scope (the company's plan over a region's) counts, deterministically.
    """
    if org_unit is None:
        org_unit = OrgUnit.objects.filter(parent__isnull=True).order_by("path").first()
        if org_unit is None:
            return None
    return (
        published_plan_list(fiscal_year=fiscal_year)
        .filter(root_org_unit__path__in=ancestor_paths(org_unit.path))
        .first()
    )


@dataclass(frozen=True)
class PublishCheck:
    """What publishing ``plan`` does to the published plans of its year.

    ``replaces``: the published plan of the same scope, archived by the publish (unless
    the publisher says not to replace it, then the publish is refused). ``overlaps``:
    published plans whose scope nests in this plan's or holds it; they refuse the publish.
    """

    plan: Plan
    replaces: Plan | None = None
    overlaps: list[Plan] = field(default_factory=list)


def publish_check(*, plan: Plan, published: Iterable[Plan]) -> PublishCheck:
    """Compare ``plan`` with the given published plans of its year (any order)."""
    root = plan.root_org_unit.path
    replaces = None
    overlaps = []
    for other in sorted(published, key=lambda p: p.pk):
        if other.pk == plan.pk or other.fiscal_year != plan.fiscal_year:
            continue
        path = other.root_org_unit.path
        if path == root:
            replaces = other
        elif path.startswith(root) or root.startswith(path):
            overlaps.append(other)
    return PublishCheck(plan=plan, replaces=replaces, overlaps=overlaps)


def plan_publish_preview(*, plan: Plan) -> PublishCheck:
    """What publishing ``plan`` would do now (the publish dialog says it before it happens)."""
    return publish_check(plan=plan, published=published_plan_list(fiscal_year=plan.fiscal_year))
