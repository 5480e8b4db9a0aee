"""Reads of account targets, scoped: a salesperson sees their own, a manager their subtree's
people, an admin everyone. Customers' personal data never appears here (codes and names
only, as ``customers/tiers`` rules allow everyone who sees the customer)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from fractions import Fraction

import pandas as pd
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import BigIntegerField, QuerySet, Sum
from django.db.models.functions import Cast, Round
from django.http import Http404
from django.utils.translation import gettext as _

from allocation.access import viewer_scope
from allocation.engine.fiscal import FiscalYear, month_add
from allocation.models import Plan, Salesperson, TargetCell
from customers.accounts.engine import OTHER_KEY, account_buckets
from customers.accounts.models import AccountPlan, AccountTarget
from customers.models import Customer, OrderLine
from customers.tiers.models import TierRule
from customers.tiers.selectors import customer_rule_tiers, tier_run_latest_with_rule_tiers
from salesalloc.core.money import to_cents

# Order amounts keep 4 places: actuals are summed exactly in 1/10000 of the currency unit.
ACTUAL_SCALE = 10_000


def _cents(field: str = "amount", scale: int = 100) -> Cast:
    return Cast(Round(Sum(field) * scale), BigIntegerField())


def account_plan_list(*, user: AbstractBaseUser | AnonymousUser) -> QuerySet[AccountPlan]:
    """Account plans of the salespeople the viewer sees."""
    scope = viewer_scope(user=user)
    rows = AccountPlan.objects.select_related("plan", "salesperson", "tier_run", "updated_by")
    if scope.is_admin:
        return rows
    if scope.role == "none":
        return rows.none()
    return rows.filter(scope.salesperson_q("salesperson__"))


def account_salesperson_get(*, user: AbstractBaseUser | AnonymousUser, code: str) -> Salesperson:
    """A salesperson the viewer sees, or ``Http404`` (someone else's looks missing)."""
    scope = viewer_scope(user=user)
    person = (
        Salesperson.objects.filter(scope.salesperson_q(), code=code)
        .select_related("org_unit")
        .first()
    )
    if person is None or scope.role == "none":
        raise Http404(_("No salesperson with code “%(code)s” is visible to you.") % {"code": code})
    return person


def account_plans_for(*, salesperson: Salesperson) -> QuerySet[Plan]:
    """Published revenue plans in which ``salesperson`` has targets, newest first."""
    return Plan.objects.filter(
        status=Plan.Status.PUBLISHED,
        scenario_of__isnull=True,
        measure_of__isnull=True,
        salespeople=salesperson,
    ).order_by("-fiscal_year", "-published_at", "-pk")


def period_months(plan: Plan, period: str) -> list[dt.date]:
    """The calendar months of a canonical period of ``plan``'s fiscal year."""
    fiscal = FiscalYear(plan.fiscal_year, plan.start_month)
    return [fiscal.months[i] for i in fiscal.period_months(period)]


def period_target_cents(*, plan: Plan, salesperson: Salesperson, period: str) -> int:
    """The salesperson's target of ``period`` in ``plan`` (cents)."""
    months = period_months(plan, period)
    total = TargetCell.objects.filter(
        plan=plan, salesperson=salesperson, month__in=months
    ).aggregate(c=_cents())["c"]
    return int(total or 0)


def customer_sales_frame(*, salesperson: Salesperson, months: list[dt.date]) -> pd.DataFrame:
    """Net sales (exact, in 1/10000 of the currency unit) per customer credited to
    ``salesperson`` in ``months``: one ``GROUP BY`` over the salesperson's order lines of the
    date range."""
    rows = list(
        OrderLine.objects.filter(
            salesperson=salesperson,
            order_date__gte=months[0],
            order_date__lt=month_add(months[-1], 1),
        )
        .order_by()
        .values("customer_id")
        .annotate(cents=_cents(scale=ACTUAL_SCALE))
        .values_list("customer_id", "cents")
    )
    return pd.DataFrame(rows, columns=["customer_id", "cents"]).astype("int64")


@dataclass(frozen=True)
class TierChoices:
    """The rule tiers a plan can name: the latest snapshot with rule tiers, tier names and
    each customer's tier."""

    run_id: int | None
    names: dict[str, str]
    customer_tier: dict[int, str]


def tier_choices_get() -> TierChoices:
    run = tier_run_latest_with_rule_tiers()
    if run is None:
        return TierChoices(run_id=None, names={}, customer_tier={})
    customers, names = customer_rule_tiers(run=run)
    return TierChoices(run_id=run.pk, names=names, customer_tier=customers)


def tier_map(*, account_plan: AccountPlan, tiers: set[str]) -> dict[int, str]:
    """customer id -> ``tier:CODE`` for the customers of ``tiers`` in the plan's snapshot."""
    if not tiers or account_plan.tier_run is None:
        return {}
    customers, _names = customer_rule_tiers(run=account_plan.tier_run)
    return {pk: f"tier:{code}" for pk, code in customers.items() if code in tiers}


@dataclass(frozen=True)
class AccountRow:
    kind: str
    key: str
    code: str
    name: str
    method: str
    target: int  # cents
    actual: int  # 1/10000 of the currency unit (order amounts keep 4 places)

    @property
    def attainment(self) -> Fraction | None:
        return Fraction(self.actual, self.target * 100) if self.target > 0 else None


@dataclass(frozen=True)
class AccountReport:
    account_plan: AccountPlan
    rows: list[AccountRow]

    @property
    def target(self) -> int:
        return sum(row.target for row in self.rows)

    @property
    def actual(self) -> int:
        """1/10000 of the currency unit, exact."""
        return sum(row.actual for row in self.rows)

    @property
    def attainment(self) -> Fraction | None:
        return Fraction(self.actual, self.target * 100) if self.target > 0 else None


def account_report(*, account_plan: AccountPlan) -> AccountReport:
    """Target, actual and attainment per account line and for the other accounts.

    Actual: the salesperson's order lines of the period, bucketed by account (a named
    customer's own line, else its tier's, else the other accounts'), so the rows add up to
    the salesperson's actual of the period.
    """
    targets = list(
        AccountTarget.objects.filter(account_plan=account_plan)
        .select_related("customer")
        .order_by("kind", "customer__code", "tier")
    )
    names = tier_names(run_id=account_plan.tier_run_id)
    customer_keys = {t.customer_id: t.customer.code for t in targets if t.customer is not None}
    tiers = {t.tier for t in targets if t.kind == AccountTarget.Kind.TIER}
    sales = customer_sales_frame(
        salesperson=account_plan.salesperson,
        months=period_months(account_plan.plan, account_plan.period),
    )
    actual = account_buckets(
        sales,
        customer_keys={k: v for k, v in customer_keys.items() if k is not None},
        tier_of=tier_map(account_plan=account_plan, tiers=tiers),
    )
    rows = []
    for t in targets:
        if t.kind == AccountTarget.Kind.CUSTOMER and t.customer is not None:
            key, code, name = t.customer.code, t.customer.code, t.customer.name
        elif t.kind == AccountTarget.Kind.TIER:
            key, code, name = f"tier:{t.tier}", t.tier, names.get(t.tier, t.tier)
        else:
            key, code, name = OTHER_KEY, "", str(AccountTarget.Kind.OTHER.label)
        rows.append(
            AccountRow(
                kind=t.kind,
                key=key,
                code=code,
                name=name,
                method=t.method,
                target=to_cents(t.amount),
                actual=actual.get(key, 0),
            )
        )
    order = {
        AccountTarget.Kind.CUSTOMER: 0,
        AccountTarget.Kind.TIER: 1,
        AccountTarget.Kind.OTHER: 2,
    }
    rows.sort(key=lambda row: (order[AccountTarget.Kind(row.kind)], row.code))
    return AccountReport(account_plan=account_plan, rows=rows)


def tier_names(*, run_id: int | None) -> dict[str, str]:
    """Rule tier code -> name (the rule's name; the code when the rule has gone since)."""
    if run_id is None:
        return {}
    return dict(TierRule.objects.values_list("code", "name"))


def account_customer_choices(*, salesperson: Salesperson, limit: int = 200) -> list[Customer]:
    """Customers the salesperson sold to (most sales first): the key-account candidates."""
    ids = list(
        OrderLine.objects.filter(salesperson=salesperson)
        .order_by()
        .values("customer_id")
        .annotate(cents=_cents())
        .order_by("-cents", "customer_id")
        .values_list("customer_id", flat=True)[:limit]
    )
    found = {c.pk: c for c in Customer.objects.filter(pk__in=ids)}
    return [found[pk] for pk in ids if pk in found]
