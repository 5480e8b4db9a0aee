"""Plans API: acknowledgements and the salespeople's own targets."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema
from rest_framework.generics import ListAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from allocation.access import HasRole, IsManagerOrAdmin
from allocation.api.plans.filters import TargetFilterSet
from allocation.api.plans.serializers.targets import (
    AcknowledgeInputSerializer,
    AcknowledgementFilterSerializer,
    AcknowledgementOutputSerializer,
    AcknowledgeOutputSerializer,
    MyTargetsOutputSerializer,
    TargetOutputSerializer,
    breakdown,
)
from allocation.api.plans.views.common import ERRORS, scoped_plan
from allocation.models import Plan, TargetCell
from allocation.selectors import acknowledgement_list, my_target_list, target_cell_list
from allocation.services import acknowledgement_record

# --- acknowledgements and own targets ------------------------------------------------------


class PlanAcknowledgementListApi(ListAPIView):
    """GET (managers, admins): every salesperson you manage in the plan with their answer:
    pending, acknowledged or disputed (with the comment). Filter with ``status``."""

    permission_classes = [IsManagerOrAdmin]
    serializer_class = AcknowledgementOutputSerializer
    filter_backends = []

    def get_queryset(self) -> list[Any]:  # type: ignore[override]
        plan = scoped_plan(self.request, self.kwargs["pk"])
        params = AcknowledgementFilterSerializer(data=self.request.query_params)
        params.is_valid(raise_exception=True)
        rows = acknowledgement_list(
            user=self.request.user, plan=plan, status=params.validated_data.get("status")
        )
        return [
            {
                "salesperson": r.salesperson.code,
                "salesperson_name": r.salesperson.name,
                "org_unit": r.org_unit_code,
                "status": r.status,
                "comment": r.comment,
                "acted_by": r.acted_by,
                "acted_at": r.acted_at,
            }
            for r in rows
        ]

    @extend_schema(parameters=[AcknowledgementFilterSerializer])
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)


class PlanAcknowledgeApi(APIView):
    """POST (salespeople): acknowledge your published targets, or dispute them with a comment."""

    permission_classes = [HasRole]

    @extend_schema(
        request=AcknowledgeInputSerializer,
        responses={200: AcknowledgeOutputSerializer, **ERRORS},
    )
    def post(self, request: Request, pk: int) -> Response:
        plan = scoped_plan(request, pk)
        data = AcknowledgeInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        row = acknowledgement_record(plan=plan, actor=request.user, **data.validated_data)
        return Response(AcknowledgeOutputSerializer(row).data)


class MyTargetListApi(ListAPIView):
    """GET: your own targets in every published plan — year, quarters, months, per product
    line — and whether you acknowledged them. Empty for users who aren't salespeople."""

    permission_classes = [HasRole]
    serializer_class = MyTargetsOutputSerializer
    filter_backends = []

    def get_queryset(self) -> list[Any]:  # type: ignore[override]
        out = []
        for item in my_target_list(user=self.request.user):
            ack = item.acknowledgement
            out.append(
                {
                    "plan": {
                        "id": item.plan.pk,
                        "name": item.plan.name,
                        "fiscal_year": item.plan.fiscal_year,
                        "version": item.plan.version,
                        "currency": item.plan.currency,
                    },
                    "salesperson": item.salesperson.code,
                    **breakdown(item.month_labels, item.months),
                    "product_lines": [
                        {
                            "code": line.code,
                            "name": line.name,
                            **breakdown(item.month_labels, months),
                        }
                        for line, months in item.product_lines
                    ],
                    "acknowledgement": {
                        "status": ack.status,
                        "comment": ack.comment,
                        "acted_at": ack.acted_at,
                    }
                    if ack
                    else None,
                }
            )
        return out


class TargetListApi(ListAPIView):
    """GET: targets at grid grain (salesperson x product line x month) with ``amount`` —
    the same filters as ``/actuals/``, plus ``plan`` (default: the published plans)."""

    permission_classes = [HasRole]
    serializer_class = TargetOutputSerializer
    filter_backends = [DjangoFilterBackend]
    filterset_class = TargetFilterSet

    def get_queryset(self) -> QuerySet[TargetCell]:
        cells = target_cell_list(user=self.request.user).order_by(
            "plan_id", "month", "salesperson__code", "product_line__code"
        )
        params = self.request.query_params
        if "plan" not in params:
            cells = cells.filter(plan__status=Plan.Status.PUBLISHED)
            if "measure" not in params:  # one measure at a time: units never add to money
                cells = cells.filter(plan__measure=Plan.Measure.REVENUE)
        return cells
