"""Who hears about quota relief: the approvers when it is asked, the requester and the
person when it is decided, and the teammates whose targets took some of it over."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.urls import reverse

from allocation.models import OrgUnit, ReliefRequest, Salesperson
from performance.notifications.models import Notification
from performance.notifications.services import admins, notification_send, unit_managers
from salesalloc.core.users import acting_user

if TYPE_CHECKING:
    from django.contrib.auth.models import User

Event = Notification.Event


def relief_approvers(*, request: ReliefRequest) -> list[User]:
    """The managers who decide: those of the nearest unit at or above the request's
    approval level that has any (none there, or an admin-level request: the admins)."""
    if request.approval_path:
        unit = OrgUnit.objects.filter(path=request.approval_path).first()
        managers = unit_managers(unit=unit) if unit is not None else []
        if managers:
            return managers
    return admins()


def _params(request: ReliefRequest) -> dict[str, Any]:
    person = request.salesperson
    return {
        "id": request.pk,
        "plan": request.plan.name,
        "salesperson": f"{person.code} {person.name}",
        "reason": request.reason,
        "months": ", ".join(request.months),
        "status": request.status,
        "comment": request.decision_comment,
        "by": request.decided_by.get_username() if request.decided_by else "",
    }


def notify_relief_requested(
    *, request: ReliefRequest, actor: AbstractBaseUser | AnonymousUser | None
) -> list[Notification]:
    """A new request reaches the people who may decide it (not the one who asked)."""
    return notification_send(
        recipients=relief_approvers(request=request),
        event=Event.RELIEF_REQUESTED,
        params=_params(request),
        url=reverse("relief-detail", args=[request.pk]),
        key=f"relief:{request.pk}:requested",
        exclude=acting_user(actor),
    )


def notify_relief_decided(
    *, request: ReliefRequest, actor: AbstractBaseUser | AnonymousUser | None
) -> list[Notification]:
    """The decision goes to the requester and the person relieved; approved relief that
    was redistributed also tells each teammate whose targets went up."""
    person = Salesperson.objects.select_related("user").get(pk=request.salesperson_id)
    people = [request.requested_by, person.user]
    sent = notification_send(
        recipients=people,
        event=Event.RELIEF_DECIDED,
        params=_params(request),
        url=reverse("relief-detail", args=[request.pk]),
        key=f"relief:{request.pk}:{request.status}",
        exclude=acting_user(actor),
    )
    codes = {row["salesperson"] for row in (request.result or {}).get("redistributed", [])}
    if not codes:
        return sent
    users = (
        get_user_model().objects.filter(salesperson__code__in=codes, is_active=True).order_by("pk")
    )
    return sent + notification_send(
        recipients=list(users),
        event=Event.TARGETS_CHANGED,
        params={**_params(request), "plan_id": request.plan_id},
        url=reverse("my-targets"),
        key=f"relief:{request.pk}:targets",
        exclude=acting_user(actor),
    )
