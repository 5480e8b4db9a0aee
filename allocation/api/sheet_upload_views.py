"""REST API of plan-sheet uploads: ``POST plans/{id}/upload/`` answers 202 with a job that
``GET plans/{id}/uploads/{upload_id}/`` reports until it has been applied or refused."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from allocation.models import PlanUpload
from allocation.selectors import plan_get, plan_upload_get
from allocation.services import plan_upload_create
from salesalloc.core.permissions import IsManagerOrAdmin


class UploadInputSerializer(serializers.Serializer):
    file = serializers.FileField()
    reason = serializers.CharField(required=False, allow_blank=True, default="")


class UploadErrorSerializer(serializers.Serializer):
    cell = serializers.CharField(allow_null=True)
    message = serializers.CharField()


class UploadResultSerializer(serializers.Serializer):
    revision = serializers.IntegerField()
    total_amount = serializers.CharField()
    leaf_count = serializers.IntegerField()
    batch = serializers.CharField(allow_null=True)


class PlanUploadOutputSerializer(serializers.ModelSerializer):
    # A field named like Serializer.errors: DRF moves declared fields off the class, so the
    # property is untouched at run time; only the type checker sees the two names meet.
    errors = UploadErrorSerializer(many=True)  # type: ignore[assignment]
    result = serializers.SerializerMethodField()
    url = serializers.SerializerMethodField()

    class Meta:
        model = PlanUpload
        fields = [
            "id",
            "plan",
            "status",
            "original_name",
            "reason",
            "code",
            "message",
            "errors",
            "result",
            "created_at",
            "started_at",
            "finished_at",
            "url",
        ]

    @extend_schema_field(UploadResultSerializer(allow_null=True))
    def get_result(self, upload: PlanUpload) -> dict[str, Any] | None:
        return upload.result or None

    def get_url(self, upload: PlanUpload) -> str:
        return reverse("api-plan-upload-detail", args=[upload.plan_id, upload.pk])


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
        plan = plan_get(user=request.user, plan_id=pk)
        data = UploadInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        upload = plan_upload_create(
            plan=plan,
            file=data.validated_data["file"],
            reason=data.validated_data["reason"],
            actor=request.user,
        )
        return Response(PlanUploadOutputSerializer(upload).data, status=202)


class PlanUploadDetailApi(APIView):
    """GET (managers, admins): one sheet upload of the plan (your own; admins see all)."""

    permission_classes = [IsManagerOrAdmin]

    @extend_schema(responses={200: PlanUploadOutputSerializer, **ERRORS})
    def get(self, request: Request, pk: int, upload_id: int) -> Response:
        plan = plan_get(user=request.user, plan_id=pk)
        upload = plan_upload_get(user=request.user, plan=plan, upload_id=upload_id)
        return Response(PlanUploadOutputSerializer(upload).data)
