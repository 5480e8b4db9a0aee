"""API of the credit rules and the import template.

Credit rules: managers and admins; a manager sees and changes only rules all of whose
salespeople are in their subtrees (others answer 404, like missing ones), and may name only
those salespeople (another code is a 400 on ``shares``, like an unknown one). Salespeople get
403.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import HttpResponse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.generics import GenericAPIView, ListAPIView
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from allocation.access import IsManagerOrAdmin
from allocation.selectors import managed_salesperson_list
from customers.api.serializers import (
    CreditRuleInputSerializer,
    CreditRuleOutputSerializer,
    TemplateInputSerializer,
)
from customers.api.views import ExportNegotiation
from customers.credit.models import CreditRule
from customers.credit.selectors import credit_rule_list
from customers.credit.services import credit_rule_create, credit_rule_delete, credit_rule_update
from customers.selectors import import_template
from salesalloc.core.export import CSV_CONTENT_TYPE, XLSX_CONTENT_TYPE
from salesalloc.core.users import acting_user


def _rule_fields(request: Request) -> dict[str, Any]:
    """The validated input of a rule, its salesperson codes resolved among those the viewer
    may assign."""
    data = CreditRuleInputSerializer(data=request.data)
    data.is_valid(raise_exception=True)
    codes = [share["salesperson"] for share in data.validated_data["shares"]]
    people = {p.code: p for p in managed_salesperson_list(user=request.user).filter(code__in=codes)}
    missing = [code for code in codes if code not in people]
    if missing:
        message = _("No salesperson with code “%(code)s” that you may assign.")
        raise serializers.ValidationError({"shares": [message % {"code": missing[0]}]})
    return {
        "attribute": data.validated_data["attribute"],
        "value": data.validated_data["value"],
        "description": data.validated_data.get("description", ""),
        "parties": [
            (people[share["salesperson"]], share.get("share"))
            for share in data.validated_data["shares"]
        ],
    }


class CreditRuleListCreateApi(ListAPIView):
    """GET: credit rules (managers: those of their subtrees). POST: add one."""

    permission_classes = [IsManagerOrAdmin]
    serializer_class = CreditRuleOutputSerializer
    filter_backends = []

    def get_queryset(self) -> QuerySet[CreditRule]:
        return credit_rule_list(user=self.request.user).order_by("attribute", "value")

    @extend_schema(request=CreditRuleInputSerializer, responses={201: CreditRuleOutputSerializer})
    def post(self, request: Request) -> Response:
        rule = credit_rule_create(**_rule_fields(request), actor=acting_user(request.user))
        rule = self.get_queryset().get(pk=rule.pk)
        return Response(CreditRuleOutputSerializer(rule).data, status=201)


class CreditRuleDetailApi(GenericAPIView):
    """GET one credit rule; PUT replaces it and DELETE removes it."""

    permission_classes = [IsManagerOrAdmin]
    serializer_class = CreditRuleOutputSerializer

    def get_queryset(self) -> QuerySet[CreditRule]:
        return credit_rule_list(user=self.request.user)

    def get(self, request: Request, pk: int) -> Response:
        return Response(CreditRuleOutputSerializer(self.get_object()).data)

    @extend_schema(request=CreditRuleInputSerializer, responses=CreditRuleOutputSerializer)
    def put(self, request: Request, pk: int) -> Response:
        rule = self.get_object()
        rule = credit_rule_update(
            rule=rule, **_rule_fields(request), actor=acting_user(request.user)
        )
        return Response(CreditRuleOutputSerializer(self.get_queryset().get(pk=rule.pk)).data)

    @extend_schema(responses={204: OpenApiResponse(description="Deleted.")})
    def delete(self, request: Request, pk: int) -> Response:
        credit_rule_delete(rule=self.get_object(), actor=acting_user(request.user))
        return Response(status=204)


class ImportTemplateApi(GenericAPIView):
    """The import template: the order file's headers in the request's language, an example
    row, and (XLSX) a sheet of notes on every column. Managers and admins."""

    permission_classes = [IsManagerOrAdmin]
    serializer_class = TemplateInputSerializer
    pagination_class = None
    filter_backends = []
    renderer_classes = [JSONRenderer]
    # ``?format=`` names the file type here, not a renderer (as the exports do).
    content_negotiation_class = ExportNegotiation

    @extend_schema(
        parameters=[TemplateInputSerializer],
        responses={
            (200, CSV_CONTENT_TYPE): OpenApiTypes.BINARY,
            (200, XLSX_CONTENT_TYPE): OpenApiTypes.BINARY,
        },
    )
    def get(self, request: Request) -> HttpResponse:
        params = TemplateInputSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        fmt = params.validated_data["format"]
        response = HttpResponse(
            import_template(user=request.user, fmt=fmt),
            content_type=XLSX_CONTENT_TYPE if fmt == "xlsx" else CSV_CONTENT_TYPE,
        )
        response["Content-Disposition"] = f'attachment; filename="order-import-template.{fmt}"'
        return response
