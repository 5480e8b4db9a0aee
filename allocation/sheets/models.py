"""Plan sheet uploads: an edited plan workbook applied by a background job (app label
``allocation``; the services are ``allocation.services.sheets`` and ``.sheet_uploads``)."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from allocation.models import Plan
from salesalloc.core.models import TimeStampedModel


class PlanUpload(TimeStampedModel):
    """An edited plan sheet waiting to be applied, or applied, by a background job.

    The request stores the file (after cheap metadata checks) and answers at once; the job
    (``allocation.plan_sheet_upload``) reads the workbook and applies it as one change, or
    refuses it whole. The editor polls this row: ``errors`` name sheet cells, ``result``
    holds the plan's new revision and how many leaves changed.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        SUCCEEDED = "succeeded", _("Succeeded")
        FAILED = "failed", _("Failed")

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="uploads")
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.QUEUED
    )
    file = models.FileField(upload_to="plan-uploads/%Y/%m/", max_length=300)
    original_name = models.CharField(_("file name"), max_length=255, blank=True, default="")
    size_bytes = models.BigIntegerField(default=0)
    reason = models.TextField(blank=True, default="")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="plan_uploads",
    )
    # The uploader's language: messages are written in it.
    language = models.CharField(max_length=10, blank=True, default="")
    code = models.CharField(max_length=40, blank=True, default="")  # the error's code
    message = models.TextField(blank=True, default="")
    errors = models.JSONField(default=list, blank=True)
    result = models.JSONField(default=dict, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("plan sheet upload")
        verbose_name_plural = _("plan sheet uploads")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=["queued", "running", "succeeded", "failed"]),
                name="planupload_status_valid",
            )
        ]

    def __str__(self) -> str:
        return f"{self.plan_id} {self.original_name} {self.status}"
