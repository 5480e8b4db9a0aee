"""Attainment, pacing and forecasts of one node: pure arithmetic on integer cents.

No Django here. The selector sums targets and actuals in SQL and hands over, per fiscal
month, integer cents; this module turns them into the figures of DESIGN §4 and §7:

- ``expected_to_date`` = the targets of the whole months before ``as_of`` plus the current
  month's day targets up to and including ``as_of``. Day targets are the plan's own split
  (``allocation.engine.split.split_days``: a month over its working days, exact to the cent).
- ``pace`` = actual-to-date / expected-to-date (empty when nothing was expected yet).
- ``forecast_run_rate`` = actual-to-date + (target − expected-to-date) × pace.
- ``forecast_statistical``: an additive Holt-Winters model (ETS A,A,A with a 12-month
  season, statsforecast) fitted on the monthly actuals before the current month, when at
  least 24 months of history exist; the run-rate forecast otherwise (``forecast_method``
  says which one was used).

Ratios are exact ``Fraction``; money is integer cents, rounded half up where a ratio
multiplies it. The statistical model works in floats (it is an estimate); its monthly
figures are rounded to cents at this boundary.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np

from allocation.engine.split import split_days

SEASON_LENGTH = 12
MIN_HISTORY_MONTHS = 24
METHOD_STATISTICAL = "statistical"
METHOD_RUN_RATE = "run_rate"


def add_months(month: dt.date, months: int) -> dt.date:
    """The first day of the month ``months`` after ``month``'s month."""
    index = month.year * 12 + month.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def month_end(month: dt.date) -> dt.date:
    """The last day of ``month``'s month."""
    return add_months(month, 1) - dt.timedelta(days=1)


def fiscal_months(year: int, start_month: int = 1) -> list[dt.date]:
    """The 12 month starts of fiscal year ``year`` (it starts in ``start_month`` of ``year``)."""
    first = dt.date(year, start_month, 1)
    return [add_months(first, k) for k in range(SEASON_LENGTH)]


def whole_months(months: Sequence[dt.date], as_of: dt.date) -> int:
    """How many of ``months`` are over by the end of ``as_of`` (``as_of`` counts as elapsed)."""
    return sum(1 for month in months if month_end(month) <= as_of)


def round_half_up(value: Fraction) -> int:
    """Round a ratio of cents to whole cents, halves away from zero."""
    sign = -1 if value < 0 else 1
    return sign * int(abs(value) + Fraction(1, 2))


def ratio(numerator: int, denominator: int | None) -> Fraction | None:
    """numerator / denominator, or None (never infinite) without a positive denominator."""
    if denominator is None or denominator <= 0:
        return None
    return Fraction(numerator, denominator)


def day_targets_to_date(
    *, month_totals: Iterable[int], working_days: Sequence[dt.date], as_of: dt.date
) -> int:
    """Sum each month total's day targets on the working days up to and including ``as_of``.

    Each total (one per salesperson, as the plan splits them) is split by the plan's own day
    split, ``allocation.engine.split.split_days``, so the sum matches the plan's day targets.
    A month without working days is expected whole once it is over and not before.
    """
    totals = [int(total) for total in month_totals if total]
    if not totals:
        return 0
    if not working_days:
        month = as_of.replace(day=1)
        return sum(totals) if as_of >= month_end(month) else 0
    elapsed = [day <= as_of for day in sorted(working_days)]
    if all(elapsed):
        return sum(totals)
    if not any(elapsed):
        return 0
    out = 0
    cache: dict[int, int] = {}
    for total in totals:
        if total not in cache:
            split = split_days(total, working_days)
            cache[total] = sum(cents for day, cents in split.items() if day <= as_of)
        out += cache[total]
    return out


def statistical_forecast(history: Sequence[int], horizon: int) -> list[int] | None:
    """Forecast the next ``horizon`` months from monthly ``history`` (cents, oldest first).

    Additive Holt-Winters (ETS A,A,A, season of 12 months) when there are at least
    ``MIN_HISTORY_MONTHS`` months; None otherwise (or when the model cannot be fitted), so the
    caller falls back to the run rate.
    """
    if len(history) < MIN_HISTORY_MONTHS:
        return None
    if horizon <= 0:
        return []
    y = np.asarray(history, dtype=float) / 100.0
    if float(np.ptp(y)) == 0.0:  # a flat series: the model degenerates, the answer is clear
        return [int(history[-1])] * horizon
    from statsforecast.models import AutoETS

    try:
        mean = AutoETS(season_length=SEASON_LENGTH, model="AAA").forecast(y=y, h=horizon)["mean"]
    except (ValueError, ZeroDivisionError, FloatingPointError, np.linalg.LinAlgError):
        return None
    if not np.all(np.isfinite(mean)):
        return None
    return [round(float(value) * 100) for value in mean]


@dataclass(frozen=True)
class MonthFigures:
    month: dt.date
    target: int | None
    actual: int
    forecast: int | None


@dataclass(frozen=True)
class Figures:
    """Everything §7 reports for one node (money in cents, ratios exact)."""

    target: int | None
    actual: int
    expected_to_date: int | None
    actual_to_date: int
    forecast_run_rate: int | None
    forecast_statistical: int | None
    forecast_method: str
    months: list[MonthFigures] = field(default_factory=list)

    @property
    def attainment(self) -> Fraction | None:
        return ratio(self.actual, self.target)

    @property
    def pace(self) -> Fraction | None:
        return ratio(self.actual_to_date, self.expected_to_date)


def node_figures(
    *,
    months: Sequence[dt.date],
    as_of: dt.date,
    targets: Sequence[int] | None,
    actuals: Sequence[int],
    current_actual: int = 0,
    current_expected: int = 0,
    history: Sequence[int] = (),
) -> Figures:
    """Compute a node's figures for one fiscal year as of a date.

    ``months`` are the 12 fiscal months; ``targets`` (None: no published plan) and
    ``actuals`` their cents. ``current_actual`` / ``current_expected`` are the actual and the
    day-target share of the month containing ``as_of`` up to and including it (ignored when
    that month is over or outside the year). ``history`` is the node's monthly actuals up to
    the last whole month before ``as_of``, oldest first, for the statistical model.
    """
    n = len(months)
    whole = whole_months(months, as_of)
    partial = whole < n and months[whole] <= as_of
    actual_to_date = sum(actuals[:whole]) + (current_actual if partial else 0)
    target: int | None = None
    expected: int | None = None
    if targets is not None:
        target = sum(targets)
        expected = sum(targets[:whole]) + (current_expected if partial else 0)
    pace = ratio(actual_to_date, expected)

    # Run rate: what is left of each month's target, at the pace so far.
    run_months: list[int | None] = list(actuals[:whole])
    run_rate: int | None = None
    if target is None or expected is None or targets is None or pace is None:
        run_months += [None] * (n - whole)
    else:
        if partial:
            left = targets[whole] - current_expected
            run_months.append(current_actual + round_half_up(left * pace))
        run_months += [round_half_up(t * pace) for t in targets[whole + int(partial) :]]
        run_rate = actual_to_date + round_half_up((target - expected) * pace)

    # Statistical: the model's months from the first month that is not over.
    ahead = whole_months_between(history_end=as_of, month=months[whole]) if whole < n else 0
    predicted = statistical_forecast(history, ahead + n - whole)
    if predicted is not None:
        forecast_months: list[int | None] = [*actuals[:whole], *predicted[ahead:]]
        statistical: int | None = sum(int(v) for v in forecast_months if v is not None)
        method = METHOD_STATISTICAL
    else:
        forecast_months = run_months
        statistical = run_rate
        method = METHOD_RUN_RATE
    month_rows = [
        MonthFigures(
            month=month,
            target=None if targets is None else int(targets[k]),
            actual=int(actuals[k]),
            forecast=forecast_months[k],
        )
        for k, month in enumerate(months)
    ]
    return Figures(
        target=target,
        actual=sum(actuals),
        expected_to_date=expected,
        actual_to_date=actual_to_date,
        forecast_run_rate=run_rate,
        forecast_statistical=statistical,
        forecast_method=method,
        months=month_rows,
    )


def whole_months_between(*, history_end: dt.date, month: dt.date) -> int:
    """Months between the first month not over at ``history_end`` and ``month`` (≥ 0).

    The model forecasts from the month after its history; when the fiscal year's first
    open month lies further ahead (``as_of`` before the year starts), the months in between
    are forecast too and skipped.
    """
    first_open = history_end.replace(day=1)
    if month_end(first_open) <= history_end:
        first_open = add_months(first_open, 1)
    gap = (month.year * 12 + month.month) - (first_open.year * 12 + first_open.month)
    return max(gap, 0)


def competition_ranks(values: Sequence[Fraction | None]) -> list[int | None]:
    """Rank values high to low, 1 = best; equal values share a rank ("1, 2, 2, 4").

    None (no target, nothing expected) is not ranked.
    """
    ordered = sorted((v for v in values if v is not None), reverse=True)
    first_at: dict[Fraction, int] = {}
    for position, value in enumerate(ordered, start=1):
        first_at.setdefault(value, position)
    return [None if v is None else first_at[v] for v in values]
