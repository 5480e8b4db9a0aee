"""Writes for notifications: who hears about what, in the inbox and by e-mail.

Every ``notify_*`` decides the recipients of one event and calls ``notification_send``,
which writes the inbox rows in the caller's transaction and e-mails them after commit
through Django's mail backend (console by default, SMTP by settings). A ``key`` makes a
notification idempotent per recipient (reminders, alerts): sending it again does nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.mail import get_connection, send_mail
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone, translation

from allocation.models import Acknowledgement, OrgUnit, Plan, PlanChange, Salesperson
from performance.notifications.models import Notification
from performance.notifications.selectors import notification_render
from salesalloc.core.users import acting_user

if TYPE_CHECKING:
    from django.contrib.auth.models import User

Event = Notification.Event


def admins() -> list[User]:
    user_model = get_user_model()
    perm = Q(user_permissions__codename="manage_all") | Q(
        groups__permissions__codename="manage_all"
    )
    return list(
        user_model.objects.filter(is_active=True).filter(Q(is_superuser=True) | perm).distinct()
    )


def _path_ids(path: str) -> list[int]:
    return [int(part) for part in path.strip("/").split("/") if part]


def unit_managers(*, unit: OrgUnit) -> list[User]:
    """The managers of the nearest unit at or above ``unit`` that has any."""
    ids = _path_ids(unit.path)
    units = {u.pk: u for u in OrgUnit.objects.filter(pk__in=ids).prefetch_related("managers")}
    for pk in reversed(ids):
        managers = [m for m in units[pk].managers.all() if m.is_active] if pk in units else []
        if managers:
            return sorted(managers, key=lambda user: user.pk)
    return []


def notification_send(
    *,
    recipients: Iterable[User | None],
    event: str,
    params: dict[str, Any],
    url: str = "",
    key: str = "",
    exclude: AbstractBaseUser | None = None,
) -> list[Notification]:
    """Put one notification in each recipient's inbox and e-mail it after commit.

    Recipients are de-duplicated; ``exclude`` (usually the actor) hears nothing of their
    own action; with a ``key``, a recipient who already has it is skipped.
    """
    people = {
        user.pk: user
        for user in recipients
        if user is not None and user.is_active and (exclude is None or user.pk != exclude.pk)
    }
    if key:
        have = set(
            Notification.objects.filter(recipient_id__in=list(people), key=key).values_list(
                "recipient_id", flat=True
            )
        )
        people = {pk: user for pk, user in people.items() if pk not in have}
    rows = Notification.objects.bulk_create(
        Notification(recipient=user, event=event, params=params, url=url, key=key)
        for _pk, user in sorted(people.items())
    )
    ids = [row.pk for row in rows]
    if ids:
        transaction.on_commit(lambda: notifications_email(ids=ids))
    return rows


def notifications_email(*, ids: list[int]) -> int:
    """E-mail the given notifications to recipients with an address (idempotent)."""
    rows = list(
        Notification.objects.filter(pk__in=ids, emailed_at__isnull=True).select_related("recipient")
    )
    sent = 0
    connection = get_connection()
    with translation.override(settings.LANGUAGE_CODE):
        for row in rows:
            if not row.recipient.email:
                continue
            subject, body = notification_render(notification=row)
            link = f"\n\n{settings.SALESALLOC_SITE_URL.rstrip('/')}{row.url}" if row.url else ""
            sent += send_mail(
                subject,
                body + link,
                None,
                [row.recipient.email],
                connection=connection,
                fail_silently=True,
            )
    Notification.objects.filter(pk__in=[r.pk for r in rows]).update(emailed_at=timezone.now())
    return sent


# --- events ----------------------------------------------------------------------------------


def notify_plan_status(
    *, plan: Plan, action: str, actor: AbstractBaseUser | None, comment: str = ""
) -> list[Notification]:
    """Tell the people who act next: approvers of a submitted plan, the publisher of an
    approved one, the submitter of a rejected one, everyone with targets once published."""
    params = {"plan": plan.name, "version": plan.version, "comment": comment}
    detail = reverse("plan-detail", args=[plan.pk])
    if action == PlanChange.Action.SUBMIT:
        return notification_send(
            recipients=admins(),
            event=Event.PLAN_SUBMITTED,
            params=params,
            url=detail,
            exclude=actor,
        )
    if action == PlanChange.Action.APPROVE:
        return notification_send(
            recipients=admins(),
            event=Event.PLAN_APPROVED,
            params=params,
            url=detail,
            exclude=actor,
        )
    if action == PlanChange.Action.REJECT:
        author = [plan.created_by]
        return notification_send(
            recipients=author, event=Event.PLAN_REJECTED, params=params, url=detail, exclude=actor
        )
    if action == PlanChange.Action.PUBLISH:
        persons = list(plan.salespeople.select_related("user").filter(user__isnull=False))
        people = [person.user for person in persons]
        people_ids = {person.user_id for person in persons}
        managers = (
            get_user_model()
            .objects.filter(managed_org_units__path__startswith=plan.root_org_unit.path)
            .distinct()
        )
        sent = notification_send(
            recipients=people,
            event=Event.PLAN_PUBLISHED,
            params=params,
            url=reverse("my-targets"),
            exclude=actor,
        )
        return sent + notification_send(
            recipients=[m for m in managers if m.pk not in people_ids],
            event=Event.PLAN_PUBLISHED,
            params=params,
            url=detail,
            exclude=actor,
        )
    return []


def notify_dispute(
    *, acknowledgement: Acknowledgement, actor: AbstractBaseUser | None
) -> list[Notification]:
    """A disputed target reaches the salesperson's manager (or the admins, if none)."""
    if acknowledgement.status != Acknowledgement.Status.DISPUTED:
        return []
    person = Salesperson.objects.select_related("org_unit").get(pk=acknowledgement.salesperson_id)
    managers = unit_managers(unit=person.org_unit) or admins()
    plan = acknowledgement.plan
    return notification_send(
        recipients=managers,
        event=Event.DISPUTE,
        params={
            "plan": plan.name,
            "version": plan.version,
            "salesperson": f"{person.code} {person.name}",
            "comment": acknowledgement.comment,
        },
        url=reverse("alert-list"),
        exclude=actor,
    )


def notify_dispute_resolved(*, alert: Any, actor: AbstractBaseUser | None) -> list[Notification]:
    """The resolution of a dispute goes back to the salesperson who raised it."""
    person = alert.salesperson
    return notification_send(
        recipients=[person.user] if person.user_id else [],
        event=Event.DISPUTE_RESOLVED,
        params={
            "plan": alert.plan.name if alert.plan else "",
            "comment": alert.comment,
            "by": actor.get_username() if actor else "",
        },
        url=reverse("my-targets"),
        exclude=actor,
    )


def notify_alerts_opened(*, alerts: Sequence[Any]) -> list[Notification]:
    """Each new risk alert goes to its owner, once (a recompute opens hundreds at a time:
    one query for the keys already sent, one insert, one e-mail batch after commit)."""
    keyed = {f"alert:{alert.pk}": alert for alert in alerts if alert.owner is not None}
    keyed = {key: alert for key, alert in keyed.items() if alert.owner.is_active}
    if not keyed:
        return []
    sent = set(Notification.objects.filter(key__in=list(keyed)).values_list("key", flat=True))
    url = reverse("alert-list")
    rows = Notification.objects.bulk_create(
        Notification(
            recipient=alert.owner,
            event=Event.ALERT,
            params={
                "kind": alert.kind,
                "level": alert.level,
                "salesperson": f"{alert.salesperson.code} {alert.salesperson.name}",
                "period": alert.period,
            },
            url=url,
            key=key,
        )
        for key, alert in keyed.items()
        if key not in sent
    )
    ids = [row.pk for row in rows]
    if ids:
        transaction.on_commit(lambda: notifications_email(ids=ids))
    return rows


def notifications_remind_unacknowledged(*, today: dt.date | None = None) -> int:
    """Remind salespeople of published targets they have not answered after N days.

    At most one reminder per plan, person and day, however often it runs.
    """
    today = today or timezone.localdate()
    days = int(settings.SALESALLOC_ALERT_UNACKNOWLEDGED_DAYS)
    sent = 0
    for plan in Plan.objects.filter(
        status=Plan.Status.PUBLISHED,
        scenario_of__isnull=True,
        measure_of__isnull=True,  # people acknowledge the revenue plan, measures with it
        published_at__isnull=False,
    ).order_by("pk"):
        if (today - timezone.localdate(plan.published_at)).days < days:
            continue
        answered = Acknowledgement.objects.filter(plan=plan).values("salesperson_id")
        for person in (
            plan.salespeople.exclude(pk__in=answered)
            .filter(user__isnull=False)
            .select_related("user")
            .order_by("pk")
        ):
            sent += len(
                notification_send(
                    recipients=[person.user],
                    event=Event.REMINDER,
                    params={"plan": plan.name, "version": plan.version},
                    url=reverse("my-targets"),
                    key=f"reminder:{plan.pk}:{person.pk}:{today.isoformat()}",
                )
            )
    return sent


@transaction.atomic
def notification_mark_read(
    *, user: AbstractBaseUser | AnonymousUser | None, notification_ids: list[int] | None = None
) -> int:
    """Mark the user's notifications (all of them when ``notification_ids`` is None) read.

    An anonymous visitor has no inbox: nothing is marked.
    """
    recipient = acting_user(user)
    if recipient is None:
        return 0
    rows = Notification.objects.filter(recipient=recipient, read_at__isnull=True)
    if notification_ids is not None:
        rows = rows.filter(pk__in=notification_ids)
    return rows.update(read_at=timezone.now(), updated_at=timezone.now())
