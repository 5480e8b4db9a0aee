"""An uploaded sheet as a batch of grid edits: worked out into a preview, then applied.

The sheet (``services.sheet_reading``) becomes the same batch of cell edits a paste sends,
checked by the same rules (``services.editing.validated_items``: visible, changeable under
the keep rule, amounts, locks, bounds) and worked out by the one edit path
(``services.cells.cells_plan``) under the keep rule the uploader chose. The preview lists
every leaf that will change (old -> new, set by the sheet or rebalanced) and the cells
that rebalance; confirming applies exactly that batch (``sheet_batch_apply``): the same
cells, at the same revision, giving the same leaves (a digest of them is compared), or
nothing.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils.translation import gettext as _

from allocation.access import PlanScope
from allocation.engine.errors import AllocationError
from allocation.engine.rebalance import KEEP_ROW_YEAR
from allocation.models import Plan, PlanChange
from allocation.selectors import plan_structure_get
from allocation.services.cells import (
    CellTarget,
    EditResult,
    PlannedEdit,
    cells_apply,
    cells_plan,
)
from allocation.services.common import (
    CellsRejectedError,
    PlanStaleError,
    actor_scope,
    ensure_editable,
    keep_rule_check,
    plan_lock,
)
from allocation.services.editing import CellInput, rule_prefix, validated_items
from allocation.services.sheet_reading import (
    SheetEdits,
    ref,
    sheet_check,
    sheet_edits_read,
    sheet_load,
)
from allocation.structure import Cell, PlanStructure
from salesalloc.core.money import from_cents, to_cents

MAX_UPLOAD_ERRORS = 200
MAX_PREVIEW_LEAVES = 2000  # listed in the preview; the counts always cover every leaf


def _money(cents: int) -> str:
    return f"{from_cents(cents):.2f}"


def _cell_json(cell: Cell) -> dict[str, Any]:
    org = cell.org
    return {
        "org_unit": org.code if org.kind in {"unit", "root"} else None,
        "salesperson": org.code if org.kind == "salesperson" else None,
        "product_line": cell.pl.code if cell.pl is not None else None,
        "period": cell.period,
        "label": cell.label,
    }


def _refused(errors: list[dict[str, Any]]) -> CellsRejectedError:
    return CellsRejectedError(
        _("Nothing was changed: %(count)s problem(s) in the sheet.") % {"count": len(errors)},
        errors=errors[:MAX_UPLOAD_ERRORS],
    )


def _items(
    structure: PlanStructure, window: PlanScope, cells: Sequence[CellInput], keep: str
) -> list[CellTarget]:
    """The batch checked like a paste; refusals name the sheet cells."""
    try:
        return validated_items(structure, window, cells, keep)
    except CellsRejectedError as refused:
        raise _refused(
            [{"cell": e.get("ref"), "message": e["message"]} for e in refused.errors]
        ) from refused


def _planned(
    plan: Plan, structure: PlanStructure, items: list[CellTarget], keep: str
) -> PlannedEdit:
    try:
        return cells_plan(plan=plan, structure=structure, items=items, keep=keep)
    except AllocationError as error:
        where = next((i.ref for i in items if i.cell.label == error.child), None)
        prefix = rule_prefix(plan, keep)
        message = f"{prefix}: {error.message}" if prefix else error.message
        raise _refused([{"cell": where, "message": message}]) from error


def leaves_digest(planned: PlannedEdit) -> str:
    """A fingerprint of exactly which leaves a batch moves and where to."""
    changed = planned.changed
    ids = planned.leaves["id"].to_numpy(dtype="<i8")[changed]
    new = planned.new.astype("<i8")[changed]
    return hashlib.sha256(ids.tobytes() + b"|" + new.tobytes()).hexdigest()


def _preview_leaves(
    structure: PlanStructure, planned: PlannedEdit, items: list[CellTarget], edits: SheetEdits
) -> list[dict[str, Any]]:
    changed = np.flatnonzero(planned.changed)
    frame = planned.leaves
    labels = structure.fiscal.month_labels()
    set_keys = {item.cell.key for item in items}
    out = []
    keys = frame[["salesperson_id", "pl_id", "m"]].to_numpy(dtype=np.int64)
    for i in changed[:MAX_PREVIEW_LEAVES]:
        sp, pl, m = (int(v) for v in keys[i])
        cell = Cell(structure.members[sp], structure.pl_nodes[pl], labels[m])
        number = edits.line_rows.get((sp, pl))
        out.append(
            {
                **_cell_json(cell),
                "ref": ref(number, edits.month_columns[m]) if number else None,
                "old_amount": _money(int(planned.old[i])),
                "new_amount": _money(int(planned.new[i])),
                "set": cell.key in set_keys,
            }
        )
    out.sort(key=lambda entry: (entry["salesperson"], entry["product_line"], entry["period"]))
    return out


@dataclass
class SheetBatch:
    """A sheet worked out: the cells to set (for the confirm), the digest and the preview."""

    cells: list[CellInput]
    digest: str
    preview: dict[str, Any]

    def edits_json(self) -> dict[str, Any]:
        return {"cells": [asdict(cell) for cell in self.cells], "digest": self.digest}


def _preview(
    plan: Plan,
    structure: PlanStructure,
    keep: str,
    items: list[CellTarget],
    planned: PlannedEdit,
    edits: SheetEdits,
) -> dict[str, Any]:
    moved = int(planned.changed.sum())
    total = int(planned.new.sum()) - int(planned.old.sum())
    return {
        "revision": plan.revision,
        "keep": keep if plan.mode == Plan.Mode.TOP_DOWN else None,
        "total_amount": _money(to_cents(plan.total_amount) + total),
        "leaf_count": moved,
        "edits": [
            {
                **_cell_json(item.cell),
                "ref": item.ref,
                "old_amount": _money(before),
                "new_amount": _money(item.target),
            }
            for item, before in zip(items, planned.olds, strict=True)
        ],
        "kept": [_cell_json(cell) for cell in planned.kept],
        "rebalanced": [
            {
                **_cell_json(change.cell),
                "old_amount": _money(change.old_cents),
                "new_amount": _money(change.new_cents),
            }
            for change in planned.rebalanced
        ],
        "leaves": _preview_leaves(structure, planned, items, edits),
        "leaves_truncated": moved > MAX_PREVIEW_LEAVES,
    }


def plan_sheet_preview(
    *, plan: Plan, file: Any, actor: AbstractBaseUser | None, keep: str = KEEP_ROW_YEAR
) -> SheetBatch:
    """Read an edited XLSX into the batch of edits it asks for and work out what it does.

    Nothing is written. Refused whole (``CellsRejectedError`` naming the sheet cells) when
    the sheet is unreadable, lacks its revision, breaks a rule, or has a subtotal and the
    cells under it changed inconsistently; ``PlanStaleError`` for an older revision.
    """
    keep = keep_rule_check(keep)
    books = sheet_load(file)  # parsed before the plan's row lock is taken: edits go on meanwhile
    try:
        with transaction.atomic():
            plan = plan_lock(plan=plan)
            ensure_editable(plan)
            sheet_check(books, plan)
            structure = plan_structure_get(plan=plan)
            window = actor_scope(actor=actor, structure=structure)
            edits = sheet_edits_read(books=books, plan=plan, structure=structure, window=window)
            return _worked_out(plan, structure, window, keep, edits)
    finally:
        books.close()


def _worked_out(
    plan: Plan, structure: PlanStructure, window: PlanScope, keep: str, edits: SheetEdits
) -> SheetBatch:
    """The sheet's edits checked and worked out into the batch and its preview."""
    errors = list(edits.errors)
    items: list[CellTarget] = []
    if edits.cells:
        try:
            items = _items(structure, window, edits.cells, keep)
        except CellsRejectedError as refused:
            errors.extend(refused.errors)
    if errors:
        raise _refused(errors)
    planned = _planned(plan, structure, items, keep)
    return SheetBatch(
        cells=edits.cells,
        digest=leaves_digest(planned),
        preview=_preview(plan, structure, keep, items, planned, edits),
    )


def sheet_batch_apply(
    *,
    plan: Plan,
    cells: Sequence[CellInput],
    digest: str,
    expected_revision: int,
    actor: AbstractBaseUser | None,
    reason: str = "",
    keep: str = KEEP_ROW_YEAR,
) -> EditResult:
    """Apply a previewed sheet batch as one audited change (the caller owns the transaction).

    Refused, changing nothing, when the plan is no longer a draft, has moved past
    ``expected_revision`` (``PlanStaleError``), or the batch would now move other leaves
    than the preview showed.
    """
    plan = plan_lock(plan=plan)
    ensure_editable(plan)
    if plan.revision != expected_revision:
        raise PlanStaleError(
            _(
                "The plan has changed since this preview (revision %(then)s, now %(now)s); "
                "nothing was changed. Upload the sheet again to see a new preview."
            )
            % {"then": expected_revision, "now": plan.revision}
        )
    structure = plan_structure_get(plan=plan)
    window = actor_scope(actor=actor, structure=structure)
    items = _items(structure, window, cells, keep) if cells else []
    planned = _planned(plan, structure, items, keep)
    if leaves_digest(planned) != digest:
        raise PlanStaleError(
            _("The plan has changed since this preview; nothing was changed. Upload again.")
        )
    return cells_apply(
        plan=plan,
        structure=structure,
        items=items,
        action=PlanChange.Action.UPLOAD,
        actor=actor,
        reason=reason,
        keep=keep,
        planned=planned,
    )


@transaction.atomic
def plan_sheet_upload(
    *,
    plan: Plan,
    file: Any,
    actor: AbstractBaseUser | None,
    reason: str = "",
    keep: str = KEEP_ROW_YEAR,
) -> EditResult:
    """Read an edited XLSX and apply it at once as one audited change, or refuse it whole.

    The same rules as a preview (:func:`plan_sheet_preview`) followed by its confirmation:
    an upload sent without a preview (``preview=false`` over the API).
    """
    batch = plan_sheet_preview(plan=plan, file=file, actor=actor, keep=keep)
    return sheet_batch_apply(
        plan=plan,
        cells=batch.cells,
        digest=batch.digest,
        expected_revision=batch.preview["revision"],
        actor=actor,
        reason=reason,
        keep=keep,
    )
