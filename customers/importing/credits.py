"""Who shares the credit of each row: a split in the file, or a credit rule (pure pandas).

A file names a split in one of two ways (headers in English or Chinese):

* one cell, ``credit_split`` / ``分成``: ``W01:60;W02:40`` (``:`` or ``=``, entries separated
  by ``;`` ``,`` or ``、``, full-width forms too, ``%`` optional), or ``W01;W02;W03`` for equal
  shares;
* columns: the row's ``salesperson_code`` with ``share`` / ``比例``, then ``salesperson_2`` /
  ``业务员2`` with ``share_2`` / ``比例2``, and so on (all shares blank: equal shares).

Shares are percentages with up to 4 decimals adding up to exactly 100, or fractions adding up
to exactly 1 (what Excel stores for a cell formatted as a percentage: 60 % is 0.6). Every
problem is a row error naming the column: an unknown or inactive salesperson, a share that is
not a number, zero or negative, more decimals, shares not adding up to 100 %, a salesperson
named twice, more than ``MAX_CREDIT_PARTIES``, shares for some salespeople and not others,
a split that leaves out the row's own ``salesperson_code``, both forms on one row.

A row without a split of its own takes a credit rule matching its customer (customer code,
then city, state, region, country), when its salesperson (from the file or a territory rule)
is one of the rule's salespeople or it names none; otherwise the rule is not applied and a
warning says so. Precedence: the file's split, then a credit rule, then the row's salesperson.
The row's (primary) salesperson is its ``salesperson_code``, else the split's first one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, cast

import numpy as np
import pandas as pd

from customers.credit.models import FULL_WEIGHT, MAX_CREDIT_PARTIES
from customers.importing.fields import TERRITORY_ATTRIBUTES, ColumnPlan
from customers.importing.issues import IssueLog
from customers.importing.parsing import (
    INVALID,
    OK,
    TOO_LARGE,
    TOO_MANY_DECIMALS,
    Column,
    decimals_parse,
)

SHARE_SCALE = 6  # shares are read to 1e-6: a percentage to 4 places, a fraction to 6
_SEPARATORS = re.compile(r"[;,、\n]")
_ENTRY = re.compile(r"(?P<code>[^:=]*?)\s*(?:[:=]\s*(?P<share>.*))?")
PARTY_COLUMNS = ("row", "order", "salesperson_id", "weight")


@dataclass(frozen=True)
class CreditRules:
    """Credit rules the importer may use: attribute -> value key -> rule id, and each rule's
    salespeople ``(salesperson id, weight)`` in order, with a label for messages."""

    by_attribute: dict[str, dict[str, int]] = field(default_factory=dict)
    parties: dict[int, tuple[tuple[int, int], ...]] = field(default_factory=dict)
    labels: dict[int, object] = field(default_factory=dict)  # text or a Text (translated)
    texts: dict[int, str] = field(default_factory=dict)  # the split as W01:60;W02:40


@dataclass
class Resolved:
    """A chunk's credits: ``primary`` per row (0: none) and the parties of the rows with
    more than one (``PARTY_COLUMNS``; ``order`` is the party's place on the row)."""

    primary: np.ndarray
    parties: pd.DataFrame


def split_parse(text: str) -> list[tuple[str, str]] | None:
    """``W01:60;W02:40`` -> [("W01", "60"), ("W02", "40")]; share "" when omitted; None when
    the text is not a split (an empty entry inside, an entry without a code)."""
    parts = [part.strip() for part in _SEPARATORS.split(text)]
    while parts and not parts[-1]:
        parts.pop()
    entries: list[tuple[str, str]] = []
    for part in parts:
        match = _ENTRY.fullmatch(part)
        if not part or match is None or not match["code"].strip():
            return None
        share = (match["share"] or "").strip()
        if match["share"] is not None and not share:
            return None
        entries.append((match["code"].strip(), share.removesuffix("%").strip()))
    return entries or None


class CreditResolver:
    """Resolve one chunk's parties; errors and warnings go to the validator's logs."""

    def __init__(
        self,
        *,
        plan: ColumnPlan,
        codes: dict[str, int],
        labels: dict[int, str],
        in_scope: frozenset[int] | None,
        inactive: frozenset[int],
        rules: CreditRules,
        errors: IssueLog,
        warnings: IssueLog,
    ) -> None:
        self.plan = plan
        self.codes = codes
        self.labels = labels
        self.in_scope = in_scope
        self.inactive = inactive
        self.rules = rules
        self.errors = errors
        self.warnings = warnings

    def _position(self, name: str) -> int:
        return self.plan.columns.get(name, len(self.plan.headers) + 1)

    def _report(
        self, log: IssueLog, entries: pd.DataFrame, code: str, *, on: str = "", **params: str
    ) -> None:
        """One issue per row of ``entries``, at its ``column`` (``on="share"``: its share
        column); each parameter names the column of ``entries`` that holds its value."""
        if entries.empty:
            return
        column, position = (f"{on}_column", f"{on}_position") if on else ("column", "position")
        for (label, place), part in entries.groupby([column, position], sort=False):
            log.add(
                part["row"].to_numpy(dtype=np.int64),
                column=str(label),
                position=int(cast(Any, place)),
                code=code,
                **{name: part[source].to_numpy(dtype=object) for name, source in params.items()},
            )

    # --- the file's own split --------------------------------------------------------------
    def _split_cells(self, column: Column, rows: np.ndarray) -> pd.DataFrame:
        """Entries of the ``credit_split`` cells: one row per (file row, party)."""
        parsed = [split_parse(text) if text else [] for text in column.uniques]
        label, position = self.plan.label("credit_split"), self._position("credit_split")
        bad = column.rows(np.array([p is None for p in parsed], dtype=bool))
        if bad.any():
            self.errors.add(
                rows[bad],
                column=label,
                position=position,
                code="credit_bad_format",
                value=column.uniques[column.codes[bad]],
            )
        lengths = np.array([len(p or []) for p in parsed], dtype=np.int64)
        table = pd.DataFrame(
            {
                "unique": np.repeat(np.arange(len(parsed), dtype=np.int64), lengths),
                "order": np.concatenate([np.arange(n) for n in lengths] or [np.zeros(0, int)]),
                "code": np.array([c for p in parsed for c, _s in (p or [])], dtype=object),
                "share": np.array([s for p in parsed for _c, s in (p or [])], dtype=object),
            }
        )
        used = column.rows(lengths) > 0
        cells = pd.DataFrame(
            {"row": rows[used], "unique": column.codes[used], "split": column.values()[used]}
        )
        entries = cells.merge(table, on="unique").drop(columns=["unique"])
        return entries.assign(
            column=label, position=position, share_column=label, share_position=position
        )

    def _column_cells(self, cols: dict[str, Column], rows: np.ndarray) -> pd.DataFrame:
        """Entries of the ``salesperson_<n>``/``share_<n>`` columns, the row's own
        salesperson (with ``share``) first; only for rows that use them."""
        blank = np.full(len(rows), "", dtype=object)
        parts = []
        for n in [1, *self.plan.extra_parties()]:
            sp_name = "salesperson_code" if n == 1 else f"salesperson_{n}"
            share_name = "share" if n == 1 else f"share_{n}"
            share = cols[share_name].values() if share_name in cols else blank
            parts.append(
                pd.DataFrame(
                    {
                        "row": rows,
                        "order": n - 1,
                        "code": cols[sp_name].values() if sp_name in cols else blank,
                        "share": pd.Series(share, dtype=object).str.removesuffix("%").str.strip(),
                        "column": self.plan.label(sp_name),
                        "position": self._position(sp_name),
                        "share_column": self.plan.label(share_name),
                        "share_position": self._position(share_name),
                    }
                )
            )
        entries = pd.concat(parts, ignore_index=True)
        filled = (entries["code"] != "") | (entries["share"] != "")
        marks = filled & ((entries["order"] > 0) | (entries["share"] != ""))
        entries = entries[filled & entries["row"].isin(entries.loc[marks, "row"])]
        orphans = entries[entries["code"] == ""]
        self._report(self.errors, orphans, "credit_share_without_salesperson", on="share")
        entries = entries[~entries["row"].isin(orphans["row"])]  # the row is rejected
        entries = entries.sort_values(["row", "order"], kind="stable")
        text = entries["code"] + np.where(entries["share"] != "", ":" + entries["share"], "")
        return entries.assign(split=entries["row"].map(text.groupby(entries["row"]).agg(";".join)))

    # --- checks -------------------------------------------------------------------------------
    def _ids(self, entries: pd.DataFrame, primary: np.ndarray, index: pd.Series) -> pd.DataFrame:
        """Look the codes up; unknown, out-of-scope and inactive salespeople are errors. The
        row's own ``salesperson_code`` (the column form's first party) was checked already."""
        own = entries["own"].to_numpy(dtype=bool)
        ids = Column.of(entries["code"].to_numpy(dtype=object)).lookup(self.codes)
        ids = np.where(own, primary[index[entries["row"]].to_numpy()], ids)
        hidden = ids == 0
        if self.in_scope is not None:
            hidden |= ~np.isin(ids, list(self.in_scope))
        # a manager's file: an unknown code and one outside their part read alike
        code = (
            "credit_unknown_salesperson"
            if self.in_scope is None
            else "credit_salesperson_not_visible"
        )
        self._report(self.errors, entries[hidden & ~own], code, value="code")
        inactive = ~hidden & ~own & np.isin(ids, list(self.inactive))
        self._report(self.errors, entries[inactive], "credit_inactive_salesperson", value="code")
        return entries.assign(salesperson_id=np.where(hidden, 0, ids), bad=hidden | inactive)

    def _weights(self, entries: pd.DataFrame) -> pd.DataFrame:
        """Shares to weights (1/10,000 of a percent; equal shares: 1 each), with errors."""
        parsed = decimals_parse(
            Column.of(entries["share"].to_numpy(dtype=object)), scale=SHARE_SCALE, max_int_digits=3
        )
        given = entries["share"].to_numpy(dtype=object) != ""
        status, scaled = parsed.status, parsed.scaled
        for code, mask in (
            ("credit_bad_share", given & np.isin(status, (INVALID, TOO_LARGE))),
            ("credit_share_decimals", given & (status == TOO_MANY_DECIMALS)),
            ("credit_share_not_positive", given & (status == OK) & (scaled <= 0)),
        ):
            part = entries[mask].assign(limit=4)
            params = (
                {"value": "share", "limit": "limit"}
                if code.endswith("decimals")
                else {"value": "share"}
            )
            self._report(self.errors, part, code, on="share", **params)
        bad = given & ((status != OK) | (scaled <= 0))
        return entries.assign(
            given=given, scaled=np.where(bad, 0, scaled), bad=entries["bad"] | bad
        )

    def _rows_check(self, entries: pd.DataFrame) -> pd.DataFrame:
        """Checks across a row's parties; returns the entries of good rows with weights."""
        rows = entries["row"]
        count = rows.map(rows.value_counts())
        duplicate = entries.duplicated(["row", "salesperson_id"]) & (entries["salesperson_id"] > 0)
        self._report(self.errors, entries[duplicate], "credit_duplicate", value="code")
        many = entries[count > MAX_CREDIT_PARTIES].drop_duplicates("row")
        many = many.assign(count=count[many.index], limit=MAX_CREDIT_PARTIES)
        self._report(self.errors, many, "credit_too_many", count="count", limit="limit")
        given = entries["given"].groupby(rows).transform("sum")
        mixed = (given > 0) & (given < count)
        self._report(self.errors, entries[mixed].drop_duplicates("row"), "credit_mixed_shares")
        explicit = (given == count) & ~entries["bad"].groupby(rows).transform("any")
        total = entries["scaled"].where(explicit, 0).groupby(rows).transform("sum")
        fraction = explicit & (total == 10**SHARE_SCALE)  # 0.6 + 0.4: Excel's percent cells
        percent = explicit & ~fraction
        coarse = percent & (entries["scaled"] % 100 != 0)
        part = entries[coarse].assign(limit=4)
        self._report(
            self.errors, part, "credit_share_decimals", on="share", value="share", limit="limit"
        )
        wrong = percent & (total != FULL_WEIGHT * 100) & ~coarse.groupby(rows).transform("any")
        sums = entries[wrong].drop_duplicates("row")
        sums = sums.assign(total=[_percent_text(int(v)) for v in total[sums.index]])
        self._report(
            self.errors, sums, "credit_share_sum", on="share", total="total", split="split"
        )
        weight = np.where(fraction, entries["scaled"], entries["scaled"] // 100)
        weight = np.where(explicit, weight, 1)
        failed = entries["bad"] | duplicate | mixed | coarse | wrong | (count > MAX_CREDIT_PARTIES)
        return entries.assign(weight=weight)[~rows.isin(rows[failed])]

    # --- credit rules -----------------------------------------------------------------------
    def _rules(self, cols: dict[str, Column], open_rows: np.ndarray) -> np.ndarray:
        """The credit rule of each open row (0: none), most specific attribute first."""
        rule = np.zeros(len(open_rows), dtype=np.int64)
        for attribute in TERRITORY_ATTRIBUTES:
            table = self.rules.by_attribute.get(attribute)
            if table and attribute in cols:
                rule = np.where(open_rows & (rule == 0), cols[attribute].lookup(table), rule)
        return rule

    def _rule_entries(
        self, rule: np.ndarray, primary: np.ndarray, rows: np.ndarray
    ) -> pd.DataFrame:
        """The parties of the rows a rule applies to; a warning for the rows it cannot."""
        chosen = np.flatnonzero(rule > 0)
        parties = pd.DataFrame(
            [
                (rid, order, sp, weight)
                for rid, members in self.rules.parties.items()
                for order, (sp, weight) in enumerate(members)
            ],
            columns=["rule", "order", "salesperson_id", "weight"],
        )
        if not len(chosen) or parties.empty:
            return parties.iloc[0:0].assign(row=np.zeros(0, np.int64))
        cells = pd.DataFrame({"i": chosen, "rule": rule[chosen], "primary": primary[chosen]})
        members = parties[["rule", "salesperson_id"]].rename(columns={"salesperson_id": "primary"})
        member = cells.merge(members.assign(member=1), on=["rule", "primary"], how="left")
        applies = (cells["primary"] == 0).to_numpy() | (member["member"].to_numpy() == 1)
        refused = cells[~applies]
        if len(refused):
            label = self.plan.label("salesperson_code")
            self.warnings.add(
                rows[refused["i"].to_numpy()],
                column=label,
                position=self._position("salesperson_code"),
                code="credit_rule_not_applied",
                rule=refused["rule"].map(self.rules.labels).to_numpy(dtype=object),
                value=refused["primary"].map(self.labels).fillna("").to_numpy(dtype=object),
                split=refused["rule"].map(self.rules.texts).to_numpy(dtype=object),
            )
        applied = cells[applies].merge(parties, on="rule")
        applied = applied.assign(
            row=rows[applied["i"].to_numpy()],
            code=applied["salesperson_id"].map(self.labels).fillna(""),
        )
        inactive = applied["salesperson_id"].isin(list(self.inactive))
        if inactive.any():
            gone = applied[inactive].assign(
                column=self.plan.label("customer_code"), position=self._position("customer_code")
            )
            self._report(self.errors, gone, "credit_inactive_salesperson", value="code")
            applied = applied[~applied["row"].isin(gone["row"])]
        return applied

    # --- a chunk ----------------------------------------------------------------------------
    def _file_entries(
        self,
        cols: dict[str, Column],
        rows: np.ndarray,
        ok: np.ndarray,
        primary: np.ndarray,
        index: pd.Series,
    ) -> pd.DataFrame:
        """Every party the rows' own split names (either form), ids and weights checked."""
        frames = []
        good = pd.Series(ok, index=rows)
        if "credit_split" in cols:
            frames.append(self._split_cells(cols["credit_split"], rows).assign(own=False))
        if self.plan.extra_parties() or "share" in cols:
            columns = self._column_cells(cols, rows)
            frames.append(columns.assign(own=columns["order"] == 0))
        if not frames:
            return pd.DataFrame(columns=["row"], dtype=np.int64)
        entries = pd.concat(frames, ignore_index=True)
        entries = entries[entries["row"].map(good).to_numpy(dtype=bool)]
        if len(frames) == 2:  # a split cell and the columns on one row: which one is meant?
            in_both = np.intersect1d(frames[0]["row"].unique(), frames[1]["row"].unique())
            twice = entries[entries["row"].isin(in_both)].drop_duplicates("row")
            twice = twice.assign(
                column=self.plan.label("credit_split"), position=self._position("credit_split")
            )
            self._report(self.errors, twice, "credit_two_forms")
            entries = entries[~entries["row"].isin(in_both)]
        entries = self._ids(entries, primary, index)
        return self._weights(entries)

    def _primary_check(
        self, checked: pd.DataFrame, primary: np.ndarray, index: pd.Series
    ) -> pd.DataFrame:
        """A split in one cell must include the row's own salesperson, when it names one."""
        if checked.empty:
            return checked
        own = primary[index[checked["row"]].to_numpy()]
        named = pd.Series(own != 0, index=checked.index)
        member = (checked["salesperson_id"] == own).groupby(checked["row"]).transform("any")
        missing = checked[named & ~member].drop_duplicates("row")
        missing = missing.assign(
            value=pd.Series(own, index=checked.index)[missing.index].map(self.labels).fillna("")
        )
        self._report(self.errors, missing, "credit_primary_missing", value="value", split="split")
        return checked[~checked["row"].isin(missing["row"])]

    def resolve(
        self, cols: dict[str, Column], rows: np.ndarray, ok: np.ndarray, primary: np.ndarray
    ) -> Resolved:
        """The chunk's parties and each row's primary salesperson (``primary``: from the
        file's ``salesperson_code`` or a territory rule, 0 for none)."""
        index = pd.Series(np.arange(len(rows)), index=rows)
        entries = self._file_entries(cols, rows, ok, primary, index)
        own_rows = entries["row"].unique()
        checked = self._rows_check(entries) if len(entries) else entries.assign(weight=0)
        checked = self._primary_check(checked, primary, index)
        primary = _primary_fill(primary, checked, index)
        open_rows = ok & ~np.isin(rows, own_rows)
        rules = self._rule_entries(self._rules(cols, open_rows), primary, rows)
        primary = _primary_fill(primary, rules, index)
        parties = pd.concat(
            [checked.reindex(columns=PARTY_COLUMNS), rules.reindex(columns=PARTY_COLUMNS)],
            ignore_index=True,
        )
        several = parties["row"].map(parties["row"].value_counts()) > 1
        return Resolved(primary=primary, parties=parties[several].astype(np.int64))


def _primary_fill(primary: np.ndarray, parties: pd.DataFrame, index: pd.Series) -> np.ndarray:
    """Rows without a salesperson of their own take their split's first party."""
    if parties.empty:
        return primary
    first = parties.sort_values(["row", "order"]).drop_duplicates("row")
    at = index[first["row"]].to_numpy()
    filled = primary.copy()
    filled[at] = np.where(filled[at] == 0, first["salesperson_id"].to_numpy(), filled[at])
    return filled


def _percent_text(scaled: int) -> str:
    """A sum of shares read at ``SHARE_SCALE`` as a percentage: 99500000 -> "99.5"."""
    whole, part = divmod(abs(scaled), 10**SHARE_SCALE)
    text = f"{whole}.{part:0{SHARE_SCALE}d}".rstrip("0").rstrip(".")
    return ("-" if scaled < 0 else "") + text
