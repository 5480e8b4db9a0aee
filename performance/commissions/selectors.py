"""Reads for commissions: the numbers a statement is built from, and scoped statement lists."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, NamedTuple

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
from customers.credit.selectors import credited_parts
from customers.models import Order, OrderLine, OrderLineCredit
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
    (they only net into actuals). A split line counts as each credited salesperson's part
    (a returned split line is clawed back from each of them, by their part, against their
    own earlier sales). Without split lines, PostgreSQL uses one hash join and other
    databases one correlated subquery on the (customer, date) index; with them, one
    correlated subquery over lines and credits.
    """
    if credited_parts()[1] is not None:
        returns = _late_returns_credited(salesperson_ids=salesperson_ids, start=start, end=end)
    elif connections[OrderLine.objects.db].vendor == "postgresql":
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
_LINES = OrderLine._meta.db_table
_CREDITS = OrderLineCredit._meta.db_table


def _late_returns_credited(
    *, salesperson_ids: list[int], start: dt.date, end: dt.date
) -> list[ReturnRow]:
    """Late returns over the lines as credited: the unsplit lines and the credits."""
    if not salesperson_ids:
        return []
    people = ", ".join(["%s"] * len(salesperson_ids))
    match = (
        "{t}.customer_id = r.customer_id AND {t}.salesperson_id = r.salesperson_id "
        "AND {t}.product_line_id = r.product_line_id AND {t}.amount > 0 "
        "AND {t}.order_date < r.order_date"
    )
    in_period = (
        "{t}.amount < 0 AND {t}.order_date >= %s AND {t}.order_date <= %s "
        f"AND {{t}}.salesperson_id IN ({people})"
    )
    sql = (
        "SELECT r.line_id, r.salesperson_id, r.order_date, r.amount, (SELECT x.order_id FROM ("  # noqa: S608 - our tables
        f"SELECT l.order_id, l.order_date FROM {_LINES} l WHERE {match.format(t='l')} "
        f"AND NOT l.split_credit UNION ALL SELECT c.order_id, c.order_date FROM {_CREDITS} c "
        f"WHERE {match.format(t='c')}) x ORDER BY x.order_date DESC, x.order_id DESC LIMIT 1) "
        "FROM (SELECT l.id AS line_id, l.salesperson_id, l.customer_id, l.product_line_id, "
        f"l.order_date, l.amount FROM {_LINES} l WHERE {in_period.format(t='l')} "
        "AND NOT l.split_credit UNION ALL SELECT c.line_id, c.salesperson_id, c.customer_id, "
        f"c.product_line_id, c.order_date, c.amount FROM {_CREDITS} c "
        f"WHERE {in_period.format(t='c')}) r ORDER BY r.line_id, r.salesperson_id"
    )
    params: list[Any] = [start, end, *salesperson_ids] * 2
    with connections[OrderLine.objects.db].cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    return [
        (line, sp, _day(day), Decimal(amount), original)
        for line, sp, day, amount, original in rows
        if original is not None
    ]


def _day(value: object) -> dt.date:
    """A date column as a date (SQLite hands raw SQL dates back as text)."""
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value)[:10])


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
    where = Q(
        salesperson_id__in=salesperson_ids,
        order_date__gte=min(low for _p, low, _h in windows),
        order_date__lte=max(high for _p, _l, high in windows),
        product_line__path__startswith=spif.product_line.path,
    )
    bases: dict[tuple[int, int], Decimal] = {}
    for part in credited_parts(where=where):  # a split line: each salesperson's part
        if part is None:
            continue
        rows = (
            part.annotate(period=period)
            .filter(period__isnull=False)
            .values("salesperson_id", "period")
            .annotate(total=MoneySum(column) if column == "amount" else Sum(column))
            .order_by()
        )
        for row in rows:
            key = (row["salesperson_id"], row["period"])
            bases[key] = bases.get(key, Decimal(0)) + Decimal(row["total"] or 0)
    return bases


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
