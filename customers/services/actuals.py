"""Keep ``allocation``'s actuals equal to the sum of the order lines."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Count, Sum
from django.db.models.functions import TruncMonth

from allocation.services import actual_cells_replace
from customers.models import OrderLine


def _next_month(month: dt.date) -> dt.date:
    return dt.date(month.year + month.month // 12, month.month % 12 + 1, 1)


def order_actuals_refresh(
    *,
    cells: Iterable[tuple[int, dt.date]] | None = None,
    actor: AbstractBaseUser | None = None,
) -> int:
    """Rebuild the actual cells covering ``cells`` ((salesperson id, month) pairs); all if None.

    The refreshed block is the affected salespeople x the span of affected months, so one
    indexed range scan and one ``INSERT ... SELECT`` do the work; cells of the block that no
    import touched come out unchanged. Returns the number of cells written.
    """
    lines = OrderLine.objects.all()
    salesperson_ids: list[int] | None = None
    month_from = month_to = None
    if cells is not None:
        pairs = list(cells)
        if not pairs:
            return 0
        salesperson_ids = sorted({sp for sp, _ in pairs})
        month_from = min(month for _, month in pairs)
        month_to = max(month for _, month in pairs)
        lines = lines.filter(
            salesperson_id__in=salesperson_ids,
            order_date__gte=month_from,
            order_date__lt=_next_month(month_to),
        )
    source = (
        lines.annotate(month=TruncMonth("order_date"))
        .values("salesperson_id", "product_line_id", "month")
        .annotate(amount=Sum("amount"), cost=Sum("cost"), lines=Count("id"))
        .order_by()
    )
    return actual_cells_replace(
        source=source,
        salesperson_ids=salesperson_ids,
        month_from=month_from,
        month_to=month_to,
        actor=actor,
    )
