"""Plans API: the plan sheet export and day-level targets (uploads: ``views.uploads``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpResponse, HttpResponseBase, StreamingHttpResponse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from allocation.access import HasRole
from allocation.api.filters import MonthFormField
from allocation.api.plans.serializers.common import money
from allocation.api.plans.serializers.targets import (
    DayExportInputSerializer,
    DayInputSerializer,
    DayTargetsOutputSerializer,
    ExportInputSerializer,
)
from allocation.api.plans.views.common import ERRORS, scoped_plan
from allocation.models import Plan
from allocation.selectors import plan_day_target_list, plan_structure_get
from allocation.services import plan_sheet_csv, plan_sheet_xlsx
from salesalloc.core.export import CSV_CONTENT_TYPE, XLSX_CONTENT_TYPE, csv_rows, xlsx_bytes
from salesalloc.core.money import from_cents

# --- files ------------------------------------------------------------------------------------


class _FileNegotiation(DefaultContentNegotiation):
    """``?format=`` names the download's file type here, not a DRF renderer; errors are JSON."""

    def select_renderer(
        self, request: Request, renderers: Iterable[BaseRenderer], format_suffix: str | None = None
    ) -> tuple[BaseRenderer, str]:
        renderer = next(iter(renderers))
        return renderer, renderer.media_type


FILE_RESPONSES = {
    (200, XLSX_CONTENT_TYPE): OpenApiTypes.BINARY,
    (200, CSV_CONTENT_TYPE): OpenApiTypes.BINARY,
}


def _download(fmt: str, filename: str, body: Any) -> HttpResponseBase:
    if fmt == "xlsx":
        response: HttpResponseBase = HttpResponse(body, content_type=XLSX_CONTENT_TYPE)
    else:
        response = StreamingHttpResponse(body, content_type=CSV_CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{filename}.{fmt}"'
    return response


class PlanExportApi(APIView):
    """GET: your part of the plan as XLSX (default; a ``SUM`` total, locked cells shaded, an
    About sheet for the upload) or CSV: one row per salesperson x product line, 12 months."""

    permission_classes = [HasRole]
    renderer_classes = [JSONRenderer]
    content_negotiation_class = _FileNegotiation

    @extend_schema(parameters=[ExportInputSerializer], responses=FILE_RESPONSES)
    def get(self, request: Request, pk: int) -> HttpResponseBase:
        plan = scoped_plan(request, pk)
        params = ExportInputSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        fmt = params.validated_data["format"]
        name = f"plan-{plan.pk}-v{plan.version}-fy{plan.fiscal_year}"
        if plan.measure != Plan.Measure.REVENUE:
            name += f"-{plan.measure.replace('_', '-')}"
        if fmt == "xlsx":
            return _download(fmt, name, plan_sheet_xlsx(plan=plan, user=request.user))
        return _download(fmt, name, plan_sheet_csv(plan=plan, user=request.user))


def _month_param(value: str) -> dt.date:
    try:
        month = MonthFormField().clean(value)
    except ValidationError as error:
        raise ValidationError({"month": error.messages}) from None
    if month is None:
        raise ValidationError({"month": _("This field is required.")})
    return month


def _day_rows(request: Request, plan: Plan, data: dict[str, Any]) -> list[Any]:
    month = _month_param(data["month"])
    if plan_structure_get(plan=plan, with_constraints=False).fiscal.month_index(month) is None:
        raise ValidationError({"month": _("The month is outside the plan's fiscal year.")})
    return plan_day_target_list(
        user=request.user,
        plan=plan,
        month=month,
        salesperson=data.get("salesperson"),
        product_line=data.get("product_line"),
    )


class PlanDayListApi(APIView):
    """GET: day-level targets — each visible salesperson's month target (optionally one
    product line) split exactly over the month's working days (the plan's calendar)."""

    permission_classes = [HasRole]

    @extend_schema(
        parameters=[DayInputSerializer],
        responses={200: DayTargetsOutputSerializer(many=True), **ERRORS},
    )
    def get(self, request: Request, pk: int) -> Response:
        plan = scoped_plan(request, pk)
        params = DayInputSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        rows = _day_rows(request, plan, params.validated_data)
        return Response(
            [
                {
                    "salesperson": row.salesperson.code,
                    "salesperson_name": row.salesperson.name,
                    "month": f"{row.month:%Y-%m}",
                    "product_line": row.product_line.code if row.product_line else None,
                    "amount": money(row.amount_cents),
                    "days": [{"date": day, "amount": money(c)} for day, c in row.days],
                }
                for row in rows
            ]
        )


class PlanDayExportApi(APIView):
    """GET: the day-level targets of a month as CSV or XLSX (salesperson x working day)."""

    permission_classes = [HasRole]
    renderer_classes = [JSONRenderer]
    content_negotiation_class = _FileNegotiation

    @extend_schema(parameters=[DayExportInputSerializer], responses=FILE_RESPONSES)
    def get(self, request: Request, pk: int) -> HttpResponseBase:
        plan = scoped_plan(request, pk)
        params = DayExportInputSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        rows = _day_rows(request, plan, params.validated_data)
        header = [_("Salesperson"), _("Name"), _("Product line"), _("Date"), _("Target")]
        body = [
            [
                row.salesperson.code,
                row.salesperson.name,
                row.product_line.code if row.product_line else "",
                day,
                from_cents(c),
            ]
            for row in rows
            for day, c in row.days
        ]
        fmt = params.validated_data["format"]
        name = f"plan-{plan.pk}-days-{params.validated_data['month']}"
        if fmt == "xlsx":
            return _download(fmt, name, xlsx_bytes(header, body, sheet="Days"))
        return _download(fmt, name, csv_rows(header, body))
