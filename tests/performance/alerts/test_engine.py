"""Alert rules without a database."""

from fractions import Fraction

from performance.alerts import engine
from performance.alerts.engine import Thresholds

T = Thresholds()


def test_pace_levels_follow_the_thresholds():
    rows = [(1, Fraction(95, 100)), (2, Fraction(89, 100)), (3, Fraction(74, 100)), (4, None)]
    found = {
        c.salesperson_id: c.level
        for c in engine.pace_conditions(rows=rows, period="2019", thresholds=T)
    }
    assert found == {2: "warning", 3: "critical"}


def test_the_same_condition_has_the_same_key():
    one = engine.pace_conditions(rows=[(7, Fraction(1, 2))], period="2019", thresholds=T)
    two = engine.pace_conditions(rows=[(7, Fraction(8, 10))], period="2019", thresholds=T)
    assert one[0].key == two[0].key == "pace:7:2019"
    assert (one[0].level, two[0].level) == ("critical", "warning")


def test_forecast_shortfall_against_the_target():
    rows = [(1, 9_600, 10_000), (2, 9_000, 10_000), (3, 7_000, 10_000), (4, 5_000, 0), (5, None, 1)]
    found = {
        c.salesperson_id: c.level
        for c in engine.forecast_conditions(rows=rows, period="2019", thresholds=T)
    }
    assert found == {2: "warning", 3: "critical"}


def test_concentration_top_share_and_hhi():
    # four equal customers: top 25 %, HHI 4 × (1/4)² = 0.25: at the thresholds, no alert
    assert engine.concentration([100, 100, 100, 100]) == (Fraction(1, 4), Fraction(1, 4))
    # 60/20/20: top 0.6, HHI 0.36 + 0.04 + 0.04 = 0.44; a return (≤ 0) does not count
    assert engine.concentration([600, 200, 200, -50]) == (Fraction(6, 10), Fraction(44, 100))
    assert engine.concentration([-5]) is None
    rows = [
        (1, 10, 100),
        (1, 11, 100),
        (1, 12, 100),
        (1, 13, 100),
        (2, 20, 600),
        (2, 21, 200),
        (2, 22, 200),
    ]
    found = engine.concentration_conditions(rows=rows, period="2019-03", thresholds=T)
    assert [(c.salesperson_id, c.level) for c in found] == [(2, "critical")]
    assert found[0].details["top_share"] == "0.6000"


def test_unacknowledged_after_n_days_only():
    assert (
        engine.unacknowledged_conditions(
            plan_id=3, period="2019", days_published=6, pending=[1], thresholds=T
        )
        == []
    )
    found = engine.unacknowledged_conditions(
        plan_id=3, period="2019", days_published=7, pending=[2, 1, 2], thresholds=T
    )
    assert [c.key for c in found] == ["unacknowledged:3:1", "unacknowledged:3:2"]
