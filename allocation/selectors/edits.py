"""Reads of the changes a viewer made to a plan's grid: what an undo would undo."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

from allocation.models import EditBatch, Plan, PlanChange
from salesalloc.core.users import acting_user

UNDOABLE = (PlanChange.Action.EDIT, PlanChange.Action.PASTE, PlanChange.Action.UPLOAD)
NAMED_CELLS = 5  # the undo button names at most this many cells of the change


def last_edit_batch(
    *, plan: Plan, user: AbstractBaseUser | AnonymousUser | None
) -> EditBatch | None:
    """The user's latest change of the plan's grid not undone yet (None: none, or no user).

    Only the user's own changes: nobody undoes another person's edit.
    """
    account = acting_user(user)
    if account is None:
        return None
    return (
        EditBatch.objects.filter(
            plan=plan, actor=account, undone_at__isnull=True, action__in=UNDOABLE
        )
        .order_by("-created_at", "-id")
        .first()
    )


@dataclass(frozen=True)
class UndoState:
    """What the editor's undo button would undo (``available`` False: nothing)."""

    available: bool
    batch: uuid.UUID | None = None
    action: str | None = None
    keep: str | None = None
    at: dt.datetime | None = None
    leaf_count: int = 0
    cells: list[str] = field(default_factory=list)


def plan_undo_get(*, user: AbstractBaseUser | AnonymousUser, plan: Plan) -> UndoState:
    """The viewer's last undoable change of a (visible) plan and the cells it set."""
    row = last_edit_batch(plan=plan, user=user)
    if row is None:
        return UndoState(available=False)
    cells = list(
        PlanChange.objects.filter(plan=plan, batch=row.batch)
        .exclude(cell="")
        .order_by("pk")
        .values_list("cell", flat=True)[:NAMED_CELLS]
    )
    return UndoState(
        available=True,
        batch=row.batch,
        action=row.action,
        keep=row.keep or None,
        at=row.created_at,
        leaf_count=row.leaf_count,
        cells=cells,
    )
