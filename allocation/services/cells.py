"""One path for every change of a plan's grid: diff → validate → rebalance → audit.

A single cell edit, a pasted block and an uploaded sheet all turn their input into the same
batch of :class:`CellTarget` (a resolved cell and its new amount in cents), each checked
cell by cell in the caller's own terms (a field, a pasted position, a sheet cell), and hand
it to :func:`cells_apply`, which loads the leaves the batch touches, rebalances them with
the engine's one :func:`~allocation.engine.rebalance.rebalance`, checks every lock and
bound the change touches, writes the leaves that moved and audits one row per cell.

In top-down mode a change keeps the cell's *parent* unchanged (``PlanStructure.parent``):
the unlocked siblings rebalance in proportion and the cell's own leaves are re-split in
their current proportions; leaves in any locked cell that does not contain the parent are
frozen. A sheet keeps the uploader's whole subtree instead (every leaf it does not change
stays). In bottom-up mode (and for the plan total) the cell's leaves are re-split and every
ancestor follows.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd
from django.contrib.auth.models import AbstractBaseUser
from django.db.models import BigIntegerField, Sum
from django.db.models.functions import Cast, Round
from django.utils.translation import gettext as _

from allocation.engine.errors import AllocationError
from allocation.engine.exact import format_cents
from allocation.engine.rebalance import rebalance, rescale
from allocation.measures import measure_step
from allocation.models import Plan, PlanChange, TargetCell
from allocation.selectors import plan_leaves_frame
from allocation.services.common import (
    CellsRejectedError,
    PlanRuleError,
    audit,
    whole_units_problem,
)
from allocation.services.storage import target_amounts_update
from allocation.structure import Cell, PlanStructure
from salesalloc.core.money import from_cents, to_cents

Grouping = Literal["parent", "scope"]


@dataclass(frozen=True)
class CellTarget:
    """One cell of a batch and the amount it must end at (cents); ``index``/``ref`` name it
    in errors the way the caller's input did (a position in a paste, a sheet cell)."""

    cell: Cell
    target: int
    index: int = 0
    ref: str | None = None


@dataclass(frozen=True)
class CellChange:
    cell: Cell
    old_cents: int
    new_cents: int


@dataclass
class EditResult:
    """What an edit did: the plan after it, the cells set, how many leaves changed."""

    plan: Plan
    changes: list[CellChange]
    leaf_count: int
    batch: uuid.UUID | None = None


@dataclass
class _Group:
    """Cells applied together: the children set under one kept ``parent`` (None: no parent
    is kept, each cell's own leaves are re-split to its amount)."""

    parent: Cell | None
    dimension: str | None
    items: list[CellTarget] = field(default_factory=list)


def rejected_cell(
    index: int, ref: str | None, label: str | None, message: str
) -> dict[str, str | int | None]:
    """One entry of ``CellsRejectedError.errors`` for a pasted cell."""
    return {"index": index, "ref": ref, "cell": label, "message": message}


# --- leaves -------------------------------------------------------------------------------------


def region_leaves(plan: Plan, structure: PlanStructure, region: Cell) -> pd.DataFrame:
    """The stored leaves of ``region`` sorted by (salesperson, line, month) for stable ties."""
    leaves = plan_leaves_frame(
        plan=plan,
        structure=structure,
        salesperson_ids=None if region.org.is_root else structure.members_under(region.org),
        pl_ids=structure.leaves_under(region.pl),
        months=structure.months(region),
    )
    expected = structure.leaf_count(region)
    if len(leaves) != expected:
        if leaves.empty:
            raise PlanRuleError(_("Allocate the plan before editing its cells."))
        raise PlanRuleError(
            _("The grid of this plan is incomplete (%(have)s of %(want)s cells); allocate again.")
            % {"have": len(leaves), "want": expected}
        )
    return leaves.sort_values(["salesperson_id", "pl_id", "m"]).reset_index(drop=True)


def frozen_leaves(
    structure: PlanStructure, leaves: pd.DataFrame, keeper: Cell | None, extra: Sequence[Cell] = ()
) -> np.ndarray:
    """Leaves inside locked cells (and ``extra`` cells) that do not contain ``keeper``."""
    frozen = np.zeros(len(leaves), dtype=bool)
    cells = [info.cell for info in structure.constraints if info.locked] + list(extra)
    for cell in cells:
        if keeper is not None and structure.contains(cell, keeper):
            continue
        frozen |= structure.mask(cell, leaves)
    return frozen


def is_leaf_cell(structure: PlanStructure, cell: Cell) -> bool:
    """A cell holding exactly one leaf: a salesperson x a leaf line x a month."""
    return (
        cell.org.kind == "salesperson"
        and cell.pl is not None
        and cell.pl.is_leaf
        and len(structure.months(cell)) == 1
        and cell.period != "year"
        and not cell.period.startswith("Q")
    )


class _Rows:
    """Which rows of a leaf frame each cell covers; a leaf cell is one dictionary lookup."""

    def __init__(self, structure: PlanStructure, leaves: pd.DataFrame) -> None:
        self.structure = structure
        self.leaves = leaves
        self._position: dict[tuple[int, int, int], int] | None = None

    def of(self, cell: Cell) -> np.ndarray:
        if is_leaf_cell(self.structure, cell):
            if self._position is None:
                keys = self.leaves[["salesperson_id", "pl_id", "m"]].itertuples(index=False)
                self._position = {
                    (int(sp), int(pl), int(m)): i for i, (sp, pl, m) in enumerate(keys)
                }
            assert cell.pl is not None  # noqa: S101 - a leaf cell has a line
            key = (cell.org.id, cell.pl.id, self.structure.months(cell)[0])
            hit = self._position.get(key)
            return np.array([] if hit is None else [hit], dtype=np.int64)
        return np.flatnonzero(self.structure.mask(cell, self.leaves))

    def total(self, cell: Cell, cents: np.ndarray) -> int:
        return int(cents[self.of(cell)].sum())


def db_cell_sum(plan: Plan, structure: PlanStructure, cell: Cell) -> int:
    """A cell's stored amount in cents, summed by the database."""
    cells = TargetCell.objects.filter(plan=plan)
    if not cell.org.is_root:
        cells = cells.filter(salesperson_id__in=[int(x) for x in structure.members_under(cell.org)])
    if cell.pl is not None:
        cells = cells.filter(product_line_id__in=[int(x) for x in structure.leaves_under(cell.pl)])
    if cell.period != "year":
        months = structure.fiscal.months
        cells = cells.filter(month__in=[months[m] for m in structure.months(cell)])
    total = cells.aggregate(c=Cast(Round(Sum("amount") * 100), BigIntegerField()))["c"]
    return int(total or 0)


# --- validate -----------------------------------------------------------------------------------


def check_changed_constraints(
    *,
    plan: Plan,
    structure: PlanStructure,
    leaves: pd.DataFrame,
    old: np.ndarray,
    new: np.ndarray,
    region: Cell | None,
) -> None:
    """Locks and bounds of every cell the change touches still hold (else AllocationError).

    Only constraints whose sum moves are checked; a cell whose leaves are all in memory
    (inside ``region``) is summed here, any other gets one query (None: always query).
    """
    changed = old != new
    if not changed.any():
        return
    for info in structure.constraints:
        mask = structure.mask(info.cell, leaves)
        delta = int((new[mask] - old[mask]).sum())
        if delta == 0:
            continue
        if info.locked:
            raise AllocationError(f"{info.cell.label} is locked", child=info.cell.label)
        if info.min_cents is None and info.max_cents is None:
            continue
        if region is not None and structure.contains(region, info.cell):
            total = int(new[mask].sum())
        else:
            total = db_cell_sum(plan, structure, info.cell) + delta
        if info.min_cents is not None and total < info.min_cents:
            raise AllocationError(
                f"{info.cell.label} would be {format_cents(total)}, below its minimum "
                f"{format_cents(info.min_cents)}",
                child=info.cell.label,
            )
        if info.max_cents is not None and total > info.max_cents:
            raise AllocationError(
                f"{info.cell.label} would be {format_cents(total)}, above its maximum "
                f"{format_cents(info.max_cents)}",
                child=info.cell.label,
            )


def _check_targets_held(rows: _Rows, items: Sequence[CellTarget], work: np.ndarray) -> None:
    """Cells set together must all end at their amounts (a later one may move an earlier)."""
    for item in items:
        total = rows.total(item.cell, work)
        if total != item.target:
            raise CellsRejectedError(
                _("Nothing was changed: these cells can't all keep their amounts together."),
                errors=[
                    rejected_cell(
                        item.index,
                        item.ref,
                        item.cell.label,
                        _(
                            "Other cells of the block would move it to %(amount)s; "
                            "paste them separately."
                        )
                        % {"amount": format_cents(total)},
                    )
                ],
            )


# --- rebalance ----------------------------------------------------------------------------------


def _groups(
    structure: PlanStructure,
    items: Sequence[CellTarget],
    *,
    top_down: bool,
    grouping: Grouping,
    scope_cells: Sequence[Cell],
) -> list[_Group]:
    """Group the batch by the cell each group keeps, coarse to fine.

    ``grouping="parent"``: top-down, the cells under one parent (along one dimension) go
    together; a cell without parent (the plan total) or any cell in bottom-up mode stands
    alone. ``grouping="scope"`` (a sheet): the cells under each of ``scope_cells`` go
    together and, top-down, that cell's total is kept.
    """
    groups: dict[tuple[object, ...], _Group] = {}
    for item in items:
        if grouping == "scope":
            scope = next(s for s in scope_cells if structure.contains(s, item.cell))
            key: tuple[object, ...] = ("scope", scope.key)
            parent = scope if top_down else None
            groups.setdefault(key, _Group(parent=parent, dimension=None)).items.append(item)
            continue
        found = structure.parent(item.cell)
        if found is None or not top_down:
            groups[("self", item.cell.key)] = _Group(parent=None, dimension=None, items=[item])
            continue
        key = (found[0].key, found[1])
        group = groups.setdefault(key, _Group(parent=found[0], dimension=found[1]))
        group.items.append(item)

    def order(group: _Group) -> tuple[int, int, int]:
        cell = group.parent if group.parent is not None else group.items[0].cell
        return (
            cell.org.depth,
            cell.pl.depth if cell.pl is not None else 0,
            0 if cell.period == "year" else 1,
        )

    return sorted(groups.values(), key=order)


def _union_region(
    structure: PlanStructure, groups: Sequence[_Group], items: Sequence[CellTarget]
) -> Cell:
    """All lines x the year of the closest org node holding every region the batch touches
    (each group's kept parent, or the cell itself where no parent is kept)."""
    regions = [group.parent for group in groups if group.parent is not None]
    for group in groups:
        if group.parent is None:
            regions.extend(item.cell for item in group.items)
    if len(regions) == 1:
        return regions[0]
    if not regions or any(region.org.is_root for region in regions):
        return Cell(structure.root, None, "year")
    opaths = {region.org.opath for region in regions}
    if len(opaths) == 1:
        return Cell(regions[0].org, None, "year")
    common = os.path.commonprefix(sorted(opaths))  # noqa: RUF071 - paths end in "/"
    common = common[: common.rfind("/") + 1]
    while common not in structure.by_opath and len(common) > len(structure.root.opath):
        common = common[: common.rstrip("/").rfind("/") + 1]
    return Cell(structure.by_opath.get(common, structure.root), None, "year")


def _rescale(
    structure: PlanStructure,
    rows: _Rows,
    work: np.ndarray,
    cell: Cell,
    target: int,
    extra: Sequence[Cell] = (),
    step: int = 1,
) -> np.ndarray:
    """Re-split a cell's own leaves to ``target`` (bottom-up edits and the plan total).

    A locked cell containing ``cell`` would change with it, so that is refused; leaves of
    locked (and ``extra``) cells inside or across it are frozen. Distinct leaf cells never
    overlap, so a leaf cell ignores other leaf cells of the batch.
    """
    for info in structure.constraints:
        if info.locked and structure.contains(info.cell, cell):
            raise AllocationError(f"{info.cell.label} is locked", child=info.cell.label)
    inside = rows.of(cell)
    if is_leaf_cell(structure, cell):
        extra = [other for other in extra if not is_leaf_cell(structure, other)]
    frozen = frozen_leaves(structure, rows.leaves.iloc[inside], cell, extra=extra)
    out = work.copy()
    out[inside] = rescale(amounts=work[inside], new_total=target // step, frozen=frozen)
    return out


def _apply_group(
    structure: PlanStructure,
    leaves: pd.DataFrame,
    work: np.ndarray,
    group: _Group,
    done: list[Cell],
    step: int = 1,
) -> np.ndarray:
    """Apply one parent's cells at once with the engine's ``rebalance`` (in steps of
    ``step`` cents: whole units for quantity; a minimum rounds up, a maximum down).

    The children are the cells set plus the parent's other children along the group's
    dimension; without a dimension (a sheet's subtree) every other leaf under the parent is
    one locked child, so it stays as it is. Cells set by earlier groups are frozen.
    """
    parent, dimension = group.parent, group.dimension
    assert parent is not None  # noqa: S101 - only groups with a kept parent come here
    inside = structure.mask(parent, leaves)
    sub = leaves.loc[inside].reset_index(drop=True)
    edited = [item.cell for item in group.items]
    leaf_cells = all(is_leaf_cell(structure, cell) for cell in edited)
    if not leaf_cells:  # distinct leaf cells never overlap
        for i, first in enumerate(edited):
            for second in edited[i + 1 :]:
                if structure.overlaps(first, second):
                    raise AllocationError(
                        f"{first.label} and {second.label} overlap; paste one of them"
                    )
    siblings = [
        child
        for child in (structure.children(parent, dimension) if dimension else [])
        if not any(structure.overlaps(child, cell) for cell in edited)
    ]
    children = edited + siblings
    sub_rows = _Rows(structure, sub)
    owner = np.full(len(sub), len(children), dtype=np.int64)
    for index, cell in enumerate(children):
        owner[sub_rows.of(cell)] = index
    infos = [structure.constraint_at(cell) for cell in children]
    rest = bool((owner == len(children)).any())
    keys = [cell.label for cell in children] + ([f"{parent.label} (rest)"] if rest else [])
    new_sub = rebalance(
        amounts=work[inside],
        child=owner,
        child_keys=keys,
        targets={i: item.target // step for i, item in enumerate(group.items)},
        frozen=frozen_leaves(structure, sub, parent, extra=done),
        locked_children=[bool(info and info.locked) for info in infos] + ([True] if rest else []),
        mins=[_in_steps(info.min_cents if info else None, step, up=True) for info in infos]
        + ([None] if rest else []),
        maxs=[_in_steps(info.max_cents if info else None, step, up=False) for info in infos]
        + ([None] if rest else []),
    )
    out = work.copy()
    out[inside] = new_sub
    return out


def _in_steps(cents: int | None, step: int, *, up: bool) -> int | None:
    if cents is None:
        return None
    return -(-cents // step) if up else cents // step


def _rebalanced(
    structure: PlanStructure, leaves: pd.DataFrame, rows: _Rows, groups: Sequence[_Group]
) -> np.ndarray:
    """The leaves after every group, coarse to fine; cells set earlier are frozen later.

    The engine works in steps of the plan's measure (``allocation.measures.measure_step``):
    cents for money, whole units for quantity, so a quantity edit rebalances in whole units.
    """
    step = measure_step(structure.plan.measure)
    work = leaves["cents"].to_numpy(dtype=np.int64) // step
    done: list[Cell] = []
    for group in groups:
        if group.parent is None:
            for item in group.items:
                work = _rescale(structure, rows, work, item.cell, item.target, done, step)
                done.append(item.cell)
        else:
            work = _apply_group(structure, leaves, work, group, done, step)
            done.extend(item.cell for item in group.items)
    return work * step


# --- the path -----------------------------------------------------------------------------------


def cells_apply(
    *,
    plan: Plan,
    structure: PlanStructure,
    items: Sequence[CellTarget],
    action: str,
    actor: AbstractBaseUser | None,
    reason: str = "",
    grouping: Grouping = "parent",
    scope_cells: Sequence[Cell] = (),
    leaves: pd.DataFrame | None = None,
    batched: bool = True,
) -> EditResult:
    """Apply a validated batch of cell amounts to a locked draft as one audited change.

    The caller holds the plan's row lock and has checked each cell (visible, changeable by
    the actor, a valid amount, not locked, within its own bounds, no duplicate).

    1. Diff: load the leaves of the smallest region holding every kept parent (or reuse
       ``leaves``, which must cover it) and read each cell's current amount.
    2. Rebalance: group the cells (see :func:`_groups`) and apply the groups coarse to fine
       with the engine's ``rebalance`` (a kept parent) or ``rescale`` (none).
    3. Validate: every cell ends at its amount, every lock and bound the change touches
       holds; otherwise AllocationError (the caller words it) and nothing changes.
    4. Write the leaves that moved, move the plan total by the difference, bump the revision
       and audit one ``PlanChange`` per cell (a shared batch id when ``batched``; an empty
       batch is recorded as one row that changed nothing).
    """
    _check_whole_units(plan, items)
    top_down = plan.mode == Plan.Mode.TOP_DOWN
    groups = _groups(
        structure, items, top_down=top_down, grouping=grouping, scope_cells=scope_cells
    )
    region = _union_region(structure, groups, items)
    if leaves is None:
        leaves = region_leaves(plan, structure, region)
    rows = _Rows(structure, leaves)
    old = leaves["cents"].to_numpy(dtype=np.int64)
    olds = [rows.total(item.cell, old) for item in items]
    new = _rebalanced(structure, leaves, rows, groups)
    _check_targets_held(rows, items, new)
    check_changed_constraints(
        plan=plan, structure=structure, leaves=leaves, old=old, new=new, region=region
    )
    changed = old != new
    target_amounts_update(ids=leaves["id"].to_numpy()[changed], cents=new[changed])
    count = int(changed.sum())
    batch = uuid.uuid4() if batched else None
    _plan_moved(plan, delta=int(new.sum()) - int(old.sum()))
    rows_out = [
        audit(
            plan=plan,
            actor=actor,
            action=action,
            cell=item.cell,
            old_cents=before,
            new_cents=item.target,
            reason=reason,
            leaf_count=count,
            batch=batch,
            details={"ref": item.ref} if item.ref else None,
            save=False,
        )
        for item, before in zip(items, olds, strict=True)
    ] or [
        audit(
            plan=plan,
            actor=actor,
            action=action,
            reason=reason,
            batch=batch,
            details={"changed": 0},
            save=False,
        )
    ]
    PlanChange.objects.bulk_create(rows_out, batch_size=1000)
    changes = [
        CellChange(item.cell, before, item.target) for item, before in zip(items, olds, strict=True)
    ]
    return EditResult(plan=plan, changes=changes, leaf_count=count, batch=batch)


def _check_whole_units(plan: Plan, items: Sequence[CellTarget]) -> None:
    for item in items:
        if whole_units_problem(plan, item.target):
            raise AllocationError(
                f"{item.cell.label}: a quantity is a whole number of units", child=item.cell.label
            )


def _plan_moved(plan: Plan, *, delta: int) -> None:
    """Bump the revision; the plan total follows the leaves (bottom-up, the total itself)."""
    fields = ["revision", "updated_at"]
    if delta:
        plan.total_amount = from_cents(to_cents(plan.total_amount) + delta)
        fields.append("total_amount")
    plan.revision += 1
    plan.save(update_fields=fields)
