"""Reads for commissions: the numbers a statement is built from, and scoped statement lists."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from typing import NamedTuple

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import connections
from django.db.models import (
    Case,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)

from allocation.access import viewer_scope
from allocation.models import ActualCell, OrgUnit, Salesperson, TargetCell
from customers.models import Order, OrderLine
from performance.commissions.models import (
    CommissionLine,
    CommissionPlan,
    CommissionSpif,
    CommissionStatement,
)
from performance.commissions.periods import PeriodSpan, fiscal_periods
from salesalloc.core.money import MoneySum

# --- the inputs of a statement -------------------------------------------------------------


def commission_plan_periods(*, plan: CommissionPlan) -> list[PeriodSpan]:
    """The plan's statement periods: its target plan's fiscal periods inside the date range."""
    target_plan = plan.target_plan
    spans = fiscal_periods(
        fiscal_year=target_plan.fiscal_year, start_month=target_plan.start_month, kind=plan.period
    )
    return [
        span
        for span in spans
        if (plan.start_date is None or span.end >= plan.start_date)
        and (plan.end_date is None or span.start <= plan.end_date)
    ]


def commission_plan_members(*, plan: CommissionPlan) -> list[int]:
    """Salesperson ids the plan pays: its people and org-unit subtrees, else the target plan's."""
    people = set(plan.salespeople.values_list("pk", flat=True))
    paths = list(plan.org_units.values_list("path", flat=True))
    if paths:
        subtree = Q()
        for path in paths:
            subtree |= Q(org_unit__path__startswith=path)
        people |= set(Salesperson.objects.filter(subtree).values_list("pk", flat=True))
    if not people and not paths:
        people = set(plan.target_plan.salespeople.values_list("pk", flat=True))
        people |= set(
            TargetCell.objects.filter(plan=plan.target_plan)
            .values_list("salesperson_id", flat=True)
            .distinct()
        )
    return sorted(people)


def org_unit_member_ids(*, org_unit: OrgUnit, among: list[int]) -> list[int]:
    """Those of ``among`` whose org unit lies in ``org_unit``'s subtree."""
    return sorted(
        Salesperson.objects.filter(
            pk__in=among, org_unit__path__startswith=org_unit.path
        ).values_list("pk", flat=True)
    )


MonthTotals = dict[tuple[int, dt.date], Decimal]


class StoredLine(NamedTuple):
    """A stored statement line, as plain values (what a statement shows of it)."""

    position: int
    kind: str
    label: str
    base: Decimal
    rate: Decimal
    amount: Decimal
    reference: str
    source_ids: list[int]


def statement_lines_by_statement(*, statement_ids: list[int]) -> dict[int, list[StoredLine]]:
    """The stored lines of these statements, in order, without building model instances."""
    out: dict[int, list[StoredLine]] = defaultdict(list)
    for start in range(0, len(statement_ids), 5000):
        rows = (
            CommissionLine.objects.filter(statement_id__in=statement_ids[start : start + 5000])
            .order_by("statement_id", "position")
            .values_list("statement_id", *StoredLine._fields)
        )
        for statement_id, *values in rows:
            out[statement_id].append(StoredLine(*values))
    return dict(out)


def month_targets(*, plan: CommissionPlan, salesperson_ids: list[int]) -> MonthTotals:
    """Target per (salesperson id, month) from the commission plan's target plan."""
    rows = (
        TargetCell.objects.filter(plan_id=plan.target_plan_id, salesperson_id__in=salesperson_ids)
        .values("salesperson_id", "month")
        .annotate(total=MoneySum("amount"))
        .order_by()
    )
    return {(row["salesperson_id"], row["month"]): row["total"] for row in rows}


def month_actuals(*, salesperson_ids: list[int], start: dt.date, end: dt.date) -> MonthTotals:
    """Net actual per (salesperson id, month) from the actuals grid (DESIGN §4)."""
    rows = (
        ActualCell.objects.filter(
            salesperson_id__in=salesperson_ids, month__gte=start, month__lte=end
        )
        .values("salesperson_id", "month")
        .annotate(total=MoneySum("amount"))
        .order_by()
    )
    return {(row["salesperson_id"], row["month"]): row["total"] for row in rows}


@dataclass(frozen=True)
class LateReturn:
    """A returned order line and the earlier order it most likely returns."""

    line_id: int
    salesperson_id: int
    day: dt.date
    amount: Decimal  # negative
    original_order_no: str
    original_day: dt.date


def late_return_list(
    *, salesperson_ids: list[int], start: dt.date, end: dt.date
) -> list[LateReturn]:
    """Negative order lines dated in [start, end] with the order they return.

    The original order is the latest earlier order (strictly before the return's date) of
    the same customer, booked by the same salesperson on the same product line with a
    positive amount (ties: the higher order id). Returns with no such order are left out
    (they only net into actuals). PostgreSQL: one hash join; elsewhere one correlated
    subquery on the (customer, date) index.
    """
    if connections[OrderLine.objects.db].vendor == "postgresql":
        returns = _late_returns_joined(salesperson_ids=salesperson_ids, start=start, end=end)
    else:
        returns = _late_returns_correlated(salesperson_ids=salesperson_ids, start=start, end=end)
    orders = {
        pk: (no, day)
        for pk, no, day in Order.objects.filter(pk__in={row[4] for row in returns}).values_list(
            "pk", "order_no", "order_date"
        )
    }
    return [
        LateReturn(
            line_id=pk,
            salesperson_id=sp,
            day=day,
            amount=amount,
            original_order_no=orders[original][0],
            original_day=orders[original][1],
        )
        for pk, sp, day, amount, original in returns
    ]


ReturnRow = tuple[int, int, dt.date, Decimal, int]  # line, salesperson, day, amount, order


def _late_returns_joined(
    *, salesperson_ids: list[int], start: dt.date, end: dt.date
) -> list[ReturnRow]:
    """PostgreSQL: the same rows in one hash join of the period's returns (the partial
    returns index) with the positive lines, the latest per return kept by ``DISTINCT ON``."""
    table = OrderLine._meta.db_table
    sql = (
        "SELECT DISTINCT ON (r.id) r.id, r.salesperson_id, r.order_date, r.amount, l.order_id "  # noqa: S608 - our table
        f"FROM {table} r JOIN {table} l ON l.customer_id = r.customer_id "
        "AND l.salesperson_id = r.salesperson_id AND l.product_line_id = r.product_line_id "
        "AND l.amount > 0 AND l.order_date < r.order_date "
        "WHERE r.amount < 0 AND r.order_date >= %s AND r.order_date <= %s "
        "AND r.salesperson_id = ANY(%s) "
        "ORDER BY r.id, l.order_date DESC, l.order_id DESC"
    )
    with connections[OrderLine.objects.db].cursor() as cursor:
        cursor.execute(sql, [start, end, list(salesperson_ids)])
        return [tuple(row) for row in cursor.fetchall()]


def _late_returns_correlated(
    *, salesperson_ids: list[int], start: dt.date, end: dt.date
) -> list[ReturnRow]:
    latest = (
        OrderLine.objects.filter(
            customer_id=OuterRef("customer_id"),
            salesperson_id=OuterRef("salesperson_id"),
            product_line_id=OuterRef("product_line_id"),
            amount__gt=0,
            order_date__lt=OuterRef("order_date"),
        )
        .order_by("-order_date", "-order_id")
        .values("order_id")[:1]
    )
    returns: list[ReturnRow] = list(
        OrderLine.objects.filter(
            salesperson_id__in=salesperson_ids,
            order_date__gte=start,
            order_date__lte=end,
            amount__lt=0,
        )
        .annotate(original=Subquery(latest))
        .filter(original__isnull=False)
        .order_by("pk")
        .values_list("pk", "salesperson_id", "order_date", "amount", "original")
    )
    return returns


def spif_bases(
    *, spif: CommissionSpif, salesperson_ids: list[int], spans: list[PeriodSpan]
) -> dict[tuple[int, int], Decimal]:
    """Per (salesperson, period position): net amount (rate SPIF) or units (per-unit SPIF)
    of the SPIF's product line subtree, dated within both the period and the SPIF's own
    dates. One query for every period (each line goes to the period its date falls in)."""
    windows = [
        (span.position, max(span.start, spif.start_date), min(span.end, spif.end_date))
        for span in spans
    ]
    windows = [(position, low, high) for position, low, high in windows if low <= high]
    if not windows:
        return {}
    column = "amount" if spif.kind == CommissionSpif.Kind.RATE else "quantity"
    period = Case(
        *(
            When(order_date__gte=low, order_date__lte=high, then=Value(position))
            for position, low, high in windows
        ),
        output_field=IntegerField(),
    )
    rows = (
        OrderLine.objects.filter(
            salesperson_id__in=salesperson_ids,
            order_date__gte=min(low for _p, low, _h in windows),
            order_date__lte=max(high for _p, _l, high in windows),
            product_line__path__startswith=spif.product_line.path,
        )
        .annotate(period=period)
        .filter(period__isnull=False)
        .values("salesperson_id", "period")
        .annotate(total=MoneySum(column) if column == "amount" else Sum(column))
        .order_by()
    )
    return {(row["salesperson_id"], row["period"]): Decimal(row["total"] or 0) for row in rows}


# --- what users see --------------------------------------------------------------------------


def commission_plan_list(*, user: AbstractBaseUser | AnonymousUser) -> QuerySet[CommissionPlan]:
    """Plans are readable by every role; their statements are scoped."""
    if viewer_scope(user=user).role == "none":
        return CommissionPlan.objects.none()
    return CommissionPlan.objects.select_related("target_plan")


def commission_statement_list(
    *, user: AbstractBaseUser | AnonymousUser
) -> QuerySet[CommissionStatement]:
    """Statements the viewer may see: a salesperson their own, a manager their subtree."""
    scope = viewer_scope(user=user)
    return (
        CommissionStatement.objects.filter(scope.salesperson_q("salesperson__"))
        .select_related("salesperson", "plan", "salesperson__org_unit")
        .prefetch_related(Prefetch("lines", queryset=CommissionLine.objects.order_by("position")))
        .order_by("plan_id", "position", "salesperson__code")
    )
