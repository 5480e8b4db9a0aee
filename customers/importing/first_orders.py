"""The import's part in keeping ``Customer.first_order_date`` (set-based, in its transaction).

The staging table ``FIRSTS`` collects the customers whose first order may have moved: the
previous customers of the file's known orders (staged before the orders are upserted, since
a re-assigned order may move its old customer's first order later) and the file's own
customers. One grouped statement then rewrites the dates that differ.
"""

# The SQL below is built from this module's own identifiers and the staging table names.
# ruff: noqa: S608

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Q
from django.db.models.functions import TruncMonth

FIRSTS = "import_stage_first_orders"
FIRSTS_COLUMNS = (("customer_id", "bigint"),)


def previous_customers_stage(cursor: Any, *, staged_orders: str) -> None:
    """Before the orders are upserted: the customers the file's known orders belong to now."""
    cursor.execute(
        f"INSERT INTO {FIRSTS} (customer_id) SELECT o.customer_id FROM {staged_orders} so "
        "JOIN customers_order o ON o.order_no = so.order_no",
        [],
    )


def first_orders_update(cursor: Any, *, staged_customers: str) -> list[list[Any]]:
    """After the merge: the staged customers' first order dates, from their orders (a
    customer left without any order gets none).

    Returns the moves of customers that had an order before, ``[id, old, new]`` (ISO dates,
    ``new`` None when no order is left), so the recompute can tell whose new-customer
    figures changed; a customer's first order ever is not a move.
    """
    cursor.execute(
        f"INSERT INTO {FIRSTS} (customer_id) SELECT c.id FROM {staged_customers} sc "
        "JOIN customers_customer c ON c.code = sc.code",
        [],
    )
    firsts = (
        "SELECT t.customer_id, MIN(o.order_date) AS first_date "
        f"FROM (SELECT DISTINCT customer_id FROM {FIRSTS}) t "
        "LEFT JOIN customers_order o ON o.customer_id = t.customer_id GROUP BY t.customer_id"
    )
    cursor.execute(  # customers new in this file have no date yet: skipped before grouping
        f"SELECT c.id, c.first_order_date, MIN(o.order_date) FROM (SELECT DISTINCT customer_id "
        f"FROM {FIRSTS}) t JOIN customers_customer c ON c.id = t.customer_id "
        "AND c.first_order_date IS NOT NULL "
        "LEFT JOIN customers_order o ON o.customer_id = c.id GROUP BY c.id, c.first_order_date "
        "HAVING c.first_order_date IS DISTINCT FROM MIN(o.order_date) ORDER BY c.id",
        [],
    )
    moves = [[int(pk), _iso(old), _iso(new)] for pk, old, new in cursor.fetchall()]
    cursor.execute(
        f"UPDATE customers_customer SET first_order_date = f.first_date FROM ({firsts}) f "
        "WHERE customers_customer.id = f.customer_id "
        "AND customers_customer.first_order_date IS DISTINCT FROM f.first_date",
        [],
    )
    return moves


def _iso(value: Any) -> str | None:
    """A date (or SQLite's text) as ``YYYY-MM-DD``."""
    return None if value is None else str(value)[:10]


def moved_cells(moves: list[list[Any]]) -> set[tuple[int, str]]:
    """The (salesperson id, ``YYYY-MM-01``) cells whose new-customer revenue the first-order
    ``moves`` change: each moved customer's lines from the earlier first-order month through
    11 months after the later one (``customers.measures``). The file may not touch those
    months, so they join the import's recompute; a customer's first order ever is no move
    (all their lines are in the file, whose cells are recorded anyway)."""
    from customers.measures import NEW_CUSTOMER_MONTHS
    from customers.models import OrderLine, OrderLineCredit

    if not moves:
        return set()
    windows = Q(pk__in=[])
    for customer_id, old, new in moves:
        dates = [dt.date.fromisoformat(d) for d in (old, new) if d is not None]
        last = max(dates)
        index = last.year * 12 + last.month - 1 + NEW_CUSTOMER_MONTHS
        windows |= Q(
            customer_id=customer_id,
            order_date__gte=min(dates).replace(day=1),
            order_date__lt=dt.date(index // 12, index % 12 + 1, 1),
        )
    out: set[tuple[int, str]] = set()
    for model in (OrderLine, OrderLineCredit):  # a split line counts for each credited person
        rows = (
            model.objects.filter(windows, salesperson_id__isnull=False)
            .annotate(month=TruncMonth("order_date"))
            .order_by()
            .values_list("salesperson_id", "month")
            .distinct()
        )
        out |= {(int(sp), f"{month:%Y-%m-01}") for sp, month in rows}
    return out
