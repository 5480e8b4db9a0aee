"""Cost pools and their exact split over product lines or org units (DESIGN §6, §7)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from salesalloc.core.models import TimeStampedModel


class CostPool(TimeStampedModel):
    """An amount of cost for a period (e.g. Q4 marketing), split by a driver."""

    class Driver(models.TextChoices):
        REVENUE = "revenue", _("Revenue")
        MARGIN = "margin", _("Gross margin")
        ORDERS = "orders", _("Orders")
        CUSTOMERS = "customers", _("Customers")
        HEADCOUNT = "headcount", _("Headcount")
        EQUAL = "equal", _("Equal")
        MANUAL = "manual", _("Manual %")

    class Dimension(models.TextChoices):
        PRODUCT_LINE = "product_line", _("Product line")
        ORG_UNIT = "org_unit", _("Org unit")
        TIER = "tier", _("Customer tier")

    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True, default="")
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=2)
    period = models.CharField(_("period"), max_length=7)  # 2019, 2019-Q4 or 2019-10
    period_start = models.DateField()
    period_end = models.DateField()
    driver = models.CharField(_("driver"), max_length=10, choices=Driver.choices)
    dimension = models.CharField(_("dimension"), max_length=12, choices=Dimension.choices)
    weights = models.JSONField(_("manual weights"), default=dict, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-period_start", "name", "pk"]
        verbose_name = _("cost pool")
        verbose_name_plural = _("cost pools")
        constraints = [
            models.CheckConstraint(condition=Q(amount__gte=0), name="costpool_amount_not_negative"),
            models.CheckConstraint(
                condition=Q(
                    driver__in=[
                        "revenue",
                        "margin",
                        "orders",
                        "customers",
                        "headcount",
                        "equal",
                        "manual",
                    ]
                ),
                name="costpool_driver_valid",
            ),
            models.CheckConstraint(
                condition=Q(dimension__in=["product_line", "org_unit", "tier"]),
                name="costpool_dimension_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} {self.period}"


class CostPoolLine(TimeStampedModel):
    """One key's share of a pool: ``amount`` cents of the pool by ``driver_value``."""

    pool = models.ForeignKey(CostPool, on_delete=models.CASCADE, related_name="lines")
    key = models.CharField(max_length=50)  # product line or org unit code
    name = models.CharField(max_length=200, blank=True, default="")
    org_unit = models.ForeignKey(
        "allocation.OrgUnit", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    driver_value = models.DecimalField(max_digits=20, decimal_places=4)
    amount = models.DecimalField(max_digits=14, decimal_places=2)

    class Meta:
        ordering = ["pool", "key"]
        verbose_name = _("cost pool line")
        verbose_name_plural = _("cost pool lines")
        constraints = [
            models.UniqueConstraint(fields=["pool", "key"], name="costpoolline_unique_key"),
        ]

    def __str__(self) -> str:
        return f"{self.key}: {self.amount}"
