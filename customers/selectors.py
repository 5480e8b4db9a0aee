"""Reads of customers, orders and imports, always scoped to the viewer (``viewer_scope``).

An admin sees everything; a manager sees the salespeople of their subtrees and what belongs
to them; a salesperson sees their own lines and customers. Imports are seen by their creator
(and by admins).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Exists, OuterRef, Q, QuerySet

from allocation.access import viewer_scope
from customers.models import ColumnMapping, Customer, ImportJob, OrderLine, TerritoryRule
from salesalloc.core.money import money_str

User = AbstractBaseUser | AnonymousUser


def import_job_list(*, user: User) -> QuerySet[ImportJob]:
    """Admin: every import; anyone else: the imports they started."""
    scope = viewer_scope(user=user)
    jobs = ImportJob.objects.select_related("created_by", "mapping")
    if scope.is_admin:
        return jobs
    if scope.user_id is None:
        return jobs.none()
    return jobs.filter(created_by_id=scope.user_id)


def order_line_list(*, user: User) -> QuerySet[OrderLine]:
    """Order lines of the salespeople the viewer may see, with their related rows joined."""
    scope = viewer_scope(user=user)
    return OrderLine.objects.filter(scope.salesperson_q("salesperson__")).select_related(
        "order", "customer", "salesperson", "product_line", "product"
    )


def customer_list(*, user: User) -> QuerySet[Customer]:
    """Admin: all; others: customers owned by, or with order lines of, visible salespeople.

    The order-line test is an ``EXISTS`` subquery, so a customer appears once.
    """
    scope = viewer_scope(user=user)
    customers = Customer.objects.select_related("owner")
    if scope.is_admin:
        return customers
    if scope.role == "none":
        return customers.none()
    lines = OrderLine.objects.filter(
        scope.salesperson_q("salesperson__"), customer_id=OuterRef("pk")
    )
    return customers.filter(Q(scope.salesperson_q("owner__")) | Q(Exists(lines)))


def column_mapping_list(*, user: User) -> QuerySet[ColumnMapping]:
    """Saved column mappings: shared configuration for those who may import."""
    scope = viewer_scope(user=user)
    mappings = ColumnMapping.objects.select_related("created_by")
    return mappings if scope.can_manage else mappings.none()


def territory_rule_list(*, user: User) -> QuerySet[TerritoryRule]:
    """Admin: all rules; others: the rules that assign salespeople they may see."""
    scope = viewer_scope(user=user)
    rules = TerritoryRule.objects.select_related("salesperson", "salesperson__org_unit")
    if scope.is_admin:
        return rules
    return rules.filter(scope.salesperson_q("salesperson__"))


ORDER_LINE_COLUMNS = {
    "order_no": "order__order_no",
    "line_no": "line_no",
    "order_date": "order_date",
    "customer_code": "customer__code",
    "customer_name": "customer__name",
    "salesperson_code": "salesperson__code",
    "product_line_code": "product_line__code",
    "sku": "product__sku",
    "quantity": "quantity",
    "unit_price": "unit_price",
    "amount": "amount",
    "cost": "cost",
}


def order_lines_frame(
    *,
    user: User,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    salesperson: str | None = None,
    product_line: str | None = None,
    customer: str | None = None,
    **filters: Any,
) -> pd.DataFrame:
    """The viewer's order lines as a DataFrame for exports (one row per line).

    Columns are ``ORDER_LINE_COLUMNS``; quantities and money are exact decimal strings
    (never float). ``date_to`` is inclusive; codes filter exactly; further keyword filters
    are passed to the queryset as they are.
    """
    lines = OrderLine.objects.filter(viewer_scope(user=user).salesperson_q("salesperson__"))
    if date_from is not None:
        lines = lines.filter(order_date__gte=date_from)
    if date_to is not None:
        lines = lines.filter(order_date__lte=date_to)
    if salesperson:
        lines = lines.filter(salesperson__code=salesperson)
    if product_line:
        lines = lines.filter(product_line__code=product_line)
    if customer:
        lines = lines.filter(customer__code=customer)
    if filters:
        lines = lines.filter(**filters)
    rows = lines.order_by("order_date", "order__order_no", "line_no").values_list(
        *ORDER_LINE_COLUMNS.values()
    )
    frame = pd.DataFrame.from_records(list(rows), columns=list(ORDER_LINE_COLUMNS))
    for name in ("quantity", "unit_price", "amount", "cost"):
        frame[name] = frame[name].map(money_str).astype(object)
    frame["line_no"] = frame["line_no"].astype("int64")
    return frame
