"""KPI library, imported metric values, scorecard templates and evaluated scorecards."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from salesalloc.core.models import TimeStampedModel


class Kpi(TimeStampedModel):
    """A measurable thing a salesperson is scored on."""

    class Kind(models.TextChoices):
        REVENUE = "revenue", _("Revenue")
        ATTAINMENT = "attainment", _("Attainment %")
        GROSS_MARGIN = "gross_margin", _("Gross margin")
        NEW_CUSTOMERS = "new_customers", _("New customers")
        RETENTION = "retention", _("Retention")
        AOV = "aov", _("Average order value")
        IMPORTED = "imported", _("Imported metric")

    code = models.CharField(_("code"), max_length=50, unique=True)
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)

    class Meta:
        ordering = ["code"]
        verbose_name = _("KPI")
        verbose_name_plural = _("KPIs")
        constraints = [
            models.CheckConstraint(
                condition=Q(
                    kind__in=[
                        "revenue",
                        "attainment",
                        "gross_margin",
                        "new_customers",
                        "retention",
                        "aov",
                        "imported",
                    ]
                ),
                name="kpi_kind_valid",
            ),
        ]

    def __str__(self) -> str:
        return self.code


class KpiValue(TimeStampedModel):
    """An imported metric (e.g. customer satisfaction) for one salesperson and month."""

    kpi = models.ForeignKey(Kpi, on_delete=models.CASCADE, related_name="values")
    salesperson = models.ForeignKey(
        "allocation.Salesperson", on_delete=models.CASCADE, related_name="+"
    )
    month = models.DateField(help_text="First day of the calendar month.")
    value = models.DecimalField(max_digits=18, decimal_places=4)

    class Meta:
        ordering = ["kpi", "salesperson", "month"]
        verbose_name = _("KPI value")
        verbose_name_plural = _("KPI values")
        constraints = [
            models.UniqueConstraint(
                fields=["kpi", "salesperson", "month"], name="kpivalue_unique_cell"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kpi_id} {self.salesperson_id} {self.month}: {self.value}"


class ScorecardTemplate(TimeStampedModel):
    """Weighted KPIs with scoring rules, evaluated per month or quarter of a year."""

    class Period(models.TextChoices):
        MONTH = "month", _("Month")
        QUARTER = "quarter", _("Quarter")

    class PeerGroup(models.TextChoices):
        TEAM = "team", _("Team")
        REGION = "region", _("Region")
        COMPANY = "company", _("Company")

    name = models.CharField(_("name"), max_length=200, unique=True)
    year = models.PositiveSmallIntegerField(_("year"))
    period = models.CharField(_("period"), max_length=10, choices=Period.choices)
    peer_group = models.CharField(
        _("peer group"), max_length=10, choices=PeerGroup.choices, default=PeerGroup.COMPANY
    )
    target_plan = models.ForeignKey(
        "allocation.Plan",
        verbose_name=_("target plan"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("Revenue and attainment targets come from this plan."),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-year", "name"]
        verbose_name = _("scorecard template")
        verbose_name_plural = _("scorecard templates")

    def __str__(self) -> str:
        return self.name


class ScorecardItem(TimeStampedModel):
    """One KPI of a template: its weight (%), rule and target."""

    class Rule(models.TextChoices):
        LINEAR = "linear", _("Linear to target, capped")
        BANDS = "bands", _("Threshold bands")

    template = models.ForeignKey(ScorecardTemplate, on_delete=models.CASCADE, related_name="items")
    kpi = models.ForeignKey(Kpi, on_delete=models.PROTECT, related_name="+")
    position = models.PositiveSmallIntegerField(default=0)
    weight = models.DecimalField(_("weight %"), max_digits=5, decimal_places=2)
    rule = models.CharField(_("rule"), max_length=10, choices=Rule.choices, default=Rule.LINEAR)
    target = models.DecimalField(
        _("target per period"), max_digits=18, decimal_places=4, null=True, blank=True
    )
    cap = models.DecimalField(
        _("cap (share of target)"), max_digits=6, decimal_places=4, null=True, blank=True
    )
    bands = models.JSONField(_("bands"), default=list, blank=True)  # [{"from", "points"}]

    class Meta:
        ordering = ["template", "position"]
        verbose_name = _("scorecard KPI")
        verbose_name_plural = _("scorecard KPIs")
        constraints = [
            models.UniqueConstraint(fields=["template", "kpi"], name="scorecarditem_unique_kpi"),
            models.CheckConstraint(
                condition=Q(weight__gte=0) & Q(weight__lte=100), name="scorecarditem_weight_range"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kpi_id} {self.weight}%"


class Scorecard(TimeStampedModel):
    """One salesperson's evaluated scorecard for one period of a template."""

    template = models.ForeignKey(
        ScorecardTemplate, on_delete=models.CASCADE, related_name="scorecards"
    )
    salesperson = models.ForeignKey(
        "allocation.Salesperson", on_delete=models.CASCADE, related_name="scorecards"
    )
    period = models.CharField(max_length=7)
    position = models.PositiveSmallIntegerField(default=0)
    peer_group = models.CharField(max_length=50)  # the group's org unit code or "company"
    score = models.DecimalField(max_digits=8, decimal_places=2)
    rank = models.PositiveIntegerField()
    percentile = models.DecimalField(max_digits=5, decimal_places=1)
    # [{"kpi", "actual", "target", "weight", "score"}] as decimal strings, in template order
    kpis = models.JSONField(default=list)
    computed_at = models.DateTimeField()

    class Meta:
        ordering = ["template", "position", "peer_group", "rank", "salesperson__code"]
        verbose_name = _("scorecard")
        verbose_name_plural = _("scorecards")
        constraints = [
            models.UniqueConstraint(
                fields=["template", "salesperson", "period"], name="scorecard_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.template_id} {self.salesperson_id} {self.period}: {self.score}"
