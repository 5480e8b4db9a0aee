"""Split credit: order lines credited to several salespeople, and the rules that do it
(app label ``customers``).

A line credited to one salesperson (almost all of them) is just its ``OrderLine``: the line's
salesperson gets the whole line. A line with a split has ``OrderLine.split_credit`` set and one
``OrderLineCredit`` per credited salesperson (the line's own salesperson among them), each
with its share and the amount, cost and quantity that share comes to, split to the cent by
largest remainder so that the credits add up to the line exactly. Credits repeat the line's
date, order, customer and product line so that every report filters and groups them with
the same fields as the lines (``customers.credit.selectors``).
"""

from __future__ import annotations

from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from allocation.models import ProductLine, Salesperson
from salesalloc.core.models import TimeStampedModel

# A line may be shared by at most this many salespeople (a file naming more is a row error).
MAX_CREDIT_PARTIES = 10
# Shares are percentages with up to 4 decimals; a weight is the share in 1/10,000 of a
# percent, so explicit shares weigh 1,000,000 in all. An equal split has weight 1 each.
SHARE_SCALE = 4
FULL_WEIGHT = 100 * 10**SHARE_SCALE


class OrderLineCredit(TimeStampedModel):
    """One salesperson's part of a split order line."""

    line = models.ForeignKey(
        "customers.OrderLine", on_delete=models.CASCADE, related_name="credits"
    )
    salesperson = models.ForeignKey(
        Salesperson, on_delete=models.PROTECT, related_name="order_line_credits", db_index=False
    )
    weight = models.PositiveBigIntegerField(
        help_text="Exact relative weight; the share is weight / the line's total weight."
    )
    share = models.DecimalField(
        _("share (%)"),
        max_digits=7,
        decimal_places=4,
        help_text="For display: 100 x weight / total, rounded (an equal third is 33.3333).",
    )
    amount = models.DecimalField(_("credited amount"), max_digits=18, decimal_places=4)
    cost = models.DecimalField(_("credited cost"), max_digits=18, decimal_places=4, null=True)
    quantity = models.DecimalField(
        _("credited quantity"), max_digits=14, decimal_places=4, null=True
    )
    # The line's own values, so credits filter and group like lines (kept in step by the import).
    order = models.ForeignKey(
        "customers.Order", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    order_date = models.DateField(_("order date"))
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.PROTECT, related_name="+", db_index=False
    )
    product_line = models.ForeignKey(
        ProductLine, on_delete=models.PROTECT, related_name="+", db_index=False
    )

    class Meta:
        ordering = ["line_id", "salesperson_id"]
        verbose_name = _("order line credit")
        verbose_name_plural = _("order line credits")
        constraints = [
            models.UniqueConstraint(
                fields=["line", "salesperson"], name="orderlinecredit_line_salesperson_unique"
            ),
            models.CheckConstraint(
                condition=Q(weight__gt=0), name="orderlinecredit_weight_positive"
            ),
        ]
        indexes = [
            models.Index(fields=["salesperson", "order_date"], name="orderlinecredit_sp_date_idx"),
            models.Index(fields=["order"], name="orderlinecredit_order_idx"),
            models.Index(fields=["customer", "order_date"], name="olcredit_cust_date_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.line_id}: {self.salesperson_id} {self.share} %"


class CreditRule(TimeStampedModel):
    """Splits the lines of a customer (or of a territory) over several salespeople.

    Applied by the import to a row whose file gives no split of its own, when the row's
    salesperson (from the file or a territory rule) is one of the rule's salespeople or the
    row names none. Lines already imported keep their credits when a rule changes.
    """

    class Attribute(models.TextChoices):
        CUSTOMER_CODE = "customer_code", _("Customer code")
        CITY = "city", _("City")
        STATE = "state", _("State / province")
        REGION = "region", _("Region")
        COUNTRY = "country", _("Country")

    attribute = models.CharField(_("attribute"), max_length=20, choices=Attribute.choices)
    value = models.CharField(_("value"), max_length=200)
    description = models.CharField(_("description"), max_length=300, blank=True)

    class Meta:
        ordering = ["attribute", "value"]
        verbose_name = _("credit rule")
        verbose_name_plural = _("credit rules")
        constraints = [
            models.UniqueConstraint(fields=["attribute", "value"], name="credit_rule_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.attribute}={self.value}"


class CreditRuleShare(TimeStampedModel):
    """One salesperson of a credit rule: their share (%), or none for equal shares."""

    rule = models.ForeignKey(CreditRule, on_delete=models.CASCADE, related_name="shares")
    position = models.PositiveSmallIntegerField(default=0)
    salesperson = models.ForeignKey(
        Salesperson, on_delete=models.CASCADE, related_name="credit_rule_shares"
    )
    share = models.DecimalField(
        _("share (%)"),
        max_digits=7,
        decimal_places=SHARE_SCALE,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0.0001")), MaxValueValidator(Decimal(100))],
    )

    class Meta:
        ordering = ["rule_id", "position", "pk"]
        verbose_name = _("credit rule share")
        verbose_name_plural = _("credit rule shares")
        constraints = [
            models.UniqueConstraint(
                fields=["rule", "salesperson"], name="credit_rule_share_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.rule_id}: {self.salesperson_id} {self.share}"
