"""Applying approved quota relief to a published plan's target leaves, exactly.

Called by ``relief_approve`` with the plan's row lock held. The relieved cents are split
over the person's covered leaves in proportion to their targets; then either absorbed
(every total above the person drops by the relief) or redistributed over the person's
teammates (the salespeople of the same org unit) leaf by leaf: each (product line, month)
piece goes to the teammates' leaves of that line and month, in proportion to their targets,
so every total of the team and above stays. Locks: a teammate leaf inside a locked cell
that does not also hold the relieved leaf takes nothing; locks and bounds of cells holding
relieved leaves give way to the approved decision, every other lock and bound must hold.
Every parent equals the sum of its children afterwards, because only leaves are stored.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from django.contrib.auth.models import AbstractBaseUser
from django.utils.translation import gettext as _

from allocation.engine.errors import AllocationError
from allocation.engine.exact import format_cents
from allocation.engine.relief import relief_cents, relief_redistribute, relief_split
from allocation.models import Acknowledgement, Plan, PlanChange, ReliefDistribution, ReliefRequest
from allocation.selectors import plan_leaves_frame
from allocation.services.cell_rules import db_cell_sum
from allocation.services.common import PlanRuleError, audit
from allocation.services.relief_rules import Coverage
from allocation.services.storage import target_amounts_update
from allocation.structure import Cell, OrgNode, PlanStructure
from salesalloc.core.exceptions import ConflictError
from salesalloc.core.money import from_cents, to_cents


@dataclass
class ReliefOutcome:
    """What an approval changed: the cents relieved out of the covered target, each leaf
    that moved (``salesperson_id, pl_id, m, old, new``) and the teammates who took some."""

    target_cents: int
    relieved_cents: int
    changes: pd.DataFrame
    receivers: list[int] = field(default_factory=list)


def _leaves(
    plan: Plan, structure: PlanStructure, people: list[int], cover: Coverage
) -> pd.DataFrame:
    frame = plan_leaves_frame(
        plan=plan,
        structure=structure,
        salesperson_ids=np.array(people, dtype=np.int64),
        pl_ids=np.array(cover.line_ids, dtype=np.int64),
        months=cover.months,
    )
    expected = len(people) * len(cover.line_ids) * len(cover.months)
    if len(frame) != expected:
        raise PlanRuleError(
            _("The grid of this plan is incomplete (%(have)s of %(want)s cells).")
            % {"have": len(frame), "want": expected}
        )
    codes = {pk: structure.members[pk].code for pk in people}
    lines = structure.pl_nodes
    labels = structure.fiscal.month_labels()
    frame["code"] = [codes[int(sp)] for sp in frame["salesperson_id"]]
    frame["key"] = [
        f"{codes[int(sp)]}|{lines[int(pl)].code}|{labels[int(m)]}"
        for sp, pl, m in zip(frame["salesperson_id"], frame["pl_id"], frame["m"], strict=True)
    ]
    return frame.sort_values("key").reset_index(drop=True)


def _slot_label(structure: PlanStructure, person: OrgNode, pl_id: int, m: int) -> str:
    line = structure.pl_nodes[pl_id].code
    return f"{person.code} · {line} · {structure.fiscal.month_labels()[m]}"


def _frozen(structure: PlanStructure, mine: pd.DataFrame, team: pd.DataFrame) -> np.ndarray:
    """Teammate leaves in a locked cell that does not hold the relieved leaf of their slot."""
    frozen = np.zeros(len(team), dtype=bool)
    team_slots = list(zip(team["pl_id"].astype(int), team["m"].astype(int), strict=True))
    for info in structure.constraints:
        if not info.locked:
            continue
        inside = structure.mask(info.cell, team)
        held = mine.loc[structure.mask(info.cell, mine), ["pl_id", "m"]]
        held_slots = set(zip(held["pl_id"].astype(int), held["m"].astype(int), strict=True))
        frozen |= inside & np.array([slot not in held_slots for slot in team_slots], dtype=bool)
    return frozen


def _redistributed(
    structure: PlanStructure,
    person: OrgNode,
    mine: pd.DataFrame,
    pieces: list[int],
    team: pd.DataFrame,
) -> np.ndarray:
    """What each teammate leaf gains (cents, in ``team`` order)."""
    frozen = _frozen(structure, mine, team)
    slots = list(zip(mine["pl_id"].astype(int), mine["m"].astype(int), strict=True))
    labels = {slot: _slot_label(structure, person, *slot) for slot in slots}
    receivers: dict[tuple[int, int], list[tuple[str, int]]] = {}
    rows: dict[tuple[int, int], list[int]] = {}
    for i, (pl, m, code, cents) in enumerate(
        zip(team["pl_id"], team["m"], team["code"], team["cents"], strict=True)
    ):
        if frozen[i]:
            continue
        slot = (int(pl), int(m))
        receivers.setdefault(slot, []).append((str(code), int(cents)))
        rows.setdefault(slot, []).append(i)
    try:
        given = relief_redistribute(
            pieces=dict(zip(slots, pieces, strict=True)), receivers=receivers, labels=labels
        )
    except AllocationError as error:
        raise ConflictError(
            _(
                "No unlocked teammate of %(person)s takes over %(cell)s. Approve the relief "
                "absorbed (the team's total drops) instead."
            )
            % {"person": person.code, "cell": error.child}
        ) from error
    gains = np.zeros(len(team), dtype=np.int64)
    for slot, amounts in given.items():
        for i, amount in zip(rows.get(slot, []), amounts, strict=True):
            gains[i] = amount
    return gains


def _check_others(
    plan: Plan,
    structure: PlanStructure,
    mine: pd.DataFrame,
    leaves: pd.DataFrame,
    old: np.ndarray,
    new: np.ndarray,
) -> None:
    """Locks and bounds of cells that hold no relieved leaf still hold (else refuse)."""
    for info in structure.constraints:
        if structure.mask(info.cell, mine).any():
            continue  # the approved decision is about these cells
        mask = structure.mask(info.cell, leaves)
        delta = int((new[mask] - old[mask]).sum())
        if delta == 0:
            continue
        label = info.cell.label
        if info.locked:
            raise PlanRuleError(_("Nothing was changed: %(cell)s is locked.") % {"cell": label})
        total = db_cell_sum(plan, structure, info.cell) + delta
        if info.max_cents is not None and total > info.max_cents:
            raise PlanRuleError(
                _("Nothing was changed: %(cell)s would be %(amount)s, above its maximum %(max)s.")
                % {
                    "cell": label,
                    "amount": format_cents(total),
                    "max": format_cents(info.max_cents),
                }
            )
        if info.min_cents is not None and total < info.min_cents:
            raise PlanRuleError(
                _("Nothing was changed: %(cell)s would be %(amount)s, below its minimum %(min)s.")
                % {
                    "cell": label,
                    "amount": format_cents(total),
                    "min": format_cents(info.min_cents),
                }
            )


def relief_cells_apply(
    *,
    plan: Plan,
    structure: PlanStructure,
    request: ReliefRequest,
    cover: Coverage,
    distribution: str,
    actor: AbstractBaseUser | None,
) -> ReliefOutcome:
    """Lower the person's covered leaves by the relief and absorb or redistribute it.

    1. Load the person's covered leaves (sorted by salesperson, line, month codes: ties).
    2. The relief in cents (the amount, or the share of the covered target, half up) is
       split over them in proportion to their targets (largest remainder).
    3. Redistribute: each piece goes to the unfrozen teammates' leaves of its line and
       month; absorb: the plan total drops by the relief.
    4. Check the other locks and bounds, write the leaves that moved, bump the revision,
       audit one ``PlanChange`` per leaf (one batch naming the request) and reset the
       acknowledgements of everyone whose targets changed.
    """
    person = structure.members.get(request.salesperson_id)
    if person is None:
        raise ConflictError(
            _("%(code)s no longer has targets in this plan.") % {"code": request.salesperson.code}
        )
    mine = _leaves(plan, structure, [person.id], cover)
    target, relief, pieces = _relief_pieces(request, mine)
    frames = [mine]
    new_parts = [mine["cents"].to_numpy(dtype=np.int64) - np.array(pieces, dtype=np.int64)]
    if distribution == ReliefDistribution.REDISTRIBUTE:
        team = _leaves(plan, structure, _teammates(structure, person), cover)
        frames.append(team)
        gains = _redistributed(structure, person, mine, pieces, team)
        new_parts.append(team["cents"].to_numpy(dtype=np.int64) + gains)
    leaves = pd.concat(frames, ignore_index=True)
    old = leaves["cents"].to_numpy(dtype=np.int64)
    new = np.concatenate(new_parts)
    _check_others(plan, structure, mine, leaves, old, new)
    changed = old != new
    target_amounts_update(ids=leaves["id"].to_numpy()[changed], cents=new[changed])
    moved = leaves.loc[changed, ["salesperson_id", "pl_id", "m"]].copy()
    moved["old"], moved["new"] = old[changed], new[changed]
    _plan_relieved(plan, relief=relief if distribution == ReliefDistribution.ABSORB else 0)
    _audit_leaves(plan, structure, request, moved, actor=actor, distribution=distribution)
    gained = moved.loc[moved["new"] > moved["old"], "salesperson_id"]
    receivers = sorted({int(sp) for sp in gained})
    Acknowledgement.objects.filter(plan=plan, salesperson_id__in=[person.id, *receivers]).delete()
    return ReliefOutcome(
        target_cents=target, relieved_cents=relief, changes=moved, receivers=receivers
    )


def _relief_pieces(request: ReliefRequest, mine: pd.DataFrame) -> tuple[int, int, list[int]]:
    """(covered target, relief, the relief's piece per covered leaf), all in cents."""
    target = int(mine["cents"].sum())
    amount = None if request.amount is None else to_cents(request.amount)
    if amount is not None and amount > target:
        raise ConflictError(
            _(
                "The target of those months is now %(target)s, less than the %(amount)s asked; "
                "reject the request so it can be asked again."
            )
            % {"target": format_cents(target), "amount": format_cents(amount)}
        )
    if target <= 0:
        raise ConflictError(_("There is no target left in those months to relieve."))
    try:
        relief = relief_cents(target=target, amount=amount, share=request.share)
        pieces = relief_split(
            targets=mine["cents"].tolist(), keys=mine["key"].tolist(), relief=relief
        )
    except AllocationError as error:
        raise PlanRuleError(
            _("Nothing was changed: %(detail)s.") % {"detail": error.message}
        ) from error
    return target, relief, pieces


def _teammates(structure: PlanStructure, person: OrgNode) -> list[int]:
    """The other salespeople of the person's org unit in the plan, by code."""
    mates = sorted(
        (
            m.id
            for m in structure.members.values()
            if m.parent_opath == person.parent_opath and m.id != person.id
        ),
        key=lambda pk: structure.members[pk].code,
    )
    if not mates:
        raise ConflictError(
            _(
                "%(code)s has no teammates in this plan to take over the relief; approve "
                "it absorbed."
            )
            % {"code": person.code}
        )
    return mates


def _plan_relieved(plan: Plan, *, relief: int) -> None:
    """A new revision (cached figures follow it); an absorbed relief lowers the total."""
    fields = ["revision", "updated_at"]
    if relief:
        plan.total_amount = from_cents(to_cents(plan.total_amount) - relief)
        fields.append("total_amount")
    plan.revision += 1
    plan.save(update_fields=fields)


def _audit_leaves(
    plan: Plan,
    structure: PlanStructure,
    request: ReliefRequest,
    moved: pd.DataFrame,
    *,
    actor: AbstractBaseUser | None,
    distribution: str,
) -> None:
    """One audit row per leaf that moved, one batch, each naming the request."""
    batch = uuid.uuid4()
    labels = structure.fiscal.month_labels()
    reason = _("Quota relief #%(id)s (%(reason)s): %(description)s") % {
        "id": request.pk,
        "reason": request.get_reason_display(),
        "description": request.description or "–",
    }
    rows = [
        audit(
            plan=plan,
            actor=actor,
            action=PlanChange.Action.RELIEF,
            cell=Cell(structure.members[int(sp)], structure.pl_nodes[int(pl)], labels[int(m)]),
            old_cents=int(o),
            new_cents=int(n),
            reason=reason,
            leaf_count=1,
            batch=batch,
            details={
                "relief_request": request.pk,
                "distribution": distribution,
                "salesperson": request.salesperson.code,
            },
            save=False,
        )
        for sp, pl, m, o, n in zip(
            moved["salesperson_id"],
            moved["pl_id"],
            moved["m"],
            moved["old"],
            moved["new"],
            strict=True,
        )
    ]
    PlanChange.objects.bulk_create(rows)


def relief_result(
    structure: PlanStructure, outcome: ReliefOutcome, person_id: int
) -> dict[str, Any]:
    """The request's stored ``result``: every leaf that moved, by codes, as money strings."""
    labels = structure.fiscal.month_labels()

    def rows(own: bool) -> list[dict[str, str]]:
        frame = outcome.changes
        pick = frame[(frame["salesperson_id"] == person_id) == own]
        return [
            {
                "salesperson": structure.members[int(sp)].code,
                "product_line": structure.pl_nodes[int(pl)].code,
                "month": labels[int(m)],
                "old": f"{from_cents(int(o))}",
                "new": f"{from_cents(int(n))}",
            }
            for sp, pl, m, o, n in zip(
                pick["salesperson_id"],
                pick["pl_id"],
                pick["m"],
                pick["old"],
                pick["new"],
                strict=True,
            )
        ]

    return {"relieved": rows(True), "redistributed": rows(False)}
