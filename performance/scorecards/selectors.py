"""Reads for scorecards: KPI actuals per salesperson and period, scoped scorecard lists."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Collection, Sequence
from decimal import Decimal

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import connections
from django.db.models import Count, Q, QuerySet

from allocation.access import viewer_scope
from allocation.models import ActualCell, OrgUnit, Salesperson, TargetCell
from customers.credit.selectors import credited_parts
from performance.periods import Period, periods_of_year
from performance.scorecards.models import Kpi, KpiValue, Scorecard, ScorecardTemplate
from salesalloc.core.money import MoneySum

ORDER_KINDS = {Kpi.Kind.NEW_CUSTOMERS, Kpi.Kind.RETENTION, Kpi.Kind.AOV}
Key = tuple[str, int, str]  # (kpi code, salesperson id, period label)


def template_people(*, template: ScorecardTemplate) -> list[int]:
    """Who the template scores: the target plan's people, else every active salesperson."""
    if template.target_plan is not None:
        people = set(template.target_plan.salespeople.values_list("pk", flat=True))
        people |= set(
            TargetCell.objects.filter(plan=template.target_plan)
            .values_list("salesperson_id", flat=True)
            .distinct()
        )
        return sorted(people)
    return sorted(Salesperson.objects.filter(is_active=True).values_list("pk", flat=True))


def peer_groups(*, template: ScorecardTemplate, people: list[int]) -> dict[int, str]:
    """Each person's peer group key: their team's code, their region's code, or "company"."""
    rows = Salesperson.objects.filter(pk__in=people).values_list(
        "pk", "org_unit__code", "org_unit__path"
    )
    if template.peer_group == ScorecardTemplate.PeerGroup.COMPANY:
        return dict.fromkeys(people, "company")
    if template.peer_group == ScorecardTemplate.PeerGroup.TEAM:
        return {pk: code for pk, code, _path in rows}
    codes = dict(OrgUnit.objects.filter(depth=1).values_list("pk", "code"))
    out = {}
    for pk, code, path in rows:
        ids = [int(p) for p in (path or "").strip("/").split("/") if p]
        out[pk] = codes.get(ids[1], code) if len(ids) > 1 else code
    return out


def _month_totals(qs: QuerySet, value: str) -> dict[tuple[int, dt.date], Decimal]:
    rows = qs.values("salesperson_id", "month").annotate(total=MoneySum(value)).order_by()
    return {(r["salesperson_id"], r["month"]): r["total"] or Decimal(0) for r in rows}


def _previous(period: Period) -> tuple[dt.date, dt.date]:
    """The period of the same length just before ``period``."""
    end = period.start - dt.timedelta(days=1)
    first = period.months[0]
    index = first.year * 12 + first.month - 1 - len(period.months)
    return dt.date(index // 12, index % 12 + 1, 1), end


def _month_index_sql(vendor: str, column: str) -> str:
    """SQL for a date column's month index (year * 12 + month - 1), in integers."""
    if vendor == "postgresql":
        return (
            f"(CAST(date_part('year', {column}) AS integer) * 12 "
            f"+ CAST(date_part('month', {column}) AS integer) - 1)"
        )
    return (
        f"(CAST(strftime('%%Y', {column}) AS integer) * 12 "
        f"+ CAST(strftime('%%m', {column}) AS integer) - 1)"
    )


def _order_facts(*, people: list[int], begin: dt.date, end: dt.date, span: int) -> list[tuple]:
    """Per (salesperson, period index) of the lines in [begin, end]: distinct orders,
    customers, new customers (whose first order ever falls in that period) and customers
    who came back in the next period; periods are ``span`` months (index = months since
    year 0 // span).

    One pass over the lines: per (person, customer, order) first (an order has one customer
    and one date, so orders add up over customers and periods), then per (person, customer,
    period), each with the next period that person sold to that customer in (a window
    function: one sort, no self-join). Every count is made in the
    database, and the period of a date is computed per order, not per line: a few rows per
    person come back, not one per customer.
    """
    where = Q(salesperson_id__in=people, order_date__gte=begin, order_date__lte=end)
    # A split line counts for each credited salesperson (its credits carry the order and
    # customer); an order once per person, though both a credit and an unsplit line bring it.
    inners = [
        part.values("salesperson_id", "customer_id", "order_id", "order_date")
        .annotate(lines=Count("id"))
        .order_by()
        for part in credited_parts(where=where)
        if part is not None
    ]
    compiled = [inner.query.sql_with_params() for inner in inners]
    sql = compiled[0][0]
    if len(compiled) > 1:
        parts = " UNION ".join(
            f"SELECT salesperson_id, customer_id, order_id, order_date FROM ({part}) p{i}"  # noqa: S608 - ORM SQL
            for i, (part, _params) in enumerate(compiled)
        )
        sql = f"SELECT * FROM ({parts}) d"  # noqa: S608 - ORM SQL
    params = tuple(param for _sql, part_params in compiled for param in part_params)
    db = connections[inners[0].db]
    period = f"({_month_index_sql(db.vendor, 'o.order_date')} / {int(span)})"
    first = f"({_month_index_sql(db.vendor, 'cu.first_order_date')} / {int(span)})"
    with db.cursor() as cursor:
        cursor.execute(
            f"WITH o AS ({sql}), "  # noqa: S608 - the ORM's SQL and our own; values are parameters
            f"t AS (SELECT o.salesperson_id AS sp, o.customer_id AS c, {period} AS period, "
            "COUNT(*) AS orders FROM o GROUP BY 1, 2, 3), "
            "u AS (SELECT t.sp, t.c, t.period, t.orders, LEAD(t.period) OVER "
            "(PARTITION BY t.sp, t.c ORDER BY t.period) AS next FROM t) "
            "SELECT u.sp, u.period, SUM(u.orders), COUNT(*), "
            f"SUM(CASE WHEN {first} = u.period THEN 1 ELSE 0 END), "
            "SUM(CASE WHEN u.next = u.period + 1 THEN 1 ELSE 0 END) "
            "FROM u JOIN customers_customer cu ON cu.id = u.c GROUP BY u.sp, u.period",
            params,
        )
        return cursor.fetchall()


class KpiData:
    """Everything the KPIs of one template need, fetched once for a set of people."""

    def __init__(
        self,
        *,
        template: ScorecardTemplate,
        kinds: set[str],
        people: list[int],
        periods: Sequence[Period],
    ) -> None:
        start, end = periods[0].start, periods[-1].end
        cells = ActualCell.objects.filter(
            salesperson_id__in=people, month__gte=start, month__lte=end
        )
        self.revenue: dict[tuple[int, dt.date], Decimal] = {}
        self.cost: dict[tuple[int, dt.date], Decimal] = {}
        for row in (
            cells.values("salesperson_id", "month")
            .annotate(amount=MoneySum("amount"), cost=MoneySum("cost"))
            .order_by()
        ):
            key = (row["salesperson_id"], row["month"])
            self.revenue[key] = row["amount"] or Decimal(0)
            self.cost[key] = row["cost"] or Decimal(0)
        self.targets: dict[tuple[int, dt.date], Decimal] = {}
        if template.target_plan_id is not None:
            self.targets = _month_totals(
                TargetCell.objects.filter(
                    plan_id=template.target_plan_id, salesperson_id__in=people
                ),
                "amount",
            )
        # Order-based KPIs per (salesperson, period index), computed set-based once.
        self.span = len(periods[0].months)
        self.order_counts: dict[tuple[int, int], int] = {}
        self.new_customers: dict[tuple[int, int], int] = {}
        self.retained: dict[tuple[int, int], tuple[int, int]] = {}
        if kinds & ORDER_KINDS:
            self._order_kpis(people=people, begin=_previous(periods[0])[0], end=end)
        self.imported: dict[tuple[int, int, dt.date], Decimal] = {
            (kpi, sp, month): value
            for kpi, sp, month, value in KpiValue.objects.filter(
                salesperson_id__in=people, month__gte=start, month__lte=end
            ).values_list("kpi_id", "salesperson_id", "month", "value")
        }

    def _sum(self, totals: dict[tuple[int, dt.date], Decimal], sp: int, period: Period) -> Decimal:
        return sum((totals.get((sp, m), Decimal(0)) for m in period.months), Decimal(0))

    def revenue_of(self, sp: int, period: Period) -> Decimal:
        return self._sum(self.revenue, sp, period)

    def plan_target(self, sp: int, period: Period) -> Decimal | None:
        return self._sum(self.targets, sp, period) if self.targets else None

    def _index(self, day: dt.date) -> int:
        """The period index of a day: months since year 0 divided by the period's length."""
        return (day.year * 12 + day.month - 1) // self.span

    def _order_kpis(self, *, people: list[int], begin: dt.date, end: dt.date) -> None:
        """Orders, new customers and retention per (salesperson, period index), from one
        query (``_order_facts``): retention of a period is the share of the previous
        period's customers who came back in it."""
        for sp, period, orders, customers, new, kept in _order_facts(
            people=people, begin=begin, end=end, span=self.span
        ):
            key = (int(sp), int(period))
            self.order_counts[key] = int(orders)
            self.new_customers[key] = int(new)
            self.retained[(int(sp), int(period) + 1)] = (int(kept), int(customers))

    def actual(self, kpi: Kpi, sp: int, period: Period) -> Decimal | None:
        """The KPI's actual for one person and period (None when it is undefined)."""
        kind = kpi.kind
        if kind == Kpi.Kind.REVENUE:
            return self.revenue_of(sp, period)
        if kind == Kpi.Kind.GROSS_MARGIN:
            return self.revenue_of(sp, period) - self._sum(self.cost, sp, period)
        if kind == Kpi.Kind.ATTAINMENT:
            target = self.plan_target(sp, period)
            if not target or target <= 0:
                return None
            return (self.revenue_of(sp, period) / target).quantize(Decimal("0.0001"))
        key = (sp, self._index(period.start))
        if kind == Kpi.Kind.AOV:
            orders = self.order_counts.get(key, 0)
            if not orders:
                return None
            return (self.revenue_of(sp, period) / orders).quantize(Decimal("0.01"))
        if kind == Kpi.Kind.NEW_CUSTOMERS:
            return Decimal(self.new_customers.get(key, 0))
        if kind == Kpi.Kind.RETENTION:
            kept, before = self.retained.get(key, (0, 0))
            if not before:
                return None
            return (Decimal(kept) / Decimal(before)).quantize(Decimal("0.0001"))
        values = [self.imported.get((kpi.pk, sp, m)) for m in period.months]
        present = [v for v in values if v is not None]
        if not present:
            return None
        return (sum(present, Decimal(0)) / len(present)).quantize(Decimal("0.0001"))


def scorecard_pairs_affected(
    *,
    template: ScorecardTemplate,
    cells: Collection[tuple[int, dt.date]],
    first_order_moves: Collection[tuple[int, dt.date, dt.date | None]] = (),
) -> dict[str, set[int]]:
    """The (period label -> salesperson ids) of ``template`` whose KPI figures an import can
    have changed.

    A touched (salesperson, month) cell changes that person's period (revenue, margin,
    orders, customers) and the next period's retention (measured against this one). A
    customer whose first order moved changes the new-customer count of whoever sold to it in
    the period of its old and of its new first order. Nothing else moves with orders
    (targets and imported metrics are not an import's).
    """
    periods = periods_of_year(template.year, template.period)
    span = len(periods[0].months)
    labels = {(p.start.year * 12 + p.start.month - 1) // span: p.label for p in periods}

    def index(day: dt.date) -> int:
        return (day.year * 12 + day.month - 1) // span

    out: dict[str, set[int]] = defaultdict(set)
    for sp, month in cells:
        for i in (index(month), index(month) + 1):
            if i in labels:
                out[labels[i]].add(int(sp))
    kinds = set(template.items.values_list("kpi__kind", flat=True))
    if first_order_moves and Kpi.Kind.NEW_CUSTOMERS in kinds:
        moved: dict[int, set[int]] = defaultdict(set)
        for customer, old, new in first_order_moves:
            moved[customer] |= {index(day) for day in (old, new) if day is not None}
        window = Q(
            customer_id__in=list(moved),
            order_date__gte=periods[0].start,
            order_date__lte=periods[-1].end,
        )
        sellers = {
            row
            for part in credited_parts(where=window)  # a split line: each credited salesperson
            if part is not None
            for row in part.order_by()
            .values_list("customer_id", "salesperson_id", "order_date")
            .distinct()
        }
        for customer, sp, day in sellers:
            if index(day) in moved[customer] and index(day) in labels:
                out[labels[index(day)]].add(sp)
    return dict(out)


# --- what users see --------------------------------------------------------------------------


def scorecard_template_list(
    *, user: AbstractBaseUser | AnonymousUser
) -> QuerySet[ScorecardTemplate]:
    if viewer_scope(user=user).role == "none":
        return ScorecardTemplate.objects.none()
    return ScorecardTemplate.objects.prefetch_related("items__kpi")


def scorecard_list(*, user: AbstractBaseUser | AnonymousUser) -> QuerySet[Scorecard]:
    """Scorecards the viewer may see: own for a salesperson, the subtree for a manager."""
    scope = viewer_scope(user=user)
    return (
        Scorecard.objects.filter(scope.salesperson_q("salesperson__"))
        .select_related("salesperson", "template")
        .order_by("template_id", "position", "peer_group", "rank", "salesperson__code")
    )


def group_rows(rows: list[Scorecard]) -> dict[str, list[Scorecard]]:
    out: dict[str, list[Scorecard]] = defaultdict(list)
    for row in rows:
        out[row.peer_group].append(row)
    return dict(out)
