"""Writes for risk alerts: the recompute that finds them, and their lifecycle.

``alerts_recompute`` runs after every import's actuals refresh and nightly (wired in
``salesalloc/pipeline.py``). It evaluates every rule, then reconciles with the live alerts
by ``key`` under a lock: a condition found again updates its alert, a new one opens an
alert (and tells its owner), a live alert whose condition is gone is resolved with a note.
Running it twice in a row changes nothing the second time.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import TYPE_CHECKING

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import BigIntegerField, Q, Sum
from django.db.models.functions import Cast, Round
from django.utils import timezone
from django.utils.translation import gettext as _

from allocation.access import ViewerScope
from allocation.models import Acknowledgement, OrgUnit, Plan, Salesperson
from allocation.selectors import published_plan_list
from customers.credit.selectors import credited_parts
from customers.selectors import order_last_date
from customers.tiers.selectors import (
    customer_ids_in_segments,
    tier_run_latest_succeeded,
    tier_run_previous_succeeded,
)
from performance.alerts import engine
from performance.alerts.engine import Condition, Thresholds
from performance.alerts.models import Alert
from performance.tracking.selectors import attainment_compute
from salesalloc.core.exceptions import ConflictError
from salesalloc.core.money import MoneySum
from salesalloc.core.users import acting_user

if TYPE_CHECKING:
    from django.contrib.auth.models import User

AUTO_NOTE = "condition-ended"
_ADMIN_SCOPE = ViewerScope(user_id=None, is_admin=True, managed_paths=(), salesperson_id=None)


def alert_thresholds() -> Thresholds:
    """The configured thresholds (settings ``SALESALLOC_ALERT_*``)."""
    return Thresholds(
        pace_warning=Fraction(str(settings.SALESALLOC_ALERT_PACE_WARNING)),
        pace_critical=Fraction(str(settings.SALESALLOC_ALERT_PACE_CRITICAL)),
        forecast_shortfall=Fraction(str(settings.SALESALLOC_ALERT_FORECAST_SHORTFALL)),
        top_customer_share=Fraction(str(settings.SALESALLOC_ALERT_TOP_CUSTOMER_SHARE)),
        hhi=Fraction(str(settings.SALESALLOC_ALERT_HHI)),
        unacknowledged_days=int(settings.SALESALLOC_ALERT_UNACKNOWLEDGED_DAYS),
        at_risk_shift=Fraction(str(settings.SALESALLOC_ALERT_AT_RISK_SHIFT)),
        at_risk_shift_critical=Fraction(str(settings.SALESALLOC_ALERT_AT_RISK_SHIFT_CRITICAL)),
    )


@dataclass(frozen=True)
class AlertsRecomputeResult:
    opened: int
    updated: int
    resolved: int


def _figure_conditions(plan: Plan, as_of: dt.date, thresholds: Thresholds) -> list[Condition]:
    """Pace and forecast of every salesperson in the plan's part of the company."""
    period = str(plan.fiscal_year)
    pace_rows: list[tuple[int, Fraction | None]] = []
    forecast_rows: list[tuple[int, int | None, int | None]] = []
    codes = dict(Salesperson.objects.values_list("code", "pk"))
    result = attainment_compute(
        scope=_ADMIN_SCOPE,
        target=plan.root_org_unit,
        line=None,
        plan=plan,
        year=plan.fiscal_year,
        as_of=as_of,
        people=True,
    )
    for child in result.children:
        figures = child.figures
        if not figures.target:
            continue  # no target: nothing to be behind on
        person = codes[child.node.code]
        pace_rows.append((person, figures.pace))
        forecast_rows.append((person, figures.forecast_statistical, figures.target))
    return [
        *engine.pace_conditions(rows=pace_rows, period=period, thresholds=thresholds),
        *engine.forecast_conditions(rows=forecast_rows, period=period, thresholds=thresholds),
    ]


def _trailing_revenue(as_of: dt.date) -> list[tuple[int, int, int]]:
    """Revenue per salesperson × customer over the 12 months up to ``as_of`` (one query)."""
    since = as_of - dt.timedelta(days=365)
    parts = credited_parts(where=Q(order_date__gt=since, order_date__lte=as_of))
    lines, credits = parts
    cents = Cast(Round(Sum("amount") * 100), BigIntegerField())
    if credits is None:
        rows = lines.order_by().values_list("salesperson_id", "customer_id").annotate(c=cents)
        return [(sp, customer, int(c or 0)) for sp, customer, c in rows]
    # A split line counts for each credited salesperson with their part; the parts add up
    # exactly before the total is rounded to the cent.
    exact: dict[tuple[int, int], Decimal] = {}
    for part in parts:
        assert part is not None  # noqa: S101 - both parts exist here
        for sp, customer, amount in (
            part.order_by()
            .values_list("salesperson_id", "customer_id")
            .annotate(a=MoneySum("amount"))
        ):
            exact[(sp, customer)] = exact.get((sp, customer), Decimal(0)) + (amount or 0)
    return [
        (sp, customer, int((total * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP)))
        for (sp, customer), total in exact.items()
    ]


def _concentration_conditions(
    as_of: dt.date, thresholds: Thresholds, rows: list[tuple[int, int, int]]
) -> list[Condition]:
    return engine.concentration_conditions(
        rows=rows, period=f"{as_of:%Y-%m}", thresholds=thresholds
    )


def _at_risk_conditions(
    thresholds: Thresholds, rows: list[tuple[int, int, int]]
) -> list[Condition]:
    """Trailing revenue moving into at-risk/lost segments between the latest succeeded tier
    snapshot and the one before it (none without two snapshots)."""
    latest = tier_run_latest_succeeded()
    previous = tier_run_previous_succeeded(run=latest) if latest is not None else None
    if latest is None or previous is None:
        return []
    return engine.at_risk_conditions(
        rows=rows,
        at_risk_now=customer_ids_in_segments(run=latest, segments=engine.AT_RISK_SEGMENTS),
        at_risk_before=customer_ids_in_segments(run=previous, segments=engine.AT_RISK_SEGMENTS),
        period=f"{latest.as_of:%Y-%m}",
        thresholds=thresholds,
        details={
            "snapshot": latest.as_of.isoformat(),
            "previous_snapshot": previous.as_of.isoformat(),
        },
    )


def _plan_conditions(plan: Plan, today: dt.date, thresholds: Thresholds) -> list[Condition]:
    answers = dict(
        Acknowledgement.objects.filter(plan=plan).values_list("salesperson_id", "status")
    )
    members = list(plan.salespeople.values_list("pk", flat=True))
    days = (today - timezone.localdate(plan.published_at)).days if plan.published_at else 0
    disputes = [
        (sp, comment, acted_at.isoformat())
        for sp, comment, acted_at in Acknowledgement.objects.filter(
            plan=plan, status=Acknowledgement.Status.DISPUTED
        ).values_list("salesperson_id", "comment", "acted_at")
    ]
    return [
        *engine.unacknowledged_conditions(
            plan_id=plan.pk,
            period=str(plan.fiscal_year),
            days_published=days,
            pending=[pk for pk in members if pk not in answers],
            thresholds=thresholds,
        ),
        *engine.dispute_conditions(
            plan_id=plan.pk, period=str(plan.fiscal_year), disputes=disputes
        ),
    ]


def alert_owner(*, salesperson: Salesperson) -> User | None:
    """Who acts on an alert about ``salesperson``: a manager of the nearest managed unit."""
    ids = [int(part) for part in salesperson.org_unit.path.strip("/").split("/") if part]
    units = {u.pk: u for u in OrgUnit.objects.filter(pk__in=ids).prefetch_related("managers")}
    for pk in reversed(ids):
        managers = sorted(units[pk].managers.all(), key=lambda user: user.pk) if pk in units else []
        if managers:
            return managers[0]
    return None


ALERTS_LOCK_ID = 0x5A1E_A1E7  # any constant: one lock for every alerts recompute


def _reconcile_lock() -> None:
    """Serialise alerts recomputes for the rest of the transaction.

    Two recomputes at once (an import's and the nightly one) would both open the alert of a
    new condition; the partial unique key would refuse the second. PostgreSQL: a
    transaction-level advisory lock. SQLite needs none: its transactions start IMMEDIATE
    (settings), so writers already take turns.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [ALERTS_LOCK_ID])


def _settled_by_people(keys: list[str]) -> dict[str, Alert]:
    """The latest alert per key that a person resolved (one query)."""
    out: dict[str, Alert] = {}
    for alert in Alert.objects.filter(
        key__in=keys, status=Alert.Status.RESOLVED, resolved_by__isnull=False
    ).order_by("key", "-resolved_at", "-pk"):
        out.setdefault(alert.key, alert)
    return out


def _worse(condition: Condition, earlier: Alert) -> bool:
    """Whether a condition its owner resolved deserves a new alert.

    A rise from warning to critical does; so does a new dispute (another answer).
    """
    if condition.level == engine.CRITICAL and earlier.level != engine.CRITICAL:
        return True
    return condition.kind == engine.DISPUTE and condition.details != earlier.details


@transaction.atomic
def alerts_recompute(
    *, as_of: dt.date | None = None, actor: AbstractBaseUser | None = None
) -> AlertsRecomputeResult:
    """Evaluate every rule as of ``as_of`` and reconcile the live alerts.

    ``as_of`` defaults to today, or to the last order date when no order is that recent.

    Idempotent: one live alert per condition key (a partial unique constraint backs it);
    recomputes take turns (``_reconcile_lock``), so two at once give the same alerts.
    """
    _reconcile_lock()
    today = timezone.localdate()
    if as_of is None:
        # The data's "now": today, or the last order date when the orders stop earlier
        # (historic data, a demo), so pace and concentration speak of real figures.
        last = order_last_date()
        as_of = min(today, last) if last else today
    thresholds = alert_thresholds()
    conditions: list[Condition] = []
    # One published plan per year covers each org unit: every plan of the year speaks for
    # its own part of the company, no person twice.
    for plan in published_plan_list(fiscal_year=as_of.year):
        conditions += _figure_conditions(plan, as_of, thresholds)
    for published in Plan.objects.filter(
        status=Plan.Status.PUBLISHED, scenario_of__isnull=True, measure_of__isnull=True
    ).order_by("pk"):
        conditions += _plan_conditions(published, today, thresholds)
    trailing = _trailing_revenue(as_of)
    conditions += _concentration_conditions(as_of, thresholds, trailing)
    conditions += _at_risk_conditions(thresholds, trailing)
    return _reconcile(conditions)


def _reconcile(conditions: list[Condition]) -> AlertsRecomputeResult:
    """Match the conditions found with the live alerts by key (under the caller's lock):
    update the ones found again, open (and announce) new ones unless their owner resolved
    them and nothing got worse, resolve the live ones whose condition is gone."""
    from performance.notifications.services import notify_alerts_opened

    now = timezone.now()
    live = {
        alert.key: alert
        for alert in Alert.objects.select_for_update()
        .exclude(status=Alert.Status.RESOLVED)
        .order_by("pk")
    }
    people = Salesperson.objects.select_related("org_unit").in_bulk(
        {c.salesperson_id for c in conditions}
    )
    settled = _settled_by_people([c.key for c in conditions if c.key not in live])
    opened = updated = resolved = 0
    found = set()
    seen_again: list[int] = []  # live alerts found unchanged: one UPDATE for all of them
    owners: dict[int, User | None] = {}  # per org unit: the nearest manager
    new: list[Alert] = []  # opened: inserted in one batch, then announced
    for condition in conditions:
        found.add(condition.key)
        alert = live.get(condition.key)
        earlier = settled.get(condition.key)
        if alert is None and earlier is not None and not _worse(condition, earlier):
            continue  # its owner resolved it and nothing got worse since
        if alert is not None and alert.pk is None:  # opened earlier in this pass
            alert.level, alert.details = condition.level, condition.details
            continue
        if alert is not None:
            if alert.level == condition.level and alert.details == condition.details:
                seen_again.append(alert.pk)
                continue
            alert.level = condition.level
            alert.details = condition.details
            alert.last_seen_at = now
            alert.save(update_fields=["level", "details", "last_seen_at", "updated_at"])
            updated += 1
            continue
        person = people[condition.salesperson_id]
        if person.org_unit_id not in owners:
            owners[person.org_unit_id] = alert_owner(salesperson=person)
        alert = Alert(
            key=condition.key,
            kind=condition.kind,
            level=condition.level,
            salesperson=person,
            plan_id=condition.plan_id,
            period=condition.period,
            details=condition.details,
            owner=owners[person.org_unit_id],
            first_seen_at=now,
            last_seen_at=now,
        )
        # Its salesperson, plan and owner come from our own rows: no query per key to check.
        alert.full_clean(exclude=["salesperson", "plan", "owner"], validate_constraints=False)
        new.append(alert)
        live[alert.key] = alert
    Alert.objects.bulk_create(new, batch_size=1000)
    notify_alerts_opened(alerts=new)
    opened = len(new)
    for start in range(0, len(seen_again), 5000):
        Alert.objects.filter(pk__in=seen_again[start : start + 5000]).update(
            last_seen_at=now, updated_at=now
        )
    for key, alert in live.items():
        if key in found:
            continue
        alert.status = Alert.Status.RESOLVED
        alert.resolved_at = now
        alert.resolved_by = None
        alert.comment = AUTO_NOTE
        alert.save(update_fields=["status", "resolved_at", "resolved_by", "comment", "updated_at"])
        resolved += 1
    return AlertsRecomputeResult(opened=opened, updated=updated, resolved=resolved)


def _locked(alert: Alert) -> Alert:
    return Alert.objects.select_for_update().select_related("salesperson").get(pk=alert.pk)


@transaction.atomic
def alert_acknowledge(
    *, alert: Alert, actor: AbstractBaseUser | AnonymousUser | None, comment: str = ""
) -> Alert:
    """Open -> acknowledged: someone owns it now (the actor becomes its owner)."""
    alert = _locked(alert)
    if alert.status != Alert.Status.OPEN:
        raise ConflictError(_("Only an open alert can be acknowledged."))
    user = acting_user(actor)
    alert.status = Alert.Status.ACKNOWLEDGED
    alert.acknowledged_by = user
    alert.acknowledged_at = timezone.now()
    alert.owner = user
    alert.comment = (comment or "").strip()
    alert.save(
        update_fields=[
            "status",
            "acknowledged_by",
            "acknowledged_at",
            "owner",
            "comment",
            "updated_at",
        ]
    )
    return alert


@transaction.atomic
def alert_resolve(
    *, alert: Alert, actor: AbstractBaseUser | AnonymousUser | None, comment: str
) -> Alert:
    """Open or acknowledged -> resolved, saying how (a comment is required).

    Resolving a dispute tells the salesperson how it was settled.
    """
    from performance.notifications.services import notify_dispute_resolved

    comment = (comment or "").strip()
    if not comment:
        raise ValidationError({"comment": _("Say how the alert was resolved.")})
    alert = _locked(alert)
    if alert.status == Alert.Status.RESOLVED:
        raise ConflictError(_("This alert is already resolved."))
    user = acting_user(actor)
    alert.status = Alert.Status.RESOLVED
    alert.resolved_by = user
    alert.resolved_at = timezone.now()
    alert.comment = comment
    if alert.owner_id is None:
        alert.owner = user
    alert.save(
        update_fields=["status", "resolved_by", "resolved_at", "comment", "owner", "updated_at"]
    )
    if alert.kind == Alert.Kind.DISPUTE:
        notify_dispute_resolved(alert=alert, actor=user)
    return alert
