"""Commission plans and their statements (DESIGN §6, §7 "Commissions")."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from salesalloc.core.models import TimeStampedModel


class CommissionPlan(TimeStampedModel):
    """Rate brackets on attainment against a target plan, with caps, SPIFs and awards."""

    class Period(models.TextChoices):
        MONTH = "month", _("Month")
        QUARTER = "quarter", _("Quarter")
        YEAR = "year", _("Year")

    class Mode(models.TextChoices):
        MARGINAL = "marginal", _("Marginal (bracket by bracket)")
        RETROACTIVE = "retroactive", _("Retroactive (whole amount at the reached rate)")

    name = models.CharField(_("name"), max_length=200, unique=True)
    target_plan = models.ForeignKey(
        "allocation.Plan",
        verbose_name=_("target plan"),
        on_delete=models.PROTECT,
        related_name="commission_plans",
    )
    period = models.CharField(_("period"), max_length=10, choices=Period.choices)
    mode = models.CharField(_("mode"), max_length=12, choices=Mode.choices)
    # [{"from": "0.5", "rate": "0.04"}, ...] as decimal strings, sorted by "from".
    brackets = models.JSONField(_("brackets"))
    cap = models.DecimalField(_("cap"), max_digits=14, decimal_places=2, null=True, blank=True)
    decelerator_from = models.DecimalField(
        _("decelerator from"), max_digits=9, decimal_places=4, null=True, blank=True
    )
    decelerator_rate = models.DecimalField(
        _("decelerator rate"), max_digits=9, decimal_places=6, null=True, blank=True
    )
    award_amount = models.DecimalField(
        _("quarterly award"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    award_group = models.ForeignKey(
        "allocation.OrgUnit",
        verbose_name=_("award group"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    clawback = models.BooleanField(_("claw back returns"), default=True)
    start_date = models.DateField(_("valid from"), null=True, blank=True)
    end_date = models.DateField(_("valid until"), null=True, blank=True)
    salespeople = models.ManyToManyField(
        "allocation.Salesperson", verbose_name=_("salespeople"), related_name="+", blank=True
    )
    org_units = models.ManyToManyField(
        "allocation.OrgUnit", verbose_name=_("org units"), related_name="+", blank=True
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("commission plan")
        verbose_name_plural = _("commission plans")
        constraints = [
            models.CheckConstraint(
                condition=Q(period__in=["month", "quarter", "year"]),
                name="commissionplan_period_valid",
            ),
            models.CheckConstraint(
                condition=Q(mode__in=["marginal", "retroactive"]),
                name="commissionplan_mode_valid",
            ),
            models.CheckConstraint(
                condition=Q(cap__isnull=True) | Q(cap__gte=0),
                name="commissionplan_cap_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(decelerator_from__isnull=True, decelerator_rate__isnull=True)
                | Q(decelerator_from__isnull=False, decelerator_rate__isnull=False),
                name="commissionplan_decelerator_complete",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class CommissionSpif(TimeStampedModel):
    """An extra rate (or a fixed amount per unit) on one product line's sales within dates."""

    class Kind(models.TextChoices):
        RATE = "rate", _("Extra rate on the amount")
        PER_UNIT = "per_unit", _("Fixed amount per unit")

    plan = models.ForeignKey(CommissionPlan, on_delete=models.CASCADE, related_name="spifs")
    product_line = models.ForeignKey(
        "allocation.ProductLine", on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    value = models.DecimalField(_("rate or amount per unit"), max_digits=14, decimal_places=6)
    start_date = models.DateField(_("from"))
    end_date = models.DateField(_("until"))

    class Meta:
        ordering = ["plan", "product_line__code", "start_date", "pk"]
        verbose_name = _("SPIF")
        verbose_name_plural = _("SPIFs")
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=["rate", "per_unit"]), name="commissionspif_kind_valid"
            ),
            models.CheckConstraint(
                condition=Q(end_date__gte=models.F("start_date")),
                name="commissionspif_dates_ordered",
            ),
            models.CheckConstraint(condition=Q(value__gte=0), name="commissionspif_value_positive"),
        ]

    def __str__(self) -> str:
        return f"SPIF {self.product_line_id} {self.kind} {self.value}"


class CommissionStatement(TimeStampedModel):
    """One salesperson's commission for one period of a plan; approved and paid are frozen."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        APPROVED = "approved", _("Approved")
        PAID = "paid", _("Paid")

    plan = models.ForeignKey(CommissionPlan, on_delete=models.CASCADE, related_name="statements")
    salesperson = models.ForeignKey(
        "allocation.Salesperson", on_delete=models.PROTECT, related_name="commission_statements"
    )
    period = models.CharField(_("period"), max_length=7)  # 2019, 2019-Q1 or 2019-03
    period_start = models.DateField()
    period_end = models.DateField()  # inclusive
    position = models.PositiveSmallIntegerField(default=0)  # order of the period in the plan
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.DRAFT
    )
    actual = models.DecimalField(_("actual"), max_digits=18, decimal_places=4)
    target = models.DecimalField(_("target"), max_digits=14, decimal_places=2)
    attainment = models.DecimalField(
        _("attainment"), max_digits=12, decimal_places=4, null=True, blank=True
    )
    subtotal = models.DecimalField(_("sum of lines"), max_digits=14, decimal_places=2)
    cap = models.DecimalField(_("cap"), max_digits=14, decimal_places=2, null=True, blank=True)
    total = models.DecimalField(_("total"), max_digits=14, decimal_places=2)
    computed_at = models.DateTimeField(null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    paid_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    paid_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["plan", "position", "salesperson__code"]
        verbose_name = _("commission statement")
        verbose_name_plural = _("commission statements")
        constraints = [
            models.UniqueConstraint(
                fields=["plan", "salesperson", "period"], name="commissionstatement_unique"
            ),
            models.CheckConstraint(
                condition=Q(status__in=["draft", "approved", "paid"]),
                name="commissionstatement_status_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.plan_id} {self.salesperson_id} {self.period} ({self.status})"

    @property
    def is_frozen(self) -> bool:
        return self.status != self.Status.DRAFT


class CommissionLine(TimeStampedModel):
    """One explained amount of a statement: ``amount = base × rate``, rounded half-up."""

    class Kind(models.TextChoices):
        BRACKET = "bracket", _("Bracket")
        DECELERATOR = "decelerator", _("Decelerator")
        SPIF = "spif", _("SPIF")
        AWARD = "award", _("Award")
        CLAWBACK = "clawback", _("Clawback")

    statement = models.ForeignKey(
        CommissionStatement, on_delete=models.CASCADE, related_name="lines"
    )
    position = models.PositiveSmallIntegerField()
    kind = models.CharField(max_length=12, choices=Kind.choices)
    label = models.CharField(max_length=200)
    base = models.DecimalField(max_digits=18, decimal_places=4)
    rate = models.DecimalField(max_digits=14, decimal_places=6)
    amount = models.DecimalField(max_digits=14, decimal_places=2)
    reference = models.CharField(max_length=100, blank=True, default="")
    # Order lines a clawback reverses, so a return is clawed back exactly once.
    source_ids = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["statement", "position"]
        verbose_name = _("commission line")
        verbose_name_plural = _("commission lines")
        constraints = [
            models.UniqueConstraint(
                fields=["statement", "position"], name="commissionline_position_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.label}: {self.amount}"
