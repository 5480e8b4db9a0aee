"""Reads for scorecards: KPI actuals per salesperson and period, scoped scorecard lists."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from decimal import Decimal
from typing import cast

import pandas as pd
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Min, QuerySet

from allocation.models import ActualCell, OrgUnit, Salesperson, TargetCell
from allocation.selectors import viewer_scope
from customers.models import OrderLine
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
        self.orders = pd.DataFrame(columns=["salesperson", "customer", "order", "day"])
        self.by_person: dict[int, pd.DataFrame] = {}
        self.first_order: dict[int, dt.date] = {}
        if kinds & ORDER_KINDS:
            begin = _previous(periods[0])[0]
            rows = (
                OrderLine.objects.filter(
                    salesperson_id__in=people, order_date__gte=begin, order_date__lte=end
                )
                .values_list("salesperson_id", "customer_id", "order_id", "order_date")
                .distinct()
                .order_by()
            )
            self.orders = pd.DataFrame(
                list(rows), columns=["salesperson", "customer", "order", "day"]
            )
            # One small frame per person, so each (person, period) lookup is cheap.
            self.by_person = {
                cast(int, sp): frame for sp, frame in self.orders.groupby("salesperson", sort=False)
            }
            if Kpi.Kind.NEW_CUSTOMERS in kinds and not self.orders.empty:
                firsts = (
                    OrderLine.objects.filter(
                        customer_id__in=self.orders["customer"].unique().tolist()
                    )
                    .values("customer_id")
                    .annotate(first=Min("order_date"))
                    .order_by()
                )
                self.first_order = {r["customer_id"]: r["first"] for r in firsts}
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

    def _orders_in(self, sp: int, start: dt.date, end: dt.date) -> pd.DataFrame:
        frame = self.by_person.get(sp)
        if frame is None:
            return self.orders.iloc[0:0]
        return frame[(frame["day"] >= start) & (frame["day"] <= end)]

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
        if kind == Kpi.Kind.AOV:
            orders = self._orders_in(sp, period.start, period.end)["order"].nunique()
            if not orders:
                return None
            return (self.revenue_of(sp, period) / orders).quantize(Decimal("0.01"))
        if kind == Kpi.Kind.NEW_CUSTOMERS:
            customers = self._orders_in(sp, period.start, period.end)["customer"].unique()
            return Decimal(
                sum(
                    1
                    for c in customers
                    if period.start <= self.first_order.get(int(c), period.start) <= period.end
                )
            )
        if kind == Kpi.Kind.RETENTION:
            before = set(self._orders_in(sp, *_previous(period))["customer"].tolist())
            if not before:
                return None
            now = set(self._orders_in(sp, period.start, period.end)["customer"].tolist())
            return (Decimal(len(before & now)) / Decimal(len(before))).quantize(Decimal("0.0001"))
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
