"""Reads of quota relief: the requests a viewer may see, those they may decide, and why not.

Who sees a request: admins all; a manager the requests for people in their subtrees; a
salesperson the requests for themselves; everyone the requests they made. Who decides one
(``relief_decide_problem``): the next level up, never the person asking nor the person
relieved (four-eyes; an administrator may override it explicitly):

- a salesperson's own request: a manager of their unit or of any unit above it;
- a manager's request: a manager of a unit above the highest unit they manage that
  holds the person (for a region manager: the company's managers);
- an administrator's request: another administrator;
- administrators decide every request.
"""

from __future__ import annotations

from functools import reduce
from operator import or_

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Q, QuerySet
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _

from allocation.access import ViewerScope, viewer_scope
from allocation.models import Plan, ReliefRequest, Salesperson
from salesalloc.core.users import acting_user


def relief_request_list(*, user: AbstractBaseUser | AnonymousUser) -> QuerySet[ReliefRequest]:
    """Relief requests the viewer may see, newest first, with what their pages show."""
    scope = viewer_scope(user=user)
    rows = (
        ReliefRequest.objects.select_related(
            "plan", "plan__root_org_unit", "salesperson", "requested_by", "decided_by"
        )
        .prefetch_related("product_lines")
        .order_by("-created_at", "-id")
    )
    if scope.is_admin:
        return rows
    parts = [Q(requested_by_id=scope.user_id)] if scope.user_id is not None else []
    if scope.is_manager:
        parts.append(scope.managed_salesperson_q("salesperson__"))
    if scope.salesperson_id is not None:
        parts.append(Q(salesperson_id=scope.salesperson_id))
    if not parts:
        return rows.none()
    return rows.filter(reduce(or_, parts))


def relief_request_get(*, user: AbstractBaseUser | AnonymousUser, request_id: int) -> ReliefRequest:
    """One visible request, or ``Http404`` (out of scope looks like missing)."""
    return get_object_or_404(relief_request_list(user=user), pk=request_id)


def _own_q(user_id: int | None) -> Q:
    if user_id is None:
        return Q(pk__in=[])
    return Q(requested_by_id=user_id) | Q(salesperson__user_id=user_id)


def relief_to_decide_list(*, user: AbstractBaseUser | AnonymousUser) -> QuerySet[ReliefRequest]:
    """Pending requests on published plans that the viewer may approve or reject now.

    Admins see every pending request but their own (those need the explicit override,
    offered on the request's page).
    """
    scope = viewer_scope(user=user)
    rows = relief_request_list(user=user).filter(
        status=ReliefRequest.Status.PENDING, plan__status=Plan.Status.PUBLISHED
    )
    if scope.is_admin:
        return rows.exclude(_own_q(scope.user_id))
    if not scope.is_manager:
        return rows.none()
    above = reduce(or_, [Q(approval_path__startswith=p) for p in scope.managed_paths])
    return rows.filter(above).exclude(approval_path="").exclude(_own_q(scope.user_id))


def relief_to_decide_count(*, user: AbstractBaseUser | AnonymousUser) -> int:
    """How many requests wait for the viewer's decision (the navigation badge)."""
    if viewer_scope(user=user).role == "none":
        return 0
    return relief_to_decide_list(user=user).count()


def _is_own(request: ReliefRequest, user_id: int | None) -> bool:
    if user_id is None:
        return False
    return request.requested_by_id == user_id or request.salesperson.user_id == user_id


def relief_decide_problem(
    *,
    user: AbstractBaseUser | AnonymousUser | None,
    request: ReliefRequest,
    override_four_eyes: bool = False,
) -> str | None:
    """Why the viewer may not decide ``request`` (None: they may). State is checked apart."""
    account = acting_user(user)
    if account is None or user is None:
        return None  # the system (a command, a migration) may
    scope = viewer_scope(user=user)
    if _is_own(request, account.pk):
        if scope.is_admin and override_four_eyes:
            return None
        return _(
            "You asked for this relief or it is yours, so someone else decides it (four-eyes). "
            "An administrator may override this explicitly."
        )
    if scope.is_admin:
        return None
    path = request.approval_path
    if path and any(path.startswith(managed) for managed in scope.managed_paths):
        return None
    if not path:
        return _("Only an administrator decides this request.")
    return _("A manager above the person who asked decides this request.")


def relief_may_decide(
    *, user: AbstractBaseUser | AnonymousUser, request: ReliefRequest
) -> tuple[bool, bool]:
    """(may decide now, only with the four-eyes override) for the request's page."""
    if not request.is_pending or request.plan.status != Plan.Status.PUBLISHED:
        return False, False
    if relief_decide_problem(user=user, request=request) is None:
        return True, False
    if relief_decide_problem(user=user, request=request, override_four_eyes=True) is None:
        return True, True
    return False, False


def relief_requestable_people(
    *, user: AbstractBaseUser | AnonymousUser, plan: Plan
) -> QuerySet[Salesperson]:
    """The plan's people the viewer may ask relief for: themselves, people they manage."""
    scope = viewer_scope(user=user)
    people = plan.salespeople.select_related("org_unit").order_by("code")
    if plan.status != Plan.Status.PUBLISHED or plan.scenario_of_id is not None:
        return people.none()
    if scope.is_admin:
        return people
    parts = []
    if scope.is_manager:
        parts.append(scope.managed_salesperson_q())
    if scope.salesperson_id is not None:
        parts.append(Q(pk=scope.salesperson_id))
    if not parts:
        return people.none()
    return people.filter(reduce(or_, parts))


def relief_scope_role(*, scope: ViewerScope, salesperson: Salesperson) -> str | None:
    """In which capacity the viewer asks relief for ``salesperson`` (None: they may not)."""
    if scope.is_admin:
        return ReliefRequest.Role.ADMIN
    if scope.salesperson_id == salesperson.pk:
        return ReliefRequest.Role.SALESPERSON
    path = salesperson.org_unit.path
    if any(path.startswith(managed) for managed in scope.managed_paths):
        return ReliefRequest.Role.MANAGER
    return None
