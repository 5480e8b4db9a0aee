"""Working-day calendars: China's official calendar with 调休, other countries via `holidays`."""

from datetime import date, timedelta
from fractions import Fraction

import pytest

from allocation.engine.calendars import (
    month_working_days,
    season_working_days,
    uses_fallback,
    working_days,
)
from allocation.engine.split import split_days


def test_china_october_2019_has_the_national_day_holidays():
    days = set(working_days(date(2019, 10, 1), date(2019, 10, 31)))
    assert not {date(2019, 10, d) for d in range(1, 8)} & days
    assert date(2019, 10, 8) in days


def test_china_counts_make_up_working_days_on_weekends():
    # Sunday 2019-09-29 and Saturday 2019-10-12 were 调休 working days.
    assert date(2019, 9, 29).weekday() == 6
    assert date(2019, 10, 12).weekday() == 5
    days = working_days(date(2019, 9, 28), date(2019, 10, 13))
    assert days == [
        date(2019, 9, 29),
        date(2019, 9, 30),
        date(2019, 10, 8),
        date(2019, 10, 9),
        date(2019, 10, 10),
        date(2019, 10, 11),
        date(2019, 10, 12),
    ]


def test_china_spring_festival_2019():
    # Holidays 2019-02-04..10; Saturday 02-02 and Sunday 02-03 were make-up working days.
    days = set(working_days(date(2019, 2, 1), date(2019, 2, 28)))
    assert {date(2019, 2, 2), date(2019, 2, 3)} <= days
    assert not {date(2019, 2, d) for d in range(4, 11)} & days
    # 20 weekdays − 5 weekday holidays + 2 make-up days.
    assert len(days) == 17


def test_month_working_days_of_china_2019_in_fiscal_order():
    counts = month_working_days(date(2019, 1, 1))
    assert counts[1] == 17  # February, Spring Festival
    # October: 23 weekdays − 5 weekday holidays (1–4, 7) + Saturday 12 (make-up) = 19.
    assert counts[9] == 19
    assert counts[9] == len(working_days(date(2019, 10, 1), date(2019, 10, 31)))
    assert len(counts) == 12


def test_month_working_days_start_at_the_fiscal_start_month():
    april_start = month_working_days(date(2019, 4, 1))
    calendar_year = month_working_days(date(2019, 1, 1))
    assert april_start[:9] == calendar_year[3:]


def test_season_working_days_are_exact_shares():
    shares = season_working_days(date(2019, 1, 1))
    counts = month_working_days(date(2019, 1, 1))
    assert sum(shares) == 1
    assert shares[1] == Fraction(counts[1], sum(counts))


def test_a_us_month_uses_the_holidays_package():
    # July 2024: 23 weekdays minus Independence Day (Thursday 4 July).
    days = working_days(date(2024, 7, 1), date(2024, 7, 31), country="US")
    assert len(days) == 22
    assert date(2024, 7, 4) not in days
    assert all(day.weekday() < 5 for day in days)


def test_country_codes_are_case_insensitive():
    assert working_days(date(2024, 7, 1), date(2024, 7, 7), country="us") == working_days(
        date(2024, 7, 1), date(2024, 7, 7), country="US"
    )


def test_unknown_country_code_is_a_clear_error():
    with pytest.raises(ValueError, match="unknown country code 'XX'"):
        working_days(date(2024, 1, 1), date(2024, 1, 31), country="XX")


def test_years_beyond_the_official_calendar_fall_back_to_holidays():
    assert not uses_fallback(date(2019, 1, 1), date(2019, 12, 31))
    assert uses_fallback(date(2099, 1, 1), date(2099, 12, 31))
    assert not uses_fallback(date(2099, 1, 1), date(2099, 12, 31), country="US")
    # The fallback still knows the statutory holidays: 2099-10-01 (National Day) is off.
    days = working_days(date(2099, 9, 28), date(2099, 10, 9))
    assert date(2099, 10, 1) not in days
    assert all(day.weekday() < 5 for day in days)


def test_working_days_of_an_empty_range():
    assert working_days(date(2024, 1, 2), date(2024, 1, 1)) == []


def test_month_working_days_needs_the_first_of_a_month():
    with pytest.raises(ValueError, match="first of a month"):
        month_working_days(date(2024, 1, 15))


def test_split_days_spreads_a_month_over_its_working_days():
    days = working_days(date(2019, 10, 1), date(2019, 10, 31))
    amounts = split_days(1_000_00, days)
    assert sum(amounts.values()) == 1_000_00
    assert list(amounts) == days
    # 100,000 cents over 19 days = 5,263.15…: 19 × 5,263 leaves 3 cents for the first 3 days.
    assert [amounts[day] for day in days[:4]] == [5264, 5264, 5264, 5263]
    assert amounts[days[-1]] == 5263
    assert max(amounts.values()) - min(amounts.values()) <= 1
    assert days[0] - timedelta(days=1) not in amounts
