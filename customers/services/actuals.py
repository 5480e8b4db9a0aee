"""Keep ``allocation``'s actuals equal to the sum of the order lines, as credited.

A line credited to one salesperson counts for them whole; a split line counts for each of
its credited salespeople with their share (``OrderLineCredit``, split to the cent), so a cell
is the sum of the unsplit lines plus the credits in it. While no line is split the SQL is
the plain one over the lines.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Collection, Iterable
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import connection, transaction
from django.db.models import Count, QuerySet, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone

from allocation.models import Salesperson
from allocation.services import actual_cells_replace
from customers.measures import new_customer_amount
from customers.models import Customer, ImportJob, OrderLine, OrderLineCredit


def _next_month(month: dt.date) -> dt.date:
    return dt.date(month.year + month.month // 12, month.month % 12 + 1, 1)


def _aggregate(lines: QuerySet[Any]) -> QuerySet[Any, Any]:
    """Order lines (or credits, which carry the same field names) summed at grid grain: the
    columns ``actual_cells_replace`` expects, every measure in the one ``GROUP BY`` (amount,
    cost, units and new-customer revenue, which reads the customer's ``first_order_date``;
    see ``customers.measures``)."""
    return (
        lines.annotate(month=TruncMonth("order_date"), line_new_amount=new_customer_amount())
        .values("salesperson_id", "product_line_id", "month")
        .annotate(
            amount=Sum("amount"),
            cost=Sum("cost"),
            quantity=Sum("quantity"),
            new_customer_amount=Sum("line_new_amount"),
            lines=Count("id"),
        )
        .order_by()
    )


def _sources(
    lines: QuerySet[OrderLine], credits: QuerySet[OrderLineCredit] | None
) -> tuple[QuerySet[Any, Any], QuerySet[Any, Any] | None]:
    """``actual_cells_replace``'s sources: the lines, or the unsplit lines and the credits."""
    if credits is None:
        return _aggregate(lines), None
    return _aggregate(lines.filter(split_credit=False)), _aggregate(credits)


@transaction.atomic
def order_actuals_refresh(
    *,
    cells: Iterable[tuple[int, dt.date]] | None = None,
    salesperson_ids: Collection[int] | None = None,
    actor: AbstractBaseUser | None = None,
) -> int:
    """Rebuild actual cells from the order lines; returns the number of cells written.

    ``cells`` ((salesperson id, month) pairs) rebuilds exactly those cells: per month, one
    indexed range scan over the month's affected salespeople and one ``INSERT ... SELECT``,
    so an incremental import costs in proportion to what it touched. ``salesperson_ids``
    alone rebuilds every month of those people; neither rebuilds everything.
    Idempotent and safe to run concurrently: the affected salespeople are locked in
    primary-key order first, then ``actual_cells_replace`` replaces each block.
    """
    split = OrderLineCredit.objects.exists()
    if cells is None:
        people = sorted(set(salesperson_ids)) if salesperson_ids is not None else None
        lines = OrderLine.objects.all()
        credits = OrderLineCredit.objects.all() if split else None
        if people is not None:
            lines = lines.filter(salesperson_id__in=people)
            credits = credits.filter(salesperson_id__in=people) if credits is not None else None
        source, also = _sources(lines, credits)
        return actual_cells_replace(source=source, also=also, salesperson_ids=people, actor=actor)

    by_month: dict[dt.date, set[int]] = defaultdict(set)
    for salesperson_id, month in cells:
        by_month[month.replace(day=1)].add(int(salesperson_id))
    if not by_month:
        return 0
    everyone = sorted(set().union(*by_month.values()))
    list(  # lock every affected salesperson once, in a fixed order: no deadlocks
        Salesperson.objects.select_for_update()
        .filter(pk__in=everyone)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    written = 0
    for month, month_people in sorted(by_month.items()):
        window = {
            "salesperson_id__in": sorted(month_people),
            "order_date__gte": month,
            "order_date__lt": _next_month(month),
        }
        credits = OrderLineCredit.objects.filter(**window) if split else None
        source, also = _sources(OrderLine.objects.filter(**window), credits)
        written += actual_cells_replace(
            source=source,
            also=also,
            salesperson_ids=sorted(month_people),
            month_from=month,
            month_to=month,
            actor=actor,
        )
    return written


@transaction.atomic
def customer_first_orders_refresh() -> int:
    """Set every customer's ``first_order_date`` from the stored orders; returns the rows
    changed.

    Imports keep the date in their own transaction; the nightly recompute calls this so a
    change made outside an import (an order deleted in the admin) is healed too. One
    grouped statement that rewrites only the customers whose date differs.
    """
    table = Customer._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET first_order_date = f.first_date FROM ("  # noqa: S608 - our table
            "SELECT c.id, MIN(o.order_date) AS first_date FROM customers_customer c "
            "LEFT JOIN customers_order o ON o.customer_id = c.id GROUP BY c.id) f "
            f"WHERE {table}.id = f.id AND {table}.first_order_date IS DISTINCT FROM f.first_date"
        )
        return cursor.rowcount


def import_job_affected_cells(*, job: ImportJob) -> list[tuple[int, dt.date]]:
    """The (salesperson id, month) cells an import touched, as recorded on the job."""
    return [(int(sp), dt.date.fromisoformat(month)) for sp, month in job.affected_cells]


def import_job_first_order_moves(*, job: ImportJob) -> list[tuple[int, dt.date, dt.date | None]]:
    """Customers with earlier orders whose first order date the import moved (old, new)."""
    return [
        (int(pk), dt.date.fromisoformat(old), dt.date.fromisoformat(new) if new else None)
        for pk, old, new in job.first_order_moves
    ]


def import_job_recompute_mark(*, job_id: int, status: str) -> None:
    """Record how the recompute after an import went (``ImportJob.recompute_status``)."""
    fields: dict[str, object] = {"recompute_status": status}
    if status in (ImportJob.RecomputeStatus.SUCCEEDED, ImportJob.RecomputeStatus.FAILED):
        fields["recomputed_at"] = timezone.now()
    ImportJob.objects.filter(pk=job_id).update(**fields, updated_at=timezone.now())
