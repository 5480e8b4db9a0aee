"""Alerts fire, update and close across repeated recomputes, never duplicated."""

import datetime as dt

import pytest
from django.core import mail
from django.db import IntegrityError, transaction
from django.utils import timezone

from allocation.models import Acknowledgement, Plan
from allocation.services import acknowledgement_record
from customers.services import order_actuals_refresh
from performance.alerts.models import Alert
from performance.alerts.services import AUTO_NOTE, alert_resolve, alerts_recompute
from performance.notifications.models import Notification
from tests.performance.tracking.conftest import AS_OF, line

pytestmark = pytest.mark.django_db


def _pace(company):
    return {
        a.salesperson.code: (a.pk, a.level, a.status)
        for a in Alert.objects.filter(kind="pace").select_related("salesperson")
    }


def test_pace_alerts_fire_update_and_close_without_duplicates(tracked):
    # given S-N2 (400 of ~1,262 expected) and S-S1 (3,000 of ~5,048) far behind on 15 March
    first = alerts_recompute(as_of=AS_OF)
    alerts = _pace(tracked)
    assert {code: level for code, (_pk, level, _s) in alerts.items()} == {
        "S-N2": "critical",
        "S-S1": "critical",
    }
    assert first.opened >= 2

    # when nothing changed, a second recompute changes nothing
    again = alerts_recompute(as_of=AS_OF)
    assert (again.opened, again.updated, again.resolved) == (0, 0, 0)
    assert _pace(tracked) == alerts
    assert Alert.objects.count() == Alert.objects.values("key").distinct().count()

    # when S-N2 sells 600 more it is behind less: the same alert turns into a warning
    line(dt.date(2019, 3, 11), tracked.north_peer, tracked.phones, "600.00")
    # and S-S1 catches up: its alert closes by itself with a note
    line(dt.date(2019, 3, 12), tracked.south_rep, tracked.chairs, "3000.00")
    order_actuals_refresh()
    result = alerts_recompute(as_of=AS_OF)

    after = _pace(tracked)
    assert after["S-N2"] == (alerts["S-N2"][0], "warning", "open")
    assert after["S-S1"] == (alerts["S-S1"][0], "critical", "resolved")
    closed = Alert.objects.get(pk=alerts["S-S1"][0])
    assert closed.comment == AUTO_NOTE
    assert closed.resolved_by is None
    assert result.resolved >= 1


def test_owner_is_the_nearest_manager_and_hears_once(tracked):
    alerts_recompute(as_of=AS_OF)
    alerts_recompute(as_of=AS_OF)

    north = Alert.objects.get(kind="pace", salesperson=tracked.north_peer)
    south = Alert.objects.get(kind="pace", salesperson=tracked.south_rep)
    assert north.owner == tracked.users["manager"]
    assert south.owner == tracked.users["other_manager"]
    told = Notification.objects.filter(recipient=tracked.users["manager"], event="alert")
    assert told.filter(key=f"alert:{north.pk}").count() == 1


def test_one_live_alert_per_key_is_enforced_by_the_database(tracked):
    alerts_recompute(as_of=AS_OF)
    alert = Alert.objects.filter(kind="pace").first()
    now = timezone.now()
    with pytest.raises(IntegrityError), transaction.atomic():
        Alert.objects.create(
            key=alert.key,
            kind=alert.kind,
            level=alert.level,
            salesperson=alert.salesperson,
            first_seen_at=now,
            last_seen_at=now,
        )


def test_concentration_alert_for_a_single_customer(tracked):
    alerts_recompute(as_of=AS_OF)
    found = Alert.objects.get(kind="concentration", salesperson=tracked.south_rep)
    assert found.level == "critical"  # one customer: 100 % and HHI 1
    assert found.details["top_share"] == "1.0000"


def test_unacknowledged_targets_after_seven_days(tracked):
    plan = Plan.objects.get(fiscal_year=2019)
    Plan.objects.filter(pk=plan.pk).update(published_at=timezone.now() - dt.timedelta(days=8))
    Acknowledgement.objects.create(
        plan=plan, salesperson=tracked.rep, status="acknowledged", acted_at=timezone.now()
    )
    alerts_recompute(as_of=AS_OF)
    waiting = set(
        Alert.objects.filter(kind="unacknowledged").values_list("salesperson__code", flat=True)
    )
    assert waiting == {"S-N2", "S-S1"}


def test_a_dispute_reaches_the_manager_and_its_resolution_goes_back(tracked):
    plan = Plan.objects.get(fiscal_year=2019)
    mail.outbox.clear()
    with transaction.atomic():
        acknowledgement_record(
            plan=plan,
            status="disputed",
            comment="Chairs are discontinued",
            actor=tracked.users["rep"],
        )
    note = Notification.objects.get(event="dispute")
    assert note.recipient == tracked.users["manager"]
    assert note.params["comment"] == "Chairs are discontinued"

    alerts_recompute(as_of=AS_OF)
    dispute = Alert.objects.get(kind="dispute")
    assert dispute.owner == tracked.users["manager"]
    alert_resolve(alert=dispute, actor=tracked.users["manager"], comment="Moved to tables")
    back = Notification.objects.get(event="dispute_resolved")
    assert back.recipient == tracked.users["rep"]
    assert back.params["comment"] == "Moved to tables"

    # the owner settled it: the next recompute does not reopen the same dispute
    alerts_recompute(as_of=AS_OF)
    assert Alert.objects.filter(kind="dispute").count() == 1
    assert Alert.objects.get(kind="dispute").status == "resolved"


def test_without_a_date_the_recompute_speaks_of_the_last_order_date(tracked):
    # the orders stop on 20 March 2019: the 2019 plan's pace is judged then, not today
    alerts_recompute()
    behind = set(Alert.objects.filter(kind="pace").values_list("salesperson__code", flat=True))
    assert behind == {"S-N2", "S-S1"}
