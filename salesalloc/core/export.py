"""CSV/XLSX downloads that are safe from formula injection and from stored control characters.

A text cell that starts with ``= + - @ ; |`` (or a tab/CR/LF) would run as a formula, or be
split by a DDE-style separator, when the file is opened in Excel, WPS or LibreOffice. In CSV
such text gets a leading apostrophe (OWASP's advice); in XLSX it is written as an explicit
string cell, which Excel never evaluates. Numbers, dates and Decimals are written as values,
so a negative amount stays a number.

XML (so XLSX) cannot hold most control characters; text already stored with one (entered
before imports refused them, or through another door) is written without them
(``xlsx_text``) instead of failing the whole download. CSV keeps the text as stored.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Iterable, Iterator, Sequence
from decimal import Decimal
from typing import Any

from django.http import HttpResponse, StreamingHttpResponse
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell

RISKY_PREFIXES = ("=", "+", "-", "@", ";", "|", "\t", "\r", "\n")
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
    if isinstance(value, (dt.date, dt.datetime)):
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


def xlsx_bytes(
    header: Sequence[str], rows: Iterable[Sequence[Any]], *, sheet: str = "Sheet1"
) -> bytes:
    """Return an XLSX workbook; every text cell is a literal string, never a formula."""
    workbook = Workbook(write_only=True)
    worksheet = workbook.create_sheet(title=sheet[:31])

    def cell(value: Any) -> WriteOnlyCell:
        if isinstance(value, str):
            out = WriteOnlyCell(worksheet, value=None)
            out.value = xlsx_text(value)
            out.data_type = "s"
            return out
        if isinstance(value, dt.datetime) and value.tzinfo is not None:
            value = value.replace(tzinfo=None)
        return WriteOnlyCell(worksheet, value=value)

    worksheet.append([cell(str(h)) for h in header])
    for row in rows:
        worksheet.append([cell(v) for v in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def export_response(
    fmt: str, *, filename: str, header: Sequence[str], rows: Iterable[Sequence[Any]]
) -> HttpResponse | StreamingHttpResponse:
    """A download of ``rows`` as ``fmt`` ("csv" or "xlsx"); ``filename`` without extension."""
    if fmt == "xlsx":
        response: HttpResponse | StreamingHttpResponse = HttpResponse(
            xlsx_bytes(header, rows), content_type=XLSX_CONTENT_TYPE
        )
    elif fmt == "csv":
        response = StreamingHttpResponse(csv_rows(header, rows), content_type=CSV_CONTENT_TYPE)
    else:
        raise ValueError(f"unknown export format {fmt!r}")
    response["Content-Disposition"] = f'attachment; filename="{filename}.{fmt}"'
    return response
