"""Tracking maths without a database: worked examples derived here, and the forecast."""

import datetime as dt
from fractions import Fraction

import pytest

from performance.tracking import engine


def test_day_targets_to_date_uses_the_plans_day_split():
    # given 10.03 over 5 working days: 2.00 each and 3 leftover cents to the earliest days
    days = [dt.date(2019, 6, d) for d in (3, 4, 5, 6, 10)]
    per_day = [201, 201, 201, 200, 200]
    assert sum(per_day) == 1003

    # then up to and including the 5th: the first three days
    assert engine.day_targets_to_date(
        month_totals=[1003], working_days=days, as_of=dt.date(2019, 6, 5)
    ) == sum(per_day[:3])
    # each salesperson's total is split on its own, as the plan's day targets are
    assert (
        engine.day_targets_to_date(
            month_totals=[1003, 500], working_days=days, as_of=dt.date(2019, 6, 5)
        )
        == 603 + 300
    )
    # a weekend after the 6th adds nothing; the month's end gives the whole target
    assert engine.day_targets_to_date(
        month_totals=[1003], working_days=days, as_of=dt.date(2019, 6, 9)
    ) == sum(per_day[:4])
    assert (
        engine.day_targets_to_date(
            month_totals=[1003], working_days=days, as_of=dt.date(2019, 6, 30)
        )
        == 1003
    )
    assert (
        engine.day_targets_to_date(
            month_totals=[1003], working_days=days, as_of=dt.date(2019, 6, 2)
        )
        == 0
    )


def test_node_figures_worked_example():
    # given FY2019, 1,000.00 a month, as of 15 March with half of March's target expected
    months = engine.fiscal_months(2019)
    targets = [100_000] * 12
    actuals = [90_000, 110_000, 80_000] + [0] * 9
    figures = engine.node_figures(
        months=months,
        as_of=dt.date(2019, 3, 15),
        targets=targets,
        actuals=actuals,
        current_actual=60_000,
        current_expected=50_000,
    )

    expected = 100_000 + 100_000 + 50_000
    actual_to_date = 90_000 + 110_000 + 60_000
    pace = Fraction(actual_to_date, expected)  # 1.04
    assert pace == Fraction(104, 100)
    assert figures.target == 1_200_000
    assert figures.actual == 280_000
    assert figures.attainment == Fraction(280_000, 1_200_000)
    assert figures.expected_to_date == expected
    assert figures.actual_to_date == actual_to_date
    assert figures.pace == pace
    run_rate = actual_to_date + (1_200_000 - expected) * pace
    assert run_rate == 1_248_000
    assert figures.forecast_run_rate == 1_248_000
    # no history: the statistical figure is the run rate, and says so
    assert figures.forecast_method == engine.METHOD_RUN_RATE
    assert figures.forecast_statistical == 1_248_000
    # months: what happened, then March's rest and each later month at the pace
    assert [row.forecast for row in figures.months] == [
        90_000,
        110_000,
        60_000 + 50_000 * 104 // 100,
    ] + [104_000] * 9
    assert sum(row.forecast for row in figures.months) == run_rate


def test_nothing_expected_yet_gives_no_pace_and_no_run_rate():
    figures = engine.node_figures(
        months=engine.fiscal_months(2020),
        as_of=dt.date(2020, 1, 1),
        targets=[100] * 12,
        actuals=[0] * 12,
        current_actual=0,
        current_expected=0,
    )
    assert figures.expected_to_date == 0
    assert figures.pace is None
    assert figures.forecast_run_rate is None
    assert figures.attainment == 0


def test_without_a_plan_there_is_no_target_and_no_attainment():
    figures = engine.node_figures(
        months=engine.fiscal_months(2019),
        as_of=dt.date(2019, 12, 31),
        targets=None,
        actuals=[500] * 12,
    )
    assert figures.target is None
    assert figures.attainment is None
    assert figures.pace is None
    assert figures.actual == figures.actual_to_date == 6000


def test_fiscal_year_starting_in_april_and_a_closed_year():
    months = engine.fiscal_months(2019, start_month=4)
    assert months[0] == dt.date(2019, 4, 1)
    assert months[-1] == dt.date(2020, 3, 1)
    figures = engine.node_figures(
        months=months, as_of=dt.date(2020, 6, 1), targets=[10] * 12, actuals=[12] * 12
    )
    assert figures.expected_to_date == 120
    assert figures.pace == Fraction(144, 120)
    assert figures.forecast_run_rate == 144  # nothing left to forecast


def _seasonal(t: int) -> int:
    season = [-30, -20, -10, 0, 10, 20, 40, 30, 10, 0, -20, -30]
    assert sum(season) == 0
    return 100_000 + 1_000 * t + 1_000 * season[t % 12]


def test_statistical_forecast_continues_a_trend_with_a_season():
    history = [_seasonal(t) for t in range(36)]
    forecast = engine.statistical_forecast(history, 12)
    truth = [_seasonal(t) for t in range(36, 48)]
    for got, want in zip(forecast, truth, strict=True):
        assert got == pytest.approx(want, rel=0.005)


def test_statistical_forecast_needs_24_months():
    assert engine.statistical_forecast([_seasonal(t) for t in range(23)], 12) is None
    assert engine.statistical_forecast([_seasonal(t) for t in range(24)], 12) is not None


def test_node_figures_use_the_model_when_history_allows():
    # given three seasonal years of history, FY2019 as of its eve
    history = [_seasonal(t) for t in range(36)]
    figures = engine.node_figures(
        months=engine.fiscal_months(2019),
        as_of=dt.date(2018, 12, 31),
        targets=[100_000] * 12,
        actuals=[0] * 12,
        history=history,
    )
    truth = sum(_seasonal(t) for t in range(36, 48))
    assert figures.forecast_method == engine.METHOD_STATISTICAL
    assert figures.forecast_statistical == pytest.approx(truth, rel=0.005)
    # the run rate knows nothing yet (no pace)
    assert figures.forecast_run_rate is None
    assert [row.forecast for row in figures.months] == pytest.approx(
        [_seasonal(t) for t in range(36, 48)], rel=0.005
    )


def test_node_figures_forecast_skips_months_between_history_and_the_year():
    # history ends with June 2018; FY2019 starts six months later
    history = [_seasonal(t) for t in range(30)]
    figures = engine.node_figures(
        months=engine.fiscal_months(2019),
        as_of=dt.date(2018, 6, 30),
        targets=[1] * 12,
        actuals=[0] * 12,
        history=history,
    )
    truth = sum(_seasonal(t) for t in range(36, 48))
    assert figures.forecast_statistical == pytest.approx(truth, rel=0.005)
