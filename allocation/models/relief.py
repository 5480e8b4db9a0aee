"""Quota relief: a request to lower one salesperson's published targets, and its decision.

A salesperson (for themselves) or a manager (for someone in their subtree) asks for relief
on a *published* plan: a reason, an amount or a share of the target of some months (and,
optionally, some product lines). The next level up decides (``approval_path``): approved
relief lowers the person's target cells in place and is either absorbed (the team and
company totals drop) or redistributed over the person's unlocked teammates (the team total
stays) — ``allocation.services.relief``.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from allocation.models.dimensions import ProductLine, Salesperson
from allocation.models.plans import Plan, ReliefDistribution
from salesalloc.core.models import TimeStampedModel

MAX_SHARE_DIGITS = 5  # a percent with 2 places: 0.01 .. 100.00
SHARE_PLACES = 2


class ReliefRequest(TimeStampedModel):
    """One request for quota relief on a published plan, from asking to the decision."""

    class Reason(models.TextChoices):
        LEAVE = "leave", _("Leave")
        TERRITORY_CHANGE = "territory_change", _("Territory change")
        LOST_ACCOUNT = "lost_account", _("Lost account")
        OTHER = "other", _("Other")

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    class Role(models.TextChoices):
        """In which capacity the request was made; it decides who approves it."""

        SALESPERSON = "salesperson", _("Salesperson")
        MANAGER = "manager", _("Manager")
        ADMIN = "admin", _("Administrator")

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="relief_requests")
    salesperson = models.ForeignKey(
        Salesperson, on_delete=models.PROTECT, related_name="relief_requests"
    )
    reason = models.CharField(_("reason"), max_length=20, choices=Reason.choices)
    description = models.TextField(_("details"), blank=True, default="")
    amount = models.DecimalField(
        _("amount"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    share = models.DecimalField(
        _("share (%)"),
        max_digits=MAX_SHARE_DIGITS,
        decimal_places=SHARE_PLACES,
        null=True,
        blank=True,
    )
    # Calendar months "YYYY-MM" of the plan's fiscal year, sorted, no duplicates.
    months = models.JSONField(_("months"), default=list)
    product_lines = models.ManyToManyField(
        ProductLine,
        verbose_name=_("product lines"),
        related_name="+",
        blank=True,
        help_text=_("Leaf product lines the relief covers; none means all of them."),
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="relief_requests",
    )
    requested_as = models.CharField(max_length=12, choices=Role.choices)
    # Managers of this unit or any unit above it may decide (besides admins); empty: only
    # admins. Set when the request is made: the person's unit for a salesperson's own
    # request, the unit above the requesting manager's for a manager's request.
    approval_path = models.CharField(max_length=255, blank=True, default="")
    target_amount = models.DecimalField(
        _("target of the covered cells"),
        max_digits=14,
        decimal_places=2,
        help_text=_("When asked; recomputed when decided."),
    )
    relieved_amount = models.DecimalField(
        _("relieved amount"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    distribution = models.CharField(
        _("distribution"), max_length=12, choices=ReliefDistribution.choices, blank=True
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_comment = models.TextField(_("comment"), blank=True, default="")
    override_four_eyes = models.BooleanField(default=False)
    # What an approval changed: every leaf that moved, old -> new, in cents.
    result = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("quota relief request")
        verbose_name_plural = _("quota relief requests")
        indexes = [
            models.Index(fields=["plan", "status"], name="reliefrequest_plan_status_idx"),
            models.Index(fields=["status", "approval_path"], name="reliefrequest_pending_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["pending", "approved", "rejected", "withdrawn"]),
                name="reliefrequest_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(reason__in=["leave", "territory_change", "lost_account", "other"]),
                name="reliefrequest_reason_valid",
            ),
            models.CheckConstraint(
                condition=Q(requested_as__in=["salesperson", "manager", "admin"]),
                name="reliefrequest_role_valid",
            ),
            models.CheckConstraint(
                condition=Q(distribution__in=["", "absorb", "redistribute"]),
                name="reliefrequest_distribution_valid",
            ),
            models.CheckConstraint(
                condition=(Q(amount__isnull=False) & Q(share__isnull=True))
                | (Q(amount__isnull=True) & Q(share__isnull=False)),
                name="reliefrequest_amount_or_share",
            ),
            models.CheckConstraint(
                condition=Q(amount__isnull=True) | Q(amount__gt=0), name="reliefrequest_amount_gt_0"
            ),
            models.CheckConstraint(
                condition=Q(share__isnull=True) | (Q(share__gt=0) & Q(share__lte=100)),
                name="reliefrequest_share_range",
            ),
            models.CheckConstraint(
                condition=~Q(status="approved")
                | (Q(relieved_amount__isnull=False) & ~Q(distribution="")),
                name="reliefrequest_approved_has_result",
            ),
        ]

    def __str__(self) -> str:
        return f"relief #{self.pk} {self.salesperson_id} ({self.status})"

    @property
    def is_pending(self) -> bool:
        return self.status == self.Status.PENDING
