"""Reads for the dashboard: the viewer's actuals by month and by region or product line.

Everything is scoped by ``allocation.access.viewer_scope`` and aggregated in SQL
(``GROUP BY``) over the actuals table at grid grain, so the dashboard costs a handful of
small queries however many order lines there are. Money stays ``Decimal`` end to end.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Count

from allocation.access import viewer_scope
from allocation.models import Plan
from allocation.selectors import (
    actual_cell_list,
    actual_total_list,
    plan_list,
    target_cell_list,
    target_total_list,
)
from customers.models import OrderLine

ZERO = Decimal(0)

BREAKDOWN_REGION = "region"
BREAKDOWN_PRODUCT_LINE = "product_line"


@dataclass(frozen=True)
class Bucket:
    """One bar of a chart: a month, an org unit or a product line, with its actuals."""

    key: str
    label: str
    amount: Decimal
    lines: int = 0
    target: Decimal | None = None  # None: no published plan covers it

    @property
    def attainment(self) -> Decimal | None:
        """Actual / target; empty (never infinite) without a positive target."""
        return attainment(self.amount, self.target)


@dataclass(frozen=True)
class Dashboard:
    year: int | None
    years: list[int]
    net_sales: Decimal
    order_lines: int
    customers: int
    by_month: list[Bucket] = field(default_factory=list)
    breakdown: list[Bucket] = field(default_factory=list)
    # BREAKDOWN_REGION, BREAKDOWN_PRODUCT_LINE or "" (no role: nothing to show).
    breakdown_kind: str = ""
    # The published plans whose targets the year shows (latest version per fiscal year).
    plans: list[Plan] = field(default_factory=list)
    target: Decimal | None = None

    @property
    def attainment(self) -> Decimal | None:
        return attainment(self.net_sales, self.target)


def attainment(actual: Decimal, target: Decimal | None) -> Decimal | None:
    """Actual / target as a fraction, or None when there is no positive target."""
    if target is None or target <= 0:
        return None
    return actual / target


def dashboard_plans(*, user: AbstractBaseUser | AnonymousUser, year: int) -> list[Plan]:
    """The published plans (not scenarios) the viewer may read whose months touch ``year``.

    One per fiscal year: the most recently published, so two published plans of the same
    year never add up. A plan's fiscal year starts in ``start_month`` of ``fiscal_year``.
    """
    candidates = (
        plan_list(user=user)
        .filter(
            status=Plan.Status.PUBLISHED,
            scenario_of__isnull=True,
            fiscal_year__in=[year - 1, year],
        )
        .order_by("fiscal_year", "-published_at", "-pk")
    )
    chosen: dict[int, Plan] = {}
    for plan in candidates:
        touches = plan.fiscal_year == year or plan.start_month > 1
        if touches and plan.fiscal_year not in chosen:
            chosen[plan.fiscal_year] = plan
    return list(chosen.values())


def _targets_by_key(totals: list) -> dict[str, Decimal]:
    return {total.key: total.amount for total in totals}


def _year_bounds(year: int) -> tuple[dt.date, dt.date]:
    return dt.date(year, 1, 1), dt.date(year + 1, 1, 1)


def dashboard_years(*, user: AbstractBaseUser | AnonymousUser) -> list[int]:
    """Return the calendar years with actuals in the viewer's scope, latest first."""
    months = actual_cell_list(user=user).order_by().dates("month", "year", order="DESC")
    return [month.year for month in months]


def dashboard_get(*, user: AbstractBaseUser | AnonymousUser, year: int | None) -> Dashboard:
    """Return the viewer's dashboard for ``year`` (None: the latest year with actuals).

    Totals, months and the breakdown all come from the same actual cells, so they add up to
    each other exactly; "customers" counts distinct customers on the viewer's order lines.
    """
    scope = viewer_scope(user=user)
    years = dashboard_years(user=user)
    if year is None and years:
        year = years[0]
    if year is None or scope.role == "none":
        return Dashboard(year=year, years=years, net_sales=ZERO, order_lines=0, customers=0)

    start, end = _year_bounds(year)
    cells = actual_cell_list(user=user).filter(month__gte=start, month__lt=end)
    per_month = {
        total.key: total for total in actual_total_list(user=user, group_by="month", cells=cells)
    }
    by_month = []
    for number in range(1, 13):
        key = f"{dt.date(year, number, 1):%Y-%m}"
        total = per_month.get(key)
        by_month.append(
            Bucket(
                key=key,
                label=key,
                amount=total.amount if total else ZERO,
                lines=total.lines if total else 0,
            )
        )
    net_sales = sum((bucket.amount for bucket in by_month), ZERO)
    order_lines = sum(bucket.lines for bucket in by_month)
    customers = (
        OrderLine.objects.filter(
            scope.salesperson_q("salesperson__"), order_date__gte=start, order_date__lt=end
        )
        .order_by()
        .aggregate(n=Count("customer_id", distinct=True))["n"]
    )
    plans = dashboard_plans(user=user, year=year)
    targets = target_cell_list(user=user).filter(plan__in=plans, month__gte=start, month__lt=end)
    month_targets = (
        _targets_by_key(target_total_list(user=user, group_by="month", cells=targets))
        if plans
        else {}
    )
    if plans:
        by_month = [
            Bucket(
                key=b.key,
                label=b.label,
                amount=b.amount,
                lines=b.lines,
                target=month_targets.get(b.key, ZERO),
            )
            for b in by_month
        ]
    # Managers compare the units below them; a salesperson compares their product lines.
    kind = BREAKDOWN_REGION if scope.can_manage else BREAKDOWN_PRODUCT_LINE
    group_by = "org_unit" if scope.can_manage else "product_line"
    totals = actual_total_list(user=user, group_by=group_by, cells=cells)
    # Targets by the same keys; a key with a target but no sales yet still shows.
    target_totals = {
        total.key: total
        for total in (
            target_total_list(user=user, group_by=group_by, cells=targets) if plans else []
        )
    }
    buckets = {
        total.key: Bucket(key=total.key, label=total.name, amount=total.amount, lines=total.lines)
        for total in totals
    }
    for key, total in target_totals.items():
        buckets.setdefault(key, Bucket(key=key, label=total.name, amount=ZERO))
    breakdown = sorted(
        (
            Bucket(
                key=b.key,
                label=b.label,
                amount=b.amount,
                lines=b.lines,
                target=target_totals[b.key].amount
                if b.key in target_totals
                else (ZERO if plans else None),
            )
            for b in buckets.values()
        ),
        key=lambda bucket: (-bucket.amount, bucket.key),
    )
    return Dashboard(
        year=year,
        years=years,
        net_sales=net_sales,
        order_lines=order_lines,
        customers=customers,
        by_month=by_month,
        breakdown=breakdown,
        breakdown_kind=kind,
        plans=plans,
        target=sum(month_targets.values(), ZERO) if plans else None,
    )
