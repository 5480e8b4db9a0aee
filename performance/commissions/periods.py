"""Statement periods of a fiscal year: months (``2019-03``), quarters (``2019-Q1``), the year."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass


@dataclass(frozen=True)
class PeriodSpan:
    label: str
    start: dt.date  # first day
    end: dt.date  # last day, inclusive
    months: tuple[dt.date, ...]  # first days of the months it covers
    position: int


def add_months(month: dt.date, count: int) -> dt.date:
    index = month.year * 12 + month.month - 1 + count
    return dt.date(index // 12, index % 12 + 1, 1)


def fiscal_months(fiscal_year: int, start_month: int) -> list[dt.date]:
    first = dt.date(fiscal_year, start_month, 1)
    return [add_months(first, i) for i in range(12)]


def fiscal_periods(*, fiscal_year: int, start_month: int, kind: str) -> list[PeriodSpan]:
    """The fiscal year's periods of ``kind`` (month, quarter or year), in order."""
    months = fiscal_months(fiscal_year, start_month)
    if kind == "month":
        groups = [(f"{m.year}-{m.month:02d}", [m]) for m in months]
    elif kind == "quarter":
        groups = [(f"{fiscal_year}-Q{q + 1}", months[3 * q : 3 * q + 3]) for q in range(4)]
    elif kind == "year":
        groups = [(str(fiscal_year), months)]
    else:
        raise ValueError(f"unknown period kind {kind!r}")
    return [
        PeriodSpan(
            label=label,
            start=group[0],
            end=add_months(group[-1], 1) - dt.timedelta(days=1),
            months=tuple(group),
            position=position,
        )
        for position, (label, group) in enumerate(groups)
    ]
