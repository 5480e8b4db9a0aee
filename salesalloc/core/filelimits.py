"""Bound an uploaded spreadsheet or CSV before anything expands it.

A small file can describe an enormous sheet: one cell at ``XFD1048576`` makes a reader that
builds a dense grid (calamine, pandas) allocate 17 billion cells; a zip member can inflate a
thousandfold; a CSV line of 30,000 commas widens every parsed chunk. The checks here read
only metadata or stream the bytes in fixed-size blocks, so they run in bounded memory and
stop at the first limit crossed:

- ``xlsx_directory_check``: the zip directory (declared sizes and compression ratios); cheap
  enough for a web request.
- ``xlsx_cells_check``: streams every zip member (Python's ``zipfile`` stops at the declared
  size and checks the CRC, so a member cannot inflate past what the directory promised) and
  finds the farthest row and column any ``<row>``/``<c>`` element reaches, and the number of
  cells. Runs before a reader builds the sheet.
- ``sheet_extent_check``: rows x columns of a sheet a reader reports (calamine's dimensions).
- ``text_lines_check``: line count and longest line of a text file, in blocks.

Limits come from settings (``FileLimits.from_settings``; documented in ``.env.example``).
Over a limit → ``FileLimitError`` whose message names the limit and its setting.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections import Counter
from dataclasses import dataclass
from operator import itemgetter
from typing import Any

import numpy as np
from django.conf import settings
from django.utils.translation import gettext_noop

from salesalloc.core.texts import Text

BLOCK_BYTES = 1024 * 1024
# A member must inflate to at least this much before its compression ratio counts: small XML
# parts (styles, themes) legitimately compress 50-fold.
RATIO_MIN_BYTES = 1024 * 1024
MAX_MEMBERS = 10_000


class FileLimitError(Exception):
    """The file exceeds a configured limit; ``message`` says which, for people (in the
    active language; ``text`` keeps it untranslated for a job that shows it later)."""

    def __init__(self, message: Text, *, setting: str) -> None:
        super().__init__(message.render())
        self.text = message
        self.setting = setting

    @property
    def message(self) -> str:
        return self.text.render()


class UploadTooLargeError(Exception):
    """An upload over its byte limit; each caller words the refusal for its own page."""

    def __init__(self, *, size: int, limit: int) -> None:
        super().__init__(f"{size} bytes > {limit}")
        self.size = size
        self.limit = limit


def upload_read(file: Any, *, limit: int) -> bytes:
    """Read an uploaded file whole, but never more than ``limit`` + 1 bytes.

    A declared size over the limit is refused before reading; a file without one (or that
    lies about it) is refused once it has given more than ``limit`` bytes. Text is UTF-8.
    """
    size = getattr(file, "size", None)
    if size is not None and size > limit:
        raise UploadTooLargeError(size=size, limit=limit)
    if hasattr(file, "seek"):
        file.seek(0)
    data = file.read(limit + 1)
    if isinstance(data, str):
        data = data.encode("utf-8")
    if len(data) > limit:
        raise UploadTooLargeError(size=size or len(data), limit=limit)
    return bytes(data)


@dataclass(frozen=True)
class FileLimits:
    """How large an uploaded sheet or text file may be once expanded."""

    max_rows: int
    max_columns: int
    max_cells: int
    max_xlsx_bytes: int  # sum of the zip members' uncompressed sizes
    max_member_bytes: int  # one zip member, uncompressed
    max_ratio: int  # uncompressed / compressed size of one member
    max_lines: int  # physical lines of a text file
    max_line_bytes: int  # the longest line of a text file

    @classmethod
    def from_settings(cls) -> FileLimits:
        return cls(
            max_rows=settings.SALESALLOC_SHEET_MAX_ROWS,
            max_columns=settings.SALESALLOC_SHEET_MAX_COLUMNS,
            max_cells=settings.SALESALLOC_SHEET_MAX_CELLS,
            max_xlsx_bytes=settings.SALESALLOC_XLSX_MAX_UNCOMPRESSED_BYTES,
            max_member_bytes=settings.SALESALLOC_XLSX_MAX_MEMBER_BYTES,
            max_ratio=settings.SALESALLOC_XLSX_MAX_COMPRESSION_RATIO,
            max_lines=settings.SALESALLOC_CSV_MAX_LINES,
            max_line_bytes=settings.SALESALLOC_CSV_MAX_LINE_BYTES,
        )


def _n(value: int) -> str:
    return f"{value:,}"


def _limit_error(message: str, setting: str, **values: object) -> FileLimitError:
    shown = {k: _n(v) if isinstance(v, int) else v for k, v in values.items()}
    return FileLimitError(Text(message, {**shown, "setting": setting}), setting=setting)


def _unreadable(exc: BaseException) -> FileLimitError:
    return FileLimitError(
        Text(gettext_noop("The workbook could not be read: %(error)s"), {"error": str(exc)}),
        setting="",
    )


# --- XLSX --------------------------------------------------------------------------------------
def _zip(data: bytes) -> zipfile.ZipFile:
    try:
        return zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError) as exc:
        raise _unreadable(exc) from exc


def xlsx_directory_check(data: bytes, limits: FileLimits) -> None:
    """Refuse a workbook whose zip directory promises too much (sizes, ratio, members).

    Reads only the central directory: milliseconds, whatever the members hold.
    """
    with _zip(data) as archive:
        members = archive.infolist()
        if len(members) > MAX_MEMBERS:
            raise _limit_error(
                gettext_noop("The workbook has %(found)s parts; at most %(limit)s are read."),
                "",
                found=len(members),
                limit=MAX_MEMBERS,
            )
        total = 0
        for member in members:
            size = member.file_size
            total += size
            if size > limits.max_member_bytes:
                raise _limit_error(
                    gettext_noop(
                        "The workbook part %(name)s unpacks to %(found)s bytes; at most "
                        "%(limit)s bytes per part are read (%(setting)s)."
                    ),
                    "SALESALLOC_XLSX_MAX_MEMBER_BYTES",
                    name=member.filename[:80],
                    found=size,
                    limit=limits.max_member_bytes,
                )
            if size >= RATIO_MIN_BYTES:
                ratio = size // max(member.compress_size, 1)
                if ratio > limits.max_ratio:
                    raise _limit_error(
                        gettext_noop(
                            "The workbook part %(name)s is compressed %(found)s to 1; at most "
                            "%(limit)s to 1 is read (%(setting)s)."
                        ),
                        "SALESALLOC_XLSX_MAX_COMPRESSION_RATIO",
                        name=member.filename[:80],
                        found=ratio,
                        limit=limits.max_ratio,
                    )
        if total > limits.max_xlsx_bytes:
            raise _limit_error(
                gettext_noop(
                    "The workbook unpacks to %(found)s bytes; at most %(limit)s bytes are read "
                    "(%(setting)s)."
                ),
                "SALESALLOC_XLSX_MAX_UNCOMPRESSED_BYTES",
                found=total,
                limit=limits.max_xlsx_bytes,
            )


# Row and cell elements (any namespace prefix) and their ``r`` references, wherever the
# attribute sits in the tag. Elements without a reference take the next position: counted.
_PREFIX = rb"<(?:[A-Za-z_][\w.-]*:)?"
_VALUE = rb"""\s*=\s*["']\$?"""
_TAG = re.compile(
    _PREFIX + rb"(c|row)(?=[\s/>])(?:[^<>]*?\sr" + _VALUE + rb"([A-Za-z]{0,3})\$?(\d{0,9})[\"'])?"
)
_TAIL = 4096  # an open tag carried into the next block (so a split element is seen whole)


def _column_number(letters: bytes) -> int:
    number = 0
    for char in letters.upper():
        number = number * 26 + (char - 64)
    return number


_DIMENSION = re.compile(
    _PREFIX
    + rb"dimension(?=\s)[^<>]*?\sref"
    + _VALUE
    + rb"(?:\$?[A-Za-z]{1,3}\$?\d{1,9}:)?\$?([A-Za-z]{1,3})\$?(\d{1,9})"
)
HEAD_BYTES = 64 * 1024


def xlsx_upload_check(data: bytes, limits: FileLimits) -> None:
    """The checks cheap enough for a web request: the zip directory, and each sheet's
    declared ``<dimension ref>`` (from the first 64 KB of each part, never the whole part).

    A sheet that understates its dimension is caught later by ``xlsx_cells_check``.
    """
    xlsx_directory_check(data, limits)
    with _zip(data) as archive:
        for member in archive.infolist():
            if member.is_dir() or not member.filename.lower().endswith(".xml"):
                continue
            try:
                with archive.open(member) as stream:
                    head = stream.read(HEAD_BYTES)
            except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError) as exc:
                raise _unreadable(exc) from exc
            except NotImplementedError as exc:
                raise _unreadable(exc) from exc
            match = _DIMENSION.search(head)
            if match is not None:
                sheet_extent_check(
                    rows=int(match.group(2)),
                    columns=_column_number(match.group(1)),
                    limits=limits,
                )


def xlsx_cells_check(data: bytes, limits: FileLimits) -> None:
    """Refuse a workbook any of whose sheets reaches past the limits; stream, never build.

    Every member is inflated in blocks through ``zipfile`` (bounded by its declared size,
    CRC-checked): a lying directory fails here instead of in the reader. Each part's ``<row>``
    and ``<c>`` elements give the farthest row and column (from A1, as the reader lays the
    grid out); elements without a reference add one position each.
    """
    xlsx_directory_check(data, limits)
    with _zip(data) as archive:
        for member in archive.infolist():
            if member.is_dir():
                continue
            try:
                _member_scan(archive, member, limits)
            except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError) as exc:
                raise _unreadable(exc) from exc
            except NotImplementedError as exc:  # an unsupported compression method
                raise _unreadable(exc) from exc


@dataclass
class _Extent:
    """How far a sheet part reaches (from A1) and how many cells it holds."""

    rows: int = 0
    columns: int = 0
    cells: int = 0
    unreferenced_rows: int = 0
    unreferenced_cells: int = 0

    def add(self, text: bytes) -> None:
        found = _TAG.findall(text)  # (kind, column letters, row number) per element
        if not found:
            return
        kinds = list(map(itemgetter(0), found))
        letters = list(map(itemgetter(1), found))
        numbers = list(map(itemgetter(2), found))
        # (kind, has a column) and (kind, has a row): how many elements lack a reference.
        with_column = Counter(zip(kinds, map(bool, letters), strict=True))
        with_row = Counter(zip(kinds, map(bool, numbers), strict=True))
        self.cells += with_column[b"c", True] + with_column[b"c", False]
        self.unreferenced_cells += with_column[b"c", False]
        self.unreferenced_rows += with_row[b"row", False]
        columns = set(letters)
        columns.discard(b"")
        self.columns = max(self.columns, max(map(_column_number, columns), default=0))
        self.rows = max(self.rows, max(map(int, filter(None, numbers)), default=0))

    def check(self, limits: FileLimits) -> None:
        _extent_check(
            rows=self.rows + self.unreferenced_rows,
            columns=self.columns + self.unreferenced_cells,
            cells=self.cells,
            limits=limits,
        )


def _member_scan(archive: zipfile.ZipFile, member: zipfile.ZipInfo, limits: FileLimits) -> None:
    extent = _Extent()
    carry = b""
    with archive.open(member) as stream:
        while block := stream.read(BLOCK_BYTES):
            text = carry + block
            cut = text.rfind(b"<")
            if cut < 0 or text.find(b">", cut) >= 0:
                cut = len(text)  # no tag left open at the end of the block
            elif len(text) - cut > _TAIL:
                raise _unreadable(ValueError("a tag is longer than 4 KB"))
            extent.add(text[:cut])
            carry = text[cut:]
            extent.check(limits)
    extent.add(carry)
    extent.check(limits)


def _extent_check(*, rows: int, columns: int, cells: int, limits: FileLimits) -> None:
    if rows > limits.max_rows:
        raise _limit_error(
            gettext_noop(
                "The sheet reaches row %(found)s; at most %(limit)s rows are read (%(setting)s)."
            ),
            "SALESALLOC_SHEET_MAX_ROWS",
            found=rows,
            limit=limits.max_rows,
        )
    if columns > limits.max_columns:
        raise _limit_error(
            gettext_noop(
                "The sheet reaches column %(found)s; at most %(limit)s columns are read "
                "(%(setting)s)."
            ),
            "SALESALLOC_SHEET_MAX_COLUMNS",
            found=columns,
            limit=limits.max_columns,
        )
    grid = max(cells, rows * columns)
    if grid > limits.max_cells:
        raise _limit_error(
            gettext_noop(
                "The sheet spans %(found)s cells (%(rows)s rows x %(columns)s columns); at most "
                "%(limit)s cells are read (%(setting)s)."
            ),
            "SALESALLOC_SHEET_MAX_CELLS",
            found=grid,
            rows=rows,
            columns=columns,
            limit=limits.max_cells,
        )


def sheet_extent_check(*, rows: int, columns: int, limits: FileLimits) -> None:
    """Refuse a sheet whose grid (from A1 to its last cell) is over the limits."""
    _extent_check(rows=rows, columns=columns, cells=0, limits=limits)


# --- Text --------------------------------------------------------------------------------------
def text_lines_check(data: bytes, limits: FileLimits) -> int:
    """Refuse text with too many lines or a line too long; return the line count.

    Counts in blocks (``bytes.count``/``find`` run at memory speed), so a 256 MB file takes a
    fraction of a second and no extra memory.
    """
    view = memoryview(data)
    lines = 0
    longest = 0
    current = 0  # bytes of the line running into the next block
    for start in range(0, len(data), BLOCK_BYTES):
        block = bytes(view[start : start + BLOCK_BYTES])
        count = block.count(b"\n")
        if count == 0:
            current += len(block)
        else:
            first = block.find(b"\n")
            last = block.rfind(b"\n")
            longest = max(longest, current + first)
            if count > 1:
                longest = max(longest, _longest_inner(block, first, last))
            current = len(block) - last - 1
        lines += count
        if max(longest, current) > limits.max_line_bytes:
            raise _limit_error(
                gettext_noop(
                    "A line of the file is longer than %(limit)s bytes; no line may be longer "
                    "(%(setting)s)."
                ),
                "SALESALLOC_CSV_MAX_LINE_BYTES",
                limit=limits.max_line_bytes,
            )
        if lines > limits.max_lines:
            break
    if current:
        lines += 1
    if lines > limits.max_lines:
        raise _limit_error(
            gettext_noop(
                "The file has more than %(limit)s lines; at most %(limit)s are read (%(setting)s)."
            ),
            "SALESALLOC_CSV_MAX_LINES",
            limit=limits.max_lines,
        )
    return lines


def _longest_inner(block: bytes, first: int, last: int) -> int:
    """The longest line between the first and last newline of ``block`` (without them)."""
    positions = np.flatnonzero(np.frombuffer(block, dtype=np.uint8)[first : last + 1] == 10)
    if len(positions) < 2:
        return 0
    return int(np.diff(positions).max()) - 1
