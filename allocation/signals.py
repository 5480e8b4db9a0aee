"""Documented signals of a plan's life, for apps above ``allocation`` that must react.

``allocation`` imports no app above it (DESIGN §2); these let ``performance`` tell people
what happened (notifications) and the roof recompute what follows from targets, without
``allocation`` knowing about it. All are sent inside the service's transaction, after the
change is saved, so a receiver's writes commit or roll back with it (and work that must
wait for the commit is deferred with ``transaction.on_commit`` by the receiver).

- ``plan_status_changed(plan, action, actor, comment)``: a plan moved through its lifecycle;
  ``action`` is a ``PlanChange.Action`` value ("submit", "approve", "reject", "publish",
  "archive").
- ``acknowledgement_recorded(acknowledgement, actor)``: a salesperson acknowledged or
  disputed their published targets.
- ``relief_requested(request, actor)``: someone asked for quota relief (``ReliefRequest``).
- ``relief_decided(request, actor)``: a relief request was approved, rejected or withdrawn.
- ``plan_targets_changed(plan, cells, actor)``: the targets of a *published* plan changed in
  place (approved relief); ``cells`` are the (salesperson id, month date) pairs that moved.
"""

from django.dispatch import Signal

plan_status_changed = Signal()
acknowledgement_recorded = Signal()
relief_requested = Signal()
relief_decided = Signal()
plan_targets_changed = Signal()
