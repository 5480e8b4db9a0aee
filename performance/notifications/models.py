"""In-app notifications (the inbox); each is also e-mailed through Django's mail backend."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from salesalloc.core.models import TimeStampedModel


class Notification(TimeStampedModel):
    """One message to one user. The text is rendered from ``event`` and ``params`` in the
    reader's language; ``key`` (when set) makes a notification idempotent per recipient."""

    class Event(models.TextChoices):
        PLAN_SUBMITTED = "plan_submitted", _("Plan submitted")
        PLAN_APPROVED = "plan_approved", _("Plan approved")
        PLAN_REJECTED = "plan_rejected", _("Plan sent back")
        PLAN_PUBLISHED = "plan_published", _("Plan published")
        DISPUTE = "dispute", _("Targets disputed")
        DISPUTE_RESOLVED = "dispute_resolved", _("Dispute resolved")
        REMINDER = "reminder", _("Targets to acknowledge")
        ALERT = "alert", _("Risk alert")
        RELIEF_REQUESTED = "relief_requested", _("Quota relief requested")
        RELIEF_DECIDED = "relief_decided", _("Quota relief decided")
        TARGETS_CHANGED = "targets_changed", _("Targets changed")

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    event = models.CharField(_("event"), max_length=20, choices=Event.choices)
    params = models.JSONField(default=dict, blank=True)
    url = models.CharField(max_length=300, blank=True, default="")
    key = models.CharField(max_length=200, blank=True, default="")
    read_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "key"], condition=~Q(key=""), name="notification_key_unique"
            ),
        ]
        indexes = [
            models.Index(fields=["recipient", "read_at"], name="notification_unread_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.event} -> {self.recipient_id}"
