"""Read-only API over the plan grid's dimensions and actuals.

Every queryset comes from a scoped selector in ``allocation.selectors``; an object outside the
viewer's scope is simply not in it, so its detail URL answers 404 like a missing one.
"""

from __future__ import annotations

from django.db.models import QuerySet
from django_filters.rest_framework import DjangoFilterBackend
from django_filters.utils import translate_validation
from drf_spectacular.utils import extend_schema
from rest_framework.generics import GenericAPIView, ListAPIView, RetrieveAPIView
from rest_framework.request import Request
from rest_framework.response import Response

from allocation.access import HasRole
from allocation.api.filters import (
    ActualFilterSet,
    OrgUnitFilterSet,
    ProductLineFilterSet,
    SalespersonFilterSet,
)
from allocation.api.serializers import (
    ActualOutputSerializer,
    ActualTotalInputSerializer,
    ActualTotalOutputSerializer,
    OrgUnitOutputSerializer,
    ProductLineOutputSerializer,
    SalespersonOutputSerializer,
)
from allocation.models import ActualCell, OrgUnit, ProductLine, Salesperson
from allocation.selectors import (
    actual_cell_list,
    actual_total_list,
    org_unit_list,
    product_line_list,
    salesperson_list,
)


class _ScopedReadApi(GenericAPIView):
    permission_classes = [HasRole]
    filter_backends = [DjangoFilterBackend]


class OrgUnitListApi(_ScopedReadApi, ListAPIView):
    """Org units the viewer may see, in tree order."""

    serializer_class = OrgUnitOutputSerializer
    filterset_class = OrgUnitFilterSet

    def get_queryset(self) -> QuerySet[OrgUnit]:
        return org_unit_list(user=self.request.user).order_by("path")


class OrgUnitDetailApi(_ScopedReadApi, RetrieveAPIView):
    serializer_class = OrgUnitOutputSerializer
    filter_backends = []

    def get_queryset(self) -> QuerySet[OrgUnit]:
        return org_unit_list(user=self.request.user)


class SalespersonListApi(_ScopedReadApi, ListAPIView):
    """Salespeople the viewer may see, by code."""

    serializer_class = SalespersonOutputSerializer
    filterset_class = SalespersonFilterSet

    def get_queryset(self) -> QuerySet[Salesperson]:
        return salesperson_list(user=self.request.user).order_by("code")


class SalespersonDetailApi(_ScopedReadApi, RetrieveAPIView):
    serializer_class = SalespersonOutputSerializer
    filter_backends = []

    def get_queryset(self) -> QuerySet[Salesperson]:
        return salesperson_list(user=self.request.user)


class ProductLineListApi(_ScopedReadApi, ListAPIView):
    """Product lines (shared reference data), in tree order."""

    serializer_class = ProductLineOutputSerializer
    filterset_class = ProductLineFilterSet

    def get_queryset(self) -> QuerySet[ProductLine]:
        return product_line_list(user=self.request.user).order_by("path")


class ProductLineDetailApi(_ScopedReadApi, RetrieveAPIView):
    serializer_class = ProductLineOutputSerializer
    filter_backends = []

    def get_queryset(self) -> QuerySet[ProductLine]:
        return product_line_list(user=self.request.user)


class ActualListApi(_ScopedReadApi, ListAPIView):
    """Actuals at plan-grid grain (salesperson x product line x month).

    Ordered by month, salesperson code, product line code. Unknown codes, codes outside your
    scope and malformed months or years are a 400 naming the field.
    """

    serializer_class = ActualOutputSerializer
    filterset_class = ActualFilterSet

    def get_queryset(self) -> QuerySet[ActualCell]:
        return (
            actual_cell_list(user=self.request.user)
            .select_related("salesperson__org_unit")
            .order_by("month", "salesperson__code", "product_line__code")
        )


class ActualTotalListApi(_ScopedReadApi):
    """Actual totals grouped by month, year, salesperson, product line or org unit.

    Takes the same filters as the actuals list. Tree groupings roll up to one level; see
    ``level``. Not paginated: one row per group.
    """

    serializer_class = ActualTotalOutputSerializer
    filterset_class = ActualFilterSet
    pagination_class = None

    def get_queryset(self) -> QuerySet[ActualCell]:
        return actual_cell_list(user=self.request.user)

    @extend_schema(
        parameters=[ActualTotalInputSerializer],
        responses=ActualTotalOutputSerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        params = ActualTotalInputSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        filterset = DjangoFilterBackend().get_filterset(request, self.get_queryset(), self)
        if not filterset.is_valid():
            raise translate_validation(filterset.errors)
        totals = actual_total_list(
            user=request.user,
            group_by=params.validated_data["group_by"],
            level=params.validated_data.get("level"),
            cells=filterset.qs,
            org_unit=filterset.form.cleaned_data.get("org_unit"),
            product_line=filterset.form.cleaned_data.get("product_line"),
        )
        return Response(ActualTotalOutputSerializer(totals, many=True).data)
