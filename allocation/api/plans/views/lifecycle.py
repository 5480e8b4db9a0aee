"""Plans API: allocate, the approval workflow, versions, scenarios, re-spread, compare, audit."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework.generics import ListAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from allocation.access import IsAdmin, IsManagerOrAdmin, plan_scope_get
from allocation.api.plans.serializers.cells import CompareInputSerializer, CompareOutputSerializer
from allocation.api.plans.serializers.common import money
from allocation.api.plans.serializers.plans import (
    CommentInputSerializer,
    PlanDetailOutputSerializer,
    PublishInputSerializer,
    RejectInputSerializer,
    RespreadInputSerializer,
    ScenarioInputSerializer,
    VersionInputSerializer,
)
from allocation.api.plans.serializers.targets import (
    PlanChangeFilterSerializer,
    PlanChangeOutputSerializer,
)
from allocation.api.plans.views.common import ERRORS, plan_detail_response, scoped_plan
from allocation.models import PlanChange
from allocation.scoping import cell_resolve_visible
from allocation.selectors import plan_change_list, plan_compare, plan_list, plan_structure_get
from allocation.services import (
    plan_allocate,
    plan_approve,
    plan_archive,
    plan_new_version,
    plan_publish,
    plan_reject,
    plan_respread,
    plan_scenario_create,
    plan_submit,
)
from salesalloc.core.users import acting_user


class PlanAllocateApi(APIView):
    """POST (admins): allocate the draft's total down the org tree, product lines and months
    with its methods; locked cells keep their amounts. Synchronous (seconds at most)."""

    permission_classes = [IsAdmin]

    @extend_schema(request=None, responses={200: PlanDetailOutputSerializer, **ERRORS})
    def post(self, request: Request, pk: int) -> Response:
        plan = plan_allocate(plan=scoped_plan(request, pk), actor=acting_user(request.user))
        return plan_detail_response(request, plan)


def _transition_view(
    service: Any, doc: str, *, admin: bool = True, reject: bool = False
) -> type[APIView]:
    input_serializer = RejectInputSerializer if reject else CommentInputSerializer

    class TransitionApi(APIView):
        permission_classes = [IsAdmin] if admin else [IsManagerOrAdmin]

        @extend_schema(
            request=input_serializer,
            responses={200: PlanDetailOutputSerializer, **ERRORS},
            description=doc,
        )
        def post(self, request: Request, pk: int) -> Response:
            plan = scoped_plan(request, pk)
            data = input_serializer(data=request.data)
            data.is_valid(raise_exception=True)
            if reject:
                plan = service(
                    plan=plan, reason=data.validated_data["reason"], actor=acting_user(request.user)
                )
            else:
                extra = (
                    {"override_four_eyes": data.validated_data["override_four_eyes"]}
                    if service is plan_approve
                    else {}
                )
                plan = service(
                    plan=plan,
                    comment=data.validated_data["comment"],
                    actor=acting_user(request.user),
                    **extra,
                )
            return plan_detail_response(request, plan)

    return TransitionApi


PlanSubmitApi = _transition_view(
    plan_submit, "Draft → submitted, for approval (managers of the plan and admins).", admin=False
)
PlanSubmitApi.__name__ = PlanSubmitApi.__qualname__ = "PlanSubmitApi"
PlanApproveApi = _transition_view(plan_approve, "Submitted → approved (admins).")
PlanApproveApi.__name__ = PlanApproveApi.__qualname__ = "PlanApproveApi"
PlanRejectApi = _transition_view(
    plan_reject, "Submitted or approved → draft, with a reason (admins).", reject=True
)
PlanRejectApi.__name__ = PlanRejectApi.__qualname__ = "PlanRejectApi"


class PlanPublishApi(APIView):
    """POST (admins): approved → published, the one published plan of its fiscal year and
    org unit. The published plan of the same year and org unit is archived (``replace``,
    the default) or the publish is refused (409 naming it); a published plan of that year
    whose org unit nests in this plan's (or holds it) refuses the publish. The plan's
    ``publish_check`` says beforehand which plan it archives."""

    permission_classes = [IsAdmin]

    @extend_schema(
        request=PublishInputSerializer, responses={200: PlanDetailOutputSerializer, **ERRORS}
    )
    def post(self, request: Request, pk: int) -> Response:
        plan = scoped_plan(request, pk)
        data = PublishInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        plan = plan_publish(
            plan=plan,
            comment=data.validated_data["comment"],
            replace=data.validated_data["replace"],
            actor=acting_user(request.user),
        )
        return plan_detail_response(request, plan)


PlanArchiveApi = _transition_view(plan_archive, "Any non-archived plan → archived (admins).")
PlanArchiveApi.__name__ = PlanArchiveApi.__qualname__ = "PlanArchiveApi"


class PlanNewVersionApi(APIView):
    """POST (admins): open a draft copy (version + 1) of a published plan."""

    permission_classes = [IsAdmin]

    @extend_schema(
        request=VersionInputSerializer, responses={201: PlanDetailOutputSerializer, **ERRORS}
    )
    def post(self, request: Request, pk: int) -> Response:
        data = VersionInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        plan = plan_new_version(
            plan=scoped_plan(request, pk),
            actor=acting_user(request.user),
            reason=data.validated_data["reason"],
        )
        return plan_detail_response(request, plan, status=201)


class PlanScenarioCreateApi(APIView):
    """POST (admins): clone the plan into a what-if scenario (a draft that never publishes)."""

    permission_classes = [IsAdmin]

    @extend_schema(
        request=ScenarioInputSerializer, responses={201: PlanDetailOutputSerializer, **ERRORS}
    )
    def post(self, request: Request, pk: int) -> Response:
        data = ScenarioInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        plan = plan_scenario_create(
            plan=scoped_plan(request, pk),
            name=data.validated_data["name"],
            actor=acting_user(request.user),
        )
        return plan_detail_response(request, plan, status=201)


class PlanRespreadApi(APIView):
    """POST (admins): mid-year re-spread of a published plan into a new draft version."""

    permission_classes = [IsAdmin]

    @extend_schema(
        request=RespreadInputSerializer, responses={201: PlanDetailOutputSerializer, **ERRORS}
    )
    def post(self, request: Request, pk: int) -> Response:
        data = RespreadInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        plan = plan_respread(
            plan=scoped_plan(request, pk),
            as_of=data.validated_data["as_of"],
            reason=data.validated_data["reason"],
            actor=acting_user(request.user),
        )
        return plan_detail_response(request, plan, status=201)


class PlanCompareApi(APIView):
    """GET (managers, admins): plans side by side per org unit, salesperson, product line,
    month or quarter — each plan's amount and its difference to the first plan."""

    permission_classes = [IsManagerOrAdmin]

    @extend_schema(
        parameters=[CompareInputSerializer], responses={200: CompareOutputSerializer, **ERRORS}
    )
    def get(self, request: Request) -> Response:
        params = CompareInputSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        visible = {
            p.pk: p
            for p in plan_list(user=request.user).filter(pk__in=params.validated_data["plans"])
        }
        missing = [pk for pk in params.validated_data["plans"] if pk not in visible]
        if missing:
            raise ValidationError(
                {
                    "plans": _("No plan with id %(ids)s is visible to you.")
                    % {"ids": ", ".join(map(str, missing))}
                }
            )
        plans = [visible[pk] for pk in params.validated_data["plans"]]
        rows = plan_compare(
            user=request.user,
            plans=plans,
            group_by=params.validated_data["group_by"],
            level=params.validated_data.get("level"),
        )
        return Response(
            {
                "group_by": params.validated_data["group_by"],
                "plans": [
                    {
                        "id": p.pk,
                        "name": p.name,
                        "version": p.version,
                        "status": p.status,
                        "scenario_of": p.scenario_of_id,
                    }
                    for p in plans
                ],
                "rows": [
                    {
                        "key": row.key,
                        "name": row.name,
                        "amounts": [money(a) for a in row.amounts_cents],
                        "differences": [money(d) for d in row.differences_cents],
                    }
                    for row in rows
                ],
            }
        )


class PlanChangeListApi(ListAPIView):
    """GET (managers, admins): the plan's audit trail, newest first; filter by cell
    coordinates (exact cell), action or batch."""

    permission_classes = [IsManagerOrAdmin]
    serializer_class = PlanChangeOutputSerializer
    filter_backends = []

    def get_queryset(self) -> QuerySet[PlanChange]:
        plan = scoped_plan(self.request, self.kwargs["pk"])
        params = PlanChangeFilterSerializer(data=self.request.query_params)
        params.is_valid(raise_exception=True)
        changes = plan_change_list(user=self.request.user, plan=plan).order_by("-created_at", "-id")
        data = params.validated_data
        if any(data.get(k) for k in ("org_unit", "salesperson", "product_line", "period")):
            structure = plan_structure_get(plan=plan, with_constraints=False)
            window = plan_scope_get(user=self.request.user, structure=structure)
            cell = cell_resolve_visible(
                structure,
                window,
                org_unit=data.get("org_unit") or None,
                salesperson=data.get("salesperson") or None,
                product_line=data.get("product_line") or None,
                period=data.get("period") or "year",
            )
            person = cell.org.kind == "salesperson"
            changes = changes.filter(
                Q(salesperson_id=cell.org.id) if person else Q(salesperson__isnull=True),
                org_unit_id=cell.org.id if cell.org.kind == "unit" else None,
                product_line_id=cell.pl.id if cell.pl is not None else None,
                period=cell.period,
            )
        if data.get("action"):
            changes = changes.filter(action=data["action"])
        if data.get("batch"):
            changes = changes.filter(batch=data["batch"])
        return changes

    @extend_schema(parameters=[PlanChangeFilterSerializer])
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)
