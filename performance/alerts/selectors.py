"""Reads for risk alerts: scoped lists, counts and each alert's message in the viewer's language."""

from __future__ import annotations

from decimal import Decimal

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _

from allocation.access import viewer_scope
from performance.alerts.models import Alert
from salesalloc.core.money import from_cents


def alert_list(
    *,
    user: AbstractBaseUser | AnonymousUser,
    status: str | None = None,
    level: str | None = None,
    kind: str | None = None,
) -> QuerySet[Alert]:
    """Alerts about the salespeople the viewer may see (a salesperson: their own)."""
    scope = viewer_scope(user=user)
    if scope.role == "none":
        return Alert.objects.none()
    alerts = Alert.objects.filter(scope.salesperson_q("salesperson__")).select_related(
        "salesperson", "owner", "plan"
    )
    if status:
        alerts = alerts.filter(status=status)
    if level:
        alerts = alerts.filter(level=level)
    if kind:
        alerts = alerts.filter(kind=kind)
    return alerts.order_by("status", "-last_seen_at", "-pk")


def alert_get(*, user: AbstractBaseUser | AnonymousUser, alert_id: int) -> Alert:
    """One visible alert or ``Http404``."""
    return get_object_or_404(alert_list(user=user), pk=alert_id)


def alert_open_count(*, user: AbstractBaseUser | AnonymousUser) -> int:
    """Open alerts the viewer sees (the navigation's badge)."""
    return alert_list(user=user, status=Alert.Status.OPEN).count()


def _percent(text: str | None) -> str:
    if not text:
        return "–"
    return f"{Decimal(text) * 100:.1f}%"


def alert_subject(alert: Alert) -> str:
    return f"{alert.salesperson.code} {alert.salesperson.name}"


def alert_message(alert: Alert) -> str:
    """What the alert says, from its details, in the active language."""
    d = alert.details or {}
    if alert.kind == Alert.Kind.PACE:
        return _("Pace %(pace)s is below %(threshold)s of the expected figure to date.") % {
            "pace": _percent(d.get("pace")),
            "threshold": _percent(d.get("threshold")),
        }
    if alert.kind == Alert.Kind.FORECAST:
        return _("Year-end forecast %(forecast)s is %(share)s of the target %(target)s.") % {
            "forecast": from_cents(int(d.get("forecast_cents", 0))),
            "share": _percent(d.get("share")),
            "target": from_cents(int(d.get("target_cents", 0))),
        }
    if alert.kind == Alert.Kind.CONCENTRATION:
        return _(
            "The top customer brings %(top)s of the last 12 months' revenue "
            "(HHI %(hhi)s over %(customers)s customers)."
        ) % {
            "top": _percent(d.get("top_share")),
            "hhi": d.get("hhi", "–"),
            "customers": d.get("customers", 0),
        }
    if alert.kind == Alert.Kind.AT_RISK:
        return _(
            "%(share)s of the last 12 months' revenue now comes from customers at risk or lost "
            "(tier snapshot of %(now)s), up from %(previous)s (snapshot of %(before)s)."
        ) % {
            "share": _percent(d.get("share")),
            "previous": _percent(d.get("previous_share")),
            "now": d.get("snapshot", "–"),
            "before": d.get("previous_snapshot", "–"),
        }
    if alert.kind == Alert.Kind.UNACKNOWLEDGED:
        return _("Targets published %(days)s days ago are not acknowledged yet.") % {
            "days": d.get("days", 0)
        }
    if alert.kind == Alert.Kind.DISPUTE:
        return _("Disputes the published targets: %(comment)s") % {"comment": d.get("comment", "")}
    return alert.kind
