"""Risk alerts (DESIGN §6): one row per live condition, with its lifecycle."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from salesalloc.core.models import TimeStampedModel


class Alert(TimeStampedModel):
    """A risk found by the recompute about one salesperson, open until someone resolves it.

    ``key`` names the condition (kind, subject, period or plan). While an alert is not
    resolved, the recompute that finds the same condition again updates this row (never a
    second one: the partial unique constraint below); when the condition ends the recompute
    resolves it with a note. Owners acknowledge and resolve alerts with a comment.
    """

    class Kind(models.TextChoices):
        PACE = "pace", _("Behind pace")
        FORECAST = "forecast", _("Forecast shortfall")
        CONCENTRATION = "concentration", _("Customer concentration")
        UNACKNOWLEDGED = "unacknowledged", _("Targets not acknowledged")
        DISPUTE = "dispute", _("Disputed targets")
        AT_RISK = "at_risk", _("Revenue moving to at-risk customers")

    class Level(models.TextChoices):
        WARNING = "warning", _("Warning")
        CRITICAL = "critical", _("Critical")

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        ACKNOWLEDGED = "acknowledged", _("Acknowledged")
        RESOLVED = "resolved", _("Resolved")

    key = models.CharField(max_length=200)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    level = models.CharField(_("level"), max_length=10, choices=Level.choices)
    status = models.CharField(
        _("status"), max_length=15, choices=Status.choices, default=Status.OPEN
    )
    salesperson = models.ForeignKey(
        "allocation.Salesperson",
        verbose_name=_("salesperson"),
        on_delete=models.CASCADE,
        related_name="alerts",
    )
    plan = models.ForeignKey(
        "allocation.Plan", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    period = models.CharField(_("period"), max_length=7, blank=True, default="")
    details = models.JSONField(default=dict, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="owned_alerts",
    )
    comment = models.TextField(_("comment"), blank=True, default="")
    first_seen_at = models.DateTimeField()
    last_seen_at = models.DateTimeField()
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-last_seen_at", "-id"]
        verbose_name = _("alert")
        verbose_name_plural = _("alerts")
        constraints = [
            models.UniqueConstraint(
                fields=["key"], condition=~Q(status="resolved"), name="alert_one_live_per_key"
            ),
            models.CheckConstraint(
                condition=Q(status__in=["open", "acknowledged", "resolved"]),
                name="alert_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(level__in=["warning", "critical"]), name="alert_level_valid"
            ),
            models.CheckConstraint(
                condition=Q(
                    kind__in=[
                        "pace",
                        "forecast",
                        "concentration",
                        "unacknowledged",
                        "dispute",
                        "at_risk",
                    ]
                ),
                name="alert_kind_valid",
            ),
        ]
        indexes = [models.Index(fields=["status", "salesperson"], name="alert_status_sp_idx")]

    def __str__(self) -> str:
        return f"{self.kind}/{self.level} {self.key} ({self.status})"
