"""Reads for cost allocation: driver values per key, pools, the contribution-margin report."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

import pandas as pd
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Count, Prefetch, Q, QuerySet

from allocation.access import viewer_scope
from allocation.models import ActualCell, OrgUnit, ProductLine, Salesperson
from customers.credit.selectors import credited_parts
from customers.models import OrderLine
from customers.tiers.selectors import customer_rule_tiers, tier_run_latest_with_rule_tiers
from performance.costs.engine import ContributionRow, CostSplitError, contribution_rows
from performance.costs.models import CostPool, CostPoolLine
from performance.periods import Period
from salesalloc.core.money import MoneySum


@dataclass(frozen=True)
class DimensionKeys:
    """The keys a dimension splits over and how salespeople / product lines map onto them."""

    names: dict[str, str]  # code → name
    org_ids: dict[str, int]  # org unit code → id (org_unit dimension only)
    by_salesperson: dict[int, str]  # salesperson id → key (org_unit dimension)
    by_product_line: dict[int, str]  # product line id → key (product_line dimension)
    by_customer: dict[int, str] = field(default_factory=dict)  # customer id → tier (tier)
    tier_run_id: int | None = None  # the snapshot the tier keys come from


class NoTierSnapshotError(CostSplitError):
    """The tier dimension needs a succeeded snapshot that assigns rule tiers."""


def _path_ids(path: str) -> list[int]:
    return [int(part) for part in path.strip("/").split("/") if part]


def dimension_keys(*, dimension: str, parent: OrgUnit | None = None) -> DimensionKeys:
    """Org units: the children of ``parent`` (default: of the top unit); product lines: the
    top-level lines. Each salesperson / product line maps to the key whose subtree holds it."""
    if dimension == CostPool.Dimension.ORG_UNIT:
        if parent is None:
            parent = OrgUnit.objects.filter(parent__isnull=True).order_by("code").first()
        units = list(OrgUnit.objects.filter(parent=parent).order_by("code")) if parent else []
        by_id = {unit.pk: unit.code for unit in units}
        level = (parent.depth + 1) if parent is not None else 0
        people: dict[int, str] = {}
        for pk, path in Salesperson.objects.values_list("pk", "org_unit__path"):
            ids = _path_ids(path or "")
            if len(ids) > level and ids[level] in by_id:
                people[pk] = by_id[ids[level]]
        return DimensionKeys(
            names={unit.code: unit.name for unit in units},
            org_ids={unit.code: unit.pk for unit in units},
            by_salesperson=people,
            by_product_line={},
        )
    if dimension == CostPool.Dimension.PRODUCT_LINE:
        lines = list(ProductLine.objects.values_list("pk", "code", "name", "path", "depth"))
        top = {pk: code for pk, code, _name, _path, depth in lines if depth == 0}
        mapping = {}
        for pk, _code, _name, path, _depth in lines:
            ids = _path_ids(path)
            if ids and ids[0] in top:
                mapping[pk] = top[ids[0]]
        names = {code: name for _pk, code, name, _path, depth in lines if depth == 0}
        return DimensionKeys(names=names, org_ids={}, by_salesperson={}, by_product_line=mapping)
    if dimension == CostPool.Dimension.TIER:
        # The rule tiers of the latest succeeded snapshot that assigns any: each of its
        # customers belongs to the tier the snapshot gave them; customers no rule matched are
        # not allocated.
        run = tier_run_latest_with_rule_tiers()
        if run is None:
            raise NoTierSnapshotError("no succeeded customer tier snapshot assigns rule tiers yet")
        customers, names = customer_rule_tiers(run=run)
        return DimensionKeys(
            names=names,
            org_ids={},
            by_salesperson={},
            by_product_line={},
            by_customer=customers,
            tier_run_id=run.pk,
        )
    raise CostSplitError(f"unknown dimension {dimension!r}")


def _customer_totals(*, keys: DimensionKeys, period: Period) -> dict[str, dict[str, Decimal]]:
    """Revenue, cost of goods, orders and customers per tier from the order lines of the
    snapshot's customers in the period (one grouped query by customer)."""
    rows = (
        OrderLine.objects.filter(order_date__gte=period.start, order_date__lte=period.end)
        .values("customer_id")
        .annotate(
            amount=MoneySum("amount"),
            cost=MoneySum("cost"),
            orders=Count("order_id", distinct=True),
        )
        .order_by()
    )
    totals: dict[str, dict[str, Decimal]] = {}
    for row in rows:
        key = keys.by_customer.get(row["customer_id"])
        if key is None:
            continue
        entry = totals.setdefault(
            key,
            {name: Decimal(0) for name in ("revenue", "cost", "orders", "customers")},
        )
        entry["revenue"] += row["amount"] or 0
        entry["cost"] += row["cost"] or 0
        entry["orders"] += row["orders"]
        entry["customers"] += 1
    return totals


def _key_of(keys: DimensionKeys, salesperson_id: int, product_line_id: int) -> str | None:
    if keys.by_salesperson:
        return keys.by_salesperson.get(salesperson_id)
    return keys.by_product_line.get(product_line_id)


def revenue_and_cost(
    *, keys: DimensionKeys, period: Period, salesperson_ids: list[int] | None = None
) -> tuple[dict[str, Decimal], dict[str, Decimal]]:
    """Net revenue and cost of goods per key from the actuals grid for the period (from the
    snapshot customers' order lines for tiers)."""
    if keys.by_customer:
        totals = _customer_totals(keys=keys, period=period)
        return (
            {k: v["revenue"] for k, v in totals.items()},
            {k: v["cost"] for k, v in totals.items()},
        )
    cells = ActualCell.objects.filter(month__gte=period.start, month__lte=period.end)
    if salesperson_ids is not None:
        cells = cells.filter(salesperson_id__in=salesperson_ids)
    rows = (
        cells.values("salesperson_id", "product_line_id")
        .annotate(amount=MoneySum("amount"), cost=MoneySum("cost"))
        .order_by()
    )
    revenue: dict[str, Decimal] = defaultdict(Decimal)
    cost: dict[str, Decimal] = defaultdict(Decimal)
    for row in rows:
        key = _key_of(keys, row["salesperson_id"], row["product_line_id"])
        if key is not None:
            revenue[key] += row["amount"] or 0
            cost[key] += row["cost"] or 0
    return dict(revenue), dict(cost)


def distinct_counts(*, keys: DimensionKeys, period: Period, column: str) -> dict[str, int]:
    """Distinct orders (``order_id``) or customers (``customer_id``) per key in the period."""
    if keys.by_customer:
        which = "orders" if column == "order_id" else "customers"
        return {k: int(v[which]) for k, v in _customer_totals(keys=keys, period=period).items()}
    window = Q(order_date__gte=period.start, order_date__lte=period.end)
    # By salesperson, a split line counts for each credited salesperson (its credits carry
    # the order and customer); by product line the lines alone do.
    parts = (
        credited_parts(where=window)
        if keys.by_salesperson
        else (OrderLine.objects.filter(window), None)
    )
    rows = [
        row
        for part in parts
        if part is not None
        for row in part.values_list(column, "salesperson_id", "product_line_id")
        .distinct()
        .order_by()
    ]
    frame = pd.DataFrame(rows, columns=["item", "salesperson", "product_line"])
    if frame.empty:
        return {}
    mapping = keys.by_salesperson or keys.by_product_line
    source = "salesperson" if keys.by_salesperson else "product_line"
    frame["key"] = frame[source].map(mapping)
    counts = frame.dropna(subset=["key"]).drop_duplicates(["key", "item"])["key"].value_counts()
    return {str(key): int(count) for key, count in counts.items()}


def headcount(*, keys: DimensionKeys) -> dict[str, int]:
    """Active salespeople per org-unit key."""
    if not keys.by_salesperson and (keys.by_product_line or keys.by_customer):
        raise CostSplitError("headcount can only split over org units")
    active = set(Salesperson.objects.filter(is_active=True).values_list("pk", flat=True))
    counts: dict[str, int] = defaultdict(int)
    for pk, key in keys.by_salesperson.items():
        if pk in active:
            counts[key] += 1
    return dict(counts)


# --- what users see --------------------------------------------------------------------------


def cost_pool_list(*, user: AbstractBaseUser | AnonymousUser) -> QuerySet[CostPool]:
    """Pools for admins; managers see pools over org units, with their own units' lines."""
    scope = viewer_scope(user=user)
    if scope.is_admin:
        return CostPool.objects.prefetch_related("lines")
    if not scope.is_manager:
        return CostPool.objects.none()
    visible = OrgUnit.objects.filter(scope.org_unit_q())
    return CostPool.objects.filter(dimension=CostPool.Dimension.ORG_UNIT).prefetch_related(
        Prefetch("lines", queryset=CostPoolLine.objects.filter(org_unit__in=visible))
    )


@dataclass(frozen=True)
class ContributionReport:
    period: Period
    dimension: str
    rows: list[ContributionRow]
    names: dict[str, str]
    total: ContributionRow | None


def contribution_report(
    *, user: AbstractBaseUser | AnonymousUser, period: Period, dimension: str
) -> ContributionReport:
    """Revenue − cost of goods − allocated cost per key of ``dimension`` for the period.

    Allocated cost sums the lines of the pools over the same dimension whose period lies
    inside the report's. A manager gets only the org units of their subtree.
    """
    scope = viewer_scope(user=user)
    keys = dimension_keys(dimension=dimension)
    revenue, cost = revenue_and_cost(keys=keys, period=period)
    lines = CostPoolLine.objects.filter(
        pool__dimension=dimension,
        pool__period_start__gte=period.start,
        pool__period_end__lte=period.end,
    )
    allocated: dict[str, Decimal] = defaultdict(Decimal)
    for key, amount in lines.values_list("key", "amount"):
        allocated[key] += amount
    rows = contribution_rows(revenue=revenue, cost_of_goods=cost, allocated=allocated)
    if not scope.is_admin:
        visible = set(OrgUnit.objects.filter(scope.org_unit_q()).values_list("code", flat=True))
        rows = [row for row in rows if row.key in visible]
    total = None
    if rows:
        total = contribution_rows(
            revenue={"": sum((r.revenue for r in rows), Decimal(0))},
            cost_of_goods={"": sum((r.cost_of_goods for r in rows), Decimal(0))},
            allocated={"": sum((r.allocated_cost for r in rows), Decimal(0))},
        )[0]
    return ContributionReport(period, dimension, rows, keys.names, total)
