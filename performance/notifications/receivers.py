"""Receivers of ``allocation.signals``: plan lifecycle and acknowledgements -> notifications."""

from __future__ import annotations

from typing import Any

from django.dispatch import receiver

from allocation.signals import acknowledgement_recorded, plan_status_changed


@receiver(plan_status_changed, dispatch_uid="performance.notifications.plan_status_changed")
def on_plan_status_changed(sender: Any, plan: Any, action: str, actor: Any, **kwargs: Any) -> None:
    from performance.notifications.services import notify_plan_status

    notify_plan_status(plan=plan, action=action, actor=actor, comment=kwargs.get("comment", ""))


@receiver(acknowledgement_recorded, dispatch_uid="performance.notifications.acknowledgement")
def on_acknowledgement_recorded(
    sender: Any, acknowledgement: Any, actor: Any, **kwargs: Any
) -> None:
    from performance.notifications.services import notify_dispute

    notify_dispute(acknowledgement=acknowledgement, actor=actor)
