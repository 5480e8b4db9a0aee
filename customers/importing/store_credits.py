"""The split-credit part of an import's merge (``ImportStore.write`` runs it), set-based.

Only lines with a split have credit rows (``customers_orderlinecredit``), so this costs in
proportion to the splits, not to the file: a file without splits, touching orders that have
no stored credits, does nothing here but two cheap ``EXISTS`` checks.

1. ``begin`` (before any line is written): load the staged credits; find the stored lines
   whose credits the file changes (``CREDIT_DIFF``: a staged credit without an equal stored
   one, or a stored one without an equal staged one); record the cells of every stored
   credit of the file's orders and of every staged credit (old and new months);
2. the line merge counts a line whose credits changed as updated (``changed_sql``);
3. ``orders_synced`` (after the orders are re-dated): the credits of re-dated orders' other
   lines move to the new month's cells too;
4. ``finish``: delete the changed lines' credits, insert the staged credits of every staged
   line that has none (new lines and changed ones), and let every credit of the file's orders
   follow its line's date, customer and product line.

A manager's import (``allowed``) may not overwrite a credit of someone outside their part of
the company: the validation rejected such rows, so finding one here means it changed under
the import (``StoreConflict``).
"""

# The SQL below is built from this module's own identifiers; every value is a parameter.
# ruff: noqa: S608

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext_noop

from customers.importing.staging import Staging
from customers.importing.store_tables import (
    ALLOWED,
    CHANGED,
    CREDIT_DIFF,
    CREDITS,
    LINES,
    ORDERS,
    StoreConflict,
    _month_text,
)
from salesalloc.core.texts import Text

if TYPE_CHECKING:
    from customers.importing.store import ImportStore

TABLE = "customers_orderlinecredit"
# The stored credits of the file's orders.
_STORED = (
    f"{TABLE} k JOIN customers_order o ON o.id = k.order_id "
    f"JOIN {ORDERS} so ON so.order_no = o.order_no"
)


class CreditMerge:
    """One import's credit steps, on the store's cursor inside its transaction."""

    def __init__(
        self,
        *,
        store: ImportStore,
        cursor: Any,
        staging: Staging,
        allowed: frozenset[int] | None,
    ) -> None:
        self.store = store
        self.cursor = cursor
        self.staging = staging
        self.allowed = allowed
        self.active = False
        self.stored = False
        self.cells: set[tuple[int, str]] = set()

    def _value(self, name: str) -> str:
        return self.store.value(name, alias="c", table=CREDITS)

    def _same(self) -> str:
        """A staged credit (alias ``c``) equal to a stored one (alias ``k``)."""
        return (
            "c.salesperson_id = k.salesperson_id AND c.weight = k.weight "
            f"AND {self._value('amount')} = k.amount "
            f"AND {self._value('cost')} IS NOT DISTINCT FROM k.cost "
            f"AND {self._value('quantity')} IS NOT DISTINCT FROM k.quantity"
        )

    def begin(self, *, known: bool) -> None:
        """Stage the credits; find the changed splits and the cells they touch."""
        staged = not self.staging.credits.empty
        if staged:
            self.store._load(self.cursor, CREDITS, self.staging.credits)
            self.cells |= set(self.staging.credit_cells)
        if known:
            # First whether any line is split at all (an index probe), so that a file on a
            # database without split lines never joins its orders to the credits.
            self.cursor.execute(f"SELECT EXISTS (SELECT 1 FROM {TABLE})", [])
            if self.cursor.fetchone()[0]:
                self.cursor.execute(f"SELECT EXISTS (SELECT 1 FROM {_STORED})", [])
                self.stored = bool(self.cursor.fetchone()[0])
        self.active = staged or self.stored
        if not self.stored:
            return
        self._diff_find()
        month = self.store.month("k.order_date")
        self.cursor.execute(f"SELECT DISTINCT k.salesperson_id, {month} FROM {_STORED}", [])
        self.cells |= {(int(sp), _month_text(m)) for sp, m in self.cursor.fetchall()}
        if self.allowed is not None:
            self.cursor.execute(
                f"SELECT EXISTS (SELECT 1 FROM {_STORED} "
                "JOIN customers_orderline l ON l.id = k.line_id "
                f"JOIN {LINES} s ON s.order_idx = so.idx AND s.line_no = l.line_no "
                f"WHERE NOT EXISTS (SELECT 1 FROM {ALLOWED} a "
                "WHERE a.salesperson_id = k.salesperson_id))",
                [],
            )
            if self.cursor.fetchone()[0]:
                raise StoreConflict(
                    Text(
                        gettext_noop(
                            "Some lines in the file were credited to salespeople outside your part "
                            "of the company while the import ran; nothing was imported."
                        )
                    )
                )

    def _diff_find(self) -> None:
        """``CREDIT_DIFF``: stored lines of the file whose set of credits differs."""
        staged_line = (
            "JOIN customers_order o ON o.order_no = so.order_no "
            "JOIN customers_orderline l ON l.order_id = o.id AND l.line_no = {key}.line_no"
        )
        # A stored credit of a staged line with no equal staged credit (or none at all).
        self.cursor.execute(
            f"INSERT INTO {CREDIT_DIFF} (line_id) SELECT DISTINCT k.line_id FROM {_STORED} "
            "JOIN customers_orderline l ON l.id = k.line_id "
            f"JOIN {LINES} s ON s.order_idx = so.idx AND s.line_no = l.line_no "
            f"WHERE NOT EXISTS (SELECT 1 FROM {CREDITS} c WHERE c.order_idx = s.order_idx "
            f"AND c.line_no = s.line_no AND {self._same()})",
            [],
        )
        # A staged credit of a stored line with no equal stored credit.
        self.cursor.execute(
            f"INSERT INTO {CREDIT_DIFF} (line_id) SELECT DISTINCT l.id FROM {CREDITS} c "
            f"JOIN {ORDERS} so ON so.idx = c.order_idx {staged_line.format(key='c')} "
            f"WHERE NOT EXISTS (SELECT 1 FROM {TABLE} k WHERE k.line_id = l.id "
            f"AND {self._same()})",
            [],
        )

    def changed_sql(self, line: str = "l") -> str:
        """A condition on the stored line ``line``: the file changes its credits."""
        if not self.stored:
            return "false"
        return f"{line}.id IN (SELECT line_id FROM {CREDIT_DIFF})"

    def orders_synced(self) -> None:
        """After orders are re-dated (``CHANGED``): their credits' new-month cells."""
        if not self.stored:
            return
        self.cursor.execute(
            f"SELECT DISTINCT k.salesperson_id, {self.store.month('o.order_date')} "
            f"FROM {TABLE} k JOIN {CHANGED} ch ON ch.order_id = k.order_id "
            "JOIN customers_order o ON o.id = k.order_id",
            [],
        )
        found = {(int(sp), _month_text(m)) for sp, m in self.cursor.fetchall()}
        if self.allowed is not None and any(sp not in self.allowed for sp, _m in found):
            raise StoreConflict(
                Text(
                    gettext_noop(
                        "The file changes the date or customer of orders that also have lines of "
                        "salespeople outside your part of the company; nothing was imported."
                    )
                )
            )
        self.cells |= found

    def finish(self, stamp: Any) -> None:
        """Replace the changed splits, add the new ones, keep every credit in step."""
        if not self.active:
            return
        cursor = self.cursor
        if self.stored:
            cursor.execute(
                f"DELETE FROM {TABLE} WHERE line_id IN (SELECT line_id FROM {CREDIT_DIFF})", []
            )
        if not self.staging.credits.empty:
            numbers = ", ".join(self._value(n) for n in ("share", "amount", "cost", "quantity"))
            cursor.execute(
                f"INSERT INTO {TABLE} (line_id, salesperson_id, weight, share, amount, cost, "
                "quantity, order_id, order_date, customer_id, product_line_id, created_at, "
                f"updated_at) SELECT l.id, c.salesperson_id, c.weight, {numbers}, l.order_id, "
                f"l.order_date, l.customer_id, l.product_line_id, %s, %s FROM {CREDITS} c "
                f"JOIN {ORDERS} so ON so.idx = c.order_idx "
                "JOIN customers_order o ON o.order_no = so.order_no "
                "JOIN customers_orderline l ON l.order_id = o.id AND l.line_no = c.line_no "
                f"WHERE NOT EXISTS (SELECT 1 FROM {TABLE} k WHERE k.line_id = l.id) "
                "ORDER BY l.id, c.salesperson_id",
                [stamp, stamp],
            )
        if self.stored:
            self._follow_lines(stamp)

    def _follow_lines(self, stamp: Any) -> None:
        """Credits of the file's orders take their line's date, customer and product line."""
        differs = " OR ".join(
            f"{TABLE}.{c} IS DISTINCT FROM l.{c}"
            for c in ("order_date", "customer_id", "product_line_id")
        )
        self.cursor.execute(
            f"UPDATE {TABLE} SET order_date = l.order_date, customer_id = l.customer_id, "
            "product_line_id = l.product_line_id, updated_at = %s "
            "FROM customers_orderline l WHERE l.id = "
            f"{TABLE}.line_id AND {TABLE}.order_id IN (SELECT o.id FROM customers_order o "
            f"JOIN {ORDERS} so ON so.order_no = o.order_no) AND ({differs})",
            [stamp],
        )
