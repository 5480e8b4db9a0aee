"""Plans API: plan-sheet uploads. ``POST plans/{id}/upload/`` answers 202 with a job that
``GET plans/{id}/uploads/{upload_id}/`` reports until it has been applied or refused."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from allocation.access import IsManagerOrAdmin
from allocation.api.plans.serializers.uploads import (
    PlanUploadOutputSerializer,
    UploadInputSerializer,
)
from allocation.api.plans.views.common import scoped_plan
from allocation.selectors import plan_upload_get
from allocation.services import plan_upload_create
from salesalloc.core.users import acting_user

ERRORS = {
    400: OpenApiResponse(description="Not an XLSX workbook, or over a file limit."),
    403: OpenApiResponse(description="Your role may not do this."),
    404: OpenApiResponse(description="No such plan (or not visible to you)."),
    409: OpenApiResponse(description="The plan is not a draft."),
    413: OpenApiResponse(description="The file is larger than the upload limit."),
}


class PlanUploadApi(APIView):
    """POST (managers, admins): upload an edited XLSX of the plan (multipart ``file``).

    Answers 202 with the upload job at once; the sheet is read and applied in the
    background as one audited change, or refused whole (the job's ``errors`` name the sheet
    cells). Poll the job's ``url`` until ``status`` is ``succeeded`` or ``failed``.
    """

    permission_classes = [IsManagerOrAdmin]
    parser_classes = [MultiPartParser]

    @extend_schema(
        request=UploadInputSerializer, responses={202: PlanUploadOutputSerializer, **ERRORS}
    )
    def post(self, request: Request, pk: int) -> Response:
        plan = scoped_plan(request, pk)
        data = UploadInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        upload = plan_upload_create(
            plan=plan,
            file=data.validated_data["file"],
            reason=data.validated_data["reason"],
            actor=acting_user(request.user),
        )
        return Response(PlanUploadOutputSerializer(upload).data, status=202)


class PlanUploadDetailApi(APIView):
    """GET (managers, admins): one sheet upload of the plan (your own; admins see all)."""

    permission_classes = [IsManagerOrAdmin]

    @extend_schema(responses={200: PlanUploadOutputSerializer, **ERRORS})
    def get(self, request: Request, pk: int, upload_id: int) -> Response:
        plan = scoped_plan(request, pk)
        upload = plan_upload_get(user=request.user, plan=plan, upload_id=upload_id)
        return Response(PlanUploadOutputSerializer(upload).data)
