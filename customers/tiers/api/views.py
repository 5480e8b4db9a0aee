"""The tiers API (DESIGN §7): start and read runs, a run's customer rows, migration matrices.

Runs are visible to every role; a run's rows are scoped like customers (a manager: the
customers their subtree sold to; a salesperson: their own). Only admins start runs.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.generics import GenericAPIView, ListAPIView, RetrieveAPIView
from rest_framework.request import Request
from rest_framework.response import Response

from allocation.access import HasRole, IsAdmin
from customers.tiers.api.filters import CustomerTierFilterSet
from customers.tiers.api.serializers import (
    CustomerTierOutputSerializer,
    MigrationInputSerializer,
    MigrationRowOutputSerializer,
    TierRunCreateInputSerializer,
    TierRunOutputSerializer,
)
from customers.tiers.models import CustomerTier, TierRun
from customers.tiers.selectors import (
    customer_tier_list,
    decimal_from_units,
    tier_migration_frame,
    tier_run_list,
)
from customers.tiers.services import tier_run_create


class TierRunListCreateApi(ListAPIView):
    """GET: tier runs, newest ``as_of`` first. POST: start a run (admins) -> 202."""

    serializer_class = TierRunOutputSerializer
    filter_backends = []

    def get_permissions(self) -> list[Any]:
        return [IsAdmin()] if self.request.method == "POST" else [HasRole()]

    def get_queryset(self) -> QuerySet[TierRun]:
        return tier_run_list(user=self.request.user)

    @extend_schema(request=TierRunCreateInputSerializer, responses={202: TierRunOutputSerializer})
    def post(self, request: Request) -> Response:
        data = TierRunCreateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        run = tier_run_create(**data.validated_data, actor=request.user)
        # Embedded (eager) runs may already be done: answer with the current state.
        run.refresh_from_db()
        return Response(TierRunOutputSerializer(run).data, status=202)


class TierRunDetailApi(RetrieveAPIView):
    """One tier run: status, as_of, number of customers, parameters."""

    permission_classes = [HasRole]
    serializer_class = TierRunOutputSerializer

    def get_queryset(self) -> QuerySet[TierRun]:
        return tier_run_list(user=self.request.user)


class TierRunCustomerListApi(ListAPIView):
    """A run's rows for the customers you may see, by customer code."""

    permission_classes = [HasRole]
    serializer_class = CustomerTierOutputSerializer
    filterset_class = CustomerTierFilterSet

    def get_queryset(self) -> QuerySet[CustomerTier]:
        if getattr(self, "swagger_fake_view", False):  # schema generation
            return CustomerTier.objects.none()
        run = get_object_or_404(tier_run_list(user=self.request.user), pk=self.kwargs["pk"])
        return (
            customer_tier_list(user=self.request.user, run=run)
            .select_related("customer")
            .order_by("customer__code")
        )


class TierMigrationApi(GenericAPIView):
    """Customers and net amount moving between two runs, by ABC class, segment or tier.

    ``monetary`` is the cell's customers' net amount in the later run (``to``); a customer
    present in one run only has ``null`` on the other side.
    """

    permission_classes = [HasRole]
    serializer_class = MigrationRowOutputSerializer
    filter_backends = []

    @extend_schema(
        parameters=[
            OpenApiParameter("from", int, required=True, description="The earlier run's id."),
            OpenApiParameter("to", int, required=True, description="The later run's id."),
            OpenApiParameter("by", str, enum=["abc", "segment", "tier"], default="abc"),
        ],
        responses=MigrationRowOutputSerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        params = MigrationInputSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        runs = tier_run_list(user=request.user)
        found: dict[str, TierRun] = {}
        for name in ("from", "to"):
            run = runs.filter(pk=params.validated_data[name]).first()
            if run is None:
                message = _("No tier run with id %(id)s.") % {"id": params.validated_data[name]}
                raise serializers.ValidationError({name: [message]})
            if run.status != TierRun.Status.SUCCEEDED:
                raise serializers.ValidationError({name: [_("That run has not finished.")]})
            found[name] = run
        cells = tier_migration_frame(
            user=request.user,
            from_run=found["from"],
            to_run=found["to"],
            by=params.validated_data["by"],
        )
        rows = [
            {
                "from": row["from"],
                "to": row["to"],
                "customers": int(row["customers"]),
                "monetary": decimal_from_units(int(row["monetary_units"])),
            }
            for row in cells.to_dict("records")
        ]
        page = self.paginate_queryset(rows)
        data = MigrationRowOutputSerializer(page, many=True).data
        return self.get_paginated_response(data)
