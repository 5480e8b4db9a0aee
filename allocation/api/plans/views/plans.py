"""Plans API: list, create, read and update plans; method configuration and inputs."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, cast

from django.db.models import QuerySet
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema
from rest_framework.generics import ListAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from allocation.access import HasRole, IsAdmin, IsManagerOrAdmin
from allocation.api.plans.filters import PlanFilterSet
from allocation.api.plans.serializers.plans import (
    MeasurePlanCreateInputSerializer,
    MethodConfigInputSerializer,
    MethodInputsInputSerializer,
    PlanCreateInputSerializer,
    PlanDetailOutputSerializer,
    PlanOutputSerializer,
    PlanUpdateInputSerializer,
    ProductLineTotalsInputSerializer,
)
from allocation.api.plans.views.common import (
    ERRORS,
    code_objects,
    plan_detail_response,
    plan_list_context,
    scoped_plan,
)
from allocation.models import OrgUnit, Plan, ProductLine, Salesperson
from allocation.selectors import method_input_list, plan_list
from allocation.services import (
    MethodInputData,
    measure_plan_create,
    plan_create,
    plan_method_config_update,
    plan_method_inputs_set,
    plan_product_line_totals_set,
    plan_update,
)
from salesalloc.core.users import acting_user

# --- plans ------------------------------------------------------------------------------------


class PlanListCreateApi(ListAPIView):
    """GET: plans you may open, newest fiscal year first. POST: create a draft (admins)."""

    serializer_class = PlanOutputSerializer
    filter_backends = [DjangoFilterBackend]
    filterset_class = PlanFilterSet

    def get_permissions(self) -> list[Any]:
        return [IsAdmin()] if self.request.method == "POST" else [HasRole()]

    def get_queryset(self) -> QuerySet[Plan]:
        return plan_list(user=self.request.user).order_by("-fiscal_year", "name", "-version", "pk")

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        queryset = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(queryset)
        plans = list(page if page is not None else queryset)
        context = {
            **self.get_serializer_context(),
            **plan_list_context(request, [p.pk for p in plans]),
        }
        data = PlanOutputSerializer(plans, many=True, context=context).data
        return self.get_paginated_response(data) if page is not None else Response(data)

    @extend_schema(
        request=PlanCreateInputSerializer,
        responses={201: PlanDetailOutputSerializer, **ERRORS},
    )
    def post(self, request: Request) -> Response:
        data = PlanCreateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        if "root_org_unit" in values:
            values["root_org_unit"] = code_objects(
                OrgUnit, [values["root_org_unit"]], "root_org_unit"
            )[0]
        if "product_lines" in values:
            values["product_lines"] = code_objects(
                ProductLine, values["product_lines"], "product_lines"
            )
        plan = plan_create(actor=acting_user(request.user), **values)
        return plan_detail_response(request, plan, status=201)


class PlanMeasureCreateApi(APIView):
    """POST (admins): add a measure plan (quantity, gross margin, new-customer revenue) to a
    draft revenue plan; it is allocated, edited and exported like any plan and moves through
    the lifecycle with its revenue plan."""

    permission_classes = [IsAdmin]

    @extend_schema(
        request=MeasurePlanCreateInputSerializer,
        responses={201: PlanDetailOutputSerializer, **ERRORS},
    )
    def post(self, request: Request, pk: int) -> Response:
        plan = scoped_plan(request, pk)
        data = MeasurePlanCreateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        child = measure_plan_create(
            plan=plan, actor=acting_user(request.user), **data.validated_data
        )
        return plan_detail_response(request, child, status=201)


class PlanDetailApi(APIView):
    """GET: one plan with its methods, transitions and your possible actions. PATCH: change a
    draft's settings (admins)."""

    def get_permissions(self) -> list[Any]:
        return [IsAdmin()] if self.request.method == "PATCH" else [HasRole()]

    @extend_schema(responses={200: PlanDetailOutputSerializer, **ERRORS})
    def get(self, request: Request, pk: int) -> Response:
        return plan_detail_response(request, scoped_plan(request, pk))

    @extend_schema(
        request=PlanUpdateInputSerializer,
        responses={200: PlanDetailOutputSerializer, **ERRORS},
    )
    def patch(self, request: Request, pk: int) -> Response:
        plan = scoped_plan(request, pk)
        data = PlanUpdateInputSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        values.pop("reason", None)
        if "root_org_unit" in values:
            values["root_org_unit"] = code_objects(
                OrgUnit, [values["root_org_unit"]], "root_org_unit"
            )[0]
        if "product_lines" in values:
            values["product_lines"] = code_objects(
                ProductLine, values["product_lines"], "product_lines"
            )
        plan = plan_update(
            plan=plan,
            actor=acting_user(request.user),
            reason=data.validated_data.get("reason", ""),
            **values,
        )
        return plan_detail_response(request, plan)


class PlanMethodConfigApi(APIView):
    """PUT: replace a draft's allocation methods (validated; defaults filled in)."""

    permission_classes = [IsAdmin]

    @extend_schema(
        request=MethodConfigInputSerializer,
        responses={200: PlanDetailOutputSerializer, **ERRORS},
    )
    def put(self, request: Request, pk: int) -> Response:
        plan = scoped_plan(request, pk)
        data = MethodConfigInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        config = cast("dict[str, Any]", request.data)  # the serializer accepted a mapping
        plan = plan_method_config_update(plan=plan, config=config, actor=acting_user(request.user))
        return plan_detail_response(request, plan)


class PlanMethodInputsApi(APIView):
    """GET (managers, admins) / PUT (admins): per-node method inputs — manual %, growth rate,
    potential index, FTE override. A manager reads the inputs of their subtree (and the
    plan-wide product-line inputs). PUT replaces them all."""

    def get_permissions(self) -> list[Any]:
        return [IsAdmin()] if self.request.method == "PUT" else [IsManagerOrAdmin()]

    @staticmethod
    def _data(request: Request, plan: Plan) -> dict[str, Any]:
        rows = method_input_list(user=request.user, plan=plan)
        return {
            "inputs": [
                {
                    "org_unit": r.org_unit.code if r.org_unit else None,
                    "salesperson": r.salesperson.code if r.salesperson else None,
                    "product_line": r.product_line.code if r.product_line else None,
                    "manual_percent": _dec(r.manual_percent),
                    "growth_rate": _dec(r.growth_rate),
                    "potential_index": _dec(r.potential_index),
                    "fte_override": _dec(r.fte_override),
                }
                for r in rows
            ]
        }

    @extend_schema(responses={200: MethodInputsInputSerializer, **ERRORS})
    def get(self, request: Request, pk: int) -> Response:
        return Response(self._data(request, scoped_plan(request, pk)))

    @extend_schema(
        request=MethodInputsInputSerializer,
        responses={200: MethodInputsInputSerializer, **ERRORS},
    )
    def put(self, request: Request, pk: int) -> Response:
        plan = scoped_plan(request, pk)
        data = MethodInputsInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        items = [_method_input(row) for row in data.validated_data["inputs"]]
        plan_method_inputs_set(plan=plan, inputs=items, actor=acting_user(request.user))
        return Response(self._data(request, plan))


def _one(model: Any, code: str | None, field: str) -> Any:
    return code_objects(model, [code], field)[0] if code else None


def _method_input(row: dict[str, Any]) -> MethodInputData:
    return MethodInputData(
        org_unit=_one(OrgUnit, row.get("org_unit"), "org_unit"),
        salesperson=_one(Salesperson, row.get("salesperson"), "salesperson"),
        product_line=_one(ProductLine, row.get("product_line"), "product_line"),
        manual_percent=row.get("manual_percent"),
        growth_rate=row.get("growth_rate"),
        potential_index=row.get("potential_index"),
        fte_override=row.get("fte_override"),
    )


def _dec(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


class PlanProductLineTotalsApi(APIView):
    """GET / PUT (admins): fixed product-line totals; with them the plan is split two-way
    (org x product line, both margins exact). PUT with an empty list releases them."""

    permission_classes = [IsAdmin]

    @staticmethod
    def _data(plan: Plan) -> dict[str, Any]:
        rows = plan.product_line_totals.select_related("product_line").order_by(
            "product_line__code"
        )
        return {
            "totals": [
                {"product_line": r.product_line.code, "amount": f"{r.amount:.2f}"} for r in rows
            ]
        }

    @extend_schema(responses={200: ProductLineTotalsInputSerializer, **ERRORS})
    def get(self, request: Request, pk: int) -> Response:
        return Response(self._data(scoped_plan(request, pk)))

    @extend_schema(
        request=ProductLineTotalsInputSerializer,
        responses={200: ProductLineTotalsInputSerializer, **ERRORS},
    )
    def put(self, request: Request, pk: int) -> Response:
        plan = scoped_plan(request, pk)
        data = ProductLineTotalsInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        rows = data.validated_data["totals"]
        lines = code_objects(ProductLine, [r["product_line"] for r in rows], "product_line")
        plan_product_line_totals_set(
            plan=plan,
            totals=[(line, r["amount"]) for line, r in zip(lines, rows, strict=True)],
            actor=acting_user(request.user),
        )
        return Response(self._data(plan))
