"""One path for every change of a plan's grid: diff → validate → rebalance → audit.

A single cell edit, a pasted block and an uploaded sheet all turn their input into the same
batch of :class:`CellTarget` (a resolved cell and its new amount in cents), each checked
cell by cell in the caller's own terms (a field, a pasted position, a sheet cell), and hand
it to :func:`cells_apply`, which loads the leaves the batch touches, rebalances them with
the engine's one :func:`~allocation.engine.rebalance.rebalance`, checks every lock and
bound the change touches, writes the leaves that moved and audits one row per cell.

In top-down mode a change keeps the cell's *parent* unchanged, the parent being chosen by
the edit's keep rule (``PlanStructure.parent(cell, keep)``: ``row_year`` keeps the row's
year, ``period_total`` the month's total one level up): the unlocked siblings rebalance in
proportion and the cell's own leaves are re-split in their current proportions; leaves in
any locked cell that does not contain the parent are frozen. In bottom-up mode (and for the
plan total) the cell's leaves are re-split and every ancestor follows.

:func:`cells_plan` works a batch out without writing anything (an upload's preview);
:func:`cells_apply` writes it, audits it and keeps the leaves it moved so it can be undone
(``services.undo``).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from django.contrib.auth.models import AbstractBaseUser
from django.utils.translation import gettext as _

from allocation.engine.errors import AllocationError
from allocation.engine.exact import format_cents
from allocation.engine.rebalance import KEEP_ROW_YEAR, rebalance, rescale
from allocation.measures import in_steps, measure_step
from allocation.models import Plan, PlanChange
from allocation.selectors import plan_leaves_frame
from allocation.services.batches import edit_batch_record
from allocation.services.cell_rules import (  # db_cell_sum: still importable from here
    check_changed_constraints,
    db_cell_sum,  # noqa: F401
    frozen_leaves,
    lock_holding,
)
from allocation.services.common import (
    CellsRejectedError,
    PlanRuleError,
    audit,
    whole_units_problem,
)
from allocation.services.storage import target_amounts_update
from allocation.structure import Cell, PlanStructure
from salesalloc.core.money import from_cents, to_cents


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
    """What an edit did: the plan after it, the cells set, how many leaves changed, the keep
    rule it applied, the cells it kept and the sibling cells that rebalanced."""

    plan: Plan
    changes: list[CellChange]
    leaf_count: int
    batch: uuid.UUID | None = None
    keep: str | None = KEEP_ROW_YEAR  # None: bottom-up, nothing is kept
    kept: list[Cell] = field(default_factory=list)
    rebalanced: list[CellChange] = field(default_factory=list)


@dataclass
class PlannedEdit:
    """A batch worked out but not written: the leaves it covers, their cents before and
    after, each cell's amount before, the cells kept and the siblings that rebalanced."""

    leaves: pd.DataFrame
    old: np.ndarray
    new: np.ndarray
    olds: list[int]
    kept: list[Cell]
    rebalanced: list[CellChange]

    @property
    def changed(self) -> np.ndarray:
        return self.old != self.new


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
    structure: PlanStructure, items: Sequence[CellTarget], *, top_down: bool, keep: str
) -> list[_Group]:
    """Group the batch by the cell each group keeps, coarse to fine.

    Top-down, the cells under one kept parent (``structure.parent(cell, keep)``, along one
    dimension) go together; the plan total, or any cell in bottom-up mode, stands alone (its
    leaves are re-split and everything above follows). Under ``period_total`` the plan's own
    month or quarter has nothing above it to keep: refused.
    """
    groups: dict[tuple[object, ...], _Group] = {}
    for item in items:
        found = structure.parent(item.cell, keep) if top_down else None
        if found is None and top_down and not structure.is_plan_total(item.cell):
            raise AllocationError(
                f"{item.cell.label} is the plan's own total for {item.cell.period}: it has no "
                f"total above it to keep while it changes",
                child=item.cell.label,
            )
        if found is None:
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


def _check_locks_kept(structure: PlanStructure, group: _Group) -> None:
    """A locked cell holding an edited cell but not the kept parent would have to move."""
    for item in group.items:
        lock = lock_holding(structure, item.cell, group.parent)
        if lock is not None:
            raise AllocationError(
                f"{lock.label} is locked, and changing {item.cell.label} while keeping "
                f"{group.parent.label if group.parent else ''} would change it",
                child=item.cell.label,
            )


def _group_children(structure: PlanStructure, group: _Group) -> tuple[list[Cell], list[Cell]]:
    """The cells set in a group and the parent's other children along its dimension."""
    parent, dimension = group.parent, group.dimension
    assert parent is not None  # noqa: S101 - only groups with a kept parent come here
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
    return edited, siblings


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
    dimension; leaves under the parent in none of them (none, for a full set of children)
    form one locked child, so they stay. Cells set by earlier groups are frozen.
    """
    parent = group.parent
    assert parent is not None  # noqa: S101 - only groups with a kept parent come here
    _check_locks_kept(structure, group)
    inside = structure.mask(parent, leaves)
    sub = leaves.loc[inside].reset_index(drop=True)
    edited, siblings = _group_children(structure, group)
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
        mins=[in_steps(info.min_cents if info else None, step, up=True) for info in infos]
        + ([None] if rest else []),
        maxs=[in_steps(info.max_cents if info else None, step, up=False) for info in infos]
        + ([None] if rest else []),
    )
    out = work.copy()
    out[inside] = new_sub
    return out


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


def _moved_siblings(
    structure: PlanStructure,
    rows: _Rows,
    groups: Sequence[_Group],
    old: np.ndarray,
    new: np.ndarray,
) -> list[CellChange]:
    """The kept parents' other children whose amounts moved (what rebalanced), in order."""
    moved: list[CellChange] = []
    seen: set[tuple[str, int | None, str]] = set()
    for group in groups:
        if group.parent is None:
            continue
        _edited, siblings = _group_children(structure, group)
        for cell in siblings:
            if cell.key in seen:
                continue
            seen.add(cell.key)
            index = rows.of(cell)
            before, after = int(old[index].sum()), int(new[index].sum())
            if before != after:
                moved.append(CellChange(cell, before, after))
    return moved


# --- the path -----------------------------------------------------------------------------------


def cells_plan(
    *,
    plan: Plan,
    structure: PlanStructure,
    items: Sequence[CellTarget],
    keep: str = KEEP_ROW_YEAR,
    leaves: pd.DataFrame | None = None,
) -> PlannedEdit:
    """Work out a validated batch of cell amounts without writing anything.

    1. Diff: load the leaves of the smallest region holding every kept parent (or reuse
       ``leaves``, which must cover it) and read each cell's current amount.
    2. Rebalance: group the cells by the parent their keep rule keeps (see :func:`_groups`)
       and apply the groups coarse to fine with the engine's ``rebalance`` (a kept parent)
       or ``rescale`` (none).
    3. Validate: every cell ends at its amount, every lock and bound the change touches
       holds; otherwise AllocationError (the caller words it).
    """
    if not items:
        empty = pd.DataFrame(
            {
                name: np.zeros(0, np.int64)
                for name in ("id", "salesperson_id", "pl_id", "m", "cents")
            }
        )
        nothing = np.zeros(0, np.int64)
        return PlannedEdit(leaves=empty, old=nothing, new=nothing, olds=[], kept=[], rebalanced=[])
    for item in items:
        if whole_units_problem(plan, item.target):
            raise AllocationError(f"{item.cell.label}: a quantity is a whole number of units")
    top_down = plan.mode == Plan.Mode.TOP_DOWN
    groups = _groups(structure, items, top_down=top_down, keep=keep)
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
    return PlannedEdit(
        leaves=leaves,
        old=old,
        new=new,
        olds=olds,
        kept=[group.parent for group in groups if group.parent is not None],
        rebalanced=_moved_siblings(structure, rows, groups, old, new),
    )


def cells_apply(
    *,
    plan: Plan,
    structure: PlanStructure,
    items: Sequence[CellTarget],
    action: str,
    actor: AbstractBaseUser | None,
    reason: str = "",
    keep: str = KEEP_ROW_YEAR,
    leaves: pd.DataFrame | None = None,
    planned: PlannedEdit | None = None,
) -> EditResult:
    """Apply a validated batch of cell amounts to a locked draft as one audited change.

    The caller holds the plan's row lock and has checked each cell (visible, changeable by
    the actor under ``keep``, a valid amount, not locked, within its own bounds, no
    duplicate). :func:`cells_plan` works it out (AllocationError if it can't be done:
    nothing changes); then the leaves that moved are written, the plan total moves by the
    difference, the revision goes up, the moved leaves are kept for an undo
    (``EditBatch``) and one ``PlanChange`` per cell is audited with the batch id and the
    keep rule (an empty batch is recorded as one row that changed nothing). ``planned``:
    the batch as :func:`cells_plan` already worked it out for these items, under the lock.
    """
    if planned is None:
        planned = cells_plan(plan=plan, structure=structure, items=items, keep=keep, leaves=leaves)
    changed = planned.changed
    ids = planned.leaves["id"].to_numpy()[changed]
    target_amounts_update(ids=ids, cents=planned.new[changed])
    count = int(changed.sum())
    batch = uuid.uuid4()
    plan_moved(plan, delta=int(planned.new.sum()) - int(planned.old.sum()))
    applied = keep if plan.mode == Plan.Mode.TOP_DOWN else ""
    rows_out = _audit_rows(
        plan, items, planned.olds, action=action, actor=actor, reason=reason, keep=applied,
        batch=batch, count=count,
    )  # fmt: skip
    PlanChange.objects.bulk_create(rows_out, batch_size=1000)
    if count:
        edit_batch_record(
            plan=plan,
            batch=batch,
            actor=actor,
            action=action,
            keep=applied,
            ids=ids,
            old=planned.old[changed],
            new=planned.new[changed],
        )
    changes = [
        CellChange(item.cell, before, item.target)
        for item, before in zip(items, planned.olds, strict=True)
    ]
    return EditResult(
        plan=plan,
        changes=changes,
        leaf_count=count,
        batch=batch,
        keep=applied or None,
        kept=planned.kept,
        rebalanced=planned.rebalanced,
    )


def _audit_rows(
    plan: Plan,
    items: Sequence[CellTarget],
    olds: Sequence[int],
    *,
    action: str,
    actor: AbstractBaseUser | None,
    reason: str,
    keep: str,
    batch: uuid.UUID,
    count: int,
) -> list[PlanChange]:
    """One audit row per cell set (its sheet or paste ``ref`` and the keep rule in
    ``details``), or one row that changed nothing for an empty batch."""
    base = {"keep": keep} if keep else {}
    rows = [
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
            details={**base, "ref": item.ref} if item.ref else base,
            save=False,
        )
        for item, before in zip(items, olds, strict=True)
    ]
    return rows or [
        audit(
            plan=plan,
            actor=actor,
            action=action,
            reason=reason,
            batch=batch,
            details={**base, "changed": 0},
            save=False,
        )
    ]


def plan_moved(plan: Plan, *, delta: int) -> None:
    """Bump the revision; the plan total follows the leaves (bottom-up, the total itself)."""
    fields = ["revision", "updated_at"]
    if delta:
        plan.total_amount = from_cents(to_cents(plan.total_amount) + delta)
        fields.append("total_amount")
    plan.revision += 1
    plan.save(update_fields=fields)
