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
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import PurePath

import numpy as np
import pandas as pd
from django.utils.translation import gettext as _

from salesalloc.core.money import sheet_number_text

TEXT_EXTENSIONS = {".csv", ".txt", ".tsv"}
SHEET_EXTENSIONS = {".xlsx", ".xlsm", ".xls"}
DELIMITERS = (",", ";", "\t", "|")
_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


class FileFormatError(Exception):
    """The file cannot be read as an order file; ``message`` says why, for people."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


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
    _sheet_rows: list[list[object]] | None = None
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
            return sum(1 for row in self._sheet_rows[self.header_line :] if _row_has_value(row))
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
            widest = _widest_row(self.data, self.encoding, self.delimiter)
            if widest <= width + self._extra_width:
                raise FileFormatError(
                    _("The file could not be read as CSV: %(error)s") % {"error": exc}
                ) from exc
            self._extra_width = widest - width
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
        suspect = extra | (frame[width - 1] == "").to_numpy()
        for position in np.flatnonzero(suspect):
            line = int(lines[position])
            start = layout.starts[line - 1]
            end_line = line + int(span[position])
            end = layout.starts[end_line] if end_line < len(layout.starts) else len(self.data)
            text = self.data[start:end].decode(self.encoding or "utf-8", errors="replace")
            fields = next(csv.reader([text.rstrip("\r\n")], delimiter=self.delimiter), [])
            if len(fields) != width:
                counts[position] = len(fields)
        return counts

    # --- XLSX / XLS ------------------------------------------------------------------------
    def _sheet_chunks(self, chunk_rows: int) -> Iterator[RawChunk]:
        width = len(self.header)
        body = self._sheet_rows[self.header_line :]
        numbers = [self.header_line + 1 + i for i, row in enumerate(body) if _row_has_value(row)]
        rows = [_sheet_row_text(row, width) for row in body if _row_has_value(row)]
        for start in range(0, len(rows), chunk_rows):
            part = rows[start : start + chunk_rows]
            frame = pd.DataFrame(part, columns=range(width), dtype=object)
            yield RawChunk(
                frame=frame,
                rows=np.asarray(numbers[start : start + chunk_rows], dtype=np.int64),
                field_counts=np.zeros(len(part), dtype=np.int64),
            )


# --- Recognising the file ------------------------------------------------------------------
def source_open(*, data: bytes, name: str) -> OrderSource:
    """Recognise the file's format and read its header row; raise ``FileFormatError``."""
    suffix = PurePath(name).suffix.lower()
    if suffix and suffix not in TEXT_EXTENSIONS | SHEET_EXTENSIONS:
        raise FileFormatError(
            _("%(name)s is not a CSV or Excel file (.csv, .txt, .xlsx, .xls).") % {"name": name}
        )
    if not data.strip():
        raise FileFormatError(_("The file is empty."))
    if data.startswith(_ZIP_MAGIC):
        return _sheet_open(data, "xlsx")
    if data.startswith(_OLE_MAGIC):
        return _sheet_open(data, "xls")
    if suffix in {".xlsx", ".xlsm"}:
        raise FileFormatError(_("%(name)s is not a valid XLSX workbook.") % {"name": name})
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise FileFormatError(
            _("The file is UTF-16 text; save it as CSV UTF-8 (or GBK) and upload it again.")
        )
    if b"\x00" in data[:65536]:
        raise FileFormatError(_("The file is binary, not CSV text or an Excel workbook."))
    encoding = detect_encoding(data)
    head = _decode_head(data, encoding)
    delimiter = _sniff_delimiter(head)
    header, header_line = _csv_header(head, delimiter)
    return OrderSource(
        kind="csv",
        data=data,
        header=tuple(header),
        header_line=header_line,
        encoding=encoding,
        delimiter=delimiter,
    )


def detect_encoding(data: bytes) -> str:
    """``utf-8-sig``, ``utf-8`` or ``gb18030`` (a superset of GBK); else ``FileFormatError``."""
    if data.startswith(codecs.BOM_UTF8):
        if _decodes(data[len(codecs.BOM_UTF8) :], "utf-8"):
            return "utf-8-sig"
    elif _decodes(data, "utf-8"):
        return "utf-8"
    elif _decodes(data, "gb18030"):
        return "gb18030"
    raise FileFormatError(
        _("The file's text is neither UTF-8 nor GBK/GB18030; save it as CSV UTF-8.")
    )


def _decodes(data: bytes, encoding: str, block: int = 4 * 1024 * 1024) -> bool:
    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    view = memoryview(data)
    try:
        for start in range(0, len(view), block):
            decoder.decode(view[start : start + block])
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def _decode_head(data: bytes, encoding: str, size: int = 1024 * 1024) -> str:
    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    return decoder.decode(data[:size], final=len(data) <= size)


def _sniff_delimiter(head: str) -> str:
    lines = [line for line in head.splitlines()[:50] if line.strip()]
    if not lines:
        return ","
    best, best_score = ",", (1, 0)
    for delimiter in DELIMITERS:
        widths = [len(fields) for fields in csv.reader(lines[:20], delimiter=delimiter)]
        header_width = widths[0]
        consistent = sum(1 for width in widths[1:] if width == header_width)
        score = (header_width, consistent)
        if header_width > 1 and score > best_score:
            best, best_score = delimiter, score
    return best


def _csv_header(head: str, delimiter: str) -> tuple[list[str], int]:
    reader = csv.reader(io.StringIO(head), delimiter=delimiter)
    previous_line = 0
    for fields in reader:
        if any(field.strip() for field in fields):
            header = [field.replace("\ufeff", "").strip() for field in fields]
            while not header[-1]:  # a trailing delimiter adds no column
                header.pop()
            return header, previous_line + 1
        previous_line = reader.line_num
    raise FileFormatError(_("The file has no header row."))


def _sheet_open(data: bytes, kind: str) -> OrderSource:
    from python_calamine import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(data))
        sheet = workbook.get_sheet_by_index(0)
        rows = sheet.to_python(skip_empty_area=False)
    except Exception as exc:  # calamine raises several unrelated types
        raise FileFormatError(
            _("The workbook could not be read: %(error)s") % {"error": exc}
        ) from exc
    for index, row in enumerate(rows):
        if _row_has_value(row):
            header = [str(_cell_text(cell)).strip() for cell in row]
            while header and not header[-1]:
                header.pop()
            return OrderSource(
                kind=kind, data=data, header=tuple(header), header_line=index + 1, _sheet_rows=rows
            )
    raise FileFormatError(_("The first sheet of the workbook is empty."))


def _row_has_value(row: list[object]) -> bool:
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


def _widest_row(data: bytes, encoding: str | None, delimiter: str | None) -> int:
    text = io.StringIO(data.decode(encoding or "utf-8", errors="replace"))
    return max((len(fields) for fields in csv.reader(text, delimiter=delimiter or ",")), default=0)
