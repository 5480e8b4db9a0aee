"""The attainment API: one node's attainment, pace and forecasts, and its children's."""

from __future__ import annotations

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from allocation.access import HasRole, viewer_scope
from performance.tracking.api.serializers import AttainmentInputSerializer, attainment_data
from performance.tracking.responses import (
    response_cache_get,
    response_cache_key,
    response_cache_set,
)
from performance.tracking.selectors import attainment_get
from salesalloc.core.db import replica_reads


class AttainmentGetApi(APIView):
    """Attainment of the company, an org unit or a salesperson for a fiscal year as of a date.

    Figures come from the published plan of that fiscal year; managers see only nodes in
    their subtrees and salespeople only themselves (anything else answers 404).
    """

    permission_classes = [HasRole]

    @extend_schema(parameters=[AttainmentInputSerializer], responses=OpenApiTypes.OBJECT)
    def get(self, request: Request) -> HttpResponse:
        params = AttainmentInputSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        data = params.validated_data
        # JSON (what clients ask for) is cached as the rendered body per viewer scope and
        # parameters; the browsable API renders afresh.
        renderer = request.accepted_renderer
        key = (
            response_cache_key(
                kind="attainment-api", scope=viewer_scope(user=request.user), params=data
            )
            if isinstance(renderer, JSONRenderer)
            else None
        )
        body = response_cache_get(key)
        if body is not None:
            return HttpResponse(body, content_type=renderer.media_type)
        with replica_reads():
            result = attainment_get(
                user=request.user,
                year=data["year"],
                as_of=data["as_of"],
                org_unit=data.get("org_unit"),
                salesperson=data.get("salesperson"),
                product_line=data.get("product_line"),
                measure=data["measure"],
            )
        if key is None:
            return Response(attainment_data(result))
        body = renderer.render(
            attainment_data(result), renderer.media_type, self.get_renderer_context()
        )
        response_cache_set(key, body)
        return HttpResponse(body, content_type=renderer.media_type)
