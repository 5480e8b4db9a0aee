"""Tier configuration, tier runs and their per-customer snapshots (app label ``customers``).

A ``TierRun`` computes RFM scores, a named segment, an ABC class and a rule tier for every
customer with orders in its window, and stores them as ``CustomerTier`` rows: one per
customer per run, never changed afterwards except when a *daily* run (the automatic snapshot
of a day, refreshed after each import and nightly) is replaced by a new one. History and
migration matrices read these rows, so they stay readable when the rules change.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from salesalloc.core.models import TimeStampedModel

THRESHOLD_VALIDATORS = [MinValueValidator(Decimal("0.0001")), MaxValueValidator(Decimal("1"))]
SCORE_VALIDATORS = [MinValueValidator(1), MaxValueValidator(5)]


class TierSettings(TimeStampedModel):
    """The defaults of new runs (one row, ``pk=1``): window, ABC thresholds, segment map."""

    window_days = models.PositiveIntegerField(
        _("window (days)"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(36_500)],
        help_text=_("Only orders of the last N days before the run's date count; empty = all."),
    )
    abc_a = models.DecimalField(
        _("A threshold"),
        max_digits=5,
        decimal_places=4,
        default=Decimal("0.80"),
        validators=THRESHOLD_VALIDATORS,
    )
    abc_b = models.DecimalField(
        _("B threshold"),
        max_digits=5,
        decimal_places=4,
        default=Decimal("0.95"),
        validators=THRESHOLD_VALIDATORS,
    )
    segment_map = models.JSONField(
        _("segment mapping"),
        default=list,
        blank=True,
        help_text=_("Ordered [{segment, r: [lo, hi], fm: [lo, hi]}]; empty = the default map."),
    )

    class Meta:
        verbose_name = _("tier settings")
        verbose_name_plural = _("tier settings")
        constraints = [
            models.CheckConstraint(condition=Q(abc_a__lt=F("abc_b")), name="tiersettings_a_lt_b"),
        ]

    def __str__(self) -> str:
        return str(_("Tier settings"))


class TierRule(TimeStampedModel):
    """One rule tier with its service plan; rules are tried by ``position``, first match wins."""

    position = models.PositiveIntegerField(_("position"), default=0)
    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100)
    monetary_min = models.DecimalField(
        _("net amount from"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    monetary_max = models.DecimalField(
        _("net amount up to"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    frequency_min = models.PositiveIntegerField(_("orders from"), null=True, blank=True)
    frequency_max = models.PositiveIntegerField(_("orders up to"), null=True, blank=True)
    recency_min = models.PositiveIntegerField(
        _("days since last order from"), null=True, blank=True
    )
    recency_max = models.PositiveIntegerField(
        _("days since last order up to"), null=True, blank=True
    )
    regions = models.JSONField(_("regions"), default=list, blank=True)
    states = models.JSONField(_("states / provinces"), default=list, blank=True)
    segments = models.JSONField(_("segments"), default=list, blank=True)
    abc = models.JSONField(_("ABC classes"), default=list, blank=True)
    # The tier's service plan.
    discount_policy = models.CharField(_("discount policy"), max_length=200, blank=True)
    visit_frequency = models.CharField(_("visit frequency"), max_length=100, blank=True)
    service_owner = models.CharField(_("service owner"), max_length=100, blank=True)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("tier rule")
        verbose_name_plural = _("tier rules")
        constraints = [
            models.CheckConstraint(
                condition=Q(monetary_min__isnull=True)
                | Q(monetary_max__isnull=True)
                | Q(monetary_min__lte=F("monetary_max")),
                name="tierrule_monetary_range",
            ),
            models.CheckConstraint(
                condition=Q(frequency_min__isnull=True)
                | Q(frequency_max__isnull=True)
                | Q(frequency_min__lte=F("frequency_max")),
                name="tierrule_frequency_range",
            ),
            models.CheckConstraint(
                condition=Q(recency_min__isnull=True)
                | Q(recency_max__isnull=True)
                | Q(recency_min__lte=F("recency_max")),
                name="tierrule_recency_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    def clean(self) -> None:
        errors = {}
        for low, high in (
            ("monetary_min", "monetary_max"),
            ("frequency_min", "frequency_max"),
            ("recency_min", "recency_max"),
        ):
            lo, hi = getattr(self, low), getattr(self, high)
            if lo is not None and hi is not None and lo > hi:
                errors[high] = _("Must not be less than the lower bound.")
        for name in ("regions", "states", "segments", "abc"):
            value = getattr(self, name)
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                errors[name] = _("Must be a list of texts.")
        if isinstance(self.abc, list) and not set(self.abc) <= {"A", "B", "C"}:
            errors["abc"] = _("ABC classes are A, B and C.")
        if errors:
            raise ValidationError(errors)


class TierRun(TimeStampedModel):
    """One computation of tiers as of a date; its rows are ``CustomerTier``."""

    class Kind(models.TextChoices):
        MANUAL = "manual", _("Started by hand")
        IMPORT = "import", _("After an import")
        NIGHTLY = "nightly", _("Nightly")
        DEMO = "demo", _("Demo")

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        SUCCEEDED = "succeeded", _("Succeeded")
        FAILED = "failed", _("Failed")

    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.MANUAL)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.QUEUED
    )
    as_of = models.DateField(_("as of"))
    window_days = models.PositiveIntegerField(_("window (days)"), null=True, blank=True)
    abc_a = models.DecimalField(max_digits=5, decimal_places=4, default=Decimal("0.80"))
    abc_b = models.DecimalField(max_digits=5, decimal_places=4, default=Decimal("0.95"))
    # The automatic snapshot of its day: at most one per date, replaced on refresh.
    daily = models.BooleanField(default=False)
    config = models.JSONField(default=dict, blank=True, help_text="Rules and map used.")
    customers = models.IntegerField(_("customers"), default=0)
    monetary_total = models.DecimalField(max_digits=18, decimal_places=4, default=Decimal(0))
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-as_of", "-id"]
        verbose_name = _("tier run")
        verbose_name_plural = _("tier runs")
        constraints = [
            models.UniqueConstraint(
                fields=["as_of"], condition=Q(daily=True), name="tierrun_one_daily_per_date"
            ),
            models.CheckConstraint(condition=Q(abc_a__lt=F("abc_b")), name="tierrun_a_lt_b"),
            models.CheckConstraint(
                condition=Q(status__in=["queued", "running", "succeeded", "failed"]),
                name="tierrun_status_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.as_of:%Y-%m-%d} ({self.status})"


class CustomerTier(TimeStampedModel):
    """A customer's RFM figures, scores, segment, ABC class and tier in one run."""

    # A run writes 50,000 rows in one COPY: no database-level foreign keys (their deferred
    # per-row checks cost more than the insert) and no separate run index (the unique key
    # starts with it). Rows are only written by ``tier_run_compute`` from existing
    # customers under the run's lock; deletes cascade in the ORM.
    run = models.ForeignKey(
        TierRun, on_delete=models.CASCADE, related_name="rows", db_index=False, db_constraint=False
    )
    customer = models.ForeignKey(
        "customers.Customer",
        on_delete=models.CASCADE,
        related_name="tiers",
        db_index=False,
        db_constraint=False,
    )
    last_order_date = models.DateField(_("last order"))
    recency_days = models.IntegerField(_("days since last order"))
    frequency = models.IntegerField(_("orders"))
    monetary = models.DecimalField(_("net amount"), max_digits=18, decimal_places=4)
    r = models.PositiveSmallIntegerField("R", validators=SCORE_VALIDATORS)
    f = models.PositiveSmallIntegerField("F", validators=SCORE_VALIDATORS)
    m = models.PositiveSmallIntegerField("M", validators=SCORE_VALIDATORS)
    segment = models.CharField(_("segment"), max_length=40)
    abc = models.CharField("ABC", max_length=1)
    tier = models.CharField(_("tier"), max_length=40, blank=True)

    class Meta:
        ordering = ["run", "customer"]
        verbose_name = _("customer tier")
        verbose_name_plural = _("customer tiers")
        constraints = [
            models.UniqueConstraint(fields=["run", "customer"], name="customertier_one_per_run"),
        ]
        indexes = [models.Index(fields=["customer", "run"], name="customertier_history_idx")]

    def __str__(self) -> str:
        return f"{self.run_id}/{self.customer_id} {self.abc} {self.segment} {self.tier}"
