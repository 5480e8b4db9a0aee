"""Recognise an order file and read it as chunks of text cells with their file line numbers.

CSV: the delimiter is sniffed among ``,`` ``;`` tab ``|``; text is UTF-8 (with or without a
byte-order mark) or GBK/GB18030 (tried in that order). Rows are read by pandas' C parser,
all cells as text, in chunks; blank lines are skipped. A row's number is its line in the
file (the header is line 1 when it is the first line), also when quoted cells span lines.
A row with the wrong number of fields is reported, not guessed at: one sentinel column
catches extra fields, and rows whose last cell came out empty are re-counted with the
``csv`` module (pandas pads short rows silently).

XLSX/XLS: the first sheet (python-calamine); the header is the first non-empty row; a
row's number is its sheet row. Numbers are written with 15 significant digits before the
text parsers see them, date cells as ISO dates.

Bounds (``salesalloc.core.filelimits``, settings ``SALESALLOC_SHEET_*``/``XLSX_*``/``CSV_*``)
are checked before anything is expanded: ``upload_check`` does what a web request can afford
(zip directory and declared sheet dimensions; a CSV's first MB, line count and longest line);
``source_open`` (the worker) also streams every workbook part to find the farthest cell
before calamine lays out the grid. A run of 64 or more delimiters ending a CSV line (trailing
empty fields) is cut to one delimiter before reading, so one such row cannot widen every
chunk; a row with more than ``SALESALLOC_SHEET_MAX_COLUMNS`` fields fails the job naming it.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import PurePath
from typing import Any

import numpy as np
import pandas as pd
from django.utils.translation import gettext_noop
from python_calamine import load_workbook

from customers.importing.text import (
    HEAD_BYTES,
    FileFormatError,
    _csv_header,
    _decode_head,
    _sniff_delimiter,
    detect_encoding,
)
from salesalloc.core.filelimits import (
    FileLimitError,
    FileLimits,
    sheet_extent_check,
    text_lines_check,
    xlsx_cells_check,
    xlsx_upload_check,
)
from salesalloc.core.money import sheet_number_text
from salesalloc.core.texts import Text

TEXT_EXTENSIONS = {".csv", ".txt", ".tsv"}
SHEET_EXTENSIONS = {".xlsx", ".xlsm", ".xls"}
_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
TRIM_RUN = 64  # a run of this many delimiters ending a line is cut to one
_SAW_FIELDS = re.compile(r"saw (\d+)")


class SourceWidened(Exception):  # noqa: N818 - a control-flow signal, not an error
    """Some row has more fields than the sentinel column can catch; read again, wider."""


@dataclass(frozen=True)
class RawChunk:
    """Text cells of consecutive data rows (columns 0..n-1 as in the header).

    ``rows`` are the rows' line numbers in the file; ``field_counts`` is 0 for rows of the
    right width, otherwise the number of fields the row really has.
    """

    frame: pd.DataFrame
    rows: np.ndarray
    field_counts: np.ndarray


@dataclass
class OrderSource:
    """A recognised order file: its kind, encoding, delimiter and header."""

    kind: str  # "csv", "xlsx" or "xls"
    data: bytes
    header: tuple[str, ...]
    header_line: int
    encoding: str | None = None
    delimiter: str | None = None
    max_columns: int = 256
    _sheet: Any = None  # the calamine sheet (cells held by calamine, rows read lazily)
    _extra_width: int = 1
    _layout: _LineLayout | None = None

    @property
    def layout(self) -> _LineLayout:
        if self._layout is None:
            self._layout = _line_layout(self.data)
        return self._layout

    @property
    def allow_serial_dates(self) -> bool:
        return self.kind != "csv"

    def rows_estimate(self) -> int:
        """Data rows in the file, counted cheaply before parsing (exact unless a row is
        whitespace-only or a quoted cell spans lines)."""
        if self.kind != "csv":
            return max(_sheet_size(self._sheet)[0] - self.header_line, 0)
        layout = self.layout
        return max(int(layout.nonblank_lines) - _nonblank_before(layout, self.header_line), 0)

    def chunks(self, chunk_rows: int) -> Iterator[RawChunk]:
        """Yield the data rows in chunks of at most ``chunk_rows`` rows (blank rows skipped).

        May raise ``SourceWidened`` part-way (a row with several extra fields): read again.
        """
        if self.kind == "csv":
            yield from self._csv_chunks(chunk_rows)
        else:
            yield from self._sheet_chunks(chunk_rows)

    # --- CSV -------------------------------------------------------------------------------
    def _csv_chunks(self, chunk_rows: int) -> Iterator[RawChunk]:
        width = len(self.header)
        layout = self.layout
        reader = pd.read_csv(
            io.BytesIO(self.data),
            sep=self.delimiter,
            header=None,
            names=list(range(width + self._extra_width)),
            dtype=str,
            na_filter=False,
            keep_default_na=False,
            skip_blank_lines=False,
            quotechar='"',
            doublequote=True,
            index_col=False,
            encoding=self.encoding,
            engine="c",
            chunksize=chunk_rows,
        )
        record = 0  # records read so far (the parser yields one per line, blank or not)
        extra_lines = 0  # newlines inside quoted cells of the records read so far
        try:
            for frame in reader:
                size = len(frame)
                index = np.arange(record, record + size)
                embedded = _embedded_newlines(frame) if layout.may_span_lines else None
                if embedded is None:
                    lines = index + 1 + extra_lines
                else:
                    lines = (
                        index + 1 + extra_lines + np.concatenate(([0], np.cumsum(embedded)[:-1]))
                    )
                    extra_lines += int(embedded.sum())
                record += size
                keep = lines > self.header_line
                if not keep.any():
                    continue
                frame, lines = frame[keep], lines[keep]
                span = embedded[keep] if embedded is not None else np.zeros(len(frame), int)
                nonblank = ~_blank_rows(frame)
                frame, lines, span = frame[nonblank], lines[nonblank], span[nonblank]
                counts = self._field_counts(frame, lines, span, layout, width)
                cells = frame.iloc[:, :width]
                cells.columns = range(width)
                yield RawChunk(frame=cells.reset_index(drop=True), rows=lines, field_counts=counts)
        except pd.errors.ParserError as exc:
            found = _SAW_FIELDS.search(str(exc))
            fields = int(found.group(1)) if found else 0
            if fields <= width + self._extra_width:
                raise FileFormatError(
                    Text(
                        gettext_noop("The file could not be read as CSV: %(error)s"),
                        {"error": str(exc)},
                    )
                ) from exc
            if fields > self.max_columns:
                raise FileFormatError(
                    Text(
                        gettext_noop(
                            "A row has %(fields)s fields; at most %(limit)s columns are read "
                            "(SALESALLOC_SHEET_MAX_COLUMNS)."
                        ),
                        {"fields": f"{fields:,}", "limit": f"{self.max_columns:,}"},
                    )
                ) from exc
            # Widen enough for this row, and at least double, so few re-reads are needed.
            self._extra_width = min(
                max(fields - width, 2 * self._extra_width), self.max_columns - width
            )
            raise SourceWidened from exc

    def _field_counts(
        self,
        frame: pd.DataFrame,
        lines: np.ndarray,
        span: np.ndarray,
        layout: _LineLayout,
        width: int,
    ) -> np.ndarray:
        counts = np.zeros(len(frame), dtype=np.int64)
        if not len(frame):
            return counts
        extra = np.zeros(len(frame), dtype=bool)
        for column in range(width, width + self._extra_width):
            extra |= (frame[column] != "").to_numpy()
        # pandas pads short rows with empty cells: re-count rows whose last cell is empty.
        suspect = np.flatnonzero(extra | (frame[width - 1] == "").to_numpy())
        if not len(suspect):
            return counts
        first_line = lines[suspect]
        end_line = first_line + span[suspect]
        starts = layout.starts[first_line - 1]
        ends = np.append(layout.starts, len(self.data))[np.minimum(end_line, len(layout.starts))]
        careful = np.ones(len(suspect), dtype=bool)
        if self._delimiter_is_a_byte():
            # One physical line without quotes: its fields are its delimiters + 1 (vectorised,
            # so a file of short rows costs no Python loop per row).
            fields, quoted = _delimiters_between(self.data, starts, ends, self.delimiter or ",")
            careful = quoted | (span[suspect] > 0)
            fast = ~careful
            counts[suspect[fast]] = np.where(fields[fast] != width, fields[fast], 0)
        for position, start, end in zip(
            suspect[careful], starts[careful], ends[careful], strict=True
        ):
            text = self.data[start:end].decode(self.encoding or "utf-8", errors="replace")
            parsed = next(csv.reader([text.rstrip("\r\n")], delimiter=self.delimiter or ","), [])
            if len(parsed) != width:
                counts[position] = len(parsed)
        return counts

    def _delimiter_is_a_byte(self) -> bool:
        """Whether the delimiter's byte never occurs inside a multi-byte character.

        UTF-8 continuation bytes are >= 0x80; GB18030's second bytes include ``|`` (0x7C).
        """
        return (self.encoding or "utf-8").startswith("utf-8") or self.delimiter in {",", ";", "\t"}

    # --- XLSX / XLS ------------------------------------------------------------------------
    def _sheet_chunks(self, chunk_rows: int) -> Iterator[RawChunk]:
        width = len(self.header)
        pad = [""] * int(self._sheet.start[1])  # calamine's rows begin at the first used column
        numbers: list[int] = []
        rows: list[list[str]] = []
        for index, row in enumerate(self._sheet.iter_rows()):
            if index < self.header_line or not _row_has_value(row):
                continue
            numbers.append(index + 1)
            rows.append(_sheet_row_text([*pad, *row], width))
            if len(rows) == chunk_rows:
                yield _sheet_chunk(rows, numbers, width)
                numbers, rows = [], []
        if rows:
            yield _sheet_chunk(rows, numbers, width)


def _sheet_chunk(rows: list[list[str]], numbers: list[int], width: int) -> RawChunk:
    return RawChunk(
        frame=pd.DataFrame(rows, columns=range(width), dtype=object),
        rows=np.asarray(numbers, dtype=np.int64),
        field_counts=np.zeros(len(rows), dtype=np.int64),
    )


# --- Recognising the file ------------------------------------------------------------------
@dataclass(frozen=True)
class UploadFacts:
    """What a web request learns cheaply: the kind, and for CSV the header from the first MB."""

    kind: str
    header: tuple[str, ...] | None


def upload_check(*, data: bytes, name: str, limits: FileLimits) -> UploadFacts:
    """Refuse what can be refused without parsing a sheet (``FileFormatError``).

    Bounded work only: the extension and magic bytes; for a workbook its zip directory and
    declared sheet dimensions; for text the first MB (encoding, delimiter, header) and a
    block-wise count of lines and the longest line. Everything else is the worker's.
    """
    kind = _kind(data, name)
    try:
        if kind == "xlsx":
            xlsx_upload_check(data, limits)
        if kind != "csv":
            return UploadFacts(kind=kind, header=None)
        text_lines_check(data, limits)
    except FileLimitError as exc:
        raise FileFormatError(exc.text) from exc
    head_bytes = data[:HEAD_BYTES]
    encoding = detect_encoding(head_bytes, final=len(data) <= HEAD_BYTES)
    head = _decode_head(data, encoding)
    header, _line = _csv_header(head, _sniff_delimiter(head))
    return UploadFacts(kind=kind, header=tuple(header))


def _kind(data: bytes, name: str) -> str:
    suffix = PurePath(name).suffix.lower()
    if suffix and suffix not in TEXT_EXTENSIONS | SHEET_EXTENSIONS:
        raise FileFormatError(
            Text(
                gettext_noop("%(name)s is not a CSV or Excel file (.csv, .txt, .xlsx, .xls)."),
                {"name": name},
            )
        )
    if not data.strip():
        raise FileFormatError(Text(gettext_noop("The file is empty.")))
    if data.startswith(_ZIP_MAGIC):
        return "xlsx"
    if data.startswith(_OLE_MAGIC):
        return "xls"
    if suffix in {".xlsx", ".xlsm"}:
        raise FileFormatError(
            Text(gettext_noop("%(name)s is not a valid XLSX workbook."), {"name": name})
        )
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise FileFormatError(
            Text(
                gettext_noop(
                    "The file is UTF-16 text; save it as CSV UTF-8 (or GBK) and upload it again."
                )
            )
        )
    if b"\x00" in data:  # the CSV parser would silently cut a cell at a NUL
        raise FileFormatError(
            Text(gettext_noop("The file is binary, not CSV text or an Excel workbook."))
        )
    return "csv"


def source_open(*, data: bytes, name: str, limits: FileLimits | None = None) -> OrderSource:
    """Recognise the file's format and read its header row; raise ``FileFormatError``.

    Every bound is checked before the sheet or the rows are expanded (see the module).
    """
    limits = limits or FileLimits.from_settings()
    kind = _kind(data, name)
    try:
        if kind == "xlsx":
            xlsx_cells_check(data, limits)
        if kind != "csv":
            return _sheet_open(data, kind, limits)
        text_lines_check(data, limits)
    except FileLimitError as exc:
        raise FileFormatError(exc.text) from exc
    encoding = detect_encoding(data)
    head = _decode_head(data, encoding)
    delimiter = _sniff_delimiter(head)
    header, header_line = _csv_header(head, delimiter)
    if len(header) > limits.max_columns:
        raise FileFormatError(
            Text(
                gettext_noop(
                    "The header has %(fields)s columns; at most %(limit)s columns are read "
                    "(SALESALLOC_SHEET_MAX_COLUMNS)."
                ),
                {"fields": f"{len(header):,}", "limit": f"{limits.max_columns:,}"},
            )
        )
    source = OrderSource(
        kind="csv",
        data=data,
        header=tuple(header),
        header_line=header_line,
        encoding=encoding,
        delimiter=delimiter,
        max_columns=limits.max_columns,
    )
    if not source.layout.may_span_lines:
        trimmed = _trailing_delimiters_cut(data, delimiter, encoding, len(header))
        if trimmed is not data:
            source.data, source._layout = trimmed, None
    return source


def _trailing_delimiters_cut(data: bytes, delimiter: str, encoding: str, width: int) -> bytes:
    """Cut each run of ``TRIM_RUN``+ delimiters that ends a line to one delimiter.

    The fields cut are empty trailing fields, which the reader ignores past the header (one
    empty extra field is what the sentinel column catches); a row that really has more
    fields, or fewer, is still reported. Only runs that end a line are touched, and only in
    files without quoted line breaks.
    """
    mark = delimiter.encode(encoding)
    run = max(TRIM_RUN, width + 1)
    if mark * run not in data:  # the usual case: one fast substring search
        return data
    pattern = re.compile(re.escape(mark) + rb"{%d,}(?=\r?\n|\Z)" % run)
    return pattern.sub(mark, data)


def _sheet_open(data: bytes, kind: str, limits: FileLimits) -> OrderSource:
    try:
        workbook = load_workbook(io.BytesIO(data))
        sheet = workbook.get_sheet_by_index(0)
    except Exception as exc:  # calamine raises several unrelated types
        raise FileFormatError(
            Text(gettext_noop("The workbook could not be read: %(error)s"), {"error": str(exc)})
        ) from exc
    try:  # XLS has no zip to stream: calamine's dimensions are the first look at the grid
        rows, columns = _sheet_size(sheet)
        sheet_extent_check(rows=rows, columns=columns, limits=limits)
    except FileLimitError as exc:
        raise FileFormatError(exc.text) from exc
    pad = [""] * (int(sheet.start[1]) if sheet.start else 0)
    for index, row in enumerate(sheet.iter_rows()):
        if _row_has_value(row):
            header = [str(_cell_text(cell)).strip() for cell in [*pad, *row]]
            while header and not header[-1]:
                header.pop()
            return OrderSource(
                kind=kind,
                data=data,
                header=tuple(header),
                header_line=index + 1,
                max_columns=limits.max_columns,
                _sheet=sheet,
            )
    raise FileFormatError(Text(gettext_noop("The first sheet of the workbook is empty.")))


def _sheet_size(sheet: Any) -> tuple[int, int]:
    """Rows and columns from A1 to the sheet's last cell (calamine's ``end`` is 0-based)."""
    if not sheet.height:
        return 0, 0
    end_row, end_column = sheet.end
    return int(end_row) + 1, int(end_column) + 1


def _row_has_value(row: Sequence[object]) -> bool:
    return any(cell not in ("", None) and str(cell).strip() for cell in row)


def _sheet_row_text(row: list[object], width: int) -> list[str]:
    cells = [_cell_text(cell) for cell in row[:width]]
    return cells + [""] * (width - len(cells))


def _cell_text(cell: object) -> str:
    """A cell as the text parsers expect it (numbers with 15 significant digits)."""
    if cell is None:
        return ""
    if isinstance(cell, bool):
        return "TRUE" if cell else "FALSE"
    if isinstance(cell, float):
        return sheet_number_text(cell)
    if isinstance(cell, int):
        return str(cell)
    if isinstance(cell, dt.datetime):
        if cell.time() == dt.time(0):
            return cell.date().isoformat()
        return cell.isoformat(sep=" ")
    if isinstance(cell, dt.date):
        return cell.isoformat()
    return str(cell)


# --- CSV layout helpers ------------------------------------------------------------------
@dataclass(frozen=True)
class _LineLayout:
    starts: np.ndarray  # byte offset of each physical line
    nonblank_lines: int
    blank_before: np.ndarray  # blank lines before line i (0-based), cumulative
    may_span_lines: bool  # some line has an odd number of quotes


def _line_layout(data: bytes) -> _LineLayout:
    raw = np.frombuffer(data, dtype=np.uint8)
    newlines = np.flatnonzero(raw == 10)
    starts = np.concatenate(([0], newlines + 1)).astype(np.int64)
    if starts[-1] >= len(data):
        starts = starts[:-1]
    ends = np.append(starts[1:] - 1, len(data))
    lengths = ends - starts
    last_byte = raw[np.maximum(ends - 1, 0)]
    blank = (lengths == 0) | ((lengths == 1) & (last_byte == 13))
    quotes = np.flatnonzero(raw == 34)
    may_span = False
    if quotes.size:
        per_line = np.bincount(np.searchsorted(starts, quotes, side="right") - 1)
        may_span = bool((per_line & 1).any())
    return _LineLayout(
        starts=starts,
        nonblank_lines=int((~blank).sum()),
        blank_before=np.concatenate(([0], np.cumsum(blank))),
        may_span_lines=may_span,
    )


def _delimiters_between(
    data: bytes, starts: np.ndarray, ends: np.ndarray, delimiter: str
) -> tuple[np.ndarray, np.ndarray]:
    """(fields, quoted) of the byte ranges ``starts[i]:ends[i]``: delimiters + 1, and
    whether the range holds a quote (then the count needs the ``csv`` module)."""
    low, high = int(starts.min()), int(ends.max())
    window = np.frombuffer(data, dtype=np.uint8)[low:high]
    begin, finish = starts - low, ends - low
    delimiters = np.concatenate(([0], np.cumsum(window == ord(delimiter), dtype=np.int32)))
    quotes = np.concatenate(([0], np.cumsum(window == 34, dtype=np.int32)))
    fields = (delimiters[finish] - delimiters[begin]).astype(np.int64) + 1
    return fields, (quotes[finish] - quotes[begin]) > 0


def _nonblank_before(layout: _LineLayout, header_line: int) -> int:
    """Non-blank lines up to and including the header line."""
    return header_line - int(layout.blank_before[header_line])


def _embedded_newlines(frame: pd.DataFrame) -> np.ndarray:
    counts = np.zeros(len(frame), dtype=np.int64)
    for column in frame.columns:
        values = frame[column]
        has = values.str.contains("\n", regex=False).to_numpy(dtype=bool)
        if has.any():
            counts[has] += values[has].str.count("\n").to_numpy(dtype=np.int64)
    return counts


def _blank_rows(frame: pd.DataFrame) -> np.ndarray:
    """Rows whose cells are all empty (the first may hold spaces): blank lines."""
    columns = list(frame.columns)
    probe = columns[1] if len(columns) > 1 else columns[0]
    candidates = np.flatnonzero((frame[probe] == "").to_numpy())
    blank = np.zeros(len(frame), dtype=bool)
    if len(candidates):
        part = frame.iloc[candidates]
        empty = (part[columns[0]].str.strip() == "").to_numpy()
        for column in columns[1:]:
            empty &= (part[column] == "").to_numpy()
        blank[candidates] = empty
    return blank
