"""The Excel round trip, download side: a plan's grid as an XLSX (or CSV) people edit.

The XLSX "Targets" sheet lists the viewer's part of the plan as a tree, parents first: one
bold subtotal row per org unit (the top one is the plan's org unit for an administrator) and
per salesperson (all lines), then that salesperson's row per leaf product line. Every row
has the 12 months in fiscal order and a Total. Subtotals are ``SUM`` formulas over their
direct child rows and every Total sums its row, so Excel or LibreOffice shows live totals
while people type; below the rows, a check cell shows whether the sheet still adds up to
the plan total of the viewer's part. Cells no edit may change (inside locked cells, see
``sheet_frozen``) are shaded, carry a note and are protected (the sheet is protected without
a password: editable cells are unlocked).
Text cells are literal strings (never formulas; ``salesalloc.core.export`` rules), so a
code such as ``=HYPERLINK`` stays text. The "About" sheet records the plan and its revision,
which an upload needs (``services.sheet_reading``). The CSV download has the line rows only.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.comments import Comment
from openpyxl.styles import Font, PatternFill, Protection
from openpyxl.utils import get_column_letter

from allocation.access import plan_scope_get
from allocation.engine.fiscal import MONTHS
from allocation.measures import is_money
from allocation.models import Plan
from allocation.selectors import plan_leaves_frame, plan_structure_get
from allocation.structure import Cell, OrgNode, PlanStructure, PlNode
from salesalloc.core.dates import local_datetime
from salesalloc.core.export import csv_rows, xlsx_text
from salesalloc.core.money import from_cents

SHEET = "Targets"
ABOUT = "About"
LOCKED_FILL = PatternFill(fill_type="solid", start_color="FFD9D9D9", end_color="FFD9D9D9")
SUBTOTAL_FILL = PatternFill(fill_type="solid", start_color="FFEEF3F8", end_color="FFEEF3F8")
HEADER_FONT = Font(bold=True)
SUBTOTAL_FONT = Font(bold=True)
MONEY_FORMAT = "#,##0.00"
OPEN = Protection(locked=False)
MAX_SUM_FORMULA = 8000  # Excel's formula limit is 8,192 characters; longer sums are values
FIXED_COLUMNS = 5  # salesperson, name, org unit, product line, product line name


@dataclass
class SheetRow:
    """One row of the sheet: an org unit's or a salesperson's subtotal, or a line row."""

    kind: str  # "unit" | "person" | "line"
    org: OrgNode
    pl: PlNode | None
    chain: list[str]
    cents: list[int] = field(default_factory=lambda: [0] * MONTHS)
    locked: list[bool] = field(default_factory=lambda: [False] * MONTHS)
    children: list[int] = field(default_factory=list)  # indexes of the direct child rows


@dataclass
class SheetData:
    """The viewer's part of the plan as sheet rows (what the XLSX and CSV downloads hold)."""

    header: list[str]
    org_levels: int
    rows: list[SheetRow]
    structure: PlanStructure
    tops: list[int]

    @property
    def part_cents(self) -> int:
        return sum(sum(self.rows[i].cents) for i in self.tops)

    @property
    def first_month(self) -> int:
        """0-based index of the first month column."""
        return FIXED_COLUMNS + self.org_levels


def _chain(structure: PlanStructure, node: OrgNode | None) -> list[str]:
    """Names of the units from below the plan root down to ``node`` (a unit) itself."""
    chain = []
    while node is not None and not node.is_root:
        chain.append(node.name)
        node = structure.org_parent(node)
    return chain[::-1]


def _locked_both_ways(month_lock: bool, own_lock: bool, any_lock: bool, top_down: bool) -> bool:
    """Whether no keep rule can change a cell inside locks (see :func:`sheet_frozen`)."""
    return (month_lock and own_lock) if top_down else any_lock


def sheet_frozen(structure: PlanStructure, leaves: pd.DataFrame) -> np.ndarray:
    """The leaves no edit can change, which the sheet shades and protects.

    Top-down, a leaf inside a locked cell can still change when the cell the edit keeps lies
    inside that lock too: ``row_year`` keeps the leaf's row year (so a lock on a year, of
    any node above, holds still), ``period_total`` keeps the team's month (so a lock on a
    unit holds still). It is out of reach only inside both a lock on a month or quarter and
    a lock on its own salesperson (an exact leaf lock is both). Bottom-up, any lock stops it.
    """
    top_down = structure.plan.mode == Plan.Mode.TOP_DOWN
    month_lock = np.zeros(len(leaves), dtype=bool)
    own_lock = np.zeros(len(leaves), dtype=bool)
    any_lock = np.zeros(len(leaves), dtype=bool)
    for info in structure.constraints:
        if not info.locked:
            continue
        mask = structure.mask(info.cell, leaves)
        any_lock |= mask
        if info.cell.period != "year":
            month_lock |= mask
        if info.cell.org.kind == "salesperson":
            own_lock |= mask
    return (month_lock & own_lock) if top_down else any_lock


def _subtotal_locked(structure: PlanStructure, org: OrgNode) -> list[bool]:
    """Per month: no keep rule can change ``org``'s all-lines month (as for leaves)."""
    top_down = structure.plan.mode == Plan.Mode.TOP_DOWN
    locks = [info.cell for info in structure.constraints if info.locked]
    out = []
    for label in structure.fiscal.month_labels():
        cell = Cell(org, None, label)
        holding = [lock for lock in locks if structure.contains(lock, cell)]
        out.append(
            _locked_both_ways(
                any(lock.period != "year" for lock in holding),
                any(lock.org.opath == org.opath for lock in holding),
                bool(holding),
                top_down,
            )
        )
    return out


class _TreeBuilder:
    """Lays the visible part of the plan out as rows, parents first."""

    def __init__(self, structure: PlanStructure, members: set[int], table: Any) -> None:
        self.structure = structure
        self.members = members
        self.table = table
        self.rows: list[SheetRow] = []
        lines_of: dict[int, list[int]] = {}
        for sp, pl in table.index:
            lines_of.setdefault(int(sp), []).append(int(pl))
        self.lines_of = {
            sp: sorted(pls, key=lambda pk: structure.pl_nodes[pk].code)
            for sp, pls in lines_of.items()
        }

    def add(self, node: OrgNode) -> int | None:
        """Append ``node``'s rows (its own first, then its children's); None if it has no
        visible salesperson."""
        if node.kind == "salesperson":
            return self._person(node) if node.id in self.members else None
        index = len(self.rows)
        row = SheetRow(
            kind="unit",
            org=node,
            pl=None,
            chain=_chain(self.structure, node),
            locked=_subtotal_locked(self.structure, node),
        )
        self.rows.append(row)
        children = [self.add(child) for child in self.structure.org_children(node)]
        row.children = [child for child in children if child is not None]
        if not row.children:
            del self.rows[index:]
            return None
        return index

    def _person(self, node: OrgNode) -> int:
        chain = _chain(self.structure, self.structure.org_parent(node))
        index = len(self.rows)
        person = SheetRow(
            kind="person",
            org=node,
            pl=None,
            chain=chain,
            locked=_subtotal_locked(self.structure, node),
        )
        self.rows.append(person)
        for pl in self.lines_of.get(node.id, []):
            cents = self.table.loc[(node.id, pl), "cents"].reindex(range(MONTHS)).fillna(0)
            flags = self.table.loc[(node.id, pl), "frozen"].reindex(range(MONTHS)).fillna(False)
            person.children.append(len(self.rows))
            self.rows.append(
                SheetRow(
                    kind="line",
                    org=node,
                    pl=self.structure.pl_nodes[pl],
                    chain=chain,
                    cents=[int(c) for c in cents],
                    locked=[bool(f) for f in flags],
                )
            )
        return index


def _fill_subtotals(rows: list[SheetRow]) -> None:
    """Subtotal rows sum their children (deepest rows first, so children are done)."""
    for row in reversed(rows):
        if row.kind != "line":
            row.cents = [sum(rows[c].cents[m] for c in row.children) for m in range(MONTHS)]


def plan_sheet_rows(*, plan: Plan, user: AbstractBaseUser | AnonymousUser) -> SheetData:
    """The viewer's part of the plan as sheet rows: subtotal rows and line rows, parents first."""
    structure = plan_structure_get(plan=plan)
    window = plan_scope_get(user=user, structure=structure)
    members = np.array(
        [sp for sp in structure.member_ids if window.sees(structure.members[int(sp)])],
        dtype=np.int64,
    )
    leaves = plan_leaves_frame(plan=plan, structure=structure, salesperson_ids=members)
    leaves = leaves.loc[leaves["salesperson_id"].isin(set(members.tolist()))]
    frozen = sheet_frozen(structure, leaves)
    table = leaves.assign(frozen=frozen).pivot_table(
        index=["salesperson_id", "pl_id"], columns="m", values=["cents", "frozen"], aggfunc="max"
    )
    builder = _TreeBuilder(structure, {int(sp) for sp in members}, table)
    tops: list[int] = []
    for prefix in window.visible:
        node = structure.by_opath.get(prefix)
        index = builder.add(node) if node is not None else None
        if index is not None:
            tops.append(index)
    rows = builder.rows
    _fill_subtotals(rows)
    depth = max((len(row.chain) for row in rows), default=0)
    header = [
        _("Salesperson"),
        _("Name"),
        _("Org unit"),
        *[_("Org level %(n)s") % {"n": i + 1} for i in range(depth)],
        _("Product line"),
        _("Product line name"),
        *structure.fiscal.month_labels(),
        _("Total"),
    ]
    return SheetData(header=header, org_levels=depth, rows=rows, structure=structure, tops=tops)


def _text_cell(sheet: Any, value: str, **style: Any) -> WriteOnlyCell:
    cell = WriteOnlyCell(sheet, value=None)
    cell.value = xlsx_text(value)  # stored names may hold characters XML cannot
    cell.data_type = "s"  # a literal string: never evaluated as a formula
    for name, setting in style.items():
        setattr(cell, name, setting)
    return cell


def _refs(column: str, rows: list[int]) -> str:
    """``G5:G8,G12``: sheet rows (1-based) as the shortest list of ranges."""
    parts: list[str] = []
    start = previous = rows[0]
    for row in [*rows[1:], None]:
        if row is not None and row == previous + 1:
            previous = row
            continue
        parts.append(
            f"{column}{start}" if start == previous else f"{column}{start}:{column}{previous}"
        )
        if row is not None:
            start = previous = row
    return ",".join(parts)


def _labels_cells(sheet: Any, data: SheetData, row: SheetRow) -> list[WriteOnlyCell]:
    style = {"font": SUBTOTAL_FONT, "fill": SUBTOTAL_FILL} if row.kind != "line" else {}
    person = row.org if row.org.kind == "salesperson" else None
    unit = structure_unit_code(data.structure, row.org)
    chain = row.chain + [""] * (data.org_levels - len(row.chain))
    values = [
        person.code if person else "",
        row.org.name,
        unit,
        *chain,
        row.pl.code if row.pl is not None else "",
        row.pl.name if row.pl is not None else str(_("All lines")),
    ]
    return [_text_cell(sheet, value, **style) for value in values]


def structure_unit_code(structure: PlanStructure, org: OrgNode) -> str:
    """The org unit code a row shows: the unit itself, or a salesperson's unit."""
    if org.kind == "salesperson":
        parent = structure.org_parent(org)
        return parent.code if parent is not None else ""
    return org.code


def _amount_cell(sheet: Any, value: Any, *, locked: bool, subtotal: bool) -> WriteOnlyCell:
    cell = WriteOnlyCell(sheet, value=value)
    cell.number_format = MONEY_FORMAT
    if subtotal:
        cell.font = SUBTOTAL_FONT
        cell.fill = SUBTOTAL_FILL
    if locked:
        cell.fill = LOCKED_FILL
        cell.comment = Comment(_("Locked: changes here are refused."), "salesalloc")
    else:
        cell.protection = OPEN
    return cell


def _row_cells(sheet: Any, data: SheetData, index: int) -> list[WriteOnlyCell]:
    row = data.rows[index]
    number = index + 2
    first = data.first_month + 1  # 1-based column of the first month
    cells = _labels_cells(sheet, data, row)
    subtotal = row.kind != "line"
    for m in range(MONTHS):
        column = get_column_letter(first + m)
        value: Any = from_cents(row.cents[m])
        if subtotal:
            formula = "=SUM(" + _refs(column, [c + 2 for c in row.children]) + ")"
            value = formula if len(formula) <= MAX_SUM_FORMULA else value
        cells.append(_amount_cell(sheet, value, locked=row.locked[m], subtotal=subtotal))
    span = f"{get_column_letter(first)}{number}:{get_column_letter(first + MONTHS - 1)}{number}"
    cells.append(_amount_cell(sheet, f"=SUM({span})", locked=all(row.locked), subtotal=True))
    return cells


def _formula_text(text: str) -> str:
    """Text for a string literal inside a formula (quotes doubled)."""
    return xlsx_text(str(text)).replace('"', '""')


def _check_rows(sheet: Any, data: SheetData) -> list[list[WriteOnlyCell]]:
    """Below the data: the plan total of the viewer's part and the check cell against it."""
    total_col = data.first_month + MONTHS  # 0-based
    total_letter = get_column_letter(total_col + 1)
    last = len(data.rows) + 1
    plan_row, check_row = last + 2, last + 3
    tops = _refs(total_letter, [i + 2 for i in data.tops]) if data.tops else "0"
    pad = [None] * (total_col - 2)
    plan_cells = [
        None,
        _text_cell(sheet, str(_("Plan total of your part")), font=HEADER_FONT),
        *pad,
        _amount_cell(sheet, from_cents(data.part_cents), locked=True, subtotal=True),
    ]
    check = _amount_cell(
        sheet, f"=ROUND(SUM({tops})-{total_letter}{plan_row},2)", locked=True, subtotal=True
    )
    ok = _formula_text(_("OK: adds up to the plan total"))
    differs = _formula_text(_("Differs: the upload rebalances it by the rule you choose"))
    verdict = WriteOnlyCell(sheet, value=f'=IF({total_letter}{check_row}=0,"{ok}","{differs}")')
    check_cells = [
        None,
        _text_cell(sheet, str(_("Check: sheet total minus plan total")), font=HEADER_FONT),
        *pad,
        check,
        verdict,
    ]
    return [[], plan_cells, check_cells]


def _set_widths(sheet: Any, data: SheetData) -> None:
    """Readable columns: codes narrow, names wide, amounts wide enough for 999,999,999.99."""
    levels = data.org_levels
    widths = [12, 24, 12, *([16] * levels), 12, 22, *([13] * (MONTHS + 1))]
    for column, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(column)].width = width


def _about_sheet(workbook: Any, plan: Plan, data: SheetData, user: Any) -> None:
    about = workbook.create_sheet(ABOUT)
    about.column_dimensions["A"].width = 18
    about.column_dimensions["B"].width = 100
    labels = data.structure.fiscal.month_labels()
    facts = [
        (_("Plan"), plan.name),
        (_("Plan id"), plan.pk),
        (_("Version"), plan.version),
        (_("Fiscal year"), plan.fiscal_year),
        (_("Revision"), plan.revision),
        (_("Measure"), plan.get_measure_display()),
        (_("Unit"), plan.currency if is_money(plan.measure) else _("units (whole numbers)")),
        (_("Exported at"), local_datetime(timezone.now())),
        (_("Exported by"), user.get_username()),
        (_("Months"), f"{labels[0]} … {labels[-1]}"),
        (
            _("How to upload"),
            _(
                "Change month amounts (>= 0, at most 2 decimals). A product-line row changes "
                "that target; a bold subtotal row (a salesperson's or a unit's month or Total) "
                "changes that node, and its rows are re-split in proportion. Don't change a "
                "subtotal and the rows under it both unless they still agree. Shaded cells are "
                "locked. When you upload you choose what stays the same (the row's year or the "
                "month's total) and see every cell that will change before you confirm. Keep "
                "the file as .xlsx: a sheet saved through CSV loses this sheet's revision and "
                "is refused."
            ),
        ),
    ]
    for key, value in facts:
        about.append(
            [
                _text_cell(about, str(key), font=HEADER_FONT),
                _text_cell(about, value)
                if isinstance(value, str)
                else WriteOnlyCell(about, value=value),
            ]
        )
    about.protection.sheet = True


def plan_sheet_xlsx(*, plan: Plan, user: AbstractBaseUser | AnonymousUser) -> bytes:
    """The viewer's part of the plan as an XLSX workbook (Targets + About sheets)."""
    plan = Plan.objects.select_related("root_org_unit").get(pk=plan.pk)  # the current revision
    data = plan_sheet_rows(plan=plan, user=user)
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(SHEET)
    sheet.freeze_panes = f"{get_column_letter(data.first_month + 1)}2"
    _set_widths(sheet, data)
    sheet.protection.sheet = True
    for option in ("formatCells", "formatColumns", "formatRows", "autoFilter"):
        setattr(sheet.protection, option, False)  # allowed while protected
    sheet.append([_text_cell(sheet, str(h), font=HEADER_FONT) for h in data.header])
    for index in range(len(data.rows)):
        sheet.append(_row_cells(sheet, data, index))
    for cells in _check_rows(sheet, data):
        sheet.append(cells)
    _about_sheet(workbook, plan, data, user)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def plan_sheet_csv(*, plan: Plan, user: AbstractBaseUser | AnonymousUser) -> Iterator[str]:
    """The line rows as CSV (formula-safe text, amounts as plain decimals, no subtotals)."""
    data = plan_sheet_rows(plan=plan, user=user)
    body = []
    for row in data.rows:
        if row.kind != "line" or row.pl is None:
            continue
        chain = row.chain + [""] * (data.org_levels - len(row.chain))
        body.append(
            [
                row.org.code,
                row.org.name,
                structure_unit_code(data.structure, row.org),
                *chain,
                row.pl.code,
                row.pl.name,
                *[from_cents(c) for c in row.cents],
                from_cents(sum(row.cents)),
            ]
        )
    return csv_rows(data.header, body)
