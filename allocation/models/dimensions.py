"""The plan grid's dimensions (org tree, salespeople, product lines) and measures (actuals).

Trees keep a materialised ``path`` of primary keys ("/1/4/9/") so that a subtree is one
indexed ``path__startswith`` filter. Paths are maintained by ``allocation.services``.
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from salesalloc.core.models import TimeStampedModel


class OrgUnit(TimeStampedModel):
    class Kind(models.TextChoices):
        COMPANY = "company", _("Company")
        REGION = "region", _("Region")
        DEPARTMENT = "department", _("Department")
        TEAM = "team", _("Team")

    code = models.CharField(_("code"), max_length=50, unique=True)
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.TEAM)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    path = models.CharField(max_length=512, db_index=True, editable=False, default="")
    depth = models.PositiveSmallIntegerField(editable=False, default=0)
    managers = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("managers"),
        blank=True,
        related_name="managed_org_units",
        help_text=_("Managers see and manage this unit and everything below it."),
    )
    currency = models.CharField(
        _("currency"),
        max_length=3,
        blank=True,
        default="",
        help_text=_(
            "The company's currency, on its top unit (ISO code such as CNY or USD): new plans "
            "default to it. Empty: the SALESALLOC_CURRENCY setting."
        ),
    )

    class Meta:
        ordering = ["path"]
        verbose_name = _("org unit")
        verbose_name_plural = _("org units")
        permissions = [("manage_all", _("Can see and manage the whole company (sales admin)"))]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=["company", "region", "department", "team"]),
                name="orgunit_kind_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class Salesperson(TimeStampedModel):
    code = models.CharField(_("code"), max_length=50, unique=True)
    name = models.CharField(_("name"), max_length=200)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("login"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="salesperson",
    )
    org_unit = models.ForeignKey(
        OrgUnit, verbose_name=_("org unit"), on_delete=models.PROTECT, related_name="salespeople"
    )
    start_date = models.DateField(_("start date"), null=True, blank=True)
    end_date = models.DateField(_("end date"), null=True, blank=True)
    fte = models.DecimalField(_("FTE"), max_digits=4, decimal_places=2, default=1)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("salesperson")
        verbose_name_plural = _("salespeople")
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__isnull=True)
                | Q(start_date__isnull=True)
                | Q(end_date__gte=F("start_date")),
                name="salesperson_end_after_start",
            ),
            models.CheckConstraint(
                condition=Q(fte__gte=0) & Q(fte__lte=10), name="salesperson_fte_range"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class ProductLine(TimeStampedModel):
    code = models.CharField(_("code"), max_length=50, unique=True)
    name = models.CharField(_("name"), max_length=200)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    path = models.CharField(max_length=512, db_index=True, editable=False, default="")
    depth = models.PositiveSmallIntegerField(editable=False, default=0)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["path"]
        verbose_name = _("product line")
        verbose_name_plural = _("product lines")

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class ActualCell(TimeStampedModel):
    """Net order amount at plan-grid grain: salesperson x product line x month.

    Besides the amount each cell carries the other measures a plan can target
    (``allocation.measures``): units sold, the lines' cost (gross margin = amount - cost) and
    the revenue from new customers (customers whose first order over all history falls in
    the 12 months up to and including the cell's month). Always equal to the sum of the
    order lines it covers; rebuilt only by
    ``allocation.services.actual_cells_replace``. Amounts keep the order lines' precision
    (4 places) so that every roll-up is exact.
    """

    salesperson = models.ForeignKey(
        Salesperson, on_delete=models.PROTECT, related_name="actual_cells", db_index=False
    )
    product_line = models.ForeignKey(
        ProductLine, on_delete=models.PROTECT, related_name="actual_cells", db_index=False
    )
    month = models.DateField(help_text="First day of the calendar month.")
    amount = models.DecimalField(max_digits=18, decimal_places=4)
    cost = models.DecimalField(max_digits=18, decimal_places=4, default=0)
    quantity = models.DecimalField(max_digits=18, decimal_places=4, default=0)
    new_customer_amount = models.DecimalField(max_digits=18, decimal_places=4, default=0)
    lines = models.IntegerField(default=0)

    class Meta:
        verbose_name = _("actual")
        verbose_name_plural = _("actuals")
        constraints = [
            models.UniqueConstraint(
                fields=["salesperson", "product_line", "month"], name="actualcell_grain_unique"
            ),
        ]
        indexes = [models.Index(fields=["month", "product_line"], name="actualcell_month_pl_idx")]

    def __str__(self) -> str:
        return f"{self.salesperson_id}/{self.product_line_id}/{self.month:%Y-%m}: {self.amount}"
