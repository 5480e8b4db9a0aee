"""Customers, products, orders and the order-import pipeline's bookkeeping.

Order lines denormalise the order's date and customer so that actuals, tiers and RFM are
single-table, index-backed scans; the import keeps both copies in step.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from allocation.models import ProductLine, Salesperson
from salesalloc.core.models import HeartbeatModel, TimeStampedModel


class Customer(TimeStampedModel):
    code = models.CharField(_("customer code"), max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=200, blank=True)
    region = models.CharField(_("region"), max_length=100, blank=True)
    state = models.CharField(_("state / province"), max_length=100, blank=True)
    city = models.CharField(_("city"), max_length=100, blank=True)
    country = models.CharField(_("country"), max_length=100, blank=True)
    segment = models.CharField(_("segment"), max_length=100, blank=True)
    owner = models.ForeignKey(
        Salesperson,
        verbose_name=_("account owner"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="customers",
    )
    # Personal data: shown and exported only with the view_personal_data permission.
    phone = models.CharField(_("phone"), max_length=50, blank=True)
    email = models.CharField(_("e-mail"), max_length=254, blank=True)
    address = models.CharField(_("address"), max_length=300, blank=True)
    # The date of the customer's first order over all history (any salesperson): kept by
    # every import in its own transaction and by the nightly recompute
    # (customers.services.actuals.customer_first_orders_refresh); the new-customer KPI
    # reads it instead of scanning every order line.
    first_order_date = models.DateField(_("first order"), null=True, blank=True, editable=False)

    PERSONAL_FIELDS = ("phone", "email", "address")

    class Meta:
        ordering = ["code"]
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        permissions = [("view_personal_data", _("Can see customers' personal data"))]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class Product(TimeStampedModel):
    sku = models.CharField(_("SKU"), max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=300, blank=True)
    product_line = models.ForeignKey(
        ProductLine,
        verbose_name=_("product line"),
        on_delete=models.PROTECT,
        related_name="products",
    )

    class Meta:
        ordering = ["sku"]
        verbose_name = _("product")
        verbose_name_plural = _("products")

    def __str__(self) -> str:
        return f"{self.sku} {self.name}"


class Order(TimeStampedModel):
    # Unique by a constraint, not unique=True: PostgreSQL then keeps one index, without the
    # extra varchar_pattern_ops copy that every imported order would have to maintain.
    order_no = models.CharField(_("order number"), max_length=64)
    order_date = models.DateField(_("order date"))
    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.PROTECT, related_name="orders"
    )

    class Meta:
        ordering = ["-order_date", "order_no"]
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        constraints = [models.UniqueConstraint(fields=["order_no"], name="order_order_no_unique")]

    def __str__(self) -> str:
        return self.order_no


class OrderLine(TimeStampedModel):
    """One line of an order; (order, line_no) is the natural key that re-imports upsert."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines", db_index=False)
    line_no = models.PositiveIntegerField(_("line"))
    order_date = models.DateField(_("order date"))
    customer = models.ForeignKey(
        Customer, on_delete=models.PROTECT, related_name="order_lines", db_index=False
    )
    salesperson = models.ForeignKey(
        Salesperson, on_delete=models.PROTECT, related_name="order_lines", db_index=False
    )
    product_line = models.ForeignKey(
        ProductLine, on_delete=models.PROTECT, related_name="order_lines", db_index=False
    )
    product = models.ForeignKey(
        Product,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="order_lines",
        db_index=False,
    )
    quantity = models.DecimalField(_("quantity"), max_digits=14, decimal_places=4, null=True)
    unit_price = models.DecimalField(_("unit price"), max_digits=18, decimal_places=6, null=True)
    amount = models.DecimalField(_("net amount"), max_digits=18, decimal_places=4)
    cost = models.DecimalField(_("cost"), max_digits=18, decimal_places=4, null=True)
    # Credited to several salespeople: the shares are the line's OrderLineCredit rows (the
    # line's own salesperson among them), and reports read those instead of the line.
    split_credit = models.BooleanField(_("split credit"), default=False, db_default=False)
    import_job = models.ForeignKey(
        "ImportJob",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        db_index=False,
        related_name="+",
    )

    class Meta:
        ordering = ["-order_date", "order_id", "line_no"]
        verbose_name = _("order line")
        verbose_name_plural = _("order lines")
        constraints = [
            models.UniqueConstraint(fields=["order", "line_no"], name="orderline_natural_key"),
            models.CheckConstraint(
                condition=Q(unit_price__isnull=True) | Q(unit_price__gte=0),
                name="orderline_unit_price_not_negative",
            ),
        ]
        indexes = [
            # With the customer and the order in the key, the scorecards' order KPIs (distinct
            # orders and customers of some people's periods) are an index-only scan: a
            # salesperson's lines lie all over the table, one page read per line otherwise.
            models.Index(
                fields=["salesperson", "order_date", "customer", "order"],
                name="orderline_sp_date_cust_idx",
            ),
            models.Index(fields=["customer", "order_date"], name="orderline_cust_date_idx"),
            # Returns only (~3 % of the lines): commission clawbacks find a period's returns
            # without scanning its sales.
            models.Index(
                fields=["order_date"], condition=Q(amount__lt=0), name="orderline_return_date_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.order_id}/{self.line_no}"


class ColumnMapping(TimeStampedModel):
    """A saved mapping from an ERP export's headers to salesalloc's order fields."""

    class DateOrder(models.TextChoices):
        AUTO = "auto", _("Detect")
        YMD = "ymd", _("Year-month-day")
        MDY = "mdy", _("Month/day/year")
        DMY = "dmy", _("Day/month/year")

    name = models.CharField(_("name"), max_length=100, unique=True)
    description = models.CharField(_("description"), max_length=300, blank=True)
    columns = models.JSONField(
        _("columns"),
        default=dict,
        help_text=_('Order field -> header in the file, e.g. {"amount": "Sales"}.'),
    )
    date_order = models.CharField(
        _("date order"), max_length=4, choices=DateOrder.choices, default=DateOrder.AUTO
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("column mapping")
        verbose_name_plural = _("column mappings")

    def __str__(self) -> str:
        return self.name


class TerritoryRule(TimeStampedModel):
    """Assigns a salesperson to rows of a file that name none, by a customer attribute."""

    class Attribute(models.TextChoices):
        CUSTOMER_CODE = "customer_code", _("Customer code")
        CITY = "city", _("City")
        STATE = "state", _("State / province")
        REGION = "region", _("Region")
        COUNTRY = "country", _("Country")

    attribute = models.CharField(_("attribute"), max_length=20, choices=Attribute.choices)
    value = models.CharField(_("value"), max_length=200)
    salesperson = models.ForeignKey(
        Salesperson,
        verbose_name=_("salesperson"),
        on_delete=models.CASCADE,
        related_name="territory_rules",
    )

    class Meta:
        ordering = ["attribute", "value"]
        verbose_name = _("territory rule")
        verbose_name_plural = _("territory rules")
        constraints = [
            models.UniqueConstraint(fields=["attribute", "value"], name="territory_rule_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.attribute}={self.value} -> {self.salesperson_id}"


class ImportJob(HeartbeatModel, TimeStampedModel):
    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        SUCCEEDED = "succeeded", _("Succeeded")
        FAILED = "failed", _("Failed")

    class Mode(models.TextChoices):
        ALL_OR_NOTHING = "all_or_nothing", _("All or nothing")
        PARTIAL = "partial", _("Store the good rows")

    class Phase(models.TextChoices):
        WAITING = "waiting", _("Waiting")
        READING = "reading", _("Reading and checking rows")
        WRITING = "writing", _("Saving")
        DONE = "done", _("Done")

    class Outcome(models.TextChoices):
        """How a job ended, at a glance (``status`` keeps the four values of DESIGN §7)."""

        PENDING = "pending", _("In progress")
        CLEAN = "clean", _("Succeeded")
        WITH_WARNINGS = "with_warnings", _("Completed with warnings")
        WITH_ERRORS = "with_errors", _("Completed with errors")
        FAILED = "failed", _("Failed")

    class RecomputeStatus(models.TextChoices):
        PENDING = "pending", _("Pending")
        RUNNING = "running", _("Running")
        SUCCEEDED = "succeeded", _("Succeeded")
        FAILED = "failed", _("Failed")
        SKIPPED = "skipped", _("Not needed")

    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.QUEUED
    )
    phase = models.CharField(max_length=10, choices=Phase.choices, default=Phase.WAITING)
    mode = models.CharField(
        _("mode"), max_length=20, choices=Mode.choices, default=Mode.ALL_OR_NOTHING
    )
    file = models.FileField(upload_to="imports/%Y/%m/", max_length=300)
    original_name = models.CharField(_("file name"), max_length=255)
    size_bytes = models.BigIntegerField(default=0)
    sha256 = models.CharField(max_length=64, blank=True)
    mapping = models.ForeignKey(
        ColumnMapping, null=True, blank=True, on_delete=models.SET_NULL, related_name="jobs"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="import_jobs",
    )
    # The uploader's language: row errors and the summary are written in it.
    language = models.CharField(max_length=10, blank=True, default="")
    rows_total = models.IntegerField(default=0)
    rows_done = models.IntegerField(default=0)
    rows_imported = models.IntegerField(default=0)
    rows_rejected = models.IntegerField(default=0)
    rows_inserted = models.IntegerField(default=0)
    rows_updated = models.IntegerField(default=0)
    rows_unchanged = models.IntegerField(default=0)
    errors = models.JSONField(default=list, blank=True)
    errors_total = models.IntegerField(default=0)
    # Rows stored with a reservation, e.g. a customer whose details were kept because other
    # parts of the company sell to it too: [{"row", "column", "message"}].
    notices = models.JSONField(default=list, blank=True)
    # Rows stored although something looks wrong (amount != quantity x unit price, a credit
    # rule that could not apply): [{"row", "column", "order", "code", "text"}].
    warnings = models.JSONField(default=list, blank=True)
    warnings_total = models.IntegerField(default=0)
    # The summary in the uploader's language, for logs and the command line; ``summary`` keeps
    # it untranslated (salesalloc.core.texts) so that pages show it in the viewer's language.
    message = models.TextField(blank=True)
    summary = models.JSONField(default=list, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    recompute_status = models.CharField(
        max_length=10, choices=RecomputeStatus.choices, default=RecomputeStatus.PENDING
    )
    recomputed_at = models.DateTimeField(null=True, blank=True)
    affected_cells = models.JSONField(
        default=list, blank=True, help_text="[[salesperson_id, 'YYYY-MM-01'], ...] to recompute."
    )
    # Customers that had orders before and whose first order date the import moved:
    # [[customer_id, "YYYY-MM-DD", "YYYY-MM-DD" | None], ...] (the new-customer KPI of other
    # salespeople who sold to them may change).
    first_order_moves = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("import")
        verbose_name_plural = _("imports")
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["queued", "running", "succeeded", "failed"]),
                name="importjob_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(mode__in=["all_or_nothing", "partial"]), name="importjob_mode_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.original_name} ({self.status})"

    @property
    def outcome(self) -> str:
        """``clean``, ``with_warnings`` or ``with_errors`` for a succeeded job (rows were
        rejected in partial mode: with errors), ``failed``, or ``pending`` while it runs."""
        if self.status == self.Status.FAILED:
            return self.Outcome.FAILED
        if self.status != self.Status.SUCCEEDED:
            return self.Outcome.PENDING
        if self.rows_rejected:
            return self.Outcome.WITH_ERRORS
        if self.warnings_total:
            return self.Outcome.WITH_WARNINGS
        return self.Outcome.CLEAN

    def get_outcome_display(self) -> str:
        return str(self.Outcome(self.outcome).label)

    @property
    def badge_status(self) -> str:
        """What the status badge shows: the outcome once finished, else queued/running."""
        return self.status if self.outcome == self.Outcome.PENDING else self.outcome

    @property
    def badge_label(self) -> str:
        if self.outcome == self.Outcome.PENDING:
            return str(self.get_status_display())
        return self.get_outcome_display()


# The tiers, credit and accounts packages keep their own models under this app's label
# (CONVENTIONS §1).
from customers.accounts.models import AccountPlan, AccountTarget  # noqa: E402
from customers.credit.models import (  # noqa: E402
    CreditRule,
    CreditRuleShare,
    OrderLineCredit,
)
from customers.tiers.models import CustomerTier, TierRule, TierRun, TierSettings  # noqa: E402

__all__ = [
    "AccountPlan",
    "AccountTarget",
    "ColumnMapping",
    "CreditRule",
    "CreditRuleShare",
    "Customer",
    "CustomerTier",
    "ImportJob",
    "Order",
    "OrderLine",
    "OrderLineCredit",
    "Product",
    "TerritoryRule",
    "TierRule",
    "TierRun",
    "TierSettings",
]
