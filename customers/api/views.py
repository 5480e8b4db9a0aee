"""API over customers, order lines, order imports and the import settings.

Reads come from the scoped selectors in ``customers.selectors``: a row outside the viewer's
scope is not in the queryset, so its URL answers 404 exactly like a missing one. Writes go
through ``customers.services``, which check the actor again.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from django.db.models import QuerySet
from django.http import HttpResponseBase
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.generics import GenericAPIView, ListAPIView, RetrieveAPIView
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.parsers import MultiPartParser
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from allocation.access import HasRole, IsManagerOrAdmin, IsManagerOrAdminOrReadOnly
from allocation.models import Salesperson
from allocation.selectors import managed_salesperson_list, salesperson_list
from customers.api.filters import CustomerFilterSet, OrderLineFilterSet
from customers.api.permissions import can_view_personal_data
from customers.api.serializers import (
    ColumnMappingInputSerializer,
    ColumnMappingOutputSerializer,
    CustomerOutputSerializer,
    CustomerWithPersonalDataOutputSerializer,
    ExportInputSerializer,
    ImportJobCreateInputSerializer,
    ImportJobOutputSerializer,
    ImportJobSummaryOutputSerializer,
    OrderLineOutputSerializer,
    TerritoryRuleInputSerializer,
    TerritoryRuleOutputSerializer,
)
from customers.credit.selectors import CreditWindow, credit_window, line_rows
from customers.models import ColumnMapping, Customer, ImportJob, OrderLine, TerritoryRule
from customers.selectors import (
    ORDER_EXPORT_FILENAME,
    column_mapping_list,
    customer_list,
    import_job_list,
    order_line_export,
    order_line_list,
    territory_rule_list,
)
from customers.services import (
    column_mapping_create,
    column_mapping_delete,
    column_mapping_update,
    import_job_create,
    import_job_retry,
    territory_rule_create,
    territory_rule_delete,
    territory_rule_update,
)
from customers.sorting import ORDER_SORTS, order_sort_parse
from salesalloc.core.export import CSV_CONTENT_TYPE, XLSX_CONTENT_TYPE, export_response
from salesalloc.core.users import acting_user

EXPORT_ROWS_PER_FETCH = 2000
# An XLSX is built in memory (and Excel stops at 1,048,576 rows); bigger exports go as CSV.
XLSX_MAX_ROWS = 200_000


# --- exports --------------------------------------------------------------------------------


class ExportNegotiation(DefaultContentNegotiation):
    """``?format=`` names the download's file type here, not a DRF renderer; errors are JSON."""

    def select_renderer(
        self, request: Request, renderers: Iterable[BaseRenderer], format_suffix: str | None = None
    ) -> tuple[BaseRenderer, str]:
        renderer = next(iter(renderers))
        return renderer, renderer.media_type


class _ExportSchema(AutoSchema):
    """An export takes its list's filters, though it answers a file rather than a list."""

    def get_filter_backends(self) -> list[Any]:
        return getattr(self.view, "filter_backends", [])


EXPORT_SCHEMA: dict[str, Any] = {
    "parameters": [ExportInputSerializer],
    "responses": {
        (200, CSV_CONTENT_TYPE): OpenApiTypes.BINARY,
        (200, XLSX_CONTENT_TYPE): OpenApiTypes.BINARY,
    },
}


class _ExportApi(GenericAPIView):
    """A filtered, scoped list as a CSV (streamed) or XLSX download."""

    permission_classes = [HasRole]
    filter_backends = [DjangoFilterBackend]
    renderer_classes = [JSONRenderer]
    content_negotiation_class = ExportNegotiation
    pagination_class = None
    schema = _ExportSchema()
    filename = "export"

    def header_and_rows(self, queryset: QuerySet) -> tuple[list[str], Iterator[Sequence[Any]]]:
        raise NotImplementedError

    def get(self, request: Request) -> HttpResponseBase:
        params = ExportInputSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        fmt = params.validated_data["format"]
        queryset = self.filter_queryset(self.get_queryset())
        if fmt == "xlsx" and queryset.count() > XLSX_MAX_ROWS:
            message = _("More than %(limit)s rows: narrow the filters or download CSV instead.") % {
                "limit": f"{XLSX_MAX_ROWS:,}"
            }
            raise serializers.ValidationError({"format": [message]})
        header, rows = self.header_and_rows(queryset)
        return export_response(fmt, filename=self.filename, header=header, rows=rows)


# --- customers ------------------------------------------------------------------------------

CUSTOMER_COLUMNS = ["code", "name", "region", "state", "city", "country", "segment"]


class _CustomerReadMixin(GenericAPIView):
    permission_classes = [HasRole]
    filter_backends = [DjangoFilterBackend]
    filterset_class = CustomerFilterSet

    def get_queryset(self) -> QuerySet[Customer]:
        return customer_list(user=self.request.user).select_related("owner").order_by("code")

    def get_serializer_class(self) -> type[serializers.Serializer]:
        if can_view_personal_data(self.request.user):
            return CustomerWithPersonalDataOutputSerializer
        return CustomerOutputSerializer


class CustomerListApi(_CustomerReadMixin, ListAPIView):
    """Customers the viewer may see, by code.

    ``phone``, ``email`` and ``address`` are present only for users allowed to see personal
    data (``customers.view_personal_data``); without it the keys are absent.
    """

    @extend_schema(responses=CustomerWithPersonalDataOutputSerializer(many=True))
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)


class CustomerDetailApi(_CustomerReadMixin, RetrieveAPIView):
    """One customer; personal data only with permission."""

    filter_backends = []

    @extend_schema(responses=CustomerWithPersonalDataOutputSerializer)
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)


class CustomerExportApi(_ExportApi, _CustomerReadMixin):
    """The customer list as a download; personal data only with permission."""

    filename = "customers"

    def header_and_rows(
        self, queryset: QuerySet[Customer]
    ) -> tuple[list[str], Iterator[Sequence[Any]]]:
        columns = list(CUSTOMER_COLUMNS)
        if can_view_personal_data(self.request.user):
            columns += list(Customer.PERSONAL_FIELDS)
        rows = queryset.values_list(*columns, "owner__code").iterator(EXPORT_ROWS_PER_FETCH)
        return [*columns, "owner"], rows

    @extend_schema(operation_id="customers_export", **EXPORT_SCHEMA)
    def get(self, request: Request) -> HttpResponseBase:
        return super().get(request)


# --- order lines ----------------------------------------------------------------------------


class _OrderLineReadMixin(GenericAPIView):
    permission_classes = [HasRole]
    serializer_class = OrderLineOutputSerializer
    filter_backends = [DjangoFilterBackend]
    filterset_class = OrderLineFilterSet

    def get_queryset(self) -> QuerySet[OrderLine]:
        return (
            order_line_list(user=self.request.user)
            .select_related("order", "customer", "salesperson", "product_line", "product")
            .order_by(*order_sort_parse(None).ordering)
        )

    def window(self) -> CreditWindow:
        """The viewer's window on split lines, narrowed by a ``salesperson`` filter."""
        code = self.request.query_params.get("salesperson")
        chosen = (
            salesperson_list(user=self.request.user).filter(code=code).first() if code else None
        )
        return credit_window(user=self.request.user, salesperson_id=chosen.pk if chosen else None)

    def shown_serializer(self, lines: list[OrderLine], *, many: bool) -> OrderLineOutputSerializer:
        shown = {line.pk: view for line, view in line_rows(window=self.window(), lines=lines)}
        data = lines if many else lines[0]
        return OrderLineOutputSerializer(data, many=many, context={"shown": shown})


class OrderLineListApi(_OrderLineReadMixin, ListAPIView):
    """Order lines the viewer may see, newest first, or as ``ordering`` asks (a key of
    ``date, order, line, customer, salesperson, product_line, sku, quantity, amount``, ``-``
    first for descending; ties by order and line). A line split between salespeople lists
    them in ``credits``; one shared with salespeople outside the viewer's part of the
    company shows the viewer's part (see ``share``)."""

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "ordering",
                str,
                required=False,
                description=_("Sort key, e.g. amount or -date (newest first, the default)."),
                enum=[*ORDER_SORTS, *(f"-{key}" for key in ORDER_SORTS)],
            )
        ]
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        sort = order_sort_parse(request.query_params.get("ordering"))
        if sort.invalid:
            message = _("Unknown sort “%(key)s”; sort by one of: %(keys)s.") % {
                "key": sort.invalid,
                "keys": ", ".join(ORDER_SORTS),
            }
            raise serializers.ValidationError({"ordering": [message]})
        lines = self.filter_queryset(self.get_queryset()).order_by(*sort.ordering)
        page = self.paginate_queryset(lines)
        assert page is not None  # noqa: S101 - the API always paginates lists
        return self.get_paginated_response(self.shown_serializer(list(page), many=True).data)


class OrderLineDetailApi(_OrderLineReadMixin, RetrieveAPIView):
    """One order line (a split line as the viewer sees it)."""

    filter_backends = []

    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return Response(self.shown_serializer([self.get_object()], many=False).data)


class OrderLineExportApi(_ExportApi, _OrderLineReadMixin):
    """The order-line list as a download (same filters and scope, same file as the page's)."""

    filename = ORDER_EXPORT_FILENAME

    def header_and_rows(
        self, queryset: QuerySet[OrderLine]
    ) -> tuple[list[str], Iterator[Sequence[Any]]]:
        return order_line_export(lines=queryset, window=self.window())

    @extend_schema(operation_id="orders_export", **EXPORT_SCHEMA)
    def get(self, request: Request) -> HttpResponseBase:
        return super().get(request)


# --- imports --------------------------------------------------------------------------------


class ImportJobListCreateApi(ListAPIView):
    """GET lists your imports (admins: all); POST uploads an order file (managers, admins)."""

    permission_classes = [IsManagerOrAdminOrReadOnly]
    serializer_class = ImportJobSummaryOutputSerializer
    filter_backends = []
    parser_classes = [MultiPartParser]

    def get_queryset(self) -> QuerySet[ImportJob]:
        return (
            import_job_list(user=self.request.user)
            .select_related("mapping", "created_by")
            .defer("errors", "notices", "warnings", "affected_cells")
            .order_by("-created_at", "-id")
        )

    @extend_schema(
        description=(
            "Your imports, newest first (admins see everyone's). Row errors are left out; "
            "read them from `/imports/{id}/`."
        )
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    @extend_schema(
        description=(
            "Upload an order file (CSV or XLSX) as multipart `file`. Answers 202 with the "
            "queued job; poll `/imports/{id}/` for progress and row errors."
        ),
        request=ImportJobCreateInputSerializer,
        responses={202: ImportJobOutputSerializer},
    )
    def post(self, request: Request) -> Response:
        data = ImportJobCreateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        mapping = None
        if mapping_name := data.validated_data.get("mapping"):
            mapping = column_mapping_list(user=request.user).filter(name=mapping_name).first()
            if mapping is None:
                message = _("No saved column mapping named “%(name)s”.")
                raise serializers.ValidationError({"mapping": [message % {"name": mapping_name}]})
        upload = data.validated_data["file"]
        job = import_job_create(
            file=upload,
            original_name=upload.name,
            mode=data.validated_data["mode"],
            mapping=mapping,
            actor=acting_user(request.user),
        )
        # The job may already have moved on (inline runs); answer with its current state.
        job = _import_job_detail_queryset(request).get(pk=job.pk)
        return Response(ImportJobOutputSerializer(job).data, status=202)


def _import_job_detail_queryset(request: Request) -> QuerySet[ImportJob]:
    return (
        import_job_list(user=request.user)
        .select_related("mapping", "created_by")
        .defer("affected_cells")
    )


class ImportJobDetailApi(RetrieveAPIView):
    """One import with its progress and row errors."""

    permission_classes = [HasRole]
    serializer_class = ImportJobOutputSerializer

    def get_queryset(self) -> QuerySet[ImportJob]:
        return _import_job_detail_queryset(self.request)


class ImportJobRetryApi(GenericAPIView):
    """Run a failed import again (admins and the uploader)."""

    permission_classes = [HasRole]
    serializer_class = ImportJobOutputSerializer

    def get_queryset(self) -> QuerySet[ImportJob]:
        return _import_job_detail_queryset(self.request)

    @extend_schema(
        request=None,
        description=(
            "Run a failed import again from its stored file (or, when only its recompute "
            "failed, the recompute). Admins and the uploader; 409 when the import has not "
            "failed, 503 when the task queue cannot be reached (the job stays failed)."
        ),
        responses={
            202: ImportJobOutputSerializer,
            403: OpenApiResponse(description="Neither an admin nor the uploader."),
            409: OpenApiResponse(description="The import has not failed."),
            503: OpenApiResponse(description="The task queue cannot be reached."),
        },
    )
    def post(self, request: Request, pk: int) -> Response:
        job = import_job_retry(job=self.get_object(), actor=request.user)
        job = self.get_queryset().get(pk=job.pk)
        return Response(ImportJobOutputSerializer(job).data, status=202)


# --- column mappings ------------------------------------------------------------------------


class ColumnMappingListCreateApi(ListAPIView):
    """GET: saved column mappings. POST: save one. Managers and admins only."""

    permission_classes = [IsManagerOrAdmin]
    serializer_class = ColumnMappingOutputSerializer
    filter_backends = []

    def get_queryset(self) -> QuerySet[ColumnMapping]:
        return column_mapping_list(user=self.request.user).order_by("name")

    @extend_schema(
        request=ColumnMappingInputSerializer, responses={201: ColumnMappingOutputSerializer}
    )
    def post(self, request: Request) -> Response:
        data = ColumnMappingInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        mapping = column_mapping_create(**data.validated_data, actor=acting_user(request.user))
        return Response(ColumnMappingOutputSerializer(mapping).data, status=201)


class ColumnMappingDetailApi(GenericAPIView):
    """GET one mapping; PUT replaces it and DELETE removes it. Managers and admins only."""

    permission_classes = [IsManagerOrAdmin]
    serializer_class = ColumnMappingOutputSerializer

    def get_queryset(self) -> QuerySet[ColumnMapping]:
        return column_mapping_list(user=self.request.user)

    def get(self, request: Request, pk: int) -> Response:
        return Response(ColumnMappingOutputSerializer(self.get_object()).data)

    @extend_schema(request=ColumnMappingInputSerializer, responses=ColumnMappingOutputSerializer)
    def put(self, request: Request, pk: int) -> Response:
        mapping = self.get_object()
        data = ColumnMappingInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        mapping = column_mapping_update(
            mapping=mapping, **data.validated_data, actor=acting_user(request.user)
        )
        return Response(ColumnMappingOutputSerializer(mapping).data)

    @extend_schema(responses={204: OpenApiResponse(description="Deleted.")})
    def delete(self, request: Request, pk: int) -> Response:
        column_mapping_delete(mapping=self.get_object(), actor=acting_user(request.user))
        return Response(status=204)


# --- territory rules ------------------------------------------------------------------------


def _assignable(request: Request, code: str, field: str = "salesperson") -> Salesperson:
    """The salesperson with ``code`` whom the viewer may assign; else a 400 on ``field``,
    the same for an unknown code and one outside the viewer's part of the company."""
    salesperson = managed_salesperson_list(user=request.user).filter(code=code).first()
    if salesperson is None:
        message = _("No salesperson with code “%(code)s” that you may assign.")
        raise serializers.ValidationError({field: [message % {"code": code}]})
    return salesperson


class TerritoryRuleListCreateApi(ListAPIView):
    """GET: territory rules of salespeople you can see. POST: add one.

    Admins may assign anyone; managers only salespeople in their subtree. A salesperson code
    outside what you may assign is a 400 on ``salesperson``, like an unknown code.
    """

    permission_classes = [IsManagerOrAdminOrReadOnly]
    serializer_class = TerritoryRuleOutputSerializer
    filter_backends = []

    def get_queryset(self) -> QuerySet[TerritoryRule]:
        return (
            territory_rule_list(user=self.request.user)
            .select_related("salesperson")
            .order_by("attribute", "value")
        )

    @extend_schema(
        request=TerritoryRuleInputSerializer, responses={201: TerritoryRuleOutputSerializer}
    )
    def post(self, request: Request) -> Response:
        data = TerritoryRuleInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        rule = territory_rule_create(
            attribute=data.validated_data["attribute"],
            value=data.validated_data["value"],
            salesperson=_assignable(request, data.validated_data["salesperson"]),
            actor=acting_user(request.user),
        )
        return Response(TerritoryRuleOutputSerializer(rule).data, status=201)


class TerritoryRuleDeleteApi(GenericAPIView):
    """GET one territory rule, PUT replaces it, DELETE removes it (admins; managers for
    salespeople in their subtree)."""

    permission_classes = [IsManagerOrAdminOrReadOnly]
    serializer_class = TerritoryRuleOutputSerializer

    def get_queryset(self) -> QuerySet[TerritoryRule]:
        return territory_rule_list(user=self.request.user).select_related("salesperson")

    def get(self, request: Request, pk: int) -> Response:
        return Response(TerritoryRuleOutputSerializer(self.get_object()).data)

    @extend_schema(request=TerritoryRuleInputSerializer, responses=TerritoryRuleOutputSerializer)
    def put(self, request: Request, pk: int) -> Response:
        rule = self.get_object()
        data = TerritoryRuleInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        rule = territory_rule_update(
            rule=rule,
            attribute=data.validated_data["attribute"],
            value=data.validated_data["value"],
            salesperson=_assignable(request, data.validated_data["salesperson"]),
            actor=acting_user(request.user),
        )
        return Response(TerritoryRuleOutputSerializer(rule).data)

    @extend_schema(responses={204: OpenApiResponse(description="Deleted.")})
    def delete(self, request: Request, pk: int) -> Response:
        rule = get_object_or_404(self.get_queryset(), pk=pk)
        territory_rule_delete(rule=rule, actor=acting_user(request.user))
        return Response(status=204)
