"""Cost-allocation API: create a pool (201 with its lines), list pools, contribution margin."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.generics import ListAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from allocation.access import IsAdmin, IsManagerOrAdmin, viewer_scope
from allocation.models import OrgUnit
from performance.costs.api.serializers import CostPoolInputSerializer, CostPoolOutputSerializer
from performance.costs.models import CostPool
from performance.costs.selectors import NoTierSnapshotError, contribution_report, cost_pool_list
from performance.costs.services import NO_TIERS, cost_pool_create
from performance.periods import parse_period
from salesalloc.core.money import money_str


class CostPoolListCreateApi(ListAPIView):
    """Admins create pools (split at once); managers read pools over their org units."""

    serializer_class = CostPoolOutputSerializer

    def get_permissions(self) -> list[Any]:
        return [IsAdmin()] if self.request.method == "POST" else [IsManagerOrAdmin()]

    def get_queryset(self) -> QuerySet[CostPool]:
        return cost_pool_list(user=self.request.user)

    @extend_schema(request=CostPoolInputSerializer, responses={201: CostPoolOutputSerializer})
    def post(self, request: Request) -> Response:
        data = CostPoolInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        parent = None
        if values.get("under"):
            parent = OrgUnit.objects.filter(code=values["under"]).first()
            if parent is None:
                raise ValidationError({"under": [_("No such org unit.")]})
        pool = cost_pool_create(
            name=values["name"],
            amount=values["amount"],
            period=values["period"],
            driver=values["driver"],
            dimension=values["dimension"],
            weights=values["weights"],
            parent=parent,
            description=values["description"],
            actor=request.user,
        )
        return Response(CostPoolOutputSerializer(pool).data, status=201)


def report_inputs(request: Any) -> tuple[Any, str]:
    """The period and dimension of a contribution report, checked for the viewer."""
    try:
        period = parse_period(request.GET.get("period", ""))
    except ValueError as exc:
        raise ValidationError({"period": [str(exc)]}) from exc
    dimension = request.GET.get("dimension", CostPool.Dimension.ORG_UNIT)
    if dimension not in CostPool.Dimension.values:
        raise ValidationError({"dimension": [_("Use product_line, org_unit or tier.")]})
    scope = viewer_scope(user=request.user)
    if dimension != CostPool.Dimension.ORG_UNIT and not scope.is_admin:
        raise PermissionDenied(
            _("Only administrators see margins by product line or customer tier.")
        )
    return period, dimension


class ContributionMarginApi(APIView):
    """``GET /api/v1/contribution-margin/?period=2019-Q4&dimension=org_unit``."""

    permission_classes = [IsManagerOrAdmin]

    @extend_schema(
        parameters=[
            OpenApiParameter("period", OpenApiTypes.STR, required=True),
            OpenApiParameter("dimension", OpenApiTypes.STR),
        ],
        responses={200: OpenApiTypes.OBJECT},
    )
    def get(self, request: Request) -> Response:
        period, dimension = report_inputs(request)
        try:
            report = contribution_report(user=request.user, period=period, dimension=dimension)
        except NoTierSnapshotError as exc:
            raise ValidationError({"dimension": [NO_TIERS]}) from exc
        return Response(
            {
                "period": period.label,
                "dimension": dimension,
                "results": [
                    {
                        "key": row.key,
                        "revenue": money_str(row.revenue),
                        "cost_of_goods": money_str(row.cost_of_goods),
                        "allocated_cost": money_str(row.allocated_cost),
                        "contribution": money_str(row.contribution),
                        "margin": None if row.margin is None else f"{row.margin:.4f}",
                    }
                    for row in report.rows
                ],
            }
        )
