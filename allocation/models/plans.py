"""Plans: the target grid, its constraints, method inputs, audit trail, acknowledgements and
sheet uploads (the dimensions they refer to are in ``allocation.models.dimensions``)."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from allocation.models.dimensions import OrgUnit, ProductLine, Salesperson
from salesalloc.core.models import HeartbeatModel, TimeStampedModel

# --- Plans: the target grid -----------------------------------------------------------------
#
# A plan's only stored measure is ``TargetCell`` (salesperson x leaf product line x month);
# every other figure (quarter, year, org unit, product-line category, plan total) is a sum of
# leaves. Cell *coordinates* (``CellConstraint``, ``PlanChange``) name a cube cell: an org node
# (org unit, salesperson, or neither = the whole plan), a product-line node (or none = all
# lines) and a period: ``"year"``, a fiscal quarter ``"Q1"``..``"Q4"`` or a month
# ``"YYYY-MM"``.

PERIOD_MAX_LENGTH = 7


class ReliefDistribution(models.TextChoices):
    """What happens to relieved target: the plan's rule, and the approver's choice."""

    ABSORB = "absorb", _("Absorbed: the team and company totals drop")
    REDISTRIBUTE = "redistribute", _("Redistributed over the unlocked teammates")


class Plan(TimeStampedModel):
    """A fiscal year's sales targets, split down the org tree, product lines and months."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SUBMITTED = "submitted", _("Submitted")
        APPROVED = "approved", _("Approved")
        PUBLISHED = "published", _("Published")
        ARCHIVED = "archived", _("Archived")

    class Mode(models.TextChoices):
        TOP_DOWN = "top_down", _("Top-down")
        BOTTOM_UP = "bottom_up", _("Bottom-up")

    class Measure(models.TextChoices):
        REVENUE = "revenue", _("Revenue")
        QUANTITY = "quantity", _("Quantity")
        GROSS_MARGIN = "gross_margin", _("Gross margin")
        NEW_CUSTOMER_REVENUE = "new_customer_revenue", _("New-customer revenue")

    name = models.CharField(_("name"), max_length=200)
    fiscal_year = models.PositiveSmallIntegerField(
        _("fiscal year"), help_text=_("The calendar year in which the fiscal year starts.")
    )
    start_month = models.PositiveSmallIntegerField(
        _("start month"), default=1, help_text=_("Calendar month (1-12) the fiscal year starts.")
    )
    currency = models.CharField(_("currency"), max_length=3, default="CNY")
    total_amount = models.DecimalField(
        _("total amount"), max_digits=14, decimal_places=2, default=0
    )
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.DRAFT
    )
    mode = models.CharField(_("mode"), max_length=20, choices=Mode.choices, default=Mode.TOP_DOWN)
    version = models.PositiveIntegerField(_("version"), default=1)
    previous_version = models.ForeignKey(
        "self",
        verbose_name=_("previous version"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="next_versions",
    )
    scenario_of = models.ForeignKey(
        "self",
        verbose_name=_("scenario of"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="scenarios",
        help_text=_("A what-if copy of this plan; scenarios are never published."),
    )
    measure = models.CharField(
        _("measure"),
        max_length=24,
        choices=Measure.choices,
        default=Measure.REVENUE,
        help_text=_("What the plan's targets count: revenue, units, gross margin ..."),
    )
    measure_of = models.ForeignKey(
        "self",
        verbose_name=_("measure of"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="measures",
        help_text=_(
            "The revenue plan this measure belongs to; it moves through the lifecycle with it."
        ),
    )
    root_org_unit = models.ForeignKey(
        OrgUnit,
        verbose_name=_("org unit"),
        on_delete=models.PROTECT,
        related_name="plans",
        help_text=_("The part of the company the plan covers (its subtree)."),
    )
    product_lines = models.ManyToManyField(
        ProductLine,
        verbose_name=_("product lines"),
        related_name="plans",
        blank=True,
        help_text=_("The leaf product lines the plan covers."),
    )
    salespeople = models.ManyToManyField(
        Salesperson,
        verbose_name=_("salespeople"),
        related_name="plans",
        blank=True,
        help_text=_("The people with targets in this plan (set when it is allocated)."),
    )
    method_config = models.JSONField(_("allocation methods"), default=dict, blank=True)
    relief_distribution = models.CharField(
        _("approved quota relief"),
        max_length=12,
        choices=ReliefDistribution.choices,
        default=ReliefDistribution.ABSORB,
        help_text=_("The default when relief is approved; the approver may choose the other."),
    )
    revision = models.PositiveIntegerField(
        _("revision"), default=0, help_text=_("Goes up by one with every change of the grid.")
    )
    allocated_at = models.DateTimeField(_("allocated at"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    submitted_at = models.DateTimeField(null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    published_at = models.DateTimeField(null=True, blank=True)
    archived_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    archived_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-fiscal_year", "name", "version"]
        verbose_name = _("plan")
        verbose_name_plural = _("plans")
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["draft", "submitted", "approved", "published", "archived"]),
                name="plan_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(mode__in=["top_down", "bottom_up"]), name="plan_mode_valid"
            ),
            models.CheckConstraint(
                condition=Q(start_month__gte=1) & Q(start_month__lte=12),
                name="plan_start_month_range",
            ),
            models.CheckConstraint(
                condition=Q(fiscal_year__gte=1900) & Q(fiscal_year__lte=2999),
                name="plan_fiscal_year_range",
            ),
            models.CheckConstraint(
                condition=Q(total_amount__gte=0), name="plan_total_not_negative"
            ),
            models.CheckConstraint(condition=Q(version__gte=1), name="plan_version_positive"),
            models.CheckConstraint(
                condition=Q(
                    measure__in=["revenue", "quantity", "gross_margin", "new_customer_revenue"]
                ),
                name="plan_measure_valid",
            ),
            models.CheckConstraint(
                condition=(Q(measure="revenue") & Q(measure_of__isnull=True))
                | (~Q(measure="revenue") & Q(measure_of__isnull=False)),
                name="plan_measure_of_revenue_plan",
            ),
            models.UniqueConstraint(
                fields=["measure_of", "measure"], name="plan_one_plan_per_measure"
            ),
            models.CheckConstraint(
                condition=~(Q(status="published") & Q(scenario_of__isnull=False)),
                name="plan_scenario_never_published",
            ),
            models.CheckConstraint(
                condition=Q(relief_distribution__in=["absorb", "redistribute"]),
                name="plan_relief_distribution_valid",
            ),
            # One truth per year: at most one published plan per fiscal year and scope (the
            # root org unit). Nested scopes are refused by ``plan_publish``. Measure plans are
            # published with their revenue plan and are not counted.
            models.UniqueConstraint(
                fields=["fiscal_year", "root_org_unit"],
                condition=Q(status="published", measure_of__isnull=True),
                name="plan_one_published_per_year_scope",
                violation_error_message=_(
                    "Another plan of this fiscal year and org unit is already published."
                ),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} FY{self.fiscal_year} v{self.version}"


class TargetCell(TimeStampedModel):
    """A leaf of a plan's grid: one salesperson's target for one product line and month.

    The only stored measure of a plan: every other figure is a sum of these. Written in bulk
    by ``allocation.services`` (COPY on PostgreSQL), never one by one.

    A bulk-loaded fact table: its foreign keys are kept by the services (every id comes from
    the plan's own structure) and by Django's ``on_delete``, not by database triggers. Per-row
    referential checks cost more than the whole rest of a 480,000-leaf allocation (DESIGN §8
    allows 5 s); the unique key still guards the grain.
    """

    plan = models.ForeignKey(
        Plan, on_delete=models.CASCADE, related_name="cells", db_index=False, db_constraint=False
    )
    salesperson = models.ForeignKey(
        Salesperson,
        on_delete=models.PROTECT,
        related_name="target_cells",
        db_index=False,
        db_constraint=False,
    )
    product_line = models.ForeignKey(
        ProductLine,
        on_delete=models.PROTECT,
        related_name="target_cells",
        db_index=False,
        db_constraint=False,
    )
    month = models.DateField(help_text="First day of the calendar month.")
    amount = models.DecimalField(max_digits=14, decimal_places=2)

    class Meta:
        verbose_name = _("target")
        verbose_name_plural = _("targets")
        constraints = [
            models.UniqueConstraint(
                fields=["plan", "salesperson", "product_line", "month"],
                name="targetcell_grain_unique",
            ),
            models.CheckConstraint(condition=Q(amount__gte=0), name="targetcell_not_negative"),
        ]

    def __str__(self) -> str:
        return (
            f"{self.plan_id}/{self.salesperson_id}/{self.product_line_id}/"
            f"{self.month:%Y-%m}: {self.amount}"
        )


def _cell_coordinate_q() -> Q:
    return Q(org_unit__isnull=True) | Q(salesperson__isnull=True)


class CellConstraint(TimeStampedModel):
    """A lock and/or min/max bounds on one cell of a plan's cube (any coordinate)."""

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="constraints")
    org_unit = models.ForeignKey(
        OrgUnit, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    salesperson = models.ForeignKey(
        Salesperson, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    product_line = models.ForeignKey(
        ProductLine, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    period = models.CharField(max_length=PERIOD_MAX_LENGTH)
    locked = models.BooleanField(default=False)
    min_amount = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    max_amount = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)

    class Meta:
        verbose_name = _("cell lock or bound")
        verbose_name_plural = _("cell locks and bounds")
        constraints = [
            models.CheckConstraint(condition=_cell_coordinate_q(), name="cellconstraint_one_org"),
            models.CheckConstraint(
                condition=Q(min_amount__isnull=True) | Q(min_amount__gte=0),
                name="cellconstraint_min_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(min_amount__isnull=True)
                | Q(max_amount__isnull=True)
                | Q(max_amount__gte=F("min_amount")),
                name="cellconstraint_min_le_max",
            ),
            models.UniqueConstraint(
                "plan",
                Coalesce("org_unit", models.Value(0)),
                Coalesce("salesperson", models.Value(0)),
                Coalesce("product_line", models.Value(0)),
                "period",
                name="cellconstraint_cell_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.plan_id}: {self.org_unit_id}/{self.salesperson_id}/{self.product_line_id}"


class MethodInput(TimeStampedModel):
    """Per-node inputs of the weight methods (manual %, growth, potential, FTE override)."""

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="method_inputs")
    org_unit = models.ForeignKey(
        OrgUnit, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    salesperson = models.ForeignKey(
        Salesperson, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    product_line = models.ForeignKey(
        ProductLine, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    manual_percent = models.DecimalField(max_digits=9, decimal_places=4, null=True, blank=True)
    growth_rate = models.DecimalField(max_digits=9, decimal_places=4, null=True, blank=True)
    potential_index = models.DecimalField(max_digits=18, decimal_places=4, null=True, blank=True)
    fte_override = models.DecimalField(max_digits=4, decimal_places=2, null=True, blank=True)

    class Meta:
        verbose_name = _("method input")
        verbose_name_plural = _("method inputs")
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(org_unit__isnull=False, salesperson__isnull=True, product_line__isnull=True)
                    | Q(org_unit__isnull=True, salesperson__isnull=False, product_line__isnull=True)
                    | Q(org_unit__isnull=True, salesperson__isnull=True, product_line__isnull=False)
                ),
                name="methodinput_one_node",
            ),
            models.CheckConstraint(
                condition=Q(manual_percent__isnull=True)
                | (Q(manual_percent__gte=0) & Q(manual_percent__lte=100)),
                name="methodinput_percent_range",
            ),
            models.CheckConstraint(
                condition=Q(growth_rate__isnull=True) | Q(growth_rate__gte=-1),
                name="methodinput_growth_range",
            ),
            models.CheckConstraint(
                condition=Q(potential_index__isnull=True) | Q(potential_index__gte=0),
                name="methodinput_potential_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(fte_override__isnull=True)
                | (Q(fte_override__gte=0) & Q(fte_override__lte=10)),
                name="methodinput_fte_range",
            ),
            models.UniqueConstraint(
                "plan",
                Coalesce("org_unit", models.Value(0)),
                Coalesce("salesperson", models.Value(0)),
                Coalesce("product_line", models.Value(0)),
                name="methodinput_node_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.plan_id}: {self.org_unit_id}/{self.salesperson_id}/{self.product_line_id}"


class ProductLineTotal(TimeStampedModel):
    """A fixed product-line total: the plan then meets org *and* product-line margins."""

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="product_line_totals")
    product_line = models.ForeignKey(ProductLine, on_delete=models.PROTECT, related_name="+")
    amount = models.DecimalField(max_digits=14, decimal_places=2)

    class Meta:
        verbose_name = _("fixed product-line total")
        verbose_name_plural = _("fixed product-line totals")
        constraints = [
            models.UniqueConstraint(
                fields=["plan", "product_line"], name="productlinetotal_unique"
            ),
            models.CheckConstraint(
                condition=Q(amount__gte=0), name="productlinetotal_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.plan_id}/{self.product_line_id}: {self.amount}"


class PlanChange(TimeStampedModel):
    """One audited change of a plan: who, when, which cell, old -> new, why.

    Grid changes name the cell that was set (``leaf_count`` leaves changed with it); one
    multi-cell change (paste, upload) writes one row per cell with a shared ``batch``.
    Coordinates keep a readable ``cell`` label so the trail survives renamed codes.
    """

    class Action(models.TextChoices):
        CREATE = "create", _("Created")
        UPDATE = "update", _("Settings changed")
        METHOD = "method", _("Methods changed")
        ALLOCATE = "allocate", _("Allocated")
        EDIT = "edit", _("Cell edited")
        PASTE = "paste", _("Cells pasted")
        UPLOAD = "upload", _("Sheet uploaded")
        UNDO = "undo", _("Undone")
        LOCK = "lock", _("Cell locked")
        UNLOCK = "unlock", _("Cell unlocked")
        BOUNDS = "bounds", _("Bounds set")
        SUBMIT = "submit", _("Submitted")
        APPROVE = "approve", _("Approved")
        REJECT = "reject", _("Rejected")
        PUBLISH = "publish", _("Published")
        ARCHIVE = "archive", _("Archived")
        NEW_VERSION = "new_version", _("New version")
        SCENARIO = "scenario", _("Scenario created")
        RESPREAD = "respread", _("Re-spread")
        ACKNOWLEDGE = "acknowledge", _("Acknowledged")
        DISPUTE = "dispute", _("Disputed")
        RELIEF = "relief", _("Quota relief")

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="changes")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    action = models.CharField(max_length=20, choices=Action.choices)
    batch = models.UUIDField(null=True, blank=True)
    org_unit = models.ForeignKey(
        OrgUnit, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    salesperson = models.ForeignKey(
        Salesperson, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    product_line = models.ForeignKey(
        ProductLine, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    period = models.CharField(max_length=PERIOD_MAX_LENGTH, blank=True, default="")
    cell = models.CharField(max_length=300, blank=True, default="")
    old_amount = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    new_amount = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    reason = models.TextField(blank=True, default="")
    leaf_count = models.PositiveIntegerField(default=0)
    details = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("plan change")
        verbose_name_plural = _("plan changes")
        indexes = [models.Index(fields=["plan", "created_at"], name="planchange_plan_at_idx")]

    def __str__(self) -> str:
        return f"{self.plan_id} {self.action} {self.cell}"


class Acknowledgement(TimeStampedModel):
    """A salesperson's answer to their published targets: acknowledged or disputed."""

    class Status(models.TextChoices):
        ACKNOWLEDGED = "acknowledged", _("Acknowledged")
        DISPUTED = "disputed", _("Disputed")

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="acknowledgements")
    salesperson = models.ForeignKey(
        Salesperson, on_delete=models.CASCADE, related_name="acknowledgements"
    )
    status = models.CharField(max_length=20, choices=Status.choices)
    comment = models.TextField(blank=True, default="")
    acted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    acted_at = models.DateTimeField()

    class Meta:
        verbose_name = _("acknowledgement")
        verbose_name_plural = _("acknowledgements")
        constraints = [
            models.UniqueConstraint(fields=["plan", "salesperson"], name="acknowledgement_unique"),
            models.CheckConstraint(
                condition=Q(status__in=["acknowledged", "disputed"]),
                name="acknowledgement_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(status="acknowledged") | ~Q(comment=""),
                name="acknowledgement_dispute_has_comment",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.plan_id}/{self.salesperson_id}: {self.status}"


class PlanUpload(HeartbeatModel, TimeStampedModel):
    """An edited plan sheet: read by a background job into a preview, then confirmed.

    The request stores the file (after cheap metadata checks) and answers at once; the job
    (``allocation.plan_sheet_upload``) reads the workbook into the batch of cell edits it asks
    for and works out what they do under the upload's keep rule without writing anything:
    ``previewed`` with every cell that will change in ``preview`` (or ``failed`` with the
    sheet cells in ``errors``). The uploader then confirms it (the same batch is applied as
    one change, unless the plan has moved since: ``succeeded`` with the new revision in
    ``result``) or discards it. An upload sent with ``preview=False`` is applied by the job
    at once. A running upload beats (``HeartbeatModel``); when its worker dies,
    ``plan_uploads_sweep`` fails it.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        PREVIEWED = "previewed", _("Ready to confirm")
        SUCCEEDED = "succeeded", _("Succeeded")
        FAILED = "failed", _("Failed")
        DISCARDED = "discarded", _("Discarded")

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="uploads")
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.QUEUED
    )
    file = models.FileField(upload_to="plan-uploads/%Y/%m/", max_length=300)
    original_name = models.CharField(_("file name"), max_length=255, blank=True, default="")
    size_bytes = models.BigIntegerField(default=0)
    reason = models.TextField(blank=True, default="")
    keep = models.CharField(_("keep rule"), max_length=20, default="row_year")
    with_preview = models.BooleanField(default=True)
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
    # What confirming would change (shown), and the batch of cell edits it applies.
    preview = models.JSONField(default=dict, blank=True)
    edits = models.JSONField(default=dict, blank=True)
    result = models.JSONField(default=dict, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("plan sheet upload")
        verbose_name_plural = _("plan sheet uploads")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(
                    status__in=[
                        "queued",
                        "running",
                        "previewed",
                        "succeeded",
                        "failed",
                        "discarded",
                    ]
                ),
                name="planupload_status_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(keep__in=["row_year", "period_total"]),
                name="planupload_keep_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.plan_id} {self.original_name} {self.status}"
