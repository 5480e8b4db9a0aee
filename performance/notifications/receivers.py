"""Receivers of ``allocation.signals``: plan lifecycle, acknowledgements and quota relief ->
notifications."""

from __future__ import annotations

from typing import Any

from django.dispatch import receiver

from allocation.signals import (
    acknowledgement_recorded,
    plan_status_changed,
    relief_decided,
    relief_requested,
)


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


@receiver(relief_requested, dispatch_uid="performance.notifications.relief_requested")
def on_relief_requested(sender: Any, request: Any, actor: Any, **kwargs: Any) -> None:
    from performance.notifications.relief import notify_relief_requested

    notify_relief_requested(request=request, actor=actor)


@receiver(relief_decided, dispatch_uid="performance.notifications.relief_decided")
def on_relief_decided(sender: Any, request: Any, actor: Any, **kwargs: Any) -> None:
    from performance.notifications.relief import notify_relief_decided

    notify_relief_decided(request=request, actor=actor)
