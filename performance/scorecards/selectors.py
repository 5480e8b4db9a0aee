"""Reads for scorecards: KPI actuals per salesperson and period, scoped scorecard lists."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from decimal import Decimal

import pandas as pd
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import connections
from django.db.models import Count, IntegerField, QuerySet
from django.db.models.functions import Cast, ExtractMonth, ExtractYear

from allocation.access import viewer_scope
from allocation.models import ActualCell, OrgUnit, Salesperson, TargetCell
from customers.models import Customer, OrderLine
from performance.periods import Period
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


def _orders_by_customer_month(*, people: list[int], begin: dt.date, end: dt.date) -> pd.DataFrame:
    """Distinct orders per (salesperson, customer, month index) of the lines in [begin, end]:
    columns sp, customer, month (year * 12 + month - 1), orders."""
    index = Cast(ExtractYear("order_date") * 12 + ExtractMonth("order_date") - 1, IntegerField())
    inner = (
        OrderLine.objects.filter(
            salesperson_id__in=people, order_date__gte=begin, order_date__lte=end
        )
        .annotate(month_index=index)
        .values("salesperson_id", "customer_id", "order_id", "month_index")
        .annotate(lines=Count("id"))
        .order_by()
    )
    sql, params = inner.query.sql_with_params()
    with connections[inner.db].cursor() as cursor:
        cursor.execute(
            "SELECT o.salesperson_id, o.customer_id, o.month_index, COUNT(*) "  # noqa: S608 - ORM SQL
            f"FROM ({sql}) o GROUP BY o.salesperson_id, o.customer_id, o.month_index",
            params,
        )
        rows = cursor.fetchall()
    return pd.DataFrame(rows, columns=["sp", "customer", "month", "orders"], dtype="int64")


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
        self.revenue = _month_totals(cells, "amount")
        self.cost = _month_totals(cells, "cost")
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
            self._order_kpis(people=people, begin=_previous(periods[0])[0], end=end, kinds=kinds)
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

    def _order_kpis(
        self, *, people: list[int], begin: dt.date, end: dt.date, kinds: set[str]
    ) -> None:
        """Orders, new customers and retention per (salesperson, period) in a few queries.

        One pass over the lines in the window gives, per (person, customer, month), the
        number of distinct orders (an order has one customer and one date, so they add up
        over customers and months): a two-level hash aggregation, no ``COUNT(DISTINCT)``
        sort. Each customer's first order date (kept on the customer) and a merge with the
        previous period give the rest, vectorised.
        """
        frame = _orders_by_customer_month(people=people, begin=begin, end=end)
        if frame.empty:
            return
        frame["period"] = frame["month"] // self.span
        orders = frame.groupby(["sp", "period"])["orders"].sum()
        self.order_counts = {
            (int(a), int(b)): int(n)
            for (a, b), n in zip(orders.index, orders.to_numpy(), strict=True)
        }
        if not kinds & {Kpi.Kind.NEW_CUSTOMERS, Kpi.Kind.RETENTION}:
            return
        seen = frame[["sp", "customer", "period"]].drop_duplicates()
        if Kpi.Kind.NEW_CUSTOMERS in kinds:
            firsts = pd.DataFrame(
                list(
                    Customer.objects.filter(first_order_date__isnull=False).values_list(
                        "pk", "first_order_date"
                    )
                ),
                columns=["customer", "first"],
            )
            first = pd.to_datetime(firsts["first"])
            firsts["first_period"] = (first.dt.year * 12 + first.dt.month - 1) // self.span
            new = seen.merge(firsts[["customer", "first_period"]], on="customer")
            counts = (
                new[new["period"] == new["first_period"]]
                .groupby(["sp", "period"])
                .size()
                .reset_index(name="n")
            )
            self.new_customers = {
                (int(a), int(b)): int(n)
                for a, b, n in zip(counts["sp"], counts["period"], counts["n"], strict=True)
            }
        if Kpi.Kind.RETENTION in kinds:
            base = seen.groupby(["sp", "period"]).size()
            back = seen.assign(period=seen["period"] - 1).merge(
                seen, on=["sp", "customer", "period"]
            )
            kept = back.groupby(["sp", "period"]).size().rename("kept")
            table = pd.concat([base.rename("base"), kept], axis=1).fillna(0).reset_index()
            self.retained = {
                (int(a), int(b) + 1): (int(k), int(n))
                for a, b, k, n in zip(
                    table["sp"], table["period"], table["kept"], table["base"], strict=True
                )
            }

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
