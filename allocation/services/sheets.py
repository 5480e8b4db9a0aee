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
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook, load_workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.comments import Comment
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter

from allocation.engine.errors import AllocationError
from allocation.engine.exact import format_cents
from allocation.engine.fiscal import MONTHS
from allocation.models import Plan, PlanChange
from allocation.selectors import (
    Cell,
    PlanScope,
    PlanStructure,
    plan_leaves_frame,
    plan_scope_get,
    plan_structure_get,
)
from allocation.services.common import (
    CellsRejectedError,
    PlanStaleError,
    actor_scope,
    amount_problem,
    audit,
    ensure_editable,
    plan_lock,
)
from allocation.services.editing import EditResult, _frozen, check_changed_constraints
from allocation.services.storage import target_amounts_update
from salesalloc.core.export import safe_text
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


def plan_sheet_rows(*, plan: Plan, user: AbstractBaseUser) -> SheetData:
    """The viewer's part of the plan as sheet rows (salesperson x leaf line, 12 months)."""
    structure = plan_structure_get(plan=plan)
    window = plan_scope_get(user=user, structure=structure)
    members = np.array(
        [sp for sp in structure.member_ids if window.sees(structure.members[int(sp)])],
        dtype=np.int64,
    )
    leaves = plan_leaves_frame(plan=plan, structure=structure, salesperson_ids=members)
    leaves = leaves.loc[leaves["salesperson_id"].isin(set(members.tolist()))]
    frozen = _frozen(structure, leaves, None)
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
    cell.value = value
    cell.data_type = "s"  # a literal string: never evaluated as a formula
    for name, setting in style.items():
        setattr(cell, name, setting)
    return cell


def plan_sheet_xlsx(*, plan: Plan, user: AbstractBaseUser) -> bytes:
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
        (_("Currency"), plan.currency),
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


def plan_sheet_csv(*, plan: Plan, user: AbstractBaseUser) -> Iterator[str]:
    """The same rows as CSV (formula-safe text, amounts as plain decimals)."""
    from salesalloc.core.export import csv_rows

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


def _parse(workbook: Any, structure: PlanStructure, errors: list[dict[str, Any]]) -> _Parsed | None:
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
        person = structure.member_by_code.get(sp_code)
        line = structure.pl_by_code.get(pl_code)
        if person is None:
            errors.append(
                {
                    "cell": _ref(number, sp_col + 1),
                    "message": _("%(code)s has no targets in this plan.")
                    % {"code": safe_text(sp_code)},
                }
            )
            continue
        if line is None or not line.is_leaf:
            errors.append(
                {
                    "cell": _ref(number, pl_col + 1),
                    "message": _("%(code)s is not a product line of this plan.")
                    % {"code": safe_text(pl_code)},
                }
            )
            continue
        key = (person.id, line.id)
        if key in seen:
            errors.append(
                {
                    "cell": _ref(number, sp_col + 1),
                    "message": _("This row repeats row %(row)s.") % {"row": seen[key]},
                }
            )
            continue
        seen[key] = number
        parsed = []
        for m, value in enumerate(amounts):
            problem = amount_problem(value)
            if problem:
                errors.append({"cell": _ref(number, month_cols[m] + 1), "message": problem})  # type: ignore[operator]
                parsed.append(-1)
            else:
                parsed.append(
                    to_cents(
                        Decimal(
                            sheet_number_text(value)
                            if isinstance(value, float)
                            else str(value).replace(",", "")
                        )
                    )
                )
        keys.append(key)
        numbers.append(number)
        values.append(parsed)
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


@transaction.atomic
def plan_sheet_upload(
    *,
    plan: Plan,
    file: Any,
    actor: AbstractBaseUser | None,
    reason: str = "",
) -> EditResult:
    """Apply an edited XLSX of the plan's grid as one audited change, or refuse it whole.

    Validated like a set of edits: the plan is a draft (and the sheet is this plan's, at
    its current revision); changed cells lie in the uploader's subtree, outside locked cells,
    are amounts >= 0 with at most 2 decimals; bounds hold; in top-down mode the total of
    every subtree the uploader manages (the plan total for an admin) is unchanged. Errors
    name the sheet cell ("F12: ...") and ``CellsRejectedError`` lists all of them.
    """
    plan = plan_lock(plan=plan)
    ensure_editable(plan)
    structure = plan_structure_get(plan=plan)
    window = actor_scope(actor=actor, structure=structure)
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
    errors: list[dict[str, Any]] = []
    parsed = _parse(workbook, structure, errors)
    workbook.close()
    if parsed is None or not parsed.keys:
        if not errors:
            errors.append({"cell": "A2", "message": _("The sheet has no rows.")})
        raise CellsRejectedError(_("Nothing was changed: the sheet can't be read."), errors=errors)

    members = np.array(sorted({sp for sp, _pl in parsed.keys}), dtype=np.int64)
    leaves = plan_leaves_frame(plan=plan, structure=structure, salesperson_ids=members)
    leaves = leaves.sort_values(["salesperson_id", "pl_id", "m"]).reset_index(drop=True)
    index = pd.MultiIndex.from_frame(leaves[["salesperson_id", "pl_id", "m"]])
    old = leaves["cents"].to_numpy(dtype=np.int64)
    new = old.copy()
    position = {key: i for i, key in enumerate(index)}
    scope_cells = _scope_cells(structure, window)
    locked_cells = [
        info.cell
        for info in structure.constraints
        if info.locked and not any(structure.contains(info.cell, s) for s in scope_cells)
    ]
    frozen = np.zeros(len(leaves), dtype=bool)
    for cell in locked_cells:
        frozen |= structure.mask(cell, leaves)
    for (sp, pl), number, values in zip(parsed.keys, parsed.rows, parsed.values, strict=True):
        person = structure.members[sp]
        for m in range(MONTHS):
            value = int(values[m])
            i = position.get((sp, pl, m))
            if value < 0 or i is None:
                continue
            if value == old[i]:
                continue
            ref = _ref(number, parsed.month_columns[m])
            if not window.may_change(person):
                errors.append(
                    {
                        "cell": ref,
                        "message": _("%(code)s is outside your part of the company.")
                        % {"code": person.code},
                    }
                )
                continue
            if frozen[i]:
                errors.append({"cell": ref, "message": _("This cell is locked.")})
                continue
            new[i] = value
    if plan.mode == Plan.Mode.TOP_DOWN and not errors:
        for scope in scope_cells:
            mask = structure.mask(scope, leaves)
            delta = int(new[mask].sum() - old[mask].sum())
            if delta:
                errors.append(
                    {
                        "cell": None,
                        "message": _(
                            "The total of %(node)s would change by %(delta)s (from %(old)s to "
                            "%(new)s); in a top-down plan every change must be offset within it."
                        )
                        % {
                            "node": scope.org.code,
                            "delta": ("+" if delta > 0 else "") + format_cents(delta),
                            "old": format_cents(int(old[mask].sum())),
                            "new": format_cents(int(new[mask].sum())),
                        },
                    }
                )
    if not errors:
        try:
            complete = len(members) == len(structure.member_ids)
            check_changed_constraints(
                plan=plan,
                structure=structure,
                leaves=leaves,
                old=old,
                new=new,
                region=Cell(structure.root, None, "year") if complete else None,
            )
        except AllocationError as error:
            errors.append({"cell": error.child, "message": error.message})
    if errors:
        raise CellsRejectedError(
            _("Nothing was changed: %(count)s problem(s) in the sheet.") % {"count": len(errors)},
            errors=errors[:MAX_UPLOAD_ERRORS],
        )
    changed = np.flatnonzero(old != new)
    target_amounts_update(ids=leaves["id"].to_numpy()[changed], cents=new[changed])
    batch = uuid.uuid4()
    delta = int(new.sum() - old.sum())
    fields = ["revision", "updated_at"]
    if delta:
        plan.total_amount = from_cents(to_cents(plan.total_amount) + delta)
        fields.append("total_amount")
    plan.revision += 1
    plan.save(update_fields=fields)
    labels = structure.fiscal.month_labels()
    rows = []
    for i in changed:
        sp, pl, m = (int(x) for x in index[i])
        cell = Cell(structure.members[sp], structure.pl_nodes[pl], labels[m])
        rows.append(
            audit(
                plan=plan,
                actor=actor,
                action=PlanChange.Action.UPLOAD,
                cell=cell,
                old_cents=int(old[i]),
                new_cents=int(new[i]),
                reason=reason,
                leaf_count=1,
                batch=batch,
                save=False,
            )
        )
    PlanChange.objects.bulk_create(rows, batch_size=1000)
    if not rows:
        audit(
            plan=plan,
            actor=actor,
            action=PlanChange.Action.UPLOAD,
            reason=reason,
            batch=batch,
            details={"changed": 0},
        )
    from allocation.services.editing import CellChange

    return EditResult(
        plan=plan,
        changes=[
            CellChange(
                Cell(
                    structure.members[int(index[i][0])],
                    structure.pl_nodes[int(index[i][1])],
                    labels[int(index[i][2])],
                ),
                int(old[i]),
                int(new[i]),
            )
            for i in changed
        ],
        leaf_count=len(changed),
        batch=batch,
    )
