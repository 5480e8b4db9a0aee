"""Row errors and warnings of an order file: codes, their messages, and how they are kept.

Each problem is recorded as ``(row, column, code, parameters)``. What a job stores is
``{"row", "column", "order", "code", "text"}``, where ``text`` is the message's English
source and parameters (``salesalloc.core.texts``), so a page or the API shows it in the
*viewer's* language: a file imported in English reads in Chinese to a Chinese viewer.
``issue_render`` turns a stored entry into ``{"row", "column", "order", "code", "message"}``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast

import numpy as np
import pandas as pd
from django.utils.translation import gettext_noop

from customers.importing.parsing import control_text
from salesalloc.core.texts import Text, text_render

SHOWN_CHARACTERS = 100  # a cell quoted in a message is cut to this length

# Code -> message (English source; translated when shown). Parameters by name.
MESSAGES: dict[str, str] = {
    "blank": gettext_noop("%(column)s is empty."),
    "too_long": gettext_noop("'%(value)s' is longer than %(limit)s characters."),
    "control_character": gettext_noop(
        "'%(value)s' contains a control character, which a code may not contain."
    ),
    "bad_date": gettext_noop("'%(value)s' is not a date (e.g. 2019-03-05 or 3/5/2019)."),
    "bad_number": gettext_noop("'%(value)s' is not a number."),
    "too_many_decimals": gettext_noop("'%(value)s' has more than %(limit)s decimal places."),
    "too_large": gettext_noop(
        "'%(value)s' is too large (more than %(limit)s digits before the decimal point)."
    ),
    "negative_price": gettext_noop("Unit price '%(value)s' is negative."),
    "bad_line_no": gettext_noop("'%(value)s' is not a positive whole number."),
    "unknown_product_line": gettext_noop("Unknown product line '%(value)s'."),
    "ambiguous_product_line": gettext_noop(
        "Two product lines are named '%(value)s'; use the product line's code."
    ),
    "unknown_salesperson": gettext_noop("Unknown salesperson '%(value)s'."),
    "inactive_salesperson": gettext_noop("Salesperson %(value)s is inactive."),
    # Scoped importers: an unknown code and one outside their part of the company read alike.
    "salesperson_not_visible": gettext_noop(
        "Salesperson '%(value)s' is unknown or not in your scope."
    ),
    "salesperson_out_of_scope": gettext_noop(
        "The salesperson of this row is outside your part of the company."
    ),
    "no_salesperson": gettext_noop("No salesperson given, and no territory rule can assign one."),
    "no_salesperson_territory": gettext_noop(
        "No salesperson given, and no territory rule matches %(where)s."
    ),
    "no_amount": gettext_noop("No amount, and no quantity and unit price to compute it from."),
    "computed_decimals": gettext_noop(
        "Quantity %(quantity)s × unit price %(price)s has more than 4 decimal places."
    ),
    "computed_too_large": gettext_noop(
        "Quantity %(quantity)s × unit price %(price)s is too large."
    ),
    "amount_mismatch": gettext_noop(
        "Quantity %(quantity)s × unit price %(price)s is %(expected)s, but the amount is "
        "%(value)s (a difference of %(difference)s; up to %(tolerance)s is accepted)."
    ),
    "field_count": gettext_noop("The row has %(found)s fields; the header has %(expected)s."),
    "duplicate": gettext_noop("Duplicate of row %(first)s (order %(order)s, line %(line)s)."),
    "order_date_conflict": gettext_noop(
        "Order %(order)s is dated %(first_value)s on row %(first)s but %(value)s here."
    ),
    "order_customer_conflict": gettext_noop(
        "Order %(order)s is for customer %(first_value)s on row %(first)s but %(value)s here."
    ),
    "stored_line_out_of_scope": gettext_noop(
        "Order %(order)s line %(line)s is stored outside your part of the company; "
        "only an administrator can change it."
    ),
    # Split credit (customers/importing/credits.py).
    "credit_bad_format": gettext_noop(
        "'%(value)s' is not a credit split; write it like W01:60;W02:40 (or W01;W02 for "
        "equal shares)."
    ),
    "credit_unknown_salesperson": gettext_noop(
        "Unknown salesperson '%(value)s' in the credit split."
    ),
    "credit_salesperson_not_visible": gettext_noop(
        "Salesperson '%(value)s' in the credit split is unknown or not in your scope."
    ),
    "credit_inactive_salesperson": gettext_noop(
        "Salesperson %(value)s in the credit split is inactive."
    ),
    "credit_bad_share": gettext_noop(
        "'%(value)s' is not a share; write a percentage such as 60, 60 %% or 33.33."
    ),
    "credit_share_not_positive": gettext_noop("The share '%(value)s' must be more than 0 %%."),
    "credit_share_decimals": gettext_noop(
        "The share '%(value)s' has more than %(limit)s decimal places."
    ),
    "credit_share_sum": gettext_noop("The shares add up to %(total)s %%, not 100 %%: %(split)s."),
    "credit_duplicate": gettext_noop(
        "Salesperson %(value)s is named more than once in the credit split."
    ),
    "credit_too_many": gettext_noop(
        "The credit split names %(count)s salespeople; at most %(limit)s may share a line."
    ),
    "credit_mixed_shares": gettext_noop(
        "Give a share for every salesperson of the split, or for none (equal shares)."
    ),
    "credit_share_without_salesperson": gettext_noop(
        "A share is given but no salesperson for it (%(column)s)."
    ),
    "credit_primary_missing": gettext_noop(
        "The row's salesperson %(value)s is not one of the salespeople credited: %(split)s."
    ),
    "credit_two_forms": gettext_noop(
        "The row has both a credit split and additional salesperson columns; use one."
    ),
    # Warnings: the row is stored.
    "credit_rule_not_applied": gettext_noop(
        "The credit rule for %(rule)s was not applied: the row's salesperson %(value)s is not "
        "one of its salespeople (%(split)s), so the line is credited to %(value)s alone."
    ),
}


def _shown(value: object) -> object:
    """A parameter as a message quotes it: control characters escaped, long text cut;
    numpy scalars as plain Python values (the entry is stored as JSON)."""
    if isinstance(value, np.generic):
        value = value.item()
    if not isinstance(value, str):
        return value
    value = control_text(value)
    return value if len(value) <= SHOWN_CHARACTERS else value[:SHOWN_CHARACTERS] + "…"


def _is_missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and np.isnan(value))


def is_array(value: object) -> bool:
    return isinstance(value, (np.ndarray, pd.Series, list))


def _territory_where(params: dict[str, Any]) -> str:
    return ", ".join(
        f"{label} '{value}'"
        for label, value in params.get("territory", ())
        if isinstance(value, str) and value
    )


def _text(code: str, params: dict[str, Any]) -> Text:
    if code == "no_salesperson":
        where = _territory_where(params)
        if where:
            return Text(MESSAGES["no_salesperson_territory"], {"where": _shown(where)})
        return Text(MESSAGES["no_salesperson"])
    wanted = {k: _shown(v) for k, v in params.items() if k != "territory"}
    return Text(MESSAGES[code], wanted)


class IssueLog:
    """Every error (or warning) of a file; messages are made only for the ones that are kept."""

    def __init__(self) -> None:
        self._parts: list[pd.DataFrame] = []
        self._frame: pd.DataFrame | None = None

    def add(
        self, rows: np.ndarray, *, column: str | None, position: int, code: str, **params: object
    ) -> None:
        rows = np.asarray(rows, dtype=np.int64)
        if not len(rows):
            return
        part = pd.DataFrame({"row": rows, "position": position, "code": code, "column": column})
        for name, value in params.items():
            part[name] = np.asarray(value, dtype=object) if is_array(value) else cast(Any, value)
        self._parts.append(part)
        self._frame = None

    @property
    def frame(self) -> pd.DataFrame:
        if self._frame is None:
            self._frame = (
                pd.concat(self._parts, ignore_index=True)
                if self._parts
                else pd.DataFrame({"row": np.array([], dtype=np.int64)})
            )
        return self._frame

    @property
    def total(self) -> int:
        return len(self.frame)

    def rows(self) -> np.ndarray:
        """The rows with at least one entry, sorted."""
        return np.unique(self.frame["row"].to_numpy(dtype=np.int64))

    def first(self, limit: int, orders: Mapping[int, str] | None = None) -> list[dict]:
        """The first ``limit`` entries by row and column, as stored on the job:
        ``{"row", "column", "order", "code", "text"}`` (``order``: the row's order number)."""
        if not self.total:
            return []
        head = self.frame.sort_values(["row", "position"], kind="stable").head(limit)
        entries = []
        for record in head.to_dict("records"):
            row = int(record["row"])
            code = str(record["code"])
            params = {
                str(k): v
                for k, v in record.items()
                if k not in ("row", "position", "code") and not _is_missing(v)
            }
            entries.append(
                {
                    "row": row,
                    "column": record["column"] if not _is_missing(record["column"]) else None,
                    "order": (orders or {}).get(row) or None,
                    "code": code,
                    "text": _text(code, params).as_json(),
                }
            )
        return entries


def issue_entry(
    *, row: int | None, column: str | None, code: str, text: Text, order: str | None = None
) -> dict[str, Any]:
    """One stored entry made outside the log (e.g. a notice from the store)."""
    return {"row": row, "column": column, "order": order, "code": code, "text": text.as_json()}


def issue_render(entry: Mapping[str, Any]) -> dict[str, Any]:
    """A stored entry as people read it, in the active language:
    ``{"row", "column", "order", "code", "message"}``. Entries stored before messages were
    kept untranslated carry their ``message`` as written, and no code."""
    message = text_render(entry["text"]) if "text" in entry else str(entry.get("message") or "")
    return {
        "row": entry.get("row"),
        "column": entry.get("column"),
        "order": entry.get("order"),
        "code": entry.get("code"),
        "message": message,
    }


def issues_render(entries: Any) -> list[dict[str, Any]]:
    return [issue_render(entry) for entry in entries or []] if isinstance(entries, list) else []
