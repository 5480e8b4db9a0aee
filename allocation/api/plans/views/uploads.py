"""Plans API: plan-sheet uploads. ``POST plans/{id}/upload/`` answers 202 with a job that
``GET plans/{id}/uploads/{upload_id}/`` reports until it is previewed (or refused); then
``…/confirm/`` applies the previewed batch or ``…/discard/`` drops it."""

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
from allocation.services import plan_upload_confirm, plan_upload_create, plan_upload_discard
from salesalloc.core.users import acting_user

ERRORS = {
    400: OpenApiResponse(description="Not an XLSX workbook, or over a file limit."),
    403: OpenApiResponse(description="Your role may not do this."),
    404: OpenApiResponse(description="No such plan (or not visible to you)."),
    409: OpenApiResponse(description="The plan is not a draft."),
    413: OpenApiResponse(description="The file is larger than the upload limit."),
}
SETTLE_ERRORS = {
    400: OpenApiResponse(description="A rule refuses the previewed change now."),
    403: OpenApiResponse(description="Only the uploader confirms or discards an upload."),
    404: OpenApiResponse(description="No such plan or upload (or not visible to you)."),
    409: OpenApiResponse(
        description="The upload is not ready to confirm, the plan is not a draft, or it "
        "changed since the preview (the upload then fails saying so)."
    ),
}


class PlanUploadApi(APIView):
    """POST (managers, admins): upload an edited XLSX of the plan (multipart ``file``,
    optional ``keep`` rule and ``preview``).

    Answers 202 with the upload job at once; the sheet is read in the background into the
    batch of edits it asks for (changed line-row months, and subtotal cells typed over
    their formulas), worked out under ``keep`` into a ``preview`` of every cell that will
    change, or refused whole (the job's ``errors`` name the sheet cells). Poll the job's
    ``url`` until ``status`` is ``previewed`` (then POST its ``confirm_url`` or
    ``discard_url``) or ``failed``. With ``preview=false`` the job applies the sheet itself
    and ends ``succeeded``. A sheet without its About revision (saved through CSV) or at an
    older revision is refused.
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
            keep=data.validated_data["keep"],
            preview=data.validated_data["preview"],
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


class PlanUploadConfirmApi(APIView):
    """POST (the uploader): apply exactly the previewed batch as one audited change.

    Refused (nothing changes) unless the upload is ``previewed`` and the plan is still the
    draft at the preview's revision; when the plan changed since, the upload ends ``failed``
    saying so (409). Answers with the upload, ``succeeded`` and its ``result``.
    """

    permission_classes = [IsManagerOrAdmin]

    @extend_schema(request=None, responses={200: PlanUploadOutputSerializer, **SETTLE_ERRORS})
    def post(self, request: Request, pk: int, upload_id: int) -> Response:
        plan = scoped_plan(request, pk)
        upload = plan_upload_get(user=request.user, plan=plan, upload_id=upload_id)
        upload = plan_upload_confirm(upload=upload, actor=acting_user(request.user))
        return Response(PlanUploadOutputSerializer(upload).data)


class PlanUploadDiscardApi(APIView):
    """POST (the uploader): drop a previewed upload; nothing of it is applied."""

    permission_classes = [IsManagerOrAdmin]

    @extend_schema(request=None, responses={200: PlanUploadOutputSerializer, **SETTLE_ERRORS})
    def post(self, request: Request, pk: int, upload_id: int) -> Response:
        plan = scoped_plan(request, pk)
        upload = plan_upload_get(user=request.user, plan=plan, upload_id=upload_id)
        upload = plan_upload_discard(upload=upload, actor=acting_user(request.user))
        return Response(PlanUploadOutputSerializer(upload).data)
