"""Period labels of the analytics API (DESIGN §7): ``2019``, ``2019-Q1`` or ``2019-03``."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

_PERIOD = re.compile(r"^(?P<year>\d{4})(?:-(?:Q(?P<quarter>[1-4])|(?P<month>0[1-9]|1[0-2])))?$")


@dataclass(frozen=True)
class Period:
    label: str
    start: dt.date
    end: dt.date  # inclusive
    months: tuple[dt.date, ...]

    @property
    def kind(self) -> str:
        return "year" if len(self.months) == 12 else "quarter" if len(self.months) == 3 else "month"


def _add_months(month: dt.date, count: int) -> dt.date:
    index = month.year * 12 + month.month - 1 + count
    return dt.date(index // 12, index % 12 + 1, 1)


def parse_period(text: str) -> Period:
    """A calendar period from its label; ``ValueError`` for anything else."""
    match = _PERIOD.match(text.strip())
    if match is None:
        raise ValueError(f"{text!r} is not a period like 2019, 2019-Q1 or 2019-03")
    year = int(match["year"])
    if match["quarter"]:
        first, count = dt.date(year, 3 * int(match["quarter"]) - 2, 1), 3
    elif match["month"]:
        first, count = dt.date(year, int(match["month"]), 1), 1
    else:
        first, count = dt.date(year, 1, 1), 12
    months = tuple(_add_months(first, i) for i in range(count))
    end = _add_months(first, count) - dt.timedelta(days=1)
    return Period(label=text.strip(), start=first, end=end, months=months)


def periods_of_year(year: int, kind: str) -> list[Period]:
    """The calendar year's months, quarters or the year itself, in order."""
    if kind == "month":
        return [parse_period(f"{year}-{m:02d}") for m in range(1, 13)]
    if kind == "quarter":
        return [parse_period(f"{year}-Q{q}") for q in range(1, 5)]
    return [parse_period(str(year))]
