"""Scorecards API: scoped scorecards (§7), templates, imported metric values."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework.exceptions import ValidationError
from rest_framework.generics import ListAPIView
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from allocation.access import HasRole, IsAdmin
from allocation.selectors import org_unit_list, plan_list
from performance.periods import parse_period
from performance.scorecards.api.serializers import (
    KpiValuesImportInputSerializer,
    ScorecardOutputSerializer,
    ScorecardTemplateInputSerializer,
    ScorecardTemplateOutputSerializer,
)
from performance.scorecards.models import Kpi, Scorecard, ScorecardTemplate
from performance.scorecards.selectors import scorecard_list, scorecard_template_list
from performance.scorecards.services import kpi_values_import, scorecard_template_create


class ScorecardListApi(ListAPIView):
    """``GET /api/v1/scorecards/?template=&period=&org_unit=`` (org unit: its subtree)."""

    permission_classes = [HasRole]
    serializer_class = ScorecardOutputSerializer

    def get_queryset(self) -> QuerySet[Scorecard]:
        rows = scorecard_list(user=self.request.user)
        params = self.request.query_params
        template = params.get("template")
        if template:
            if not template.isdigit():
                raise ValidationError({"template": [_("A template id is a whole number.")]})
            rows = rows.filter(template_id=int(template))
        if params.get("period"):
            try:
                parse_period(params["period"])
            except ValueError:
                raise ValidationError(
                    {"period": [_("Give a period as 2019, 2019-Q1 or 2019-03.")]}
                ) from None
            rows = rows.filter(period=params["period"])
        if params.get("org_unit"):
            unit = org_unit_list(user=self.request.user).filter(code=params["org_unit"]).first()
            if unit is None:
                raise ValidationError(
                    {"org_unit": [_("No org unit with this code is visible to you.")]}
                )
            rows = rows.filter(salesperson__org_unit__path__startswith=unit.path)
        return rows


class ScorecardTemplateListCreateApi(ListAPIView):
    serializer_class = ScorecardTemplateOutputSerializer

    def get_permissions(self) -> list[Any]:
        return [IsAdmin()] if self.request.method == "POST" else [HasRole()]

    def get_queryset(self) -> QuerySet[ScorecardTemplate]:
        return scorecard_template_list(user=self.request.user)

    @extend_schema(
        request=ScorecardTemplateInputSerializer, responses={201: ScorecardTemplateOutputSerializer}
    )
    def post(self, request: Request) -> Response:
        data = ScorecardTemplateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        kpis = {k.code: k for k in Kpi.objects.filter(code__in=[i["kpi"] for i in values["items"]])}
        unknown = sorted({i["kpi"] for i in values["items"]} - set(kpis))
        if unknown:
            raise ValidationError(
                {"items": [_("Unknown KPIs: %(codes)s") % {"codes": ", ".join(unknown)}]}
            )
        target_plan = None
        if values.get("target_plan") is not None:
            target_plan = plan_list(user=request.user).filter(pk=values["target_plan"]).first()
            if target_plan is None:
                raise ValidationError({"target_plan": [_("No such target plan.")]})
        if ScorecardTemplate.objects.filter(name=values["name"].strip()).exists():
            raise ValidationError({"name": [_("A template with this name exists.")]})
        template = scorecard_template_create(
            name=values["name"],
            year=values["year"],
            period=values["period"],
            peer_group=values["peer_group"],
            target_plan=target_plan,
            items=[{**item, "kpi": kpis[item["kpi"]]} for item in values["items"]],
            actor=request.user,
        )
        return Response(ScorecardTemplateOutputSerializer(template).data, status=201)


class KpiValuesImportApi(APIView):
    """Upload imported metric values (CSV/XLSX): 200 when stored, 400 with the row errors."""

    permission_classes = [IsAdmin]
    parser_classes = [MultiPartParser]

    @extend_schema(request=KpiValuesImportInputSerializer, responses={200: dict})
    def post(self, request: Request) -> Response:
        data = KpiValuesImportInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        upload = data.validated_data["file"]
        result = kpi_values_import(data=upload.read(), name=upload.name, actor=request.user)
        body = {
            "rows_total": result.rows_total,
            "rows_imported": result.rows_imported,
            "rows_rejected": len({e["row"] for e in result.errors}),
            "errors": result.errors,
        }
        return Response(body, status=400 if result.errors else 200)
