"""CSV/XLSX downloads that are safe from formula injection and from stored control characters.

A text cell that starts with ``= + - @ ; |`` (or a tab/CR/LF) would run as a formula, or be
split by a DDE-style separator, when the file is opened in Excel, WPS or LibreOffice. In CSV
such text gets a leading apostrophe (OWASP's advice); in XLSX it is written as an explicit
string cell, which Excel never evaluates. Numbers, dates and Decimals are written as values,
so a negative amount stays a number.

XML (so XLSX) cannot hold most control characters; text already stored with one (entered
before imports refused them, or through another door) is written without them
(``xlsx_text``) instead of failing the whole download. CSV keeps the text as stored.

Every XLSX has a named sheet (given, or made from the file name), a bold frozen header
with a filter, columns as wide as their content (measured on the first rows, wide
characters counted twice, within bounds), amounts with thousands separators, and moments in
the site's time zone and format (``salesalloc.core.dates``), as in CSV.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import itertools
import re
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from decimal import Decimal
from typing import Any

from django.http import HttpResponse, StreamingHttpResponse
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from salesalloc.core.dates import local_datetime, site_zone

RISKY_PREFIXES = ("=", "+", "-", "@", ";", "|", "\t", "\r", "\n")
SHEET_NAME_ILLEGAL = re.compile(r"[\[\]:*?/\\]")
WIDTH_SAMPLE_ROWS = 1000  # rows measured for the column widths
MIN_WIDTH, MAX_WIDTH = 8, 60
MONEY_FORMAT = "#,##0.00##"
DATE_FORMAT = "yyyy-mm-dd"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"
# What XML 1.0 (and so openpyxl) refuses: C0 controls except tab, LF and CR, and U+FFFE/FFFF.
XLSX_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
CSV_CONTENT_TYPE = "text/csv; charset=utf-8"
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def safe_text(value: str) -> str:
    """Neutralise a text cell that a spreadsheet would treat as a formula."""
    if value and value.startswith(RISKY_PREFIXES):
        return "'" + value
    return value


def xlsx_text(value: str) -> str:
    """``value`` without the characters an XLSX cell cannot hold."""
    return XLSX_ILLEGAL.sub("", value)


def _csv_value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, Decimal, float)):
        return str(value)
    if isinstance(value, dt.datetime):
        return local_datetime(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return safe_text(str(value))


class _Echo:
    def write(self, value: str) -> str:
        return value


def csv_rows(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> Iterator[str]:
    """Yield CSV text (UTF-8 BOM first so Excel reads Chinese text correctly)."""
    writer = csv.writer(_Echo())
    yield "\ufeff" + writer.writerow([safe_text(h) for h in header])
    for row in rows:
        yield writer.writerow([_csv_value(v) for v in row])


def sheet_title(name: str) -> str:
    """A valid worksheet name: none of ``[]:*?/\\``, at most 31 characters, never empty."""
    cleaned = SHEET_NAME_ILLEGAL.sub(" ", name).strip().strip("'")
    return (cleaned or "Sheet1")[:31]


def _display_width(value: Any) -> int:
    if value is None:
        return 0
    if isinstance(value, Decimal):
        text = f"{value:,.2f}"
    elif isinstance(value, dt.datetime):
        text = "2019-03-31 14:05"
    else:
        text = str(value)
    longest = max(text.split("\n"), key=len) if text else ""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in longest)


def column_widths(header: Sequence[Any], rows: Sequence[Sequence[Any]]) -> list[int]:
    """Widths (in characters) that fit the header and the rows, within bounds."""
    widths = [_display_width(h) for h in header]
    for row in rows:
        for i, value in enumerate(row):
            if i >= len(widths):
                widths.append(0)
            widths[i] = max(widths[i], _display_width(value))
    return [min(max(width + 2, MIN_WIDTH), MAX_WIDTH) for width in widths]


def _xlsx_cell(worksheet: Any, value: Any) -> WriteOnlyCell:
    if isinstance(value, str):
        out = WriteOnlyCell(worksheet, value=None)
        out.value = xlsx_text(value)
        out.data_type = "s"
        return out
    if isinstance(value, dt.datetime):
        if timezone.is_aware(value):
            value = value.astimezone(site_zone())
        out = WriteOnlyCell(worksheet, value=value.replace(tzinfo=None))
        out.number_format = DATETIME_FORMAT
        return out
    out = WriteOnlyCell(worksheet, value=value)
    if isinstance(value, dt.date):
        out.number_format = DATE_FORMAT
    elif isinstance(value, Decimal):
        out.number_format = MONEY_FORMAT
    return out


def xlsx_bytes(
    header: Sequence[str], rows: Iterable[Sequence[Any]], *, sheet: str = "Sheet1"
) -> bytes:
    """Return an XLSX workbook; every text cell is a literal string, never a formula.

    The sheet is named ``sheet``; the header is bold, frozen and filterable; the columns
    are as wide as the header and the first ``WIDTH_SAMPLE_ROWS`` rows need.
    """
    workbook = Workbook(write_only=True)
    worksheet = workbook.create_sheet(title=sheet_title(sheet))
    rows = iter(rows)
    sample = list(itertools.islice(rows, WIDTH_SAMPLE_ROWS))
    widths = column_widths(header, sample)
    for index, width in enumerate(widths, start=1):
        worksheet.column_dimensions[get_column_letter(index)].width = width
    worksheet.freeze_panes = "A2"
    if header:
        worksheet.auto_filter.ref = f"A1:{get_column_letter(len(header))}1"
    bold = Font(bold=True)
    head = []
    for h in header:
        cell = _xlsx_cell(worksheet, str(h))
        cell.font = bold
        head.append(cell)
    worksheet.append(head)
    for row in itertools.chain(sample, rows):
        worksheet.append([_xlsx_cell(worksheet, v) for v in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def export_response(
    fmt: str,
    *,
    filename: str,
    header: Sequence[str],
    rows: Iterable[Sequence[Any]],
    sheet: str | None = None,
) -> HttpResponse | StreamingHttpResponse:
    """A download of ``rows`` as ``fmt`` ("csv" or "xlsx"); ``filename`` without extension.

    The XLSX sheet is named ``sheet``, or after the file name ("variance-FY2019" ->
    "variance FY2019")."""
    if fmt == "xlsx":
        title = sheet or filename.replace("-", " ").replace("_", " ")
        response: HttpResponse | StreamingHttpResponse = HttpResponse(
            xlsx_bytes(header, rows, sheet=title), content_type=XLSX_CONTENT_TYPE
        )
    elif fmt == "csv":
        response = StreamingHttpResponse(csv_rows(header, rows), content_type=CSV_CONTENT_TYPE)
    else:
        raise ValueError(f"unknown export format {fmt!r}")
    response["Content-Disposition"] = f'attachment; filename="{filename}.{fmt}"'
    return response
