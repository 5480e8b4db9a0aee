"""Shared pieces of the plans API views: error responses, the scoped plan, its detail."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse
from rest_framework.request import Request
from rest_framework.response import Response

from allocation.access import viewer_scope
from allocation.api.plans.serializers.plans import PlanDetailOutputSerializer
from allocation.models import Plan
from allocation.selectors import (
    plan_actions,
    plan_get,
    plan_publish_preview,
    plan_scope_totals,
)
from salesalloc.core.money import from_cents

ERRORS = {
    400: OpenApiResponse(description=_("Invalid input or a rule refuses the change.")),
    403: OpenApiResponse(description=_("Your role may not do this.")),
    404: OpenApiResponse(description=_("No such plan (or not visible to you).")),
    409: OpenApiResponse(description=_("The plan's state doesn't allow it.")),
}


def scoped_plan(request: Request, pk: int) -> Plan:
    return plan_get(user=request.user, plan_id=pk)


def plan_detail_response(request: Request, plan: Plan, status: int = 200) -> Response:
    plan = (
        Plan.objects.select_related(
            "root_org_unit",
            "created_by",
            "submitted_by",
            "approved_by",
            "published_by",
            "archived_by",
        )
        .prefetch_related("product_lines")
        .get(pk=plan.pk)
    )
    context = plan_list_context(request, [plan.pk])
    context["actions"] = plan_actions(user=request.user, plan=plan)
    if plan.status == Plan.Status.APPROVED and plan.scenario_of_id is None:
        context["publish_check"] = plan_publish_preview(plan=plan)
    return Response(PlanDetailOutputSerializer(plan, context=context).data, status=status)


def plan_list_context(request: Request, plan_ids: list[int]) -> dict[str, Any]:
    scope = viewer_scope(user=request.user)
    totals = plan_scope_totals(user=request.user, plan_ids=plan_ids)
    if totals is None:
        return {"scope_totals": None, "scope_name": "plan"}
    return {
        "scope_totals": {pk: from_cents(c) for pk, c in totals.items()},
        "scope_name": "subtree" if scope.is_manager else "own",
    }


def code_objects(model: Any, codes: Sequence[str], field: str) -> list[Any]:
    found = {obj.code: obj for obj in model.objects.filter(code__in=list(codes))}
    missing = [code for code in codes if code not in found]
    if missing:
        raise ValidationError(
            {field: _("Unknown codes: %(codes)s.") % {"codes": ", ".join(missing)}}
        )
    return [found[code] for code in codes]
