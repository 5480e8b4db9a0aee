"""The whole target or actuals grid summed per (salesperson, month), cached per recompute
generation: every org node's attainment is a sum over these rows."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db.models import BigIntegerField, Sum
from django.db.models.functions import Cast, Round

from allocation.measures import actual_sum
from allocation.models import ActualCell, Plan, ProductLine, TargetCell

CACHE_VERSION_KEY = "tracking:version"


def cents(column: str = "amount") -> Any:
    return Cast(Round(Sum(column) * 100), BigIntegerField())


def grid_totals(
    *,
    kind: str,
    plan: Plan | None,
    line: ProductLine | None,
    measure: str = Plan.Measure.REVENUE,
) -> list[tuple[int, dt.date, int]]:
    """(salesperson id, month, cents) of the whole target or actuals grid, product lines
    summed (only those under ``line`` when given): one ``GROUP BY`` over the grid.

    Cached per cache generation (the recompute starts a new one) and plan revision, so
    every org node's figures are sums over these rows instead of a scan of the grid.
    """
    timeout = settings.SALESALLOC_TRACKING_CACHE_SECONDS
    key = None
    if timeout:
        version = cache.get_or_set(CACHE_VERSION_KEY, 1, None)
        key = (
            f"tracking:grid:{version}:{kind}:{plan.pk if plan else ''}:"
            f"{plan.revision if plan else ''}:{line.pk if line else ''}:{measure}"
        )
        cached = cache.get(key)
        if cached is not None:
            return cached
    rows = TargetCell.objects.filter(plan=plan) if kind == "targets" else ActualCell.objects.all()
    if line is not None:
        lines = ProductLine.objects.filter(path__startswith=line.path).values_list("pk", flat=True)
        rows = rows.filter(product_line_id__in=list(lines))
    total = cents() if kind == "targets" else actual_sum(measure)
    result = [
        (int(sp), month, int(cents or 0))
        for sp, month, cents in rows.order_by()
        .values_list("salesperson_id", "month")
        .annotate(c=total)
    ]
    if key is not None:
        cache.set(key, result, timeout)
    return result
