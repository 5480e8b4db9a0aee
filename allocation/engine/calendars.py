"""Working-day calendars for seasonality and day-level targets (DESIGN §3). No Django.

* China ("CN") uses the official calendar of the ``chinesecalendar`` package
  (``chinese_calendar.is_workday``), including 调休 make-up working days on weekends (e.g.
  Sunday 2019-09-29 was a working day, 2019-10-01..07 were holidays). For years that package
  doesn't cover yet (it is updated once the State Council publishes the next year's
  schedule), it falls back to the ``holidays`` package: weekdays minus its CN holidays, plus
  any weekend make-up days it knows. :func:`uses_fallback` tells whether that happened.
* Other countries: Monday–Friday minus ``holidays.country_holidays(country)`` (plus weekend
  working days where the ``holidays`` package records them). Country codes are ISO 3166
  alpha-2, case-insensitive; an unknown code raises ValueError.
"""

from __future__ import annotations

from datetime import date, timedelta
from fractions import Fraction
from functools import lru_cache

import chinese_calendar
import holidays

from allocation.engine.fiscal import month_add

__all__ = [
    "month_working_days",
    "season_working_days",
    "uses_fallback",
    "working_days",
]


@lru_cache(maxsize=128)
def _official_cn_year(year: int) -> bool:
    """Tell whether the installed chinese_calendar covers `year`."""
    try:
        chinese_calendar.is_workday(date(year, 1, 1))
    except NotImplementedError:
        return False
    return True


@lru_cache(maxsize=256)
def _country_calendar(country: str, year: int) -> holidays.HolidayBase:
    """Return the `holidays` calendar of one country and year (ValueError if unknown)."""
    try:
        return holidays.country_holidays(country, years=year)
    except NotImplementedError:
        raise ValueError(
            f"unknown country code {country!r}: use an ISO 3166 code such as 'CN' or 'US'"
        ) from None


def _normalise(country: str) -> str:
    if not isinstance(country, str) or not country.strip():
        raise ValueError(f"unknown country code {country!r}: use an ISO 3166 code such as 'CN'")
    code = country.strip().upper()
    _country_calendar(code, 2000)  # validate the code up front, even for CN
    return code


def _is_working_day(day: date, country: str) -> bool:
    if country == "CN" and _official_cn_year(day.year):
        return bool(chinese_calendar.is_workday(day))
    calendar = _country_calendar(country, day.year)
    if day.weekday() >= 5:
        return day in calendar.weekend_workdays
    return day not in calendar


def working_days(start: date, end: date, *, country: str = "CN") -> list[date]:
    """List the working days from `start` to `end` inclusive (empty if end < start)."""
    code = _normalise(country)
    days = []
    day = start
    while day <= end:
        if _is_working_day(day, code):
            days.append(day)
        day += timedelta(days=1)
    return days


def uses_fallback(start: date, end: date, *, country: str = "CN") -> bool:
    """Tell whether any day in [start, end] is outside the official Chinese calendar's years.

    Always False for other countries (their calendar *is* the ``holidays`` package).
    """
    code = _normalise(country)
    if code != "CN":
        return False
    return any(not _official_cn_year(year) for year in range(start.year, end.year + 1))


def month_working_days(
    fiscal_year_start: date, *, country: str = "CN", months: int = 12
) -> list[int]:
    """Count the working days of each month from `fiscal_year_start` (the 1st of a month)."""
    if fiscal_year_start.day != 1:
        raise ValueError(f"a fiscal year starts on the first of a month, not {fiscal_year_start}")
    code = _normalise(country)
    counts = []
    for k in range(months):
        first = month_add(fiscal_year_start, k)
        last = month_add(fiscal_year_start, k + 1) - timedelta(days=1)
        counts.append(len(working_days(first, last, country=code)))
    return counts


def season_working_days(fiscal_year_start: date, *, country: str = "CN") -> list[Fraction]:
    """Return the 12 monthly shares of the fiscal year's working days (Σ = 1, exact)."""
    counts = month_working_days(fiscal_year_start, country=country)
    total = sum(counts)
    return [Fraction(count, total) for count in counts]
