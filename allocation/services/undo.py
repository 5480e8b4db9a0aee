"""Undo the last change someone made to a draft's grid: every leaf it moved goes back.

A change (an edit, a paste, an uploaded sheet) keeps the leaves it moved in an
``EditBatch`` (``services.batches``). Undoing it restores their amounts exactly, as one
audited change (``PlanChange.Action.UNDO``, one row per cell the change had set, old and new
swapped). It is refused, changing nothing, when the plan is no longer a draft, when a later
change has touched any of those leaves since (their amounts are no longer what the change
left), when the plan was re-allocated since, or when a lock or bound set since would break.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import numpy as np
import pandas as pd
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from allocation.engine.errors import AllocationError
from allocation.models import EditBatch, Plan, PlanChange
from allocation.selectors import last_edit_batch, plan_leaves_frame, plan_structure_get
from allocation.services.batches import moved_leaves
from allocation.services.cell_rules import check_changed_constraints
from allocation.services.cells import CellChange, EditResult, plan_moved
from allocation.services.common import (
    PlanRuleError,
    actor_scope,
    ensure_editable,
    ensure_revision,
    plan_lock,
    rule_error,
)
from allocation.services.storage import target_amounts_update
from allocation.structure import Cell, PlanStructure
from salesalloc.core.exceptions import ScopeError
from salesalloc.core.money import to_cents
from salesalloc.core.users import acting_user

NAMED_CELLS = 5  # a refusal names at most this many of the cells touched since


def change_cell(structure: PlanStructure, change: PlanChange) -> Cell | None:
    """The cube cell an audit row names, if its nodes are still part of the plan."""
    org = structure.org_node(unit_id=change.org_unit_id, salesperson_id=change.salesperson_id)
    pl = structure.pl_nodes.get(change.product_line_id) if change.product_line_id else None
    if org is None or (change.product_line_id and pl is None) or not change.period:
        return None
    return Cell(org=org, pl=pl, period=change.period)


def _leaf_label(structure: PlanStructure, sp: int, pl: int, m: int) -> str:
    person = structure.members.get(sp)
    line = structure.pl_nodes.get(pl)
    month = structure.fiscal.month_labels()[m]
    return f"{person.code if person else sp} · {line.code if line else pl} · {month}"


@dataclass(frozen=True)
class _Checked:
    ids: np.ndarray
    old: np.ndarray
    new: np.ndarray
    leaves: pd.DataFrame  # the batch's leaves (for the constraint check)


def _check_untouched(plan: Plan, structure: PlanStructure, row: EditBatch) -> _Checked:
    """The batch's leaves still hold what it left (else PlanRuleError naming some)."""
    if plan.allocated_at is not None and plan.allocated_at > row.created_at:
        raise PlanRuleError(
            _("Nothing was undone: the plan was allocated again after that change.")
        )
    moved = moved_leaves(row)
    frame = plan_leaves_frame(plan=plan, structure=structure, ids=moved.ids)
    frame = frame.loc[frame["id"].isin(moved.ids)].set_index("id").reindex(moved.ids)
    if frame["cents"].isna().any():
        raise PlanRuleError(_("Nothing was undone: the plan's grid was rebuilt after that change."))
    now = frame["cents"].to_numpy(dtype=np.int64)
    touched = np.flatnonzero(now != moved.new)
    if touched.size:
        labels = [
            _leaf_label(
                structure,
                int(frame["salesperson_id"].iloc[i]),
                int(frame["pl_id"].iloc[i]),
                int(frame["m"].iloc[i]),
            )
            for i in touched[:NAMED_CELLS]
        ]
        more = touched.size - len(labels)
        raise PlanRuleError(
            _(
                "Nothing was undone: later changes touched %(count)s of the cells that change "
                "moved (%(cells)s%(more)s)."
            )
            % {
                "count": touched.size,
                "cells": ", ".join(labels),
                "more": (_(" and %(n)s more") % {"n": more}) if more else "",
            }
        )
    leaves = frame.reset_index().astype(np.int64)
    return _Checked(ids=moved.ids, old=moved.old, new=moved.new, leaves=leaves)


def _ensure_in_scope(
    structure: PlanStructure, actor: AbstractBaseUser | None, leaves: pd.DataFrame
) -> None:
    """Managers undo only inside the part of the company they manage now."""
    window = actor_scope(actor=actor, structure=structure)
    if window.role == "admin":
        return
    allowed: set[int] = set()
    for prefix in window.editable:
        node = structure.by_opath.get(prefix)
        if node is not None:
            allowed.update(int(x) for x in structure.members_under(node))
    if not set(leaves["salesperson_id"].tolist()) <= allowed:
        raise ScopeError(
            _("Nothing was undone: that change reaches outside your part of the company now.")
        )


def _audit_undo(
    plan: Plan,
    row: EditBatch,
    *,
    actor: AbstractBaseUser | None,
    batch: uuid.UUID,
    leaf_count: int,
) -> list[PlanChange]:
    """One ``undo`` row per cell the change had set (old and new swapped); the originals."""
    account = acting_user(actor)
    originals = list(
        PlanChange.objects.filter(plan=plan, batch=row.batch).exclude(cell="").order_by("pk")
    )
    details = {"undoes": str(row.batch), "action": row.action}
    PlanChange.objects.bulk_create(
        [
            PlanChange(
                plan=plan,
                actor=account,
                action=PlanChange.Action.UNDO,
                batch=batch,
                org_unit_id=change.org_unit_id,
                salesperson_id=change.salesperson_id,
                product_line_id=change.product_line_id,
                period=change.period,
                cell=change.cell,
                old_amount=change.new_amount,
                new_amount=change.old_amount,
                leaf_count=leaf_count,
                details={**details, "keep": row.keep},
            )
            for change in originals
        ]
        or [
            PlanChange(
                plan=plan,
                actor=account,
                action=PlanChange.Action.UNDO,
                batch=batch,
                details={**details, "changed": 0},
            )
        ]
    )
    return originals


@transaction.atomic
def plan_edit_undo(
    *,
    plan: Plan,
    actor: AbstractBaseUser | None,
    batch: uuid.UUID | None = None,
    expected_revision: int | None = None,
) -> EditResult:
    """Undo the actor's last change of a draft's grid (``batch``, if given, must be it).

    1. Lock the plan; it must be a draft (at ``expected_revision``, if given); find the
       actor's latest change not undone yet (``PlanRuleError`` if none, or if ``batch``
       names another one: only the last change is undone).
    2. Every leaf the change moved must still hold what it left and lie in the actor's
       part of the plan; locks and bounds set since must hold after the undo.
    3. Write the leaves back, move the plan total by the difference, bump the revision,
       audit one ``undo`` row per cell the change had set (old and new swapped, the undone
       batch in ``details``), and mark the change undone.
    """
    plan = plan_lock(plan=plan)
    ensure_editable(plan)
    ensure_revision(plan, expected_revision)
    row = last_edit_batch(plan=plan, user=actor)
    if row is None:
        raise PlanRuleError(_("Nothing was undone: you have no change of this plan to undo."))
    if batch is not None and row.batch != batch:
        raise PlanRuleError(
            _(
                "Nothing was undone: that is not your last change of this plan; only the last "
                "one can be undone."
            )
        )
    structure = plan_structure_get(plan=plan)
    checked = _check_untouched(plan, structure, row)
    _ensure_in_scope(structure, actor, checked.leaves)
    try:
        check_changed_constraints(
            plan=plan,
            structure=structure,
            leaves=checked.leaves,
            old=checked.new,
            new=checked.old,
            region=None,
        )
    except AllocationError as error:
        raise rule_error(error, prefix=_("undoing that change")) from error
    target_amounts_update(ids=checked.ids, cents=checked.old)
    plan_moved(plan, delta=int(checked.old.sum()) - int(checked.new.sum()))
    undo_batch = uuid.uuid4()
    originals = _audit_undo(plan, row, actor=actor, batch=undo_batch, leaf_count=len(checked.ids))
    EditBatch.objects.filter(pk=row.pk).update(
        undone_at=timezone.now(), undone_by=acting_user(actor), updated_at=timezone.now()
    )
    changes = []
    for change in originals:
        cell = change_cell(structure, change)
        if cell is not None and change.old_amount is not None and change.new_amount is not None:
            changes.append(
                CellChange(cell, to_cents(change.new_amount), to_cents(change.old_amount))
            )
    return EditResult(
        plan=plan,
        changes=changes,
        leaf_count=len(checked.ids),
        batch=undo_batch,
        keep=row.keep or None,
    )
