"""Reads of customers, orders and imports, always scoped to the viewer (``viewer_scope``).

An admin sees everything; a manager sees the salespeople of their subtrees and what belongs
to them; a salesperson sees their own lines and customers. Imports are seen by their creator
(and by admins).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from itertools import islice
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Exists, F, Max, OuterRef, Q, QuerySet, Subquery
from django.utils.functional import Promise
from django.utils.translation import pgettext_lazy

from allocation.access import ViewerScope, viewer_scope
from allocation.models import ProductLine, Salesperson
from customers.credit.selectors import (
    CreditWindow,
    credit_window,
    lines_in_window_q,
    lines_shown,
)
from customers.importing.template import NOTES_HEADER, template_rows
from customers.models import (
    ColumnMapping,
    Customer,
    ImportJob,
    OrderLine,
    OrderLineCredit,
    TerritoryRule,
)
from salesalloc.core.export import csv_rows, xlsx_workbook_bytes
from salesalloc.core.money import money_str
from salesalloc.core.texts import text_render

User = AbstractBaseUser | AnonymousUser
# Everything, whole: what an export shows when no viewer's window is given.
SYSTEM_VIEW = ViewerScope(user_id=None, is_admin=True, managed_paths=(), salesperson_id=None)


def order_last_date() -> dt.date | None:
    """The latest order date of any line (None without orders), unscoped, for computations.

    Per salesperson the newest line through the (salesperson, date) index, then the latest of
    those: a few hundred index probes instead of a scan of every line.
    """
    newest = (
        OrderLine.objects.filter(salesperson_id=OuterRef("pk"))
        .order_by("-order_date")
        .values("order_date")[:1]
    )
    people = Salesperson.objects.annotate(newest=Subquery(newest))
    return people.aggregate(last=Max("newest"))["last"]


def import_job_list(*, user: User) -> QuerySet[ImportJob]:
    """Admin: every import; anyone else: the imports they started."""
    scope = viewer_scope(user=user)
    jobs = ImportJob.objects.select_related("created_by", "mapping")
    if scope.is_admin:
        return jobs
    if scope.user_id is None:
        return jobs.none()
    return jobs.filter(created_by_id=scope.user_id)


def import_job_message(*, job: ImportJob) -> str:
    """The job's summary in the active language (stored untranslated; older jobs kept only
    the uploader's rendering)."""
    return text_render(job.summary) if job.summary else job.message


def order_line_list(*, user: User) -> QuerySet[OrderLine]:
    """Order lines of the salespeople the viewer may see (or credited in part to one of
    them), with their related rows joined."""
    window = credit_window(user=user)
    return OrderLine.objects.filter(lines_in_window_q(window)).select_related(
        "order", "customer", "salesperson", "product_line", "product"
    )


def order_lines_credited_to(
    lines: QuerySet[OrderLine], *, salesperson_id: int
) -> QuerySet[OrderLine]:
    """Those of ``lines`` whose salesperson is this one, or that are credited to them."""
    credited = OrderLineCredit.objects.filter(line_id=OuterRef("pk"), salesperson_id=salesperson_id)
    return lines.filter(Q(salesperson_id=salesperson_id) | Q(Exists(credited)))


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
    credited = OrderLineCredit.objects.filter(
        scope.salesperson_q("salesperson__"), customer_id=OuterRef("pk")
    )
    return customers.filter(
        Q(scope.salesperson_q("owner__")) | Q(Exists(lines)) | Q(Exists(credited))
    )


def column_mapping_list(*, user: User) -> QuerySet[ColumnMapping]:
    """Saved column mappings: shared configuration for those who may import."""
    scope = viewer_scope(user=user)
    mappings = ColumnMapping.objects.select_related("created_by")
    return mappings if scope.can_manage else mappings.none()


def import_template(*, user: User, fmt: str) -> bytes:
    """The import template (``customers.importing.template``) as ``fmt`` bytes: headers in
    the active language, an example row with the viewer's own codes, notes (XLSX only)."""
    people = list(
        Salesperson.objects.filter(viewer_scope(user=user).managed_salesperson_q())
        .filter(is_active=True)
        .order_by("code")
        .values_list("code", flat=True)[:2]
    )
    leaf = (
        ProductLine.objects.filter(children__isnull=True)
        .order_by("path")
        .values_list("code", flat=True)
        .first()
    )
    header, example, notes = template_rows(salespeople=people, product_line=leaf or "FUR-CH")
    if fmt == "xlsx":
        return xlsx_workbook_bytes(
            [
                (str(pgettext_lazy("import template sheet", "Orders")), header, [example]),
                (
                    str(pgettext_lazy("import template sheet", "Notes")),
                    [str(label) for label in NOTES_HEADER],
                    notes,
                ),
            ]
        )
    return "".join(csv_rows(header, [example])).encode("utf-8")


def territory_rule_list(*, user: User) -> QuerySet[TerritoryRule]:
    """Admin: all rules; others: the rules that assign salespeople they may see."""
    scope = viewer_scope(user=user)
    rules = TerritoryRule.objects.select_related("salesperson", "salesperson__org_unit")
    if scope.is_admin:
        return rules
    return rules.filter(scope.salesperson_q("salesperson__"))


@dataclass(frozen=True)
class ExportColumn:
    """One column of the order-line export: its header, where it comes from, how it is shown."""

    header: Promise  # the order file's own header (translated), so an export imports back
    path: str  # the ``values_list`` path on ``OrderLine``
    convert: Callable[[Any], Any] | None = None


def _quantity(value: Decimal | None) -> Decimal | int | None:
    """A whole quantity as an integer; otherwise the exact value with at least 2 places."""
    if value is None:
        return None
    if value == value.to_integral_value():
        return int(value)
    return _money(value)


def _money(value: Decimal | None) -> Decimal | None:
    """The exact amount with 2 places unless more places carry information."""
    return None if value is None else Decimal(money_str(value) or "0")


# Customers' personal data (phone, e-mail, address) is deliberately not among the columns.
ORDER_LINE_EXPORT_COLUMNS = (
    ExportColumn(pgettext_lazy("order file header", "order_id"), "order__order_no"),
    ExportColumn(pgettext_lazy("order file header", "line_no"), "line_no"),
    ExportColumn(pgettext_lazy("order file header", "order_date"), "order_date"),
    ExportColumn(pgettext_lazy("order file header", "customer_code"), "customer__code"),
    ExportColumn(pgettext_lazy("order file header", "customer_name"), "customer__name"),
    ExportColumn(pgettext_lazy("order file header", "salesperson_code"), "sp_code"),
    ExportColumn(pgettext_lazy("order file header", "product_line"), "product_line__code"),
    ExportColumn(pgettext_lazy("order file header", "sku"), "product__sku", lambda sku: sku or ""),
    ExportColumn(
        pgettext_lazy("order file header", "product_name"), "product__name", lambda name: name or ""
    ),
    ExportColumn(pgettext_lazy("order file header", "quantity"), "quantity", _quantity),
    ExportColumn(pgettext_lazy("order file header", "unit_price"), "unit_price", _money),
    ExportColumn(pgettext_lazy("order file header", "amount"), "amount", _money),
    ExportColumn(pgettext_lazy("order file header", "cost"), "cost", _money),
    ExportColumn(pgettext_lazy("order file header", "credit_split"), "credit_split"),
)
ORDER_LINE_EXPORT_ROWS_PER_FETCH = 2000
ORDER_EXPORT_FILENAME = "order-lines"
_EXPORT_VALUES = (
    "pk",
    "split_credit",
    "order__order_no",
    "line_no",
    "order_date",
    "customer__code",
    "customer__name",
    "product_line__code",
    "product__sku",
    "product__name",
    "quantity",
    "unit_price",
    "amount",
    "cost",
)


def order_line_export(
    *, lines: QuerySet[OrderLine], window: CreditWindow | None = None
) -> tuple[list[str], Iterator[tuple[Any, ...]]]:
    """The one order-line export (API and page, CSV and XLSX): header and rows of ``lines``.

    ``lines`` is already scoped to the viewer (``order_line_list``) and filtered; its order
    is kept. The header is the order file's, in the active language, so a download imports
    back unchanged, split credits (``credit_split``) included. A line split with someone
    outside ``window`` (the viewer's part of the company) shows only the part inside it:
    its credited amount, cost and quantity, and those salespeople in the split. Values are
    exact (``Decimal``/``int``, never float); the writer in ``salesalloc.core.export`` makes
    text formula-safe. Rows are read ``ORDER_LINE_EXPORT_ROWS_PER_FETCH`` at a time, with
    one query for the credits of each batch's split lines.
    """
    header = [str(column.header) for column in ORDER_LINE_EXPORT_COLUMNS]
    converters = [column.convert for column in ORDER_LINE_EXPORT_COLUMNS]
    values = lines.values(
        *_EXPORT_VALUES, sp_code=F("salesperson__code"), sp_name=F("salesperson__name")
    )
    window = window or CreditWindow(scope=SYSTEM_VIEW)

    def rows() -> Iterator[tuple[Any, ...]]:
        batches = values.iterator(chunk_size=ORDER_LINE_EXPORT_ROWS_PER_FETCH)
        while batch := list(islice(batches, ORDER_LINE_EXPORT_ROWS_PER_FETCH)):
            shown = lines_shown(window=window, lines=batch)
            for row in batch:
                line = shown[row["pk"]]
                row.update(
                    sp_code=line.salesperson_code,
                    quantity=line.quantity,
                    amount=line.amount,
                    cost=line.cost,
                    credit_split=line.split_text,
                )
                yield tuple(
                    row[column.path] if convert is None else convert(row[column.path])
                    for column, convert in zip(ORDER_LINE_EXPORT_COLUMNS, converters, strict=True)
                )

    return header, rows()
