"""Shared pieces of the plan pages: role checks, error text, the editor's address."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Max
from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext as _

from allocation.access import ViewerScope, viewer_scope
from allocation.models import OrgUnit, Plan
from allocation.selectors import org_unit_list
from allocation.services import plan_allocate
from salesalloc.core.exceptions import ApplicationError
from salesalloc.core.users import acting_user

PLANS_PER_PAGE = 50
# Per-node method inputs are edited in one table; past this many nodes use the API instead.
MAX_INPUT_NODES = 400
PERCENT = Decimal("0.1")
# Product-line roll-ups at this depth stop at each line itself (trees are never this deep).
LEAF_LEVEL = 99


def require_manager(request: HttpRequest) -> ViewerScope:
    scope = viewer_scope(user=request.user)
    if not scope.can_manage:
        raise PermissionDenied
    return scope


def require_admin(request: HttpRequest) -> ViewerScope:
    scope = viewer_scope(user=request.user)
    if not scope.is_admin:
        raise PermissionDenied
    return scope


def error_text(error: Exception) -> str:
    if isinstance(error, ApplicationError):
        return error.message
    if isinstance(error, ValidationError):
        return " ".join(str(message) for message in error.messages)
    return str(error)


def editor_url(plan: Plan, anchor: str = "") -> str:
    return reverse("plan-detail", args=[plan.pk]) + (f"#{anchor}" if anchor else "")


def split_levels(*, request: HttpRequest, root: OrgUnit | None) -> int:
    """How many org split levels a plan on ``root`` has (the last splits teams into people)."""
    units = org_unit_list(user=request.user)
    base = 0
    if root is not None:
        units = units.filter(path__startswith=root.path)
        base = root.depth
    deepest = units.aggregate(deepest=Max("depth"))["deepest"]
    return 1 if deepest is None else deepest - base + 1


def percent(part: Decimal, whole: Decimal) -> Decimal | None:
    if not whole:
        return None
    return (part * 100 / whole).quantize(PERCENT, ROUND_HALF_UP)


def allocate_with_message(request: HttpRequest, plan: Plan) -> bool:
    """Allocate the plan and say how it went in a message; True if it worked."""
    try:
        plan = plan_allocate(plan=plan, actor=acting_user(request.user))
    except (ValidationError, ApplicationError) as error:
        messages.error(request, error_text(error))
        return False
    messages.success(
        request,
        _("Allocated %(name)s: %(people)s salespeople, total %(total)s.")
        % {
            "name": plan.name,
            "people": plan.salespeople.count(),
            "total": f"{plan.total_amount:,.2f}",
        },
    )
    return True
