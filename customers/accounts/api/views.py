"""The account targets API: list (paginated, scoped), one plan with attainment, set a plan.

A salesperson reads and sets only their own account plans, a manager those of the people in
their subtree, an admin everyone's; anyone else's answers 404.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.generics import GenericAPIView
from rest_framework.request import Request
from rest_framework.response import Response

from allocation.access import HasRole
from allocation.selectors import plan_get
from customers.accounts.api.serializers import (
    AccountPlanFilterSerializer,
    AccountPlanInputSerializer,
    account_plan_summary,
    account_report_data,
)
from customers.accounts.models import AccountPlan
from customers.accounts.selectors import (
    account_plan_list,
    account_report,
    account_salesperson_get,
)
from customers.accounts.services import AccountInput, account_plan_set
from salesalloc.core.users import acting_user

ERRORS = {
    400: OpenApiResponse(description="Invalid input, or the entered amounts exceed the target."),
    403: OpenApiResponse(description="Not yours or your people's."),
    404: OpenApiResponse(description="No such plan or salesperson (or not visible to you)."),
    409: OpenApiResponse(description="The plan is not a published revenue plan."),
}


class AccountPlanListSetApi(GenericAPIView):
    """GET: account plans you may see (filters ``plan``, ``salesperson``, ``period``), with
    each account's target. POST: set (replace) one salesperson's account targets for a
    period of a published plan -> 201 when new, 200 when replaced, with attainment."""

    permission_classes = [HasRole]

    def get_queryset(self) -> QuerySet[AccountPlan]:
        rows = account_plan_list(user=self.request.user).prefetch_related("targets__customer")
        params = AccountPlanFilterSerializer(data=self.request.query_params)
        params.is_valid(raise_exception=True)
        data = params.validated_data
        if "plan" in data:
            rows = rows.filter(plan_id=data["plan"])
        if data.get("salesperson"):
            rows = rows.filter(salesperson__code=data["salesperson"])
        if data.get("period"):
            rows = rows.filter(period=data["period"])
        return rows.order_by("-plan__fiscal_year", "salesperson__code", "period", "pk")

    @extend_schema(
        operation_id="account_plans_list",
        parameters=[AccountPlanFilterSerializer],
        responses={
            200: OpenApiResponse(
                OpenApiTypes.OBJECT,
                description="A page: {count, next, previous, results: [account plans]}.",
            ),
            400: ERRORS[400],
        },
    )
    def get(self, request: Request) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        rows = [account_plan_summary(plan) for plan in (page or [])]
        return self.get_paginated_response(rows)

    @extend_schema(
        operation_id="account_plans_set",
        request=AccountPlanInputSerializer,
        responses={200: OpenApiTypes.OBJECT, 201: OpenApiTypes.OBJECT, **ERRORS},
    )
    def post(self, request: Request) -> Response:
        data = AccountPlanInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values: dict[str, Any] = data.validated_data
        plan = plan_get(user=request.user, plan_id=values["plan"])
        person = account_salesperson_get(user=request.user, code=values["salesperson"])
        existed = AccountPlan.objects.filter(
            plan=plan, salesperson=person, period=values["period"]
        ).exists()
        row = account_plan_set(
            plan=plan,
            salesperson=person,
            period=values["period"],
            accounts=[
                AccountInput(
                    customer=item.get("customer") or "",
                    tier=item.get("tier") or "",
                    amount=item.get("amount"),
                )
                for item in values["accounts"]
            ],
            actor=acting_user(request.user),
        )
        row = account_plan_list(user=request.user).get(pk=row.pk)
        return Response(
            account_report_data(account_report(account_plan=row)), status=200 if existed else 201
        )


class AccountPlanDetailApi(GenericAPIView):
    """GET: one account plan with every account's target, actual and attainment."""

    permission_classes = [HasRole]

    def get_queryset(self) -> QuerySet[AccountPlan]:
        return account_plan_list(user=self.request.user)

    @extend_schema(
        operation_id="account_plans_retrieve",
        responses={200: OpenApiTypes.OBJECT, 404: ERRORS[404]},
    )
    def get(self, request: Request, pk: int) -> Response:
        row = get_object_or_404(self.get_queryset(), pk=pk)
        return Response(account_report_data(account_report(account_plan=row)))
