"""Revenue moving into at-risk/lost RFM segments, between hand-made tier snapshots."""

from __future__ import annotations

import datetime as dt
from fractions import Fraction

import pytest

from customers.tiers.models import TierRun
from performance.alerts import engine
from performance.alerts.models import Alert
from performance.alerts.selectors import alert_message
from performance.alerts.services import AUTO_NOTE, alerts_recompute
from tests.factories import CustomerFactory
from tests.performance.costs.test_cost_pools import sale
from tests.performance.tier_snapshots import snapshot

pytestmark = pytest.mark.django_db

AS_OF = dt.date(2019, 11, 30)


def test_engine_levels_and_shift():
    # person 1: customers 10 (600) and 11 (400); a return (customer 12, −50) is left out
    rows = [(1, 10, 600), (1, 11, 400), (1, 12, -50), (2, 20, 100)]
    thresholds = engine.Thresholds()

    def find(now, before):
        return engine.at_risk_conditions(
            rows=rows,
            at_risk_now=now,
            at_risk_before=before,
            period="2019-11",
            thresholds=thresholds,
        )

    # 11 moves in: 400 / 1000 = 0.40 > 0.25 → critical
    (critical,) = find({11}, set())
    assert (critical.key, critical.level) == ("at_risk:1", "critical")
    assert critical.details["shift"] == "0.4000"
    assert critical.details["at_risk_cents"] == 400
    assert critical.details["revenue_cents"] == 1000
    # 20 % of person 1's revenue: 200 of 1000 → warning (0.10 < 0.20 ≤ 0.25)
    rows[1] = (1, 11, 200)
    rows[0] = (1, 10, 800)
    (warning,) = find({11}, set())
    assert warning.level == "warning"
    assert warning.details["shift"] == "0.2000"
    # already at risk in both snapshots: nothing moved, no alert; leaving the segment neither
    assert find({11, 20}, {11, 20}) == []
    assert find(set(), {11}) == []
    # exactly at the threshold does not fire: 100 of 1000
    rows[1] = (1, 11, 100)
    rows[0] = (1, 10, 900)
    assert find({11}, set()) == []
    assert Fraction(100, 1000) == thresholds.at_risk_shift


@pytest.fixture
def customers(company):
    a, b, c = (CustomerFactory() for _ in range(3))
    sale(company.rep, company.chairs, "600.00", "0", customer=a)
    sale(company.rep, company.chairs, "400.00", "0", customer=b)
    sale(company.south_rep, company.chairs, "1000.00", "0", customer=c)
    sale(company.rep, company.chairs, "5000.00", "0", day="2018-06-01", customer=b)  # too old
    snapshot(
        dt.date(2019, 10, 1),
        {a: ("loyal", "A", ""), b: ("champions", "B", ""), c: ("at_risk", "A", "")},
    )
    return a, b, c


def _at_risk():
    return [
        (code, level, status, details["shift"])
        for code, level, status, details in Alert.objects.filter(kind="at_risk")
        .order_by("pk")
        .values_list("salesperson__code", "level", "status", "details")
    ]


def test_fires_updates_and_closes_without_duplicates(company, customers, settings):
    a, b, c = customers
    # one snapshot only: nothing to compare with
    alerts_recompute(as_of=AS_OF)
    assert _at_risk() == []

    # a (600 of the rep's 1,000) slips into "at risk"; c was at risk already (no move)
    snapshot(
        dt.date(2019, 11, 1),
        {a: ("at_risk", "A", ""), b: ("champions", "B", ""), c: ("at_risk", "A", "")},
    )
    # a later failed run is ignored
    snapshot(dt.date(2019, 11, 20), {b: ("lost", "C", "")}, status=TierRun.Status.FAILED)
    alerts_recompute(as_of=AS_OF)
    assert _at_risk() == [("S-N1", "critical", "open", "0.6000")]
    alert = Alert.objects.get(kind="at_risk")
    assert alert.details["snapshot"] == "2019-11-01"
    assert alert.details["previous_snapshot"] == "2019-10-01"
    assert "60.0%" in alert_message(alert)

    again = alerts_recompute(as_of=AS_OF)
    assert (again.opened, again.updated, again.resolved) == (0, 0, 0)
    assert Alert.objects.filter(kind="at_risk").count() == 1

    # b goes "lost" too: against the previous snapshot 400 more of 1,000 moved → updated
    snapshot(
        dt.date(2019, 11, 15),
        {a: ("at_risk", "A", ""), b: ("lost", "B", ""), c: ("at_risk", "A", "")},
    )
    result = alerts_recompute(as_of=AS_OF)
    assert result.updated >= 1
    assert _at_risk() == [("S-N1", "critical", "open", "0.4000")]
    assert Alert.objects.get(kind="at_risk").pk == alert.pk

    # a higher critical threshold makes it a warning, still the same alert
    settings.SALESALLOC_ALERT_AT_RISK_SHIFT_CRITICAL = "0.50"
    alerts_recompute(as_of=AS_OF)
    assert _at_risk() == [("S-N1", "warning", "open", "0.4000")]

    # the next snapshot moves nothing: the condition ends and the alert closes with a note
    snapshot(
        dt.date(2019, 11, 29),
        {a: ("at_risk", "A", ""), b: ("lost", "B", ""), c: ("hibernating", "A", "")},
    )
    closed = alerts_recompute(as_of=AS_OF)
    assert closed.resolved >= 1
    assert _at_risk() == [("S-N1", "warning", "resolved", "0.4000")]
    assert Alert.objects.get(pk=alert.pk).comment == AUTO_NOTE


def test_threshold_is_configurable(company, customers, settings):
    a, b, c = customers
    snapshot(
        dt.date(2019, 11, 1),
        {a: ("at_risk", "A", ""), b: ("champions", "B", ""), c: ("at_risk", "A", "")},
    )
    settings.SALESALLOC_ALERT_AT_RISK_SHIFT = "0.60"  # the rep's shift is exactly 0.60
    settings.SALESALLOC_ALERT_AT_RISK_SHIFT_CRITICAL = "0.90"
    alerts_recompute(as_of=AS_OF)
    assert _at_risk() == []
    settings.SALESALLOC_ALERT_AT_RISK_SHIFT = "0.59"
    alerts_recompute(as_of=AS_OF)
    assert _at_risk() == [("S-N1", "warning", "open", "0.6000")]
