"""Alerts API: list (scoped, filtered, paginated), acknowledge and resolve."""

from __future__ import annotations

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework.generics import ListAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from allocation.access import HasRole, IsManagerOrAdmin
from performance.alerts.api.serializers import (
    AlertActionInputSerializer,
    AlertFilterSerializer,
    AlertOutputSerializer,
)
from performance.alerts.models import Alert
from performance.alerts.selectors import alert_get, alert_list
from performance.alerts.services import alert_acknowledge, alert_resolve


class AlertListApi(ListAPIView):
    """Risk alerts about the salespeople the viewer may see."""

    permission_classes = [HasRole]
    serializer_class = AlertOutputSerializer

    @extend_schema(parameters=[AlertFilterSerializer])
    def get(self, request: Request, *args: object, **kwargs: object) -> Response:
        return super().get(request, *args, **kwargs)

    def get_queryset(self) -> QuerySet[Alert]:
        filters = AlertFilterSerializer(data=self.request.query_params)
        filters.is_valid(raise_exception=True)
        return alert_list(user=self.request.user, **filters.validated_data)


class AlertAcknowledgeApi(APIView):
    """Open -> acknowledged, with an optional comment."""

    permission_classes = [IsManagerOrAdmin]

    @extend_schema(request=AlertActionInputSerializer, responses=AlertOutputSerializer)
    def post(self, request: Request, alert_id: int) -> Response:
        data = AlertActionInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        alert = alert_get(user=request.user, alert_id=alert_id)
        alert = alert_acknowledge(
            alert=alert, actor=request.user, comment=data.validated_data.get("comment", "")
        )
        return Response(AlertOutputSerializer(alert).data)


class AlertResolveApi(APIView):
    """Open or acknowledged -> resolved, with a comment saying how."""

    permission_classes = [IsManagerOrAdmin]

    @extend_schema(request=AlertActionInputSerializer, responses=AlertOutputSerializer)
    def post(self, request: Request, alert_id: int) -> Response:
        data = AlertActionInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        alert = alert_get(user=request.user, alert_id=alert_id)
        alert = alert_resolve(
            alert=alert, actor=request.user, comment=data.validated_data.get("comment", "")
        )
        return Response(AlertOutputSerializer(alert).data)
