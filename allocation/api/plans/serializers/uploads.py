"""Plans API serializers: plan-sheet uploads, a background job the client polls."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from allocation.models import PlanUpload


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
