"""Commissions API: create plans, read scoped statements, approve and pay them."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework.exceptions import ValidationError
from rest_framework.generics import ListAPIView, RetrieveAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from allocation.access import HasRole, IsAdmin, IsManagerOrAdmin
from allocation.models import OrgUnit, Salesperson
from allocation.selectors import managed_salesperson_list, plan_list
from performance.commissions.api.serializers import (
    CommissionPlanInputSerializer,
    CommissionPlanOutputSerializer,
    CommissionStatementDetailOutputSerializer,
    CommissionStatementOutputSerializer,
)
from performance.commissions.models import CommissionPlan, CommissionStatement
from performance.commissions.selectors import commission_plan_list, commission_statement_list
from performance.commissions.services import (
    commission_plan_create,
    commission_statement_approve,
    commission_statement_pay,
    product_line_for_spif,
)
from performance.periods import parse_period


def _by_codes(model: type[Salesperson] | type[OrgUnit], codes: list[str], field: str) -> list[Any]:
    found = {obj.code: obj for obj in model.objects.filter(code__in=codes)}
    missing = sorted(set(codes) - set(found))
    if missing:
        raise ValidationError(
            {field: [_("Unknown codes: %(codes)s") % {"codes": ", ".join(missing)}]}
        )
    return [found[code] for code in codes]


class CommissionPlanListCreateApi(ListAPIView):
    """List commission plans; admins create one (201) and its draft statements are computed."""

    serializer_class = CommissionPlanOutputSerializer

    def get_permissions(self) -> list[Any]:
        return [IsAdmin()] if self.request.method == "POST" else [HasRole()]

    def get_queryset(self) -> QuerySet[CommissionPlan]:
        return commission_plan_list(user=self.request.user).prefetch_related("salespeople")

    @extend_schema(
        request=CommissionPlanInputSerializer, responses={201: CommissionPlanOutputSerializer}
    )
    def post(self, request: Request) -> Response:
        data = CommissionPlanInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        target_plan = plan_list(user=request.user).filter(pk=values["target_plan"]).first()
        if target_plan is None:
            raise ValidationError({"target_plan": [_("No such target plan.")]})
        if CommissionPlan.objects.filter(name=values["name"].strip()).exists():
            raise ValidationError({"name": [_("A commission plan with this name exists.")]})
        decelerator = values.get("decelerator")
        award = values.get("award")
        plan = commission_plan_create(
            name=values["name"],
            target_plan=target_plan,
            period=values["period"],
            mode=values["mode"],
            brackets=values["brackets"],
            cap=values.get("cap"),
            salespeople=_by_codes(Salesperson, values["salespeople"], "salespeople"),
            org_units=_by_codes(OrgUnit, values["org_units"], "org_units"),
            decelerator=None if not decelerator else (decelerator["from"], decelerator["rate"]),
            spifs=[
                {**spif, "product_line": product_line_for_spif(code=spif["product_line"])}
                for spif in values["spifs"]
            ],
            award_amount=award["amount"] if award else None,
            award_group=_by_codes(OrgUnit, [award["org_unit"]], "award")[0] if award else None,
            start_date=values.get("start_date"),
            end_date=values.get("end_date"),
            clawback=values["clawback"],
            actor=request.user,
        )
        return Response(CommissionPlanOutputSerializer(plan).data, status=201)


class CommissionStatementListApi(ListAPIView):
    """``GET /api/v1/commission-statements/?plan=&salesperson=&period=`` (scoped rows)."""

    permission_classes = [HasRole]
    serializer_class = CommissionStatementOutputSerializer

    def get_queryset(self) -> QuerySet[CommissionStatement]:
        rows = commission_statement_list(user=self.request.user)
        params = self.request.query_params
        plan = params.get("plan")
        if plan:
            if not plan.isdigit():
                raise ValidationError({"plan": [_("A plan id is a whole number.")]})
            rows = rows.filter(plan_id=int(plan))
        if params.get("salesperson"):
            rows = rows.filter(salesperson__code=params["salesperson"])
        if params.get("period"):
            try:
                parse_period(params["period"])
            except ValueError:
                raise ValidationError(
                    {"period": [_("Give a period as 2019, 2019-Q1 or 2019-03.")]}
                ) from None
            rows = rows.filter(period=params["period"])
        return rows


class CommissionStatementDetailApi(RetrieveAPIView):
    permission_classes = [HasRole]
    serializer_class = CommissionStatementDetailOutputSerializer

    def get_queryset(self) -> QuerySet[CommissionStatement]:
        return commission_statement_list(user=self.request.user)


class CommissionStatementApproveApi(APIView):
    """draft → approved, by a manager of the salesperson or an admin."""

    permission_classes = [IsManagerOrAdmin]

    @extend_schema(request=None, responses={200: CommissionStatementDetailOutputSerializer})
    def post(self, request: Request, pk: int) -> Response:
        managed = managed_salesperson_list(user=request.user)
        statement = get_object_or_404(
            commission_statement_list(user=request.user).filter(salesperson__in=managed), pk=pk
        )
        commission_statement_approve(statement=statement, actor=request.user)
        fresh = commission_statement_list(user=request.user).get(pk=pk)
        return Response(CommissionStatementDetailOutputSerializer(fresh).data)


class CommissionStatementPayApi(APIView):
    """approved → paid, by an admin."""

    permission_classes = [IsAdmin]

    @extend_schema(request=None, responses={200: CommissionStatementDetailOutputSerializer})
    def post(self, request: Request, pk: int) -> Response:
        statement = get_object_or_404(commission_statement_list(user=request.user), pk=pk)
        commission_statement_pay(statement=statement, actor=request.user)
        fresh = commission_statement_list(user=request.user).get(pk=pk)
        return Response(CommissionStatementDetailOutputSerializer(fresh).data)
