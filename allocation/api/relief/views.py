"""Quota relief API: one view per operation; the services decide who may do what."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.generics import ListAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from allocation.access import HasRole
from allocation.api.plans.views.common import code_objects
from allocation.api.relief.serializers import (
    ReliefApproveInputSerializer,
    ReliefRejectInputSerializer,
    ReliefRequestCreateInputSerializer,
    ReliefRequestFilterSerializer,
    ReliefRequestOutputSerializer,
    ReliefWithdrawInputSerializer,
)
from allocation.models import ProductLine, ReliefRequest
from allocation.selectors import (
    plan_list,
    relief_may_decide,
    relief_request_get,
    relief_request_list,
    relief_requestable_people,
    relief_to_decide_list,
)
from allocation.services import (
    ReliefInput,
    relief_approve,
    relief_request_create,
    relief_request_reject,
    relief_request_withdraw,
)

ERRORS = {
    400: OpenApiResponse(description=_("Invalid input; the fields say what and why.")),
    403: OpenApiResponse(description=_("You may not ask for or decide this relief.")),
    404: OpenApiResponse(description=_("No such request (or not visible to you).")),
    409: OpenApiResponse(description=_("The request or the plan is not in a state for it.")),
}


def _context(request: Request, rows: Iterable[ReliefRequest]) -> dict[str, Any]:
    return {
        "decidable": {row.pk: relief_may_decide(user=request.user, request=row) for row in rows}
    }


def _respond(request: Request, row: ReliefRequest, status: int = 200) -> Response:
    row = relief_request_get(user=request.user, request_id=row.pk)
    data = ReliefRequestOutputSerializer(row, context=_context(request, [row])).data
    return Response(data, status=status)


class ReliefRequestListCreateApi(ListAPIView):
    """GET: the relief requests you may see, newest first (``to_decide=true``: those waiting
    for your decision). POST: ask for relief on a published plan — for yourself, or (a
    manager) for a person in your subtree; the next level up decides."""

    permission_classes = [HasRole]
    serializer_class = ReliefRequestOutputSerializer
    filter_backends = []

    def get_queryset(self) -> QuerySet[ReliefRequest]:
        params = ReliefRequestFilterSerializer(data=self.request.query_params)
        params.is_valid(raise_exception=True)
        data = params.validated_data
        if data["to_decide"]:
            rows = relief_to_decide_list(user=self.request.user)
        else:
            rows = relief_request_list(user=self.request.user)
        if data.get("plan"):
            rows = rows.filter(plan_id=data["plan"])
        if data.get("salesperson"):
            rows = rows.filter(salesperson__code=data["salesperson"])
        if data.get("status"):
            rows = rows.filter(status=data["status"])
        return rows

    @extend_schema(parameters=[ReliefRequestFilterSerializer])
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        queryset = self.get_queryset()
        page = self.paginate_queryset(queryset)
        rows = list(page if page is not None else queryset)
        data = ReliefRequestOutputSerializer(rows, many=True, context=_context(request, rows)).data
        return self.get_paginated_response(data) if page is not None else Response(data)

    @extend_schema(
        request=ReliefRequestCreateInputSerializer,
        responses={201: ReliefRequestOutputSerializer, **ERRORS},
    )
    def post(self, request: Request) -> Response:
        data = ReliefRequestCreateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        plan = plan_list(user=request.user).filter(pk=values["plan"]).first()
        if plan is None:
            raise ValidationError(
                {"plan": _("No plan with id %(id)s is visible to you.") % {"id": values["plan"]}}
            )
        person = (
            relief_requestable_people(user=request.user, plan=plan)
            .filter(code=values["salesperson"])
            .first()
        )
        if person is None:
            raise ValidationError(
                {
                    "salesperson": _("%(code)s is not someone of this plan you may ask relief for.")
                    % {"code": values["salesperson"]}
                }
            )
        lines = code_objects(ProductLine, values["product_lines"], "product_lines")
        row = relief_request_create(
            plan=plan,
            data=ReliefInput(
                salesperson=person,
                reason=values["reason"],
                description=values["description"],
                amount=values.get("amount"),
                share=values.get("share"),
                months=values["months"],
                product_lines=lines,
            ),
            actor=request.user,
        )
        return _respond(request, row, status=201)


class ReliefRequestDetailApi(APIView):
    """GET: one relief request you may see, with what it changed once approved."""

    permission_classes = [HasRole]

    @extend_schema(responses={200: ReliefRequestOutputSerializer, **ERRORS})
    def get(self, request: Request, pk: int) -> Response:
        return _respond(request, relief_request_get(user=request.user, request_id=pk))


class ReliefApproveApi(APIView):
    """POST: approve pending relief (the next level up, never the person who asked) and
    apply it to the published plan: ``absorb`` lowers the team and company totals,
    ``redistribute`` moves it to the unlocked teammates (default: the plan's rule)."""

    permission_classes = [HasRole]

    @extend_schema(
        request=ReliefApproveInputSerializer,
        responses={200: ReliefRequestOutputSerializer, **ERRORS},
    )
    def post(self, request: Request, pk: int) -> Response:
        row = relief_request_get(user=request.user, request_id=pk)
        data = ReliefApproveInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        row = relief_approve(
            request=row,
            actor=request.user,
            distribution=data.validated_data.get("distribution"),
            comment=data.validated_data["comment"],
            override_four_eyes=data.validated_data["override_four_eyes"],
        )
        return _respond(request, row)


class ReliefRejectApi(APIView):
    """POST: reject pending relief with the reason (who may: as for approving)."""

    permission_classes = [HasRole]

    @extend_schema(
        request=ReliefRejectInputSerializer,
        responses={200: ReliefRequestOutputSerializer, **ERRORS},
    )
    def post(self, request: Request, pk: int) -> Response:
        row = relief_request_get(user=request.user, request_id=pk)
        data = ReliefRejectInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        row = relief_request_reject(
            request=row,
            actor=request.user,
            comment=data.validated_data["comment"],
            override_four_eyes=data.validated_data["override_four_eyes"],
        )
        return _respond(request, row)


class ReliefWithdrawApi(APIView):
    """POST: take back a pending request you made."""

    permission_classes = [HasRole]

    @extend_schema(
        request=ReliefWithdrawInputSerializer,
        responses={200: ReliefRequestOutputSerializer, **ERRORS},
    )
    def post(self, request: Request, pk: int) -> Response:
        row = relief_request_get(user=request.user, request_id=pk)
        data = ReliefWithdrawInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        row = relief_request_withdraw(
            request=row, actor=request.user, comment=data.validated_data["comment"]
        )
        return _respond(request, row)
