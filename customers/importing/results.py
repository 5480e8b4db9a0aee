"""What a merge of staged import rows reports: counts, the plan-grid cells it touched, and
the conflict that stops it (``customers.importing.store``)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _

# The merge logs as the store it belongs to.
logger = logging.getLogger("customers.importing.store")


class StoreConflict(Exception):  # noqa: N818 - carries a message for the job
    """The stored data changed under the import in a way the importer may not overwrite."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


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


def merge_result(
    groups: list[tuple],
    *,
    synced_cells: set[tuple[int, str]],
    synced: int,
    kept: tuple[str, ...],
    written: int,
    job_id: int,
    allowed_salespeople: frozenset[int] | None,
) -> MergeResult:
    """Counts and touched cells of a merge from its classified groups.

    Raises ``StoreConflict`` when a changed line belonged to a salesperson outside
    ``allowed_salespeople`` (it changed after validation).
    """
    counts = {"i": 0, "u": 0, "n": 0}
    cells: set[tuple[int, str]] = set(synced_cells)
    outside: set[int] = set()
    for salesperson, month, old_salesperson, old_month, kind, count in groups:
        counts[kind] += int(count)
        if kind in ("i", "u") and salesperson is not None:
            cells.add((int(salesperson), month_text(month)))
        if kind == "u":
            cells.add((int(old_salesperson), month_text(old_month)))
            if allowed_salespeople is not None and old_salesperson not in allowed_salespeople:
                outside.add(int(old_salesperson))
    if outside:
        raise StoreConflict(
            _(
                "Some lines in the file were stored for salespeople outside your part of "
                "the company while the import ran; nothing was imported."
            )
        )
    if written >= 0 and written != counts["i"] + counts["u"]:
        logger.warning(
            "import %s: merge wrote %s lines, classification expected %s",
            job_id,
            written,
            counts["i"] + counts["u"],
        )
    return MergeResult(
        inserted=counts["i"],
        updated=counts["u"],
        unchanged=counts["n"],
        cells=[[sp, month] for sp, month in sorted(cells)],
        orders_synced_lines=synced,
        kept_customers=kept,
    )


def month_text(value: Any) -> str:
    return str(value)[:10]
