"""Check an order file's rows and turn them into typed staging frames (pure pandas).

The validator sees the file chunk by chunk (field-level checks: keys, numbers, codes,
territory rules), then once whole (checks across rows: the file's date order, line numbers,
duplicate keys, one date and customer per order). Every problem becomes an error record
``(row, column, message)``; a row with any error is *bad*. Nothing here touches the
database: the service passes the lookups in and stores the staging frames.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from customers.importing.amounts import AmountCheck, amount_compute, amounts_check
from customers.importing.credits import PARTY_COLUMNS, CreditResolver, CreditRules
from customers.importing.fields import CUSTOMER_FIELDS, TERRITORY_ATTRIBUTES, ColumnPlan
from customers.importing.issues import IssueLog, is_array
from customers.importing.parsing import (
    BLANK,
    DATE_BLANK,
    INVALID,
    OK,
    TOO_LARGE,
    TOO_MANY_DECIMALS,
    Column,
    DateParts,
    Decimals,
    date_order_decide,
    date_parts_parse,
    dates_resolve,
    decimals_parse,
    positive_ints_parse,
)
from customers.importing.reading import RawChunk

AMBIGUOUS = -1
# Field -> (scale, integer digits) of the model column it is stored in.
NUMBER_FIELDS = {
    "quantity": (4, 10),
    "unit_price": (6, 12),
    "amount": (4, 14),
    "cost": (4, 14),
}
READ_NUMBERS = {**NUMBER_FIELDS, "profit": (4, 14)}  # profit is read only to derive cost
TEXT_LIMITS = {
    "order_id": 64,
    "customer_code": 64,
    "sku": 64,
    "product_name": 300,
    "customer_name": 200,
    "region": 100,
    "state": 100,
    "city": 100,
    "country": 100,
    "segment": 100,
    "phone": 50,
    "email": 254,
    "address": 300,
}
CUSTOMER_COLUMNS = {"customer_name": "name"} | {name: name for name in CUSTOMER_FIELDS[1:]}
# Control characters: a row error in codes (a key must be exactly what the person typed);
# in names and free text, line breaks and tabs become spaces and the rest is dropped.
CODE_FIELDS = (
    "order_id",
    "customer_code",
    "salesperson_code",
    "product_line",
    "sku",
    "credit_split",
)
FREE_TEXT_FIELDS = ("product_name", *CUSTOMER_FIELDS)


@dataclass(frozen=True)
class Lookups:
    """Reference data the rows are checked against (keys are lower-case, trimmed)."""

    product_line_codes: dict[str, int]
    product_line_names: dict[str, int]  # AMBIGUOUS when two lines share a name
    salesperson_codes: dict[str, int]
    salesperson_labels: dict[int, str]  # id -> code, for messages
    inactive: frozenset[int] = frozenset()
    in_scope: frozenset[int] | None = None  # None: the importer may use every salesperson
    rules: dict[str, dict[str, int]] = field(default_factory=dict)
    credit_rules: CreditRules = field(default_factory=CreditRules)


# --- The validator ------------------------------------------------------------------------
def _params(mask: np.ndarray, params: dict[str, object]) -> dict[str, object]:
    picked: dict[str, object] = {}
    for name, value in params.items():
        if isinstance(value, Column):
            picked[name] = value.uniques[value.codes[mask]]
        elif is_array(value):
            picked[name] = np.asarray(value, dtype=object)[mask]
        else:
            picked[name] = value
    return picked


class OrderFileValidator:
    """Feed chunks with ``add``, then ``finish`` for the cross-row checks."""

    def __init__(
        self,
        *,
        plan: ColumnPlan,
        lookups: Lookups,
        date_order: str = "auto",
        allow_serial_dates: bool = False,
        amount_check: AmountCheck | None = None,
    ) -> None:
        self.plan = plan
        self.lookups = lookups
        self.date_order = date_order
        self.allow_serial_dates = allow_serial_dates
        self.amount_check = amount_check or AmountCheck()
        self.resolved_date_order = date_order
        self.errors = IssueLog()
        self.warnings = IssueLog()
        self._chunks: list[pd.DataFrame] = []
        self._credits: list[pd.DataFrame] = []
        self._dates: list[DateParts] = []
        self._credit = CreditResolver(
            plan=plan,
            codes=lookups.salesperson_codes,
            labels=lookups.salesperson_labels,
            in_scope=lookups.in_scope,
            inactive=lookups.inactive,
            rules=lookups.credit_rules,
            errors=self.errors,
            warnings=self.warnings,
        )

    def _position(self, name: str) -> int:
        return self.plan.columns.get(name, len(self.plan.headers) + 1)

    def _error(self, mask: np.ndarray, rows: np.ndarray, name: str, code: str, **params) -> None:
        self._issue(self.errors, mask, rows, name, code, **params)

    def _issue(
        self, log: IssueLog, mask: np.ndarray, rows: np.ndarray, name: str, code: str, **params
    ) -> None:
        if not mask.any():
            return
        log.add(
            rows[mask],
            column=self.plan.label(name),
            position=self._position(name),
            code=code,
            **_params(mask, params),
        )

    def add(self, chunk: RawChunk) -> None:
        """Check one chunk's cells and keep its typed values."""
        plan, rows = self.plan, chunk.rows
        ok = chunk.field_counts == 0
        if (~ok).any():
            self.errors.add(
                rows[~ok],
                column=None,
                position=-1,
                code="field_count",
                found=chunk.field_counts[~ok],
                expected=len(plan.headers),
            )
        cols = {name: Column.of(chunk.frame[index]) for name, index in plan.columns.items()}
        extra = [f"salesperson_{n}" for n in plan.extra_parties()]
        for name in (*CODE_FIELDS, *extra):
            if name in cols:
                self._error(
                    ok & cols[name].controls(), rows, name, "control_character", value=cols[name]
                )
        for name in FREE_TEXT_FIELDS:
            if name in cols:
                cols[name] = cols[name].without_controls()
        out: dict[str, np.ndarray] = {"row": rows, "ok": ok}
        for name in ("order_id", "customer_code"):
            self._error(ok & cols[name].blank(), rows, name, "blank")
        for name, limit in TEXT_LIMITS.items():
            if name in cols:
                too_long = ok & (cols[name].lengths() > limit)
                self._error(too_long, rows, name, "too_long", value=cols[name], limit=limit)
        for name in ("order_id", "customer_code", "sku", "product_name", *CUSTOMER_FIELDS):
            if name in cols:
                out[name] = cols[name].values()
        out["product_line_id"] = self._product_lines(cols["product_line"], ok, rows)
        given, primary = self._salespeople_given(cols, ok, rows)
        credited = self._credit.resolve(cols, rows, ok, primary)
        self._credits.append(credited.parties)
        out["salesperson_id"] = self._salespeople_check(cols, ok, rows, given, credited.primary)
        self._numbers(cols, ok, rows, out)
        if "line_no" in cols:
            numbers, status = positive_ints_parse(cols["line_no"])
            bad = ok & (status == INVALID)
            self._error(bad, rows, "line_no", "bad_line_no", value=cols["line_no"])
            out["line_no"] = np.where(status == OK, numbers, 0)
        else:
            out["line_no"] = np.zeros(len(rows), dtype=np.int64)
        self._dates.append(
            date_parts_parse(cols["order_date"], allow_serial=self.allow_serial_dates)
        )
        out["date_text"] = cols["order_date"].values()
        self._chunks.append(pd.DataFrame(out))

    def _product_lines(self, column: Column, ok: np.ndarray, rows: np.ndarray) -> np.ndarray:
        by_code = column.lookup(self.lookups.product_line_codes)
        by_name = column.lookup(self.lookups.product_line_names)
        ids = np.where(by_code != 0, by_code, by_name)
        blank = column.blank()
        self._error(ok & blank, rows, "product_line", "blank")
        unknown = ok & ~blank & (ids == 0)
        self._error(unknown, rows, "product_line", "unknown_product_line", value=column)
        ambiguous = ok & (ids == AMBIGUOUS)
        self._error(ambiguous, rows, "product_line", "ambiguous_product_line", value=column)
        return np.where(ids > 0, ids, 0)

    def _salespeople_given(
        self, cols: dict[str, Column], ok: np.ndarray, rows: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """(named in the file, id): the file's ``salesperson_code``, else a territory rule's."""
        lookups, name = self.lookups, "salesperson_code"
        size = len(rows)
        ids = np.zeros(size, dtype=np.int64)
        given = np.zeros(size, dtype=bool)
        if name in cols:
            given = ~cols[name].blank()
            ids = cols[name].lookup(lookups.salesperson_codes)
            unknown = ok & given & (ids == 0)
            if lookups.in_scope is None:
                self._error(unknown, rows, name, "unknown_salesperson", value=cols[name])
            else:  # never say whether a code outside the importer's scope exists
                hidden = unknown | (ok & given & (ids > 0) & ~np.isin(ids, list(lookups.in_scope)))
                self._error(hidden, rows, name, "salesperson_not_visible", value=cols[name])
                ids = np.where(hidden, 0, ids)
        for attribute in TERRITORY_ATTRIBUTES:
            rules = lookups.rules.get(attribute)
            open_rows = ~given & (ids == 0)
            if rules and attribute in cols and open_rows.any():
                ids = np.where(open_rows, cols[attribute].lookup(rules), ids)
        return given, ids

    def _salespeople_check(
        self,
        cols: dict[str, Column],
        ok: np.ndarray,
        rows: np.ndarray,
        given: np.ndarray,
        ids: np.ndarray,
    ) -> np.ndarray:
        """Every row needs a salesperson (the file's, a territory rule's or its split's
        first), active and, for a manager's file, in their part of the company."""
        lookups, name = self.lookups, "salesperson_code"
        missing = ok & ~given & (ids == 0)
        if missing.any():
            present = [a for a in ("city", "state", "region", "country") if a in cols]
            headers = [self.plan.label(a) for a in present]
            values = [cols[a].uniques[cols[a].codes[missing]] for a in present]
            territory = [tuple(zip(headers, row, strict=True)) for row in zip(*values, strict=True)]
            self.errors.add(
                rows[missing],
                column=self.plan.label(name),
                position=self._position(name),
                code="no_salesperson",
                territory=_object_array(territory or [()] * int(missing.sum())),
            )
        labels = pd.Series(ids).map(lookups.salesperson_labels).fillna("").to_numpy(dtype=object)
        inactive = ok & (ids > 0) & np.isin(ids, list(lookups.inactive))
        self._error(inactive, rows, name, "inactive_salesperson", value=labels)
        if lookups.in_scope is not None:
            outside = ok & (ids > 0) & ~inactive & ~np.isin(ids, list(lookups.in_scope))
            self._error(outside, rows, name, "salesperson_out_of_scope")
        return ids

    def _numbers(
        self, cols: dict[str, Column], ok: np.ndarray, rows: np.ndarray, out: dict
    ) -> None:
        """Money and quantities, exact; the amount from quantity × unit price when blank."""
        size = len(rows)
        parsed: dict[str, Decimals] = {}
        for name, (scale, digits) in READ_NUMBERS.items():
            if name not in cols:
                parsed[name] = Decimals(
                    scaled=np.zeros(size, dtype=np.int64),
                    status=np.full(size, BLANK, dtype=np.int8),
                    scale=scale,
                )
                continue
            column = cols[name]
            number = decimals_parse(column, scale=scale, max_int_digits=digits)
            parsed[name] = number
            status = number.status
            self._error(ok & (status == INVALID), rows, name, "bad_number", value=column)
            many = ok & (status == TOO_MANY_DECIMALS)
            self._error(many, rows, name, "too_many_decimals", value=column, limit=scale)
            self._error(
                ok & (status == TOO_LARGE), rows, name, "too_large", value=column, limit=digits
            )
        price = parsed["unit_price"]
        self._error(
            ok & (price.status == OK) & (price.scaled < 0),
            rows,
            "unit_price",
            "negative_price",
            value=cols.get("unit_price"),
        )

        def report(mask: np.ndarray, name: str, code: str, **params: object) -> None:
            self._error(mask, rows, name, code, **params)

        def mismatch(mask: np.ndarray, name: str, code: str, **params: object) -> None:
            log = self.errors if self.amount_check.as_error else self.warnings
            self._issue(log, mask, rows, name, code, **params)

        amount, known = amount_compute(parsed=parsed, cols=cols, ok=ok, report=report)
        amounts_check(parsed=parsed, cols=cols, ok=ok, check=self.amount_check, report=mismatch)
        out["amount"] = np.where(known, amount, 0)
        for name in ("quantity", "unit_price", "cost"):
            out[name] = parsed[name].scaled
            out[f"{name}_null"] = parsed[name].status != OK
        profit = out["cost_null"] & (parsed["profit"].status == OK) & known  # cost = a - p
        out["cost"] = np.where(profit, out["amount"] - parsed["profit"].scaled, out["cost"])
        out["cost_null"] &= ~profit

    def finish(self) -> ValidatedFile:
        """Run the checks across rows and return the whole file's typed rows and errors."""
        plan = self.plan
        frame = pd.concat(self._chunks, ignore_index=True) if self._chunks else _empty_frame()
        self._chunks = []
        rows = frame["row"].to_numpy(dtype=np.int64)
        ok = frame["ok"].to_numpy(dtype=bool)
        parts = DateParts.concat(self._dates)
        self.resolved_date_order = date_order_decide(parts, date_order=self.date_order)
        dates, valid = dates_resolve(parts, order=self.resolved_date_order)
        blank_date = parts.kind == DATE_BLANK
        self._error(ok & blank_date, rows, "order_date", "blank")
        self._error(
            ok & ~blank_date & ~valid, rows, "order_date", "bad_date", value=frame["date_text"]
        )
        frame["order_date"] = dates
        frame = frame.drop(columns=["date_text"])

        order_codes, _orders = pd.factorize(frame["order_id"].to_numpy(dtype=object))
        keyed = ok & (frame["order_id"] != "").to_numpy()
        line_no = frame["line_no"].to_numpy().copy()
        auto = keyed & (line_no == 0)
        if auto.any():
            # Position within the order in file order (all keyed rows count, good or bad).
            position = pd.Series(order_codes[keyed]).groupby(order_codes[keyed]).cumcount() + 1
            line_no[keyed] = np.where(auto[keyed], position.to_numpy(), line_no[keyed])
            frame["line_no"] = line_no
        self._duplicates(frame, order_codes, keyed & (line_no > 0), rows)
        customer_codes, _customers = pd.factorize(frame["customer_code"].to_numpy(dtype=object))
        self._order_headers(
            frame, order_codes, keyed & valid, rows, dates.view(np.int64), "order_date"
        )
        has_customer = keyed & valid & (frame["customer_code"] != "").to_numpy()
        self._order_headers(frame, order_codes, has_customer, rows, customer_codes, "customer_code")
        credits = pd.concat(self._credits, ignore_index=True) if self._credits else None
        self._credits = []
        return ValidatedFile(
            frame=frame,
            errors=self.errors,
            plan=plan,
            warnings=self.warnings,
            credits=credits if credits is not None else _no_credits(),
        )

    def _duplicates(
        self, frame: pd.DataFrame, order_codes: np.ndarray, keyed: np.ndarray, rows: np.ndarray
    ) -> None:
        line_no = frame["line_no"].to_numpy(dtype=np.int64)
        key = order_codes.astype(np.int64) * (1 << 32) + line_no
        subset = np.flatnonzero(keyed)
        keys = pd.Series(key[subset])
        duplicate = keys.duplicated(keep="first").to_numpy()
        if not duplicate.any():
            return
        first_row = keys.map(pd.Series(rows[subset]).groupby(keys.to_numpy()).first())
        mask = np.zeros(len(frame), dtype=bool)
        mask[subset[duplicate]] = True
        column = "line_no" if self.plan.has("line_no") else "order_id"
        self.errors.add(
            rows[mask],
            column=self.plan.label(column),
            position=self._position(column),
            code="duplicate",
            first=first_row.to_numpy()[duplicate],
            order=frame["order_id"].to_numpy(dtype=object)[mask],
            line=line_no[mask],
        )

    def _order_headers(
        self,
        frame: pd.DataFrame,
        order_codes: np.ndarray,
        usable: np.ndarray,
        rows: np.ndarray,
        values: np.ndarray,
        name: str,
    ) -> None:
        """Rows of one order must agree with the order's first row on ``name``."""
        subset = np.flatnonzero(usable)
        if not len(subset):
            return
        codes = order_codes[subset]
        _uniq, first_index = np.unique(codes, return_index=True)
        first_of = np.empty(order_codes.max() + 1, dtype=np.int64)
        first_of[_uniq] = subset[first_index]
        first = first_of[codes]
        differs = values[subset] != values[first]
        if not differs.any():
            return
        where, ref = subset[differs], first[differs]
        if name == "order_date":
            text = np.datetime_as_string(frame["order_date"].to_numpy(), unit="D")
            shown, first_shown = text[where], text[ref]
        else:
            shown = frame[name].to_numpy(dtype=object)[where]
            first_shown = frame[name].to_numpy(dtype=object)[ref]
        code = "order_date_conflict" if name == "order_date" else "order_customer_conflict"
        self.errors.add(
            rows[where],
            column=self.plan.label(name),
            position=self._position(name),
            code=code,
            order=frame["order_id"].to_numpy(dtype=object)[where],
            first=rows[ref],
            first_value=first_shown,
            value=shown,
        )


def _empty_frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "row": np.array([], dtype=np.int64),
            "ok": np.array([], dtype=bool),
            "order_id": np.array([], dtype=object),
            "customer_code": np.array([], dtype=object),
            "line_no": np.array([], dtype=np.int64),
            "date_text": np.array([], dtype=object),
        }
    )


def _no_credits() -> pd.DataFrame:
    return pd.DataFrame({name: np.array([], dtype=np.int64) for name in PARTY_COLUMNS})


def _object_array(items: list) -> np.ndarray:
    array = np.empty(len(items), dtype=object)
    array[:] = items
    return array


@dataclass
class ValidatedFile:
    """The file's rows (typed, with file line numbers), every error and warning found, and
    the parties of the rows credited to several salespeople (``PARTY_COLUMNS``, by ``row``)."""

    frame: pd.DataFrame
    errors: IssueLog
    plan: ColumnPlan
    warnings: IssueLog = field(default_factory=IssueLog)
    credits: pd.DataFrame = field(default_factory=_no_credits)

    @property
    def rows_total(self) -> int:
        return len(self.frame)

    def bad_mask(self) -> np.ndarray:
        return np.isin(self.frame["row"].to_numpy(dtype=np.int64), self.errors.rows())

    def orders_of(self, rows: list[int]) -> dict[int, str]:
        """The order number of each of these file rows (for the rejected-rows list)."""
        if not rows:
            return {}
        frame = self.frame[["row", "order_id"]]
        found = frame[frame["row"].isin(rows)]
        return dict(zip(found["row"].astype(int), found["order_id"].astype(str), strict=True))

    def issues(self, log: IssueLog, limit: int) -> list[dict]:
        """The first ``limit`` entries of ``log`` as a job stores them, with order numbers."""
        rows = sorted({int(r) for r in log.frame["row"].to_numpy()}) if log.total else []
        return log.first(limit, orders=self.orders_of(rows[: limit + 1]))

    def keys(self) -> pd.DataFrame:
        """``row, order_id, line_no, salesperson_id`` of the rows without errors."""
        good = self.frame[~self.bad_mask()]
        return good[["row", "order_id", "line_no", "salesperson_id"]]

    def reject_stored_out_of_scope(self, conflicts: pd.DataFrame) -> None:
        """Reject rows that would overwrite lines of salespeople outside the importer's scope.

        ``conflicts`` has ``row, order_id, line_no``; the message names no salesperson.
        """
        if conflicts.empty:
            return
        name = "line_no" if self.plan.has("line_no") else "order_id"
        self.errors.add(
            conflicts["row"].to_numpy(dtype=np.int64),
            column=self.plan.label(name),
            position=self.plan.columns.get(name, len(self.plan.headers) + 1),
            code="stored_line_out_of_scope",
            order=conflicts["order_id"].to_numpy(dtype=object),
            line=conflicts["line_no"].to_numpy(),
        )
