"""Reads for the dashboard's pivot: a node's children × top-level product lines.

The fiscal year's target and actual of each child in each top-level product line: two
``GROUP BY`` queries over the target and actuals grids, grouped into the node's children
like the attainment figures (``performance.tracking.selectors``) and cached like them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.cache import cache
from django.db.models import Case, IntegerField, Value, When

from allocation.models import ActualCell, OrgUnit, Plan, ProductLine, Salesperson, TargetCell
from performance.tracking import engine
from performance.tracking.selectors import (
    CACHE_VERSION_KEY,
    NODE_PRODUCT_LINE,
    OTHER,
    Node,
    Resolved,
    _cents,
    _grouping,
    tracking_node_get,
    tracking_plan_get,
)


@dataclass(frozen=True)
class PivotCell:
    target: int | None
    actual: int

    @property
    def attainment(self) -> Any:
        return engine.ratio(self.actual, self.target)


@dataclass(frozen=True)
class Pivot:
    """A node's children × top-level product lines: the fiscal year's target and actual."""

    columns: list[Node]
    rows: list[tuple[Node, list[PivotCell]]]
    totals: list[PivotCell]


def pivot_get(
    *,
    user: AbstractBaseUser | AnonymousUser,
    year: int,
    org_unit: str | None = None,
    salesperson: str | None = None,
    resolved: Resolved | None = None,
) -> Pivot:
    """Targets and actuals of the node's children by top-level product line (two queries).

    Cached like the attainment figures, until the next recompute or plan revision.
    """
    if resolved is not None:
        target, plan = resolved.target, resolved.plan
    else:
        target = tracking_node_get(user=user, org_unit=org_unit, salesperson=salesperson)
        plan = tracking_plan_get(year=year, target=target)
    timeout = settings.SALESALLOC_TRACKING_CACHE_SECONDS
    key = None
    if timeout:
        version = cache.get_or_set(CACHE_VERSION_KEY, 1, None)
        key = (
            f"tracking:pivot:{version}:{year}:{type(target).__name__}:{target.pk}:"
            f"{plan.pk if plan else ''}:{plan.revision if plan else ''}"
        )
        cached = cache.get(key)
        if cached is not None:
            return cached
    result = _pivot_compute(target=target, plan=plan, year=year)
    if key is not None:
        cache.set(key, result, timeout)
    return result


def _pivot_compute(*, target: OrgUnit | Salesperson, plan: Plan | None, year: int) -> Pivot:
    months = engine.fiscal_months(year, plan.start_month if plan else 1)
    first, after = months[0], engine.add_months(months[-1], 1)
    group = _grouping(target, None)
    lines = list(ProductLine.objects.filter(parent__isnull=True).order_by("code"))
    columns = [Node(kind=NODE_PRODUCT_LINE, code=pl.code, name=pl.name) for pl in lines]
    pl_key = Case(
        *[
            When(product_line__path__startswith=pl.path, then=Value(i))
            for i, pl in enumerate(lines)
        ],
        default=Value(OTHER),
        output_field=IntegerField(),
    )
    n_rows, n_cols = len(group.children), len(lines)
    actual = [[0] * n_cols for _ in range(n_rows)]
    goal: list[list[int]] | None = None
    if plan is not None:
        goal = [[0] * n_cols for _ in range(n_rows)]
        target_rows = (
            TargetCell.objects.filter(group.base, plan=plan, month__gte=first, month__lt=after)
            .annotate(child=group.key, pl=pl_key)
            .order_by()
            .values_list("child", "pl")
            .annotate(c=_cents())
        )
        for raw, pl, cents in target_rows:
            child = group.slot(raw)
            if child != OTHER and pl != OTHER:
                goal[child][pl] += int(cents or 0)
    actual_rows = (
        ActualCell.objects.filter(group.base, month__gte=first, month__lt=after)
        .annotate(child=group.key, pl=pl_key)
        .order_by()
        .values_list("child", "pl")
        .annotate(c=_cents())
    )
    for raw, pl, cents in actual_rows:
        child = group.slot(raw)
        if child != OTHER and pl != OTHER:
            actual[child][pl] += int(cents or 0)

    def cell(r: int, c: int) -> PivotCell:
        return PivotCell(target=None if goal is None else goal[r][c], actual=actual[r][c])

    return Pivot(
        columns=columns,
        rows=[(node, [cell(r, c) for c in range(n_cols)]) for r, node in enumerate(group.children)],
        totals=[
            PivotCell(
                target=None if goal is None else sum(goal[r][c] for r in range(n_rows)),
                actual=sum(actual[r][c] for r in range(n_rows)),
            )
            for c in range(n_cols)
        ],
    )
