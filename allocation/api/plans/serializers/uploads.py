"""Plans API serializers: plan-sheet uploads, a background job the client polls."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from allocation.api.plans.serializers.cells import (
    CellChangeOutputSerializer,
    CellOutputSerializer,
    keep_field,
)
from allocation.api.plans.serializers.common import choice
from allocation.models import PlanUpload


class UploadInputSerializer(serializers.Serializer):
    file = serializers.FileField()
    reason = serializers.CharField(required=False, allow_blank=True, default="")
    keep = keep_field()
    preview = serializers.BooleanField(
        required=False,
        default=True,
        help_text=_(
            "True (default): the job stops at a preview of every cell that will change; "
            "confirm it (uploads/{id}/confirm/) to apply it. False: the job applies the sheet "
            "at once (the same rules)."
        ),
    )


class UploadErrorSerializer(serializers.Serializer):
    cell = serializers.CharField(allow_null=True)
    message = serializers.CharField()


class PreviewEditSerializer(CellChangeOutputSerializer):
    ref = serializers.CharField(allow_null=True, help_text=_("The sheet cell, e.g. H7"))


class PreviewLeafSerializer(PreviewEditSerializer):
    set = serializers.BooleanField(
        help_text=_("True: the sheet set this cell; false: it rebalanced")
    )


class UploadPreviewSerializer(serializers.Serializer):
    revision = serializers.IntegerField(help_text=_("The plan revision the preview applies to"))
    keep = serializers.CharField(allow_null=True)
    total_amount = serializers.CharField(help_text=_("The plan total after it"))
    leaf_count = serializers.IntegerField(help_text=_("Leaves that will change"))
    edits = PreviewEditSerializer(many=True, help_text=_("The cells the sheet changes"))
    kept = CellOutputSerializer(many=True)
    rebalanced = CellChangeOutputSerializer(many=True)
    leaves = PreviewLeafSerializer(
        many=True, help_text=_("Every leaf that will change (the first 2,000)")
    )
    leaves_truncated = serializers.BooleanField()


class UploadResultSerializer(serializers.Serializer):
    revision = serializers.IntegerField()
    total_amount = serializers.CharField()
    leaf_count = serializers.IntegerField()
    batch = serializers.CharField(allow_null=True)


class PlanUploadOutputSerializer(serializers.ModelSerializer):
    # A field named like Serializer.errors: DRF moves declared fields off the class, so the
    # property is untouched at run time; only the type checker sees the two names meet.
    errors = UploadErrorSerializer(many=True)  # type: ignore[assignment]
    status = choice(choices=PlanUpload.Status.choices)
    preview = serializers.SerializerMethodField()
    result = serializers.SerializerMethodField()
    url = serializers.SerializerMethodField()
    confirm_url = serializers.SerializerMethodField()
    discard_url = serializers.SerializerMethodField()

    class Meta:
        model = PlanUpload
        fields = [
            "id",
            "plan",
            "status",
            "original_name",
            "reason",
            "keep",
            "code",
            "message",
            "errors",
            "preview",
            "result",
            "created_at",
            "started_at",
            "finished_at",
            "url",
            "confirm_url",
            "discard_url",
        ]

    @extend_schema_field(UploadPreviewSerializer(allow_null=True))
    def get_preview(self, upload: PlanUpload) -> dict[str, Any] | None:
        return upload.preview or None

    @extend_schema_field(UploadResultSerializer(allow_null=True))
    def get_result(self, upload: PlanUpload) -> dict[str, Any] | None:
        return upload.result or None

    def get_url(self, upload: PlanUpload) -> str:
        return reverse("api-plan-upload-detail", args=[upload.plan_id, upload.pk])

    def get_confirm_url(self, upload: PlanUpload) -> str:
        return reverse("api-plan-upload-confirm", args=[upload.plan_id, upload.pk])

    def get_discard_url(self, upload: PlanUpload) -> str:
        return reverse("api-plan-upload-discard", args=[upload.plan_id, upload.pk])
