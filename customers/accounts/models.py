"""Account targets: a salesperson's target of a period split over key accounts and customer
tiers, with an explicit "other accounts" remainder (app label ``customers``).

An ``AccountPlan`` belongs to one published revenue plan, one salesperson and one period of
the plan's fiscal year (``year``, ``Q1``..``Q4`` or a month ``YYYY-MM``). Its
``AccountTarget`` rows always add up exactly to the salesperson's target of that period:
named customers and rule tiers (of the tier snapshot recorded on the plan) each with an
entered amount or a share of what is left by history, and one ``other`` row for the rest
(``customers.accounts.engine``).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from allocation.models import PERIOD_MAX_LENGTH, Plan, Salesperson
from salesalloc.core.models import TimeStampedModel


class AccountPlan(TimeStampedModel):
    """One salesperson's account targets for one period of a published plan."""

    plan = models.ForeignKey(
        Plan, verbose_name=_("plan"), on_delete=models.CASCADE, related_name="account_plans"
    )
    salesperson = models.ForeignKey(
        Salesperson,
        verbose_name=_("salesperson"),
        on_delete=models.CASCADE,
        related_name="account_plans",
    )
    period = models.CharField(
        _("period"),
        max_length=PERIOD_MAX_LENGTH,
        help_text=_("year, Q1..Q4 (fiscal quarters) or a month YYYY-MM of the plan's year."),
    )
    tier_run = models.ForeignKey(
        "customers.TierRun",
        verbose_name=_("tier snapshot"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("The snapshot whose rule tiers the tier lines use."),
    )
    target_amount = models.DecimalField(
        _("target"),
        max_digits=14,
        decimal_places=2,
        help_text=_("The salesperson's target of the period when the accounts were set."),
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("changed by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("account plan")
        verbose_name_plural = _("account plans")
        constraints = [
            models.UniqueConstraint(
                fields=["plan", "salesperson", "period"], name="accountplan_one_per_period"
            ),
            models.CheckConstraint(
                condition=Q(target_amount__gte=0), name="accountplan_target_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.salesperson_id} {self.period} (plan {self.plan_id})"


class AccountTarget(TimeStampedModel):
    """One line of an account plan: a key account, a customer tier or the other accounts."""

    class Kind(models.TextChoices):
        CUSTOMER = "customer", _("Key account")
        TIER = "tier", _("Customer tier")
        OTHER = "other", _("Other accounts")

    class Method(models.TextChoices):
        AMOUNT = "amount", _("Entered amount")
        SHARE = "share", _("Historical share")

    account_plan = models.ForeignKey(AccountPlan, on_delete=models.CASCADE, related_name="targets")
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("customer"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="account_targets",
    )
    tier = models.CharField(_("tier"), max_length=40, blank=True)
    method = models.CharField(
        _("method"), max_length=10, choices=Method.choices, default=Method.SHARE
    )
    amount = models.DecimalField(_("target"), max_digits=14, decimal_places=2)

    class Meta:
        verbose_name = _("account target")
        verbose_name_plural = _("account targets")
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=["customer", "tier", "other"]), name="accounttarget_kind"
            ),
            models.CheckConstraint(
                condition=Q(method__in=["amount", "share"]), name="accounttarget_method"
            ),
            models.CheckConstraint(
                condition=(Q(kind="customer") & Q(customer__isnull=False) & Q(tier=""))
                | (Q(kind="tier") & Q(customer__isnull=True) & ~Q(tier=""))
                | (Q(kind="other") & Q(customer__isnull=True) & Q(tier="")),
                name="accounttarget_kind_fields",
            ),
            models.CheckConstraint(condition=Q(amount__gte=0), name="accounttarget_not_negative"),
            models.UniqueConstraint(
                fields=["account_plan", "customer"],
                condition=Q(kind="customer"),
                name="accounttarget_customer_once",
            ),
            models.UniqueConstraint(
                fields=["account_plan", "tier"],
                condition=Q(kind="tier"),
                name="accounttarget_tier_once",
            ),
            models.UniqueConstraint(
                fields=["account_plan"], condition=Q(kind="other"), name="accounttarget_one_other"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.account_plan_id} {self.kind} {self.customer_id or self.tier}: {self.amount}"
