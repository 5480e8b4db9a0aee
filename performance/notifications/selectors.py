"""Reads for notifications: the viewer's inbox and each message's text in their language."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from performance.notifications.models import Notification
from salesalloc.core.users import acting_user

Event = Notification.Event


def notification_list(*, user: AbstractBaseUser | AnonymousUser) -> QuerySet[Notification]:
    """The viewer's own notifications, newest first (nobody reads anyone else's)."""
    recipient = acting_user(user)
    if recipient is None:
        return Notification.objects.none()
    return Notification.objects.filter(recipient=recipient).order_by("-created_at", "-id")


def notification_unread_count(*, user: AbstractBaseUser | AnonymousUser) -> int:
    return notification_list(user=user).filter(read_at__isnull=True).count()


def _alert_kind(kind: str) -> str:
    from performance.alerts.models import Alert

    return str(dict(Alert.Kind.choices).get(kind, kind))


def _alert_level(level: str) -> str:
    from performance.alerts.models import Alert

    return str(dict(Alert.Level.choices).get(level, level))


def _relief_values(p: dict[str, object]) -> dict[str, object]:
    from allocation.models import ReliefRequest

    reasons = dict(ReliefRequest.Reason.choices)
    statuses = dict(ReliefRequest.Status.choices)
    return {
        **p,
        "reason": str(reasons.get(str(p.get("reason", "")), p.get("reason", ""))),
        "status": str(statuses.get(str(p.get("status", "")), p.get("status", ""))).lower(),
    }


def _relief_render(event: str, p: dict[str, object]) -> tuple[str, str]:
    values = _relief_values(p)
    if event == Event.RELIEF_REQUESTED:
        subject = _("%(salesperson)s asks for quota relief in %(plan)s") % values
        body = (
            _(
                "Relief request #%(id)s for %(salesperson)s in %(plan)s (%(reason)s, "
                "%(months)s) waits for your decision."
            )
            % values
        )
    elif event == Event.RELIEF_DECIDED:
        subject = _("Quota relief #%(id)s for %(salesperson)s was %(status)s") % values
        body = (
            _("%(by)s decided relief request #%(id)s in %(plan)s: %(status)s. %(comment)s") % values
        )
    else:
        subject = _("Your targets in %(plan)s changed") % values
        body = (
            _(
                "Relief for %(salesperson)s (%(months)s) was approved and redistributed over "
                "the team: your targets in %(plan)s went up. Check and acknowledge them."
            )
            % values
        )
    return subject, body.strip()


def notification_render(*, notification: Notification) -> tuple[str, str]:
    """(subject, body) of a notification in the active language."""
    p = {k: ("" if v is None else v) for k, v in notification.params.items()}
    event = notification.event
    if event == Event.PLAN_SUBMITTED:
        subject = _("Plan %(plan)s (v%(version)s) waits for your approval") % p
        body = _("The plan %(plan)s (v%(version)s) was submitted for approval.") % p
    elif event == Event.PLAN_APPROVED:
        subject = _("Plan %(plan)s (v%(version)s) is approved and can be published") % p
        body = (
            _("The plan %(plan)s (v%(version)s) was approved; publish it to set the targets.") % p
        )
    elif event == Event.PLAN_REJECTED:
        subject = _("Plan %(plan)s (v%(version)s) was sent back to draft") % p
        body = _("The plan %(plan)s (v%(version)s) went back to draft: %(comment)s") % p
    elif event == Event.PLAN_PUBLISHED:
        subject = _("Targets of %(plan)s (v%(version)s) are published") % p
        body = (
            _("The plan %(plan)s (v%(version)s) is published. Check and acknowledge your targets.")
            % p
        )
    elif event == Event.DISPUTE:
        subject = _("%(salesperson)s disputes their targets in %(plan)s") % p
        body = (
            _("%(salesperson)s disputes their targets in %(plan)s (v%(version)s): %(comment)s") % p
        )
    elif event == Event.DISPUTE_RESOLVED:
        subject = _("Your dispute of %(plan)s was resolved") % p
        body = _("%(by)s resolved your dispute of %(plan)s: %(comment)s") % p
    elif event == Event.REMINDER:
        subject = _("Please acknowledge your targets in %(plan)s") % p
        body = (
            _(
                "Your targets in %(plan)s (v%(version)s) are published and still wait for "
                "your acknowledgement."
            )
            % p
        )
    elif event == Event.ALERT:
        values = {
            **p,
            "kind": _alert_kind(p.get("kind", "")),
            "level": _alert_level(p.get("level", "")),
        }
        subject = _("%(level)s: %(kind)s for %(salesperson)s") % values
        body = (
            _("A risk alert was raised: %(kind)s (%(level)s) for %(salesperson)s, %(period)s.")
            % values
        )
    elif event in {Event.RELIEF_REQUESTED, Event.RELIEF_DECIDED, Event.TARGETS_CHANGED}:
        subject, body = _relief_render(event, p)
    else:
        subject = body = str(event)
    return subject, body
