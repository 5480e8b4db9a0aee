"""The Excel round trip: a plan's grid as XLSX/CSV, and an edited XLSX back as one change.

The sheet has one row per salesperson x leaf product line, the org path, the 12 months in
fiscal order and a total (a ``SUM`` formula in the XLSX). Text cells are written as literal
strings (never formulas; ``salesalloc.core.export`` rules), so a code such as ``=HYPERLINK``
stays text. Leaves inside locked cells are shaded. A second sheet, "About", records the plan
and revision so an upload can tell a stale or foreign sheet.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import numpy as np
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook, load_workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.comments import Comment
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter

from allocation.access import PlanScope, plan_scope_get
from allocation.engine.errors import AllocationError
from allocation.engine.exact import format_cents
from allocation.engine.fiscal import MONTHS
from allocation.measures import is_money
from allocation.models import Plan, PlanChange
from allocation.selectors import plan_leaves_frame, plan_structure_get
from allocation.services.cells import (
    CellTarget,
    EditResult,
    cells_apply,
    db_cell_sum,
    frozen_leaves,
)
from allocation.services.common import (
    CellsRejectedError,
    PlanStaleError,
    actor_scope,
    amount_problem,
    ensure_editable,
    ensure_may_change,
    plan_lock,
    whole_units_problem,
)
from allocation.structure import Cell, PlanStructure
from salesalloc.core.exceptions import ScopeError
from salesalloc.core.export import csv_rows, safe_text, xlsx_text
from salesalloc.core.money import from_cents, sheet_number_text, to_cents

SHEET = "Targets"
ABOUT = "About"
LOCKED_FILL = PatternFill(fill_type="solid", start_color="FFD9D9D9", end_color="FFD9D9D9")
HEADER_FONT = Font(bold=True)
MAX_UPLOAD_ERRORS = 200


@dataclass
class SheetData:
    """The rows of a plan's sheet for one viewer (what the XLSX and CSV downloads hold)."""

    header: list[str]
    org_levels: int
    rows: list[list[Any]]
    locked: list[list[bool]]  # per row, per month
    structure: PlanStructure


def _org_chain(structure: PlanStructure, member_opath: str) -> list[str]:
    """Names of the units from below the plan root down to the salesperson's unit."""
    node = structure.by_opath.get(member_opath)
    chain = []
    parent = structure.org_parent(node) if node is not None else None
    while parent is not None and not parent.is_root:
        chain.append(parent.name)
        parent = structure.org_parent(parent)
    return chain[::-1]


def plan_sheet_rows(*, plan: Plan, user: AbstractBaseUser | AnonymousUser) -> SheetData:
    """The viewer's part of the plan as sheet rows (salesperson x leaf line, 12 months)."""
    structure = plan_structure_get(plan=plan)
    window = plan_scope_get(user=user, structure=structure)
    members = np.array(
        [sp for sp in structure.member_ids if window.sees(structure.members[int(sp)])],
        dtype=np.int64,
    )
    leaves = plan_leaves_frame(plan=plan, structure=structure, salesperson_ids=members)
    leaves = leaves.loc[leaves["salesperson_id"].isin(set(members.tolist()))]
    frozen = frozen_leaves(structure, leaves, None)
    table = leaves.assign(frozen=frozen).pivot_table(
        index=["salesperson_id", "pl_id"], columns="m", values=["cents", "frozen"], aggfunc="max"
    )
    chains = {int(sp): _org_chain(structure, structure.members[int(sp)].opath) for sp in members}
    depth = max((len(c) for c in chains.values()), default=0)
    months = structure.fiscal.month_labels()
    header = [
        _("Salesperson"),
        _("Name"),
        *[_("Org level %(n)s") % {"n": i + 1} for i in range(depth)],
        _("Product line"),
        _("Product line name"),
        *months,
        _("Total"),
    ]
    rows: list[list[Any]] = []
    locked: list[list[bool]] = []
    order = sorted(
        table.index,
        key=lambda key: (structure.members[int(key[0])].code, structure.pl_nodes[int(key[1])].code),
    )
    for sp, pl in order:
        person = structure.members[int(sp)]
        line = structure.pl_nodes[int(pl)]
        cents = table.loc[(sp, pl), "cents"].reindex(range(MONTHS)).fillna(0).astype(np.int64)
        flags = table.loc[(sp, pl), "frozen"].reindex(range(MONTHS)).fillna(False).astype(bool)
        chain = chains[int(sp)] + [""] * (depth - len(chains[int(sp)]))
        rows.append(
            [
                person.code,
                person.name,
                *chain,
                line.code,
                line.name,
                *[from_cents(int(c)) for c in cents],
                from_cents(int(cents.sum())),
            ]
        )
        locked.append([bool(f) for f in flags])
    return SheetData(header=header, org_levels=depth, rows=rows, locked=locked, structure=structure)


def _text_cell(sheet: Any, value: str, **style: Any) -> WriteOnlyCell:
    cell = WriteOnlyCell(sheet, value=None)
    cell.value = xlsx_text(value)  # stored names may hold characters XML cannot
    cell.data_type = "s"  # a literal string: never evaluated as a formula
    for name, setting in style.items():
        setattr(cell, name, setting)
    return cell


def plan_sheet_xlsx(*, plan: Plan, user: AbstractBaseUser | AnonymousUser) -> bytes:
    """The viewer's part of the plan as an XLSX workbook (Targets + About sheets)."""
    plan = Plan.objects.select_related("root_org_unit").get(pk=plan.pk)  # the current revision
    data = plan_sheet_rows(plan=plan, user=user)
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(SHEET)
    sheet.freeze_panes = "A2"
    first_month = 4 + data.org_levels  # 0-based index of the first month column
    sheet.append([_text_cell(sheet, str(h), font=HEADER_FONT) for h in data.header])
    for number, (row, flags) in enumerate(zip(data.rows, data.locked, strict=True), start=2):
        cells: list[WriteOnlyCell] = []
        for index, value in enumerate(row):
            if index < first_month:
                cells.append(_text_cell(sheet, str(value)))
            elif index < first_month + MONTHS:
                cell = WriteOnlyCell(sheet, value=value)
                cell.number_format = "#,##0.00"
                if flags[index - first_month]:
                    cell.fill = LOCKED_FILL
                    cell.comment = Comment(_("Locked: changes here are refused."), "salesalloc")
                cells.append(cell)
            else:
                first = get_column_letter(first_month + 1)
                last = get_column_letter(first_month + MONTHS)
                total = WriteOnlyCell(sheet, value=f"=SUM({first}{number}:{last}{number})")
                total.number_format = "#,##0.00"
                cells.append(total)
        sheet.append(cells)
    about = workbook.create_sheet(ABOUT)
    structure = data.structure
    facts = [
        (_("Plan"), plan.name),
        (_("Plan id"), plan.pk),
        (_("Version"), plan.version),
        (_("Fiscal year"), plan.fiscal_year),
        (_("Revision"), plan.revision),
        (_("Measure"), plan.get_measure_display()),
        (_("Unit"), plan.currency if is_money(plan.measure) else _("units (whole numbers)")),
        (_("Exported at"), timezone.localtime().strftime("%Y-%m-%d %H:%M")),
        (_("Exported by"), user.get_username()),
        (
            _("Months"),
            f"{structure.fiscal.month_labels()[0]} … {structure.fiscal.month_labels()[-1]}",
        ),
        (
            _("How to upload"),
            _(
                "Change month amounts only (>= 0, at most 2 decimals). Shaded cells are "
                "locked. In a top-down plan the total of your part must stay the same. "
                "The Total column is not read back."
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
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def plan_sheet_csv(*, plan: Plan, user: AbstractBaseUser | AnonymousUser) -> Iterator[str]:
    """The same rows as CSV (formula-safe text, amounts as plain decimals)."""
    data = plan_sheet_rows(plan=plan, user=user)
    return csv_rows(data.header, data.rows)


# --- Upload -----------------------------------------------------------------------------------


def _ref(row: int, column: int) -> str:
    return f"{get_column_letter(column)}{row}"


def _header_text(value: Any) -> str:
    if isinstance(value, dt.datetime | dt.date):
        return f"{value:%Y-%m}"
    return str(value or "").strip()


def _about(workbook: Any) -> dict[str, Any]:
    if ABOUT not in workbook.sheetnames:
        return {}
    facts = {}
    for row in workbook[ABOUT].iter_rows(min_row=1, max_col=2, values_only=True):
        if row and row[0] is not None:
            facts[str(row[0]).strip()] = row[1]
    return facts


@dataclass
class _Parsed:
    keys: list[tuple[int, int]]  # (salesperson_id, pl_id) per data row
    rows: list[int]  # sheet row numbers
    values: np.ndarray  # cents, rows x 12 (-1 where unreadable)
    month_columns: list[int]  # 1-based sheet columns of the months


def _row_amounts(
    number: int, amounts: list[Any], month_cols: list[int], errors: list[dict[str, Any]]
) -> list[int]:
    """One row's month amounts in cents (-1 where unreadable; the reason goes to ``errors``).

    Floats are read as the decimal Excel displays (``sheet_number_text``)."""
    parsed = []
    for m, value in enumerate(amounts):
        problem = amount_problem(value)
        if problem:
            errors.append({"cell": _ref(number, month_cols[m] + 1), "message": problem})
            parsed.append(-1)
            continue
        text = sheet_number_text(value) if isinstance(value, float) else str(value)
        parsed.append(to_cents(Decimal(text.replace(",", ""))))
    return parsed


def _row_key(
    structure: PlanStructure,
    window: PlanScope,
    number: int,
    salesperson: tuple[str, int],
    product_line: tuple[str, int],
    errors: list[dict[str, Any]],
) -> tuple[int, int] | None:
    """(salesperson id, product line id) of a sheet row, or ``None`` with the reason in
    ``errors``: codes outside the uploader's part read like unknown ones."""
    sp_code, sp_col = salesperson
    pl_code, pl_col = product_line
    person = structure.member_by_code.get(sp_code)
    line = structure.pl_by_code.get(pl_code)
    if window.role != "admin" and (person is None or not window.sees(person)):
        # Unknown and out of scope read alike: the answer never tells what exists elsewhere.
        errors.append(
            {
                "cell": _ref(number, sp_col + 1),
                "message": _("No salesperson with code “%(value)s” is visible to you.")
                % {"value": safe_text(sp_code)},
            }
        )
        return None
    if person is None:
        errors.append(
            {
                "cell": _ref(number, sp_col + 1),
                "message": _("%(code)s has no targets in this plan.")
                % {"code": safe_text(sp_code)},
            }
        )
        return None
    if line is None or not line.is_leaf:
        errors.append(
            {
                "cell": _ref(number, pl_col + 1),
                "message": _("%(code)s is not a product line of this plan.")
                % {"code": safe_text(pl_code)},
            }
        )
        return None
    return (person.id, line.id)


def _parse(
    workbook: Any, structure: PlanStructure, window: PlanScope, errors: list[dict[str, Any]]
) -> _Parsed | None:
    sheet = workbook[SHEET] if SHEET in workbook.sheetnames else workbook.worksheets[0]
    rows = sheet.iter_rows(values_only=True)
    header = [_header_text(v) for v in next(rows, ())]
    labels = structure.fiscal.month_labels()
    names = {h.lower(): i for i, h in enumerate(header)}
    sp_col = names.get(str(_("Salesperson")).lower(), names.get("salesperson"))
    pl_col = names.get(str(_("Product line")).lower(), names.get("product line"))
    month_cols = [header.index(label) if label in header else None for label in labels]
    missing = [labels[i] for i, col in enumerate(month_cols) if col is None]
    if sp_col is None or pl_col is None or missing:
        errors.append(
            {
                "cell": "A1",
                "message": _(
                    "The first row must name the Salesperson and Product line columns and the "
                    "12 months of the plan (%(months)s); download the sheet again."
                )
                % {"months": ", ".join(missing) or "…"},
            }
        )
        return None
    keys: list[tuple[int, int]] = []
    numbers: list[int] = []
    values: list[list[int]] = []
    seen: dict[tuple[int, int], int] = {}
    for number, row in enumerate(rows, start=2):
        row = list(row) + [None] * max(0, len(header) - len(row))
        sp_code = str(row[sp_col] or "").strip()
        pl_code = str(row[pl_col] or "").strip()
        amounts = [row[c] for c in month_cols]  # type: ignore[index]
        if not sp_code and not pl_code and all(a is None or a == "" for a in amounts):
            continue
        key = _row_key(structure, window, number, (sp_code, sp_col), (pl_code, pl_col), errors)
        if key is None:
            continue
        if key in seen:
            errors.append(
                {
                    "cell": _ref(number, sp_col + 1),
                    "message": _("This row repeats row %(row)s.") % {"row": seen[key]},
                }
            )
            continue
        seen[key] = number
        keys.append(key)
        numbers.append(number)
        values.append(_row_amounts(number, amounts, month_cols, errors))  # type: ignore[arg-type]
    return _Parsed(
        keys=keys,
        rows=numbers,
        values=np.array(values, dtype=np.int64).reshape(-1, MONTHS),
        month_columns=[c + 1 for c in month_cols],  # type: ignore[operator]
    )


def _scope_cells(structure: PlanStructure, window: PlanScope) -> list[Cell]:
    return [
        Cell(structure.by_opath[p], None, "year")
        for p in window.editable
        if p in structure.by_opath
    ]


def _open_workbook(file: Any, plan: Plan) -> Any:
    """The uploaded workbook, refused unless it is an XLSX of this plan at its revision."""
    try:
        workbook = load_workbook(file, read_only=True, data_only=False)
    except Exception as error:  # openpyxl raises many types for a broken file
        raise CellsRejectedError(
            _("Nothing was changed: this is not an XLSX workbook."),
            errors=[{"cell": None, "message": str(error)[:200]}],
        ) from error
    facts = _about(workbook)
    plan_id = facts.get(str(_("Plan id")), facts.get("Plan id"))
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
    revision = facts.get(str(_("Revision")), facts.get("Revision"))
    if revision is not None and str(revision).strip() != str(plan.revision):
        raise PlanStaleError(
            _(
                "The plan has changed since this sheet was downloaded (revision %(sheet)s, now "
                "%(now)s). Download it again and redo your changes there."
            )
            % {"sheet": revision, "now": plan.revision}
        )
    return workbook


def _sheet_edits(
    *,
    plan: Plan,
    structure: PlanStructure,
    window: PlanScope,
    parsed: _Parsed,
    scope_cells: list[Cell],
    errors: list[dict[str, Any]],
) -> list[tuple[CellTarget, int]]:
    """The batch of edits a sheet asks for: one per month amount that differs from the plan
    (with the amount it replaces).

    A changed amount must lie in the uploader's part of the company and outside locked cells
    (those that don't contain the part the uploader keeps); problems go to ``errors``.
    """
    members = np.array(sorted({sp for sp, _pl in parsed.keys}), dtype=np.int64)
    leaves = plan_leaves_frame(plan=plan, structure=structure, salesperson_ids=members)
    stored = {
        (int(sp), int(pl), int(m)): int(cents)
        for sp, pl, m, cents in leaves[["salesperson_id", "pl_id", "m", "cents"]].itertuples(
            index=False
        )
    }
    locked_cells = [
        info.cell
        for info in structure.constraints
        if info.locked and not any(structure.contains(info.cell, s) for s in scope_cells)
    ]
    labels = structure.fiscal.month_labels()
    items: list[tuple[CellTarget, int]] = []
    for (sp, pl), number, values in zip(parsed.keys, parsed.rows, parsed.values, strict=True):
        person, line = structure.members[sp], structure.pl_nodes[pl]
        for m in range(MONTHS):
            value, old = int(values[m]), stored.get((sp, pl, m))
            if value < 0 or old is None or value == old:
                continue
            ref = _ref(number, parsed.month_columns[m])
            cell = Cell(person, line, labels[m])
            try:
                ensure_may_change(window=window, structure=structure, cell=cell)
            except ScopeError:
                errors.append(
                    {
                        "cell": ref,
                        "message": _("%(code)s is outside your part of the company.")
                        % {"code": person.code},
                    }
                )
                continue
            if any(structure.contains(locked, cell) for locked in locked_cells):
                errors.append({"cell": ref, "message": _("This cell is locked.")})
                continue
            units = whole_units_problem(structure.plan, value)
            if units:
                errors.append({"cell": ref, "message": units})
                continue
            items.append((CellTarget(cell=cell, target=value, index=len(items), ref=ref), old))
    return items


def _scope_total_problems(
    *,
    plan: Plan,
    structure: PlanStructure,
    edits: list[tuple[CellTarget, int]],
    scope_cells: list[Cell],
) -> list[dict[str, Any]]:
    """Top-down, a sheet keeps the total of every part the uploader manages."""
    problems: list[dict[str, Any]] = []
    for scope in scope_cells:
        delta = sum(
            item.target - old for item, old in edits if structure.contains(scope, item.cell)
        )
        if delta:
            old_total = db_cell_sum(plan, structure, scope)
            problems.append(
                {
                    "cell": None,
                    "message": _(
                        "The total of %(node)s would change by %(delta)s (from %(old)s to "
                        "%(new)s); in a top-down plan every change must be offset within it."
                    )
                    % {
                        "node": scope.org.code,
                        "delta": ("+" if delta > 0 else "") + format_cents(delta),
                        "old": format_cents(old_total),
                        "new": format_cents(old_total + delta),
                    },
                }
            )
    return problems


@transaction.atomic
def plan_sheet_upload(
    *,
    plan: Plan,
    file: Any,
    actor: AbstractBaseUser | None,
    reason: str = "",
) -> EditResult:
    """Apply an edited XLSX of the plan's grid as one audited change, or refuse it whole.

    The sheet becomes a batch of edits, one per month amount it changes, applied by the same
    path as a single edit or a paste (``cells_apply``). Validated like a set of edits: the
    plan is a draft (and the sheet is this plan's, at its current revision); changed cells
    lie in the uploader's subtree, outside locked cells, are amounts >= 0 with at most 2
    decimals; bounds hold; in top-down mode the total of every subtree the uploader manages
    (the plan total for an admin) is unchanged and nothing else moves. Errors name the
    sheet cell ("F12: ...") and ``CellsRejectedError`` lists all of them.
    """
    plan = plan_lock(plan=plan)
    ensure_editable(plan)
    structure = plan_structure_get(plan=plan)
    window = actor_scope(actor=actor, structure=structure)
    workbook = _open_workbook(file, plan)
    errors: list[dict[str, Any]] = []
    parsed = _parse(workbook, structure, window, errors)
    workbook.close()
    if parsed is None or not parsed.keys:
        if not errors:
            errors.append({"cell": "A2", "message": _("The sheet has no rows.")})
        raise CellsRejectedError(_("Nothing was changed: the sheet can't be read."), errors=errors)
    scope_cells = _scope_cells(structure, window)
    edits = _sheet_edits(
        plan=plan,
        structure=structure,
        window=window,
        parsed=parsed,
        scope_cells=scope_cells,
        errors=errors,
    )
    if plan.mode == Plan.Mode.TOP_DOWN and not errors:
        errors.extend(
            _scope_total_problems(
                plan=plan, structure=structure, edits=edits, scope_cells=scope_cells
            )
        )
    if not errors:
        try:
            return cells_apply(
                plan=plan,
                structure=structure,
                items=[item for item, _old in edits],
                action=PlanChange.Action.UPLOAD,
                actor=actor,
                reason=reason,
                grouping="scope",
                scope_cells=scope_cells,
            )
        except AllocationError as error:
            errors.append({"cell": error.child, "message": error.message})
    raise CellsRejectedError(
        _("Nothing was changed: %(count)s problem(s) in the sheet.") % {"count": len(errors)},
        errors=errors[:MAX_UPLOAD_ERRORS],
    )
