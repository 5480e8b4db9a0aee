"""The Excel round trip, upload side: an edited sheet read into the cell edits it asks for.

A sheet is this plan's (About: plan id) at a revision (About: revision). Without that
revision it is refused: a sheet saved through CSV, or rebuilt by a tool that drops the
About sheet, can't tell its own changes from edits other people made since it was
downloaded, and applying it would silently revert theirs. At an older revision it is
refused too (download it again). Labels are matched in every language of the app, so a
sheet downloaded in Chinese uploads from an English session.

Rows are told apart by their codes: a salesperson and a product line is a line row (a leaf
target per month); a salesperson without a line is that salesperson's subtotal; an org
unit without a salesperson is that unit's subtotal. A month of a line row is an edit when it
differs from the plan. A subtotal cell (or any Total) still holding its formula, or left
empty, is not read. One that holds a number is compared with what the rows under it add up
to in the sheet: equal, it is just the live total (nothing to do); different while nothing
under it changed, it is an edit of that node (its rows re-split in proportion by the edit
path); different while something under it changed too, the sheet is refused naming both,
since it can't say which of the two it means. A line-row month holding a formula is read by
the value the spreadsheet saved with it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import numpy as np
from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

from allocation.access import PlanScope
from allocation.engine.exact import format_cents
from allocation.engine.fiscal import MONTHS
from allocation.models import Plan
from allocation.selectors import plan_leaves_frame
from allocation.services.common import (
    CellsRejectedError,
    PlanStaleError,
    amount_problem,
    whole_units_problem,
)
from allocation.services.editing import CellInput
from allocation.services.sheets import ABOUT, SHEET
from allocation.structure import Cell, OrgNode, PlanStructure, PlNode
from salesalloc.core.export import safe_text
from salesalloc.core.money import from_cents, sheet_number_text, to_cents

NAMED_REFS = 5  # an inconsistency names at most this many changed cells under it


def ref(row: int, column: int) -> str:
    """A sheet cell as Excel names it (1-based row and column)."""
    return f"{get_column_letter(column)}{row}"


def _everywhere(label: Callable[[], str]) -> set[str]:
    """A label as every language of the app writes it (lowercase), English included."""
    names = set()
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            names.add(str(label()).strip().lower())
    return names


# --- the workbook ---------------------------------------------------------------------------


@dataclass
class Workbooks:
    """The upload opened twice: cell contents (formulas as text) and the values saved."""

    formulas: Any
    values: Any

    def close(self) -> None:
        self.formulas.close()
        self.values.close()


def _about(workbook: Any) -> dict[str, Any]:
    if ABOUT not in workbook.sheetnames:
        return {}
    facts = {}
    for row in workbook[ABOUT].iter_rows(min_row=1, max_col=2, values_only=True):
        if row and row[0] is not None:
            facts[str(row[0]).strip().lower()] = row[1]
    return facts


def _fact(facts: dict[str, Any], label: Callable[[], str]) -> Any:
    for name in _everywhere(label):
        if facts.get(name) not in (None, ""):
            return facts[name]
    return None


def _missing_revision() -> CellsRejectedError:
    message = _(
        "This sheet has lost the revision it was downloaded at (its About sheet), as happens "
        "when it is saved through CSV or rebuilt by another tool. Without it, cells you left "
        "alone can't be told from cells other people changed since, and uploading it could "
        "undo their edits. Download the sheet again, make your changes there and save it as "
        ".xlsx."
    )
    return CellsRejectedError(
        _("Nothing was changed: the sheet has no revision."),
        errors=[{"cell": f"{ABOUT}!B5", "message": message}],
    )


def sheet_load(file: Any) -> Workbooks:
    """Open the uploaded workbook (twice: contents, saved values), or refuse it."""
    try:
        formulas = load_workbook(file, read_only=True, data_only=False)
        file.seek(0)
        values = load_workbook(file, read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many types for a broken file
        raise CellsRejectedError(
            _("Nothing was changed: this is not an XLSX workbook."),
            errors=[{"cell": None, "message": str(error)[:200]}],
        ) from error
    return Workbooks(formulas=formulas, values=values)


def sheet_check(books: Workbooks, plan: Plan) -> None:
    """Refuse a workbook unless it is this plan's sheet at the plan's current revision."""
    facts = _about(books.formulas)
    plan_id = _fact(facts, lambda: _("Plan id"))
    if plan_id is not None and str(plan_id).strip() != str(plan.pk):
        raise CellsRejectedError(
            _("Nothing was changed: this sheet belongs to another plan."),
            errors=[
                {
                    "cell": f"{ABOUT}!B2",
                    "message": _("Plan id %(id)s is not this plan.") % {"id": plan_id},
                }
            ],
        )
    revision = _fact(facts, lambda: _("Revision"))
    if plan_id is None or revision is None:
        raise _missing_revision()
    if str(revision).strip() != str(plan.revision):
        raise PlanStaleError(
            _(
                "The plan has changed since this sheet was downloaded (revision %(sheet)s, now "
                "%(now)s). Download it again and redo your changes there."
            )
            % {"sheet": revision, "now": plan.revision}
        )


# --- rows -----------------------------------------------------------------------------------


@dataclass
class _Columns:
    salesperson: int
    org_unit: int | None
    product_line: int
    months: list[int]  # 0-based
    total: int | None


@dataclass
class SheetRow:
    """A row as read: its node (and line), its typed amounts (None: formula or empty)."""

    number: int
    kind: str  # "line" | "person" | "unit"
    org: OrgNode
    pl: PlNode | None
    months: list[int | None]
    total: int | None


@dataclass
class SheetEdits:
    """What a sheet asks for: the batch of cell edits, and where each leaf row is."""

    cells: list[CellInput]
    errors: list[dict[str, Any]]
    line_rows: dict[tuple[int, int], int] = field(default_factory=dict)
    month_columns: list[int] = field(default_factory=list)  # 1-based


def _header_text(value: Any) -> str:
    if isinstance(value, dt.datetime | dt.date):
        return f"{value:%Y-%m}"
    return str(value or "").strip()


def _columns(header: list[str], structure: PlanStructure) -> _Columns | None:
    names = {h.lower(): i for i, h in enumerate(header)}

    def find(label: Callable[[], str]) -> int | None:
        return next((names[n] for n in _everywhere(label) if n in names), None)

    labels = structure.fiscal.month_labels()
    months = [header.index(label) if label in header else None for label in labels]
    sp, pl = find(lambda: _("Salesperson")), find(lambda: _("Product line"))
    if sp is None or pl is None or any(m is None for m in months):
        return None
    return _Columns(
        salesperson=sp,
        org_unit=find(lambda: _("Org unit")),
        product_line=pl,
        months=[m for m in months if m is not None],
        total=find(lambda: _("Total")),
    )


def _is_formula(value: Any) -> bool:
    return isinstance(value, str) and value.startswith("=")


def _cents(value: Any, where: str, errors: list[dict[str, Any]]) -> int | None:
    problem = amount_problem(value)
    if problem:
        errors.append({"cell": where, "message": problem})
        return None
    text = sheet_number_text(value) if isinstance(value, float) else str(value)
    return to_cents(Decimal(text.replace(",", "")))


def _leaf_amount(content: Any, saved: Any, where: str, errors: list[dict[str, Any]]) -> int | None:
    """A line-row month: the number typed, or the value saved with a formula."""
    if _is_formula(content):
        if saved is None or isinstance(saved, str):
            errors.append(
                {
                    "cell": where,
                    "message": _(
                        "This cell holds a formula without a saved result; type the amount, "
                        "or open and save the sheet in Excel or LibreOffice first."
                    ),
                }
            )
            return None
        content = saved
    return _cents(content, where, errors)


def _typed_amount(content: Any, where: str, errors: list[dict[str, Any]]) -> int | None:
    """A subtotal or Total cell: None unless a number was typed over its formula."""
    if content is None or content == "" or _is_formula(content):
        return None
    return _cents(content, where, errors)


def _code(row: list[Any], column: int | None) -> str:
    if column is None or column >= len(row):
        return ""
    return str(row[column] or "").strip()


def _hidden(where: str, field_name: str, code: str) -> dict[str, Any]:
    if field_name == "salesperson":
        message = _("No salesperson with code “%(value)s” is visible to you.")
    else:
        message = _("No org unit with code “%(value)s” is visible to you.")
    return {"cell": where, "message": message % {"value": safe_text(code)}}


def _row_node(
    structure: PlanStructure,
    window: PlanScope,
    number: int,
    codes: tuple[str, str, str],
    columns: _Columns,
    errors: list[dict[str, Any]],
) -> tuple[str, OrgNode, PlNode | None] | None:
    """What a row is (line, person or unit row) and its node, or None with the reason."""
    sp_code, unit_code, pl_code = codes
    if sp_code:
        person = structure.member_by_code.get(sp_code)
        where = ref(number, columns.salesperson + 1)
        if window.role != "admin" and (person is None or not window.sees(person)):
            # Unknown and out of scope read alike: the answer never tells what exists elsewhere.
            errors.append(_hidden(where, "salesperson", sp_code))
            return None
        if person is None:
            errors.append(
                {
                    "cell": where,
                    "message": _("%(code)s has no targets in this plan.")
                    % {"code": safe_text(sp_code)},
                }
            )
            return None
        if not pl_code:
            return "person", person, None
        line = structure.pl_by_code.get(pl_code)
        if line is None or not line.is_leaf:
            errors.append(
                {
                    "cell": ref(number, columns.product_line + 1),
                    "message": _("%(code)s is not a product line of this plan.")
                    % {"code": safe_text(pl_code)},
                }
            )
            return None
        return "line", person, line
    unit = structure.unit_by_code.get(unit_code) if unit_code and not pl_code else None
    if unit is None or (window.role != "admin" and not window.sees(unit)):
        where = ref(number, (columns.org_unit or columns.salesperson) + 1)
        errors.append(_hidden(where, "org_unit", unit_code or pl_code))
        return None
    return "unit", unit, None


def _read_rows(
    books: Workbooks, structure: PlanStructure, window: PlanScope, errors: list[dict[str, Any]]
) -> tuple[list[SheetRow], _Columns] | None:
    name = SHEET if SHEET in books.formulas.sheetnames else books.formulas.sheetnames[0]
    contents = books.formulas[name].iter_rows(values_only=True)
    saved = books.values[name].iter_rows(values_only=True)
    header = [_header_text(v) for v in next(contents, ())]
    next(saved, None)
    columns = _columns(header, structure)
    if columns is None:
        errors.append(
            {
                "cell": "A1",
                "message": _(
                    "The first row must name the Salesperson and Product line columns and the "
                    "12 months of the plan (%(months)s); download the sheet again."
                )
                % {"months": ", ".join(structure.fiscal.month_labels())},
            }
        )
        return None
    rows: list[SheetRow] = []
    seen: dict[tuple[str, int | None], int] = {}
    width = len(header)
    for number, (content, values) in enumerate(zip(contents, saved, strict=False), start=2):
        content = list(content) + [None] * max(0, width - len(content))
        values = list(values or ()) + [None] * max(0, width - len(values or ()))
        codes = (
            _code(content, columns.salesperson),
            _code(content, columns.org_unit),
            _code(content, columns.product_line),
        )
        amounts = [content[c] for c in columns.months]
        if not codes[0] and not codes[1]:
            if codes[2] or any(a not in (None, "") for a in amounts):
                errors.append(_hidden(ref(number, columns.salesperson + 1), "salesperson", ""))
            continue  # a blank row, or the check rows below the data
        found = _row_node(structure, window, number, codes, columns, errors)
        if found is None:
            continue
        kind, org, pl = found
        key = (org.opath, pl.id if pl is not None else None)
        if key in seen:
            errors.append(
                {
                    "cell": ref(number, columns.salesperson + 1),
                    "message": _("This row repeats row %(row)s.") % {"row": seen[key]},
                }
            )
            continue
        seen[key] = number
        refs = [ref(number, c + 1) for c in columns.months]
        if kind == "line":
            months = [
                _leaf_amount(content[c], values[c], refs[m], errors)
                for m, c in enumerate(columns.months)
            ]
        else:
            months = [
                _typed_amount(content[c], refs[m], errors) for m, c in enumerate(columns.months)
            ]
        total = None
        if columns.total is not None:
            total = _typed_amount(content[columns.total], ref(number, columns.total + 1), errors)
        rows.append(SheetRow(number=number, kind=kind, org=org, pl=pl, months=months, total=total))
    return rows, columns


# --- what the rows ask for ------------------------------------------------------------------


class _Reader:
    """Turns the rows into edits, bottom-up over the org tree (see the module docstring)."""

    def __init__(
        self,
        plan: Plan,
        structure: PlanStructure,
        window: PlanScope,
        rows: list[SheetRow],
        columns: _Columns,
    ) -> None:
        self.structure = structure
        self.columns = columns
        self.labels = structure.fiscal.month_labels()
        self.members = np.array(
            [sp for sp in structure.member_ids if window.sees(structure.members[int(sp)])],
            dtype=np.int64,
        )
        leaves = plan_leaves_frame(plan=plan, structure=structure, salesperson_ids=self.members)
        leaves = leaves.loc[leaves["salesperson_id"].isin(self.members)]
        table = leaves.pivot_table(
            index=["salesperson_id", "pl_id"], columns="m", values="cents", aggfunc="sum"
        ).reindex(columns=range(MONTHS), fill_value=0)
        self.leaf = dict(
            zip(table.index, table.to_numpy(dtype=np.int64), strict=True)
        )  # (sp, pl) -> 12 cents
        people = leaves.groupby(["salesperson_id", "m"])["cents"].sum().unstack(fill_value=0)
        people = people.reindex(index=self.members, columns=range(MONTHS), fill_value=0)
        self.person_cents = people.to_numpy(dtype=np.int64)
        self.position = {int(sp): i for i, sp in enumerate(self.members)}
        self.lines: dict[int, list[SheetRow]] = {}
        self.nodes: dict[str, SheetRow] = {}
        for row in rows:
            if row.kind == "line":
                self.lines.setdefault(row.org.id, []).append(row)
            else:
                self.nodes[row.org.opath] = row
        self.cells: list[CellInput] = []
        self.errors: list[dict[str, Any]] = []

    # -- amounts ---------------------------------------------------------------------------

    def stored(self, node: OrgNode) -> np.ndarray:
        ids = self.structure.members_under(node)
        index = [self.position[int(sp)] for sp in ids if int(sp) in self.position]
        return self.person_cents[index].sum(axis=0) if index else np.zeros(MONTHS, np.int64)

    def month_ref(self, row: SheetRow, m: int) -> str:
        return ref(row.number, self.columns.months[m] + 1)

    def total_ref(self, row: SheetRow) -> str:
        return ref(row.number, (self.columns.total or 0) + 1)

    def _edit(self, row: SheetRow, period: str, cents: int, where: str) -> None:
        units = whole_units_problem(self.structure.plan, cents)
        if units:
            self.errors.append({"cell": where, "message": units})
            return
        person = row.org.kind == "salesperson"
        self.cells.append(
            CellInput(
                amount=str(from_cents(cents)),
                period=period,
                org_unit=None if person else row.org.code,
                salesperson=row.org.code if person else None,
                product_line=row.pl.code if row.pl is not None else None,
                ref=where,
            )
        )

    def _conflict(self, where: str, what: str, typed: int, parts: int, refs: list[str]) -> None:
        shown = ", ".join(refs[:NAMED_REFS]) + (" …" if len(refs) > NAMED_REFS else "")
        self.errors.append(
            {
                "cell": where,
                "message": _(
                    "%(what)s is %(typed)s here, but what it adds up from comes to %(parts)s, "
                    "and some of that changed too (%(refs)s): change either the total or the "
                    "cells under it, not both, unless they agree."
                )
                % {
                    "what": what,
                    "typed": format_cents(typed),
                    "parts": format_cents(parts),
                    "refs": shown,
                },
            }
        )

    # -- the tree ----------------------------------------------------------------------------

    def visible(self, node: OrgNode) -> bool:
        return any(int(sp) in self.position for sp in self.structure.members_under(node))

    def visit(self, node: OrgNode) -> tuple[list[int], list[list[str]]]:
        """What changed inside ``node`` per month (cents) and the cells that changed it."""
        delta = [0] * MONTHS
        refs: list[list[str]] = [[] for _m in range(MONTHS)]
        if node.kind == "salesperson":
            for line in self.lines.get(node.id, []):
                moved = self._line(line)
                for m in range(MONTHS):
                    if moved[m]:
                        delta[m] += moved[m]
                        refs[m].append(self.month_ref(line, m))
        else:
            for child in self.structure.org_children(node):
                if not self.visible(child):
                    continue
                below, where = self.visit(child)
                for m in range(MONTHS):
                    delta[m] += below[m]
                    refs[m].extend(where[m][:NAMED_REFS])
        row = self.nodes.get(node.opath)
        if row is None:
            return delta, refs
        return self._subtotal(row, delta, refs)

    def _line(self, row: SheetRow) -> list[int]:
        assert row.pl is not None  # noqa: S101 - a line row has a line
        stored = self.leaf.get((row.org.id, row.pl.id))
        if stored is None:
            return [0] * MONTHS  # no such leaf in the plan: nothing to change
        moved = [0 if v is None else v - int(stored[m]) for m, v in enumerate(row.months)]
        for m in range(MONTHS):
            if moved[m]:
                self._edit(row, self.labels[m], int(stored[m]) + moved[m], self.month_ref(row, m))
        label = Cell(row.org, row.pl, "year").label
        refs = [[self.month_ref(row, m)] if moved[m] else [] for m in range(MONTHS)]
        self._year(row, int(stored.sum()), moved, refs, label)
        return moved

    def _subtotal(
        self, row: SheetRow, delta: list[int], refs: list[list[str]]
    ) -> tuple[list[int], list[list[str]]]:
        stored = self.stored(row.org)
        out = list(delta)
        for m, typed in enumerate(row.months):
            if typed is None:
                continue
            expected = int(stored[m]) + delta[m]
            if typed == expected:
                continue
            where = self.month_ref(row, m)
            if delta[m] == 0:
                self._edit(row, self.labels[m], typed, where)
                out[m] = typed - int(stored[m])
                refs[m] = [where]
            else:
                what = _("The subtotal of %(node)s for %(month)s") % {
                    "node": row.org.code,
                    "month": self.labels[m],
                }
                self._conflict(where, what, typed, expected, refs[m])
        self._year(row, int(stored.sum()), out, refs, Cell(row.org, None, "year").label)
        return out, refs

    def _year(
        self, row: SheetRow, stored: int, moved: list[int], refs: list[list[str]], label: str
    ) -> None:
        """A Total typed over its formula: an edit of the row's year, if its months agree."""
        if row.total is None:
            return
        expected = stored + sum(moved)
        if row.total == expected:
            return
        if not any(moved):
            self._edit(row, "year", row.total, self.total_ref(row))
            return
        what = _("The Total of %(row)s") % {"row": label}
        self._conflict(self.total_ref(row), what, row.total, expected, [r for m in refs for r in m])


def sheet_edits_read(
    *, books: Workbooks, plan: Plan, structure: PlanStructure, window: PlanScope
) -> SheetEdits:
    """The cell edits an opened sheet asks for, with every problem found (sheet cells named)."""
    errors: list[dict[str, Any]] = []
    read = _read_rows(books, structure, window, errors)
    if read is None:
        return SheetEdits(cells=[], errors=errors)
    rows, columns = read
    if not rows and not errors:
        errors.append({"cell": "A2", "message": _("The sheet has no rows.")})
    reader = _Reader(plan, structure, window, rows, columns)
    for prefix in window.visible:
        node = structure.by_opath.get(prefix)
        if node is not None and reader.visible(node):
            reader.visit(node)
    return SheetEdits(
        cells=reader.cells,
        errors=errors + reader.errors,
        line_rows={(row.org.id, row.pl.id): row.number for row in rows if row.pl is not None},
        month_columns=[c + 1 for c in columns.months],
    )
