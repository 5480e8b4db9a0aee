"""Fiscal years, months and periods (year, quarters, months)."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

import numpy as np

MONTHS = 12


YEAR = "year"


QUARTERS = ("Q1", "Q2", "Q3", "Q4")


_MONTH_RE = re.compile(r"(\d{4})-(\d{2})")


MONTH_KEYS = np.array([f"{m:02d}" for m in range(MONTHS)], dtype=object)


def month_add(month: dt.date, months: int) -> dt.date:
    """The first of the month ``months`` after ``month``'s month."""
    index = month.year * 12 + month.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


@dataclass(frozen=True)
class FiscalYear:
    """The 12 months of a fiscal year that starts in ``start_month`` of ``year``."""

    year: int
    start_month: int = 1

    @property
    def first_month(self) -> dt.date:
        return dt.date(self.year, self.start_month, 1)

    @property
    def months(self) -> list[dt.date]:
        return [month_add(self.first_month, k) for k in range(MONTHS)]

    @property
    def end(self) -> dt.date:
        """The last day of the fiscal year."""
        return month_add(self.first_month, MONTHS) - dt.timedelta(days=1)

    def month_labels(self) -> list[str]:
        return [f"{month:%Y-%m}" for month in self.months]

    def month_index(self, month: dt.date) -> int | None:
        """Fiscal index (0..11) of a calendar month, None if outside the fiscal year."""
        index = (month.year * 12 + month.month - 1) - (self.year * 12 + self.start_month - 1)
        return index if 0 <= index < MONTHS else None

    def parse_period(self, text: str) -> str:
        """Return the canonical period ("year", "Q1".."Q4", "YYYY-MM") or raise ValueError."""
        value = (text or "").strip()
        if value.lower() in {YEAR, "fy", "total"}:
            return YEAR
        if value.upper() in QUARTERS:
            return value.upper()
        match = _MONTH_RE.fullmatch(value)
        if match and 1 <= int(match.group(2)) <= 12:
            month = dt.date(int(match.group(1)), int(match.group(2)), 1)
            if self.month_index(month) is None:
                raise ValueError("outside")
            return f"{month:%Y-%m}"
        raise ValueError("invalid")

    def period_months(self, period: str) -> tuple[int, ...]:
        """Fiscal month indexes (0..11) covered by a canonical period."""
        if period == YEAR:
            return tuple(range(MONTHS))
        if period in QUARTERS:
            first = QUARTERS.index(period) * 3
            return (first, first + 1, first + 2)
        match = _MONTH_RE.fullmatch(period)
        if match is None:
            raise ValueError(period)
        index = self.month_index(dt.date(int(match.group(1)), int(match.group(2)), 1))
        if index is None:
            raise ValueError(period)
        return (index,)

    def closed_months(self, as_of: dt.date) -> int:
        """How many fiscal months have ended on or before ``as_of`` (0..12)."""
        return sum(1 for month in self.months if month_add(month, 1) <= as_of + dt.timedelta(1))
