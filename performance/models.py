"""Evaluative data: recompute runs here; each concern's models live in its own package."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from performance.alerts.models import Alert  # noqa: F401  (each concern's models, one app)
from performance.notifications.models import Notification  # noqa: F401
from salesalloc.core.models import HeartbeatModel, TimeStampedModel


class RecomputeRun(HeartbeatModel, TimeStampedModel):
    """One run of the recompute workflow, so managers can see what ran and how far it got."""

    class Kind(models.TextChoices):
        IMPORT = "import", _("After an import")
        NIGHTLY = "nightly", _("Nightly")
        MANUAL = "manual", _("Manual")
        TARGETS = "targets", _("After a target change")

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        SUCCEEDED = "succeeded", _("Succeeded")
        FAILED = "failed", _("Failed")

    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.QUEUED
    )
    import_job = models.ForeignKey(
        "customers.ImportJob",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="recompute_runs",
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    steps_total = models.IntegerField(default=0)
    steps_done = models.IntegerField(default=0)
    # The run's steps by key (the arguments each needs, JSON) and the keys already done, so a
    # retried or redelivered step counts once and a resumed run starts only what is left.
    steps = models.JSONField(default=dict, blank=True)
    steps_completed = models.JSONField(default=list, blank=True)
    rows_written = models.BigIntegerField(default=0)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("recompute run")
        verbose_name_plural = _("recompute runs")
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["queued", "running", "succeeded", "failed"]),
                name="recomputerun_status_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk} ({self.status})"


# Each concern keeps its models in its own package (CONVENTIONS §1); importing them here
# registers them under the one ``performance`` app label.
from performance.commissions.models import (  # noqa: E402
    CommissionLine,
    CommissionPlan,
    CommissionSpif,
    CommissionStatement,
)

__all__ = [
    "CommissionLine",
    "CommissionPlan",
    "CommissionSpif",
    "CommissionStatement",
    "RecomputeRun",
]

from performance.costs.models import CostPool, CostPoolLine  # noqa: E402

__all__ += ["CostPool", "CostPoolLine"]

from performance.scorecards.models import (  # noqa: E402
    Kpi,
    KpiValue,
    Scorecard,
    ScorecardItem,
    ScorecardTemplate,
)

__all__ += ["Kpi", "KpiValue", "Scorecard", "ScorecardItem", "ScorecardTemplate"]
