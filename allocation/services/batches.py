"""The leaves a grid change moved, stored with it (``EditBatch``) so it can be undone."""

from __future__ import annotations

import uuid
import zlib
from dataclasses import dataclass

import numpy as np
from django.contrib.auth.models import AbstractBaseUser

from allocation.models import EditBatch, Plan
from salesalloc.core.users import acting_user


@dataclass(frozen=True)
class MovedLeaves:
    """Target cell ids with their cents before and after one change (int64, same order)."""

    ids: np.ndarray
    old: np.ndarray
    new: np.ndarray


def _pack(ids: np.ndarray, old: np.ndarray, new: np.ndarray) -> bytes:
    table = np.stack(
        [np.asarray(a, dtype="<i8") for a in (ids, old, new)]
    )  # 3 x n, little-endian on every machine
    return zlib.compress(table.tobytes(), 1)


def moved_leaves(row: EditBatch) -> MovedLeaves:
    """The leaves stored with a batch."""
    raw = np.frombuffer(zlib.decompress(bytes(row.leaves)), dtype="<i8").reshape(3, -1)
    return MovedLeaves(
        ids=raw[0].astype(np.int64), old=raw[1].astype(np.int64), new=raw[2].astype(np.int64)
    )


def edit_batch_record(
    *,
    plan: Plan,
    batch: uuid.UUID,
    actor: AbstractBaseUser | None,
    action: str,
    keep: str,
    ids: np.ndarray,
    old: np.ndarray,
    new: np.ndarray,
) -> EditBatch:
    """Keep the leaves one change moved (ids, cents before and after) for an undo.

    Called by ``cells_apply`` inside its transaction, after the plan's revision went up:
    the row records that revision, so an undo can tell what came after it.
    """
    return EditBatch.objects.create(
        plan=plan,
        batch=batch,
        actor=acting_user(actor),
        action=action,
        keep=keep,
        revision=plan.revision,
        leaf_count=len(ids),
        leaves=_pack(ids, old, new),
    )
