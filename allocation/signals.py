"""Documented signals of a plan's life, for apps above ``allocation`` that must react.

``allocation`` imports no app above it (DESIGN §2); these let ``performance`` tell people
what happened (notifications) without ``allocation`` knowing about it. Both are sent inside
the service's transaction, after the change is saved, so a receiver's writes commit or roll
back with it.

- ``plan_status_changed(plan, action, actor, comment)``: a plan moved through its lifecycle;
  ``action`` is a ``PlanChange.Action`` value ("submit", "approve", "reject", "publish",
  "archive").
- ``acknowledgement_recorded(acknowledgement, actor)``: a salesperson acknowledged or
  disputed their published targets.
"""

from django.dispatch import Signal

plan_status_changed = Signal()
acknowledgement_recorded = Signal()
