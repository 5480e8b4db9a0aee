"""The import store's staging tables, results and helpers (shared by both loaders).

The staging tables are TEMP tables created per import inside its transaction; ``SCALED``
names their columns that hold exact numbers (as text for ``executemany``, as scaled
integers in PostgreSQL's binary ``COPY``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from django.utils.translation import gettext_noop

from customers.importing import first_orders
from customers.importing.fields import CUSTOMER_FIELDS
from customers.importing.validation import NUMBER_FIELDS
from salesalloc.core.texts import Text

IMPORT_LOCK_KEY = 7_302_615_001  # pg_advisory_xact_lock key shared by every import
NULL_SENTINEL = np.iinfo(np.int64).min  # a NULL number in the binary staging rows

LINES = "import_stage_lines"
ORDERS = "import_stage_orders"
CUSTOMERS = "import_stage_customers"
PRODUCTS = "import_stage_products"
CHANGED = "import_stage_changed_orders"
ALLOWED = "import_stage_allowed_salespeople"
SHARED = "import_stage_shared_customers"
CREDITS = "import_stage_credits"
CREDIT_DIFF = "import_stage_credit_diff"

_TABLES: dict[str, tuple[tuple[str, str], ...]] = {
    LINES: (
        ("order_idx", "bigint"),
        ("line_no", "bigint"),
        ("salesperson_id", "bigint"),
        ("product_line_id", "bigint"),
        ("product_idx", "bigint"),
        ("quantity", "numeric(14,4)"),
        ("unit_price", "numeric(18,6)"),
        ("amount", "numeric(18,4)"),
        ("cost", "numeric(18,4)"),
        ("split_credit", "bigint"),
    ),
    CREDITS: (
        ("order_idx", "bigint"),
        ("line_no", "bigint"),
        ("salesperson_id", "bigint"),
        ("weight", "bigint"),
        ("share", "numeric(7,4)"),
        ("amount", "numeric(18,4)"),
        ("cost", "numeric(18,4)"),
        ("quantity", "numeric(14,4)"),
    ),
    CREDIT_DIFF: (("line_id", "bigint"),),
    first_orders.FIRSTS: first_orders.FIRSTS_COLUMNS,
    ORDERS: (
        ("idx", "bigint"),
        ("order_no", "varchar(64)"),
        ("order_date", "date"),
        ("customer_idx", "bigint"),
    ),
    CUSTOMERS: (
        ("idx", "bigint"),
        ("code", "varchar(64)"),
        ("name", "varchar(200)"),
        ("region", "varchar(100)"),
        ("state", "varchar(100)"),
        ("city", "varchar(100)"),
        ("country", "varchar(100)"),
        ("segment", "varchar(100)"),
        ("phone", "varchar(50)"),
        ("email", "varchar(254)"),
        ("address", "varchar(300)"),
        ("owner_id", "bigint"),
        ("latest_date", "date"),
    ),
    PRODUCTS: (
        ("idx", "bigint"),
        ("sku", "varchar(64)"),
        ("name", "varchar(300)"),
        ("product_line_id", "bigint"),
    ),
    CHANGED: (("order_id", "bigint"),),
    ALLOWED: (("salesperson_id", "bigint"),),
    SHARED: (("code", "varchar(64)"),),
}
# Exact numbers of the staging rows -> their decimal places (the frames hold scaled integers).
SCALED: dict[str, dict[str, int]] = {
    LINES: {name: scale for name, (scale, _digits) in NUMBER_FIELDS.items()},
    CREDITS: {"share": 4, "amount": 4, "cost": 4, "quantity": 4},
}
_INDEXED = {
    ORDERS: "idx",
    CUSTOMERS: "idx",
    PRODUCTS: "idx",
    ALLOWED: "salesperson_id",
    SHARED: "code",
    CREDITS: "order_idx, line_no",
    CREDIT_DIFF: "line_id",
}
# The customer columns of the file, as named in customers_customer.
_CUSTOMER_TEXT = tuple("name" if f == "customer_name" else f for f in CUSTOMER_FIELDS)
# Line columns compared to decide "unchanged" (the stored line vs the staged one).
_LINE_VALUES = (
    "order_date",
    "customer_id",
    "salesperson_id",
    "product_line_id",
    "product_id",
    "quantity",
    "unit_price",
    "amount",
    "cost",
    "split_credit",
)


class StoreConflict(Exception):  # noqa: N818 - carries a message for the job
    """The stored data changed under the import in a way the importer may not overwrite."""

    def __init__(self, message: Text) -> None:
        super().__init__(message.render())
        self.text = message

    @property
    def message(self) -> str:
        return self.text.render()


@dataclass(frozen=True)
class MergeResult:
    inserted: int
    updated: int
    unchanged: int
    cells: list[list[Any]]  # sorted [salesperson_id, "YYYY-MM-01"]
    orders_synced_lines: int = 0
    # Customers whose stored details the file would have changed, kept because lines of
    # salespeople outside the importer's part of the company are credited to them.
    kept_customers: tuple[str, ...] = ()
    first_order_moves: list[list[Any]] = field(default_factory=list)  # see first_orders


def _dates_as_text(frame: pd.DataFrame) -> pd.DataFrame:
    dates = [name for name in frame.columns if _is_datetime(frame[name])]
    if not dates:
        return frame
    frame = frame.copy()
    for name in dates:
        values = frame[name].to_numpy(dtype="datetime64[D]")
        frame[name] = np.datetime_as_string(values, unit="D").astype(object)
    return frame


def _is_datetime(column: pd.Series) -> bool:
    dtype = column.dtype
    return isinstance(dtype, np.dtype) and np.issubdtype(dtype, np.datetime64)


def _plain(value: Any) -> Any:
    """numpy scalars as Python values (database drivers do not all take numpy types)."""
    return value.item() if isinstance(value, np.generic) else value


def _tally(
    groups: list[tuple],
    synced_cells: set[tuple[int, str]],
    allowed_salespeople: frozenset[int] | None,
) -> tuple[dict[str, int], set[tuple[int, str]]]:
    """Lines per kind (inserted, updated, unchanged) and the (salesperson, month) cells they
    touch, old and new. Raises ``StoreConflict`` when an updated line was stored, since
    validation, for a salesperson outside ``allowed_salespeople``."""
    counts = {"i": 0, "u": 0, "n": 0}
    cells: set[tuple[int, str]] = set(synced_cells)
    outside: set[int] = set()
    for salesperson, month, old_salesperson, old_month, kind, count in groups:
        counts[kind] += int(count)
        if kind in ("i", "u") and salesperson is not None:
            cells.add((int(salesperson), _month_text(month)))
        if kind == "u":
            cells.add((int(old_salesperson), _month_text(old_month)))
            if allowed_salespeople is not None and old_salesperson not in allowed_salespeople:
                outside.add(int(old_salesperson))
    if outside:
        raise StoreConflict(
            Text(
                gettext_noop(
                    "Some lines in the file were stored for salespeople outside your part of "
                    "the company while the import ran; nothing was imported."
                )
            )
        )
    return counts, cells


def _month_text(value: Any) -> str:
    return str(value)[:10]
