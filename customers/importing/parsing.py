"""Vectorised parsers from text cells to exact values (pure pandas/numpy, no database).

Every column is first reduced to its distinct values (``Column``: ``pd.factorize``); parsing
and lookups run on those and are taken back to the rows, so low-cardinality columns (dates,
codes, quantities) cost almost nothing.

Money and quantities become *scaled integers* (value x 10**scale, ``int64``), never floats.
Plain numbers (``-1234.5``) are read by a vectorised digit parser over a character matrix;
anything else takes the careful path: NFKC (full-width digits and punctuation become ASCII),
currency symbols and spaces dropped, well-formed thousands separators dropped, ``(123.45)``
and ``123.45-`` negative, then the same digit reading.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from decimal import MAX_EMAX, MIN_EMIN, ROUND_DOWN, Context, Decimal, localcontext

import numpy as np
import pandas as pd

# Status codes of a parsed cell.
OK = 0
BLANK = 1
INVALID = 2
TOO_MANY_DECIMALS = 3
TOO_LARGE = 4

_POW10 = np.array([10**k for k in range(19)], dtype=np.int64)
_BLOCK = 65_536  # rows per block of the character-matrix passes (bounds their memory)


def _ascii_mask(values: np.ndarray) -> np.ndarray:
    return np.fromiter((v.isascii() for v in values), dtype=bool, count=len(values))


def _ascii_bytes(values: np.ndarray, width: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(bytes matrix, ASCII mask): ASCII cells as an (n, width) ``uint8`` matrix, zero-padded.

    Cells longer than ``width`` are cut; non-ASCII cells become empty rows (mask False).
    """
    dtype = f"S{width}" if width else "S"
    try:
        array = np.asarray(values, dtype=dtype)
        mask = np.ones(len(values), dtype=bool)
    except UnicodeEncodeError:
        mask = _ascii_mask(values)
        array = np.asarray(np.where(mask, values, ""), dtype=dtype)
    if array.dtype.itemsize == 0:
        array = array.astype("S1")
    return array.view(np.uint8).reshape(len(values), array.dtype.itemsize), mask


_WS_BYTES = np.array([9, 10, 11, 12, 13, 32], dtype=np.uint8)
# Control characters (C0, DEL, C1) and the two XML non-characters: never valid in a code, and
# XLSX cannot even hold most of them.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f-\x9f\ufffe\uffff]")
_SPACING_CONTROLS = re.compile(r"[\t\n\r]+")


def _text_scan(values: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(needs normalising, length, control): True for cells that are not plain ASCII without
    surrounding whitespace; the length of the others (-1 for those that need it); whether
    the others hold a control character (those that need normalising are checked later)."""
    need = np.zeros(len(values), dtype=bool)
    lengths = np.full(len(values), -1, dtype=np.int64)
    control = np.zeros(len(values), dtype=bool)
    for start in range(0, len(values), _BLOCK):
        part = values[start : start + _BLOCK]
        chars, ascii_cells = _ascii_bytes(part)
        present = chars != 0
        length = present.sum(axis=1)
        last = chars[np.arange(len(part)), np.maximum(length - 1, 0)]
        spaced = np.isin(chars[:, 0], _WS_BYTES) | np.isin(last, _WS_BYTES)
        block_need = ~ascii_cells | spaced
        # A NUL inside a cell shows as a gap: fewer bytes present than the last one's place.
        reach = np.where(present, np.arange(chars.shape[1]), -1).max(axis=1) + 1
        block_control = ((chars < 32) & present).any(axis=1) | (chars == 127).any(axis=1)
        block_control |= reach > length
        need[start : start + len(part)] = block_need
        lengths[start : start + len(part)] = np.where(block_need, -1, length)
        control[start : start + len(part)] = block_control & ~block_need
    # numpy drops trailing NULs from byte strings: look for NUL in the text itself.
    plain = ~need
    if plain.any():
        nul = pd.Series(values[plain], dtype=object).str.contains("\x00", regex=False)
        control[plain] |= nul.to_numpy(dtype=bool)
    return need, lengths, control


def normalise(values: np.ndarray) -> np.ndarray:
    """NFKC-normalise cells (full-width digits and punctuation to ASCII) and strip them."""
    return _normalised(np.asarray(values, dtype=object))[0]


def _normalised(values: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    need, lengths, control = _text_scan(values)
    if need.any():
        values = values.copy()
        fixed = pd.Series(values[need], dtype=object).str.normalize("NFKC").str.strip()
        values[need] = fixed.to_numpy(dtype=object)
        lengths[need] = [len(v) for v in values[need]]
        control[need] = fixed.str.contains(CONTROL_CHARACTERS, regex=True).to_numpy(dtype=bool)
    return values, lengths, control


def control_text(value: str) -> str:
    """``value`` with its control characters written as escapes (``Acme\\x0b``), for messages."""
    return CONTROL_CHARACTERS.sub(lambda match: f"\\x{ord(match.group()):02x}", value)


@dataclass(frozen=True)
class Column:
    """A column as ``codes`` into its distinct, cleaned values ``uniques``.

    Per-value results (lookups, parses) are computed on ``uniques`` and taken to the rows
    with ``rows``.
    """

    codes: np.ndarray
    uniques: np.ndarray
    unique_lengths: np.ndarray
    unique_controls: np.ndarray | None = None  # holds a control character

    @classmethod
    def of(cls, values: pd.Series | np.ndarray) -> Column:
        codes, uniques = pd.factorize(np.asarray(values, dtype=object), use_na_sentinel=False)
        cleaned, lengths, controls = _normalised(np.asarray(uniques, dtype=object))
        return cls(codes=codes, uniques=cleaned, unique_lengths=lengths, unique_controls=controls)

    def controls(self) -> np.ndarray:
        """Rows whose cell holds a control character."""
        if self.unique_controls is None:
            return np.zeros(len(self.codes), dtype=bool)
        return self.rows(self.unique_controls)

    def without_controls(self) -> Column:
        """The column with line breaks and tabs as spaces and other control characters gone."""
        if self.unique_controls is None or not self.unique_controls.any():
            return self
        uniques = self.uniques.copy()
        lengths = self.unique_lengths.copy()
        fixed = (
            pd.Series(uniques[self.unique_controls], dtype=object)
            .str.replace(_SPACING_CONTROLS, " ", regex=True)
            .str.replace(CONTROL_CHARACTERS, "", regex=True)
            .str.strip()
        )
        uniques[self.unique_controls] = fixed.to_numpy(dtype=object)
        lengths[self.unique_controls] = fixed.str.len().to_numpy(dtype=np.int64)
        return Column(
            codes=self.codes,
            uniques=uniques,
            unique_lengths=lengths,
            unique_controls=np.zeros(len(uniques), dtype=bool),
        )

    def rows(self, per_unique: np.ndarray | pd.Series) -> np.ndarray:
        return np.asarray(per_unique)[self.codes]

    def values(self) -> np.ndarray:
        return self.uniques[self.codes]

    def blank(self) -> np.ndarray:
        return self.rows(self.uniques == "")

    def lengths(self) -> np.ndarray:
        return self.rows(self.unique_lengths)

    def lookup(self, table: dict[str, int], *, lower: bool = True) -> np.ndarray:
        """Ids from ``table`` by (lower-cased) value; 0 when absent."""
        keys = pd.Series(self.uniques, dtype=object)
        if lower:
            keys = keys.str.lower()
        return self.rows(keys.map(table).fillna(0).to_numpy(dtype=np.int64))


# --- Decimals ---------------------------------------------------------------------------------
_PLAIN_NUMBER = r"-?(?:\d+(?:\.\d*)?|\.\d+)"
_GROUPED = r"-?\d{1,3}(?:,\d{3})+(?:\.\d*)?"
_NOISE = r"[\s¥$€]"
_NUMBER_WIDTH = 22


def _digits_read(
    values: np.ndarray, scale: int, max_int_digits: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Read plain numbers ``-?digits[.digits]`` exactly; returns (scaled, status, handled).

    A character matrix checks the shape and finds the point; the digits themselves are read
    as integers. Cells with any other character are not ``handled`` (the careful path takes
    them). Trailing zeros after the point are not decimals; leading zeros are not digits.
    """
    size, width = len(values), _NUMBER_WIDTH
    scaled = np.zeros(size, dtype=np.int64)
    status = np.full(size, INVALID, dtype=np.int8)
    handled = np.zeros(size, dtype=bool)
    position = np.arange(width, dtype=np.int8)
    for start in range(0, size, _BLOCK):
        part = values[start : start + _BLOCK]
        chars, ascii_part = _ascii_bytes(part, width + 1)
        chars[~ascii_part, 0] = ord("x")  # not a plain number: the careful path takes it
        too_long = chars[:, width] != 0
        chars = chars[:, :width]
        present = chars != 0
        digit = (chars >= 48) & (chars <= 57)
        dot = chars == 46
        minus = chars[:, 0] == 45
        allowed = digit | dot | ~present
        allowed[:, 0] |= minus
        dots = dot.sum(axis=1)
        plain = allowed.all(axis=1) & (dots <= 1) & digit.any(axis=1) & ~too_long
        length = present.sum(axis=1)
        point = np.where(dots == 1, dot.argmax(axis=1), length)
        significant = digit & (chars != 48)
        # Decimals that carry information, and digits before the point (no leading zeros).
        last = np.where(significant, position, np.int8(-1)).max(axis=1).astype(np.int64)
        decimals = np.maximum(last - point, 0)
        first = np.where(significant, position, np.int8(width)).min(axis=1).astype(np.int64)
        int_digits = np.maximum(point - first, 0)
        too_many = decimals > scale
        too_large = ~too_many & (int_digits > max_int_digits)
        good = plain & ~too_many & ~too_large
        block = slice(start, start + len(part))
        handled[block] = plain
        status[block] = np.select(
            [~plain, too_many, too_large], [INVALID, TOO_MANY_DECIMALS, TOO_LARGE], OK
        )
        # The significant digits (first..last non-zero, at most 18) read left to right, then
        # scaled by the power of ten of the last one.
        use = good[:, None] & digit & (position >= first[:, None]) & (position <= last[:, None])
        number = np.zeros(len(part), dtype=np.int64)
        for column in range(width):
            taken = use[:, column]
            if taken.any():
                number = np.where(taken, number * 10 + (chars[:, column] - 48), number)
        exponent = np.where(last < point, point - 1 - last, point - last) + scale
        number = number * _POW10[np.clip(exponent, 0, 18)]
        scaled[block] = np.where(good, np.where(minus, -number, number), 0)
    return scaled, status, handled


def _decimals_careful(values: np.ndarray) -> np.ndarray:
    """Rewrite messy number text to ``-?digits[.digits]`` where possible (else unchanged)."""
    text = pd.Series(values, dtype=object).str.normalize("NFKC").str.strip()
    text = text.str.replace(_NOISE, "", regex=True)
    paren = text.str.fullmatch(r"\(.*\)").to_numpy(dtype=bool)
    text[paren] = "-" + text[paren].str.slice(1, -1)
    trailing = text.str.fullmatch(r"[^-]+-").to_numpy(dtype=bool)
    text[trailing] = "-" + text[trailing].str.slice(0, -1)
    text = text.str.replace(r"^\+", "", regex=True)
    grouped = text.str.fullmatch(_GROUPED).to_numpy(dtype=bool)
    text[grouped] = text[grouped].str.replace(",", "", regex=False)
    return text.to_numpy(dtype=object)


def _decimal_one(text: str, scale: int, max_int_digits: int) -> tuple[int, int]:
    """One plain number too long for the character matrix, with the same rules.

    Any length is exact: the arithmetic runs with as many digits as the text has (the
    default 28-digit context would raise on a 25-digit amount at 4 places).
    """
    context = Context(prec=len(text) + scale + 2, Emax=MAX_EMAX, Emin=MIN_EMIN, traps=[])
    with localcontext(context):
        number = Decimal(text)
        scaled = number.scaleb(scale)
        if scaled != scaled.to_integral_value(rounding=ROUND_DOWN):
            return 0, TOO_MANY_DECIMALS
        if abs(number) >= Decimal(10) ** max_int_digits:
            return 0, TOO_LARGE
        return int(scaled), OK


@dataclass(frozen=True)
class Decimals:
    """Scaled integers (value x 10**scale) with a per-cell status (OK, BLANK, INVALID, ...)."""

    scaled: np.ndarray
    status: np.ndarray
    scale: int


def decimals_parse(column: Column, *, scale: int, max_int_digits: int) -> Decimals:
    """Parse money or quantities exactly; more than ``scale`` decimals is an error."""
    uniques = column.uniques
    scaled, status, handled = _digits_read(uniques, scale, max_int_digits)
    blank = uniques == ""
    status[blank] = BLANK
    rest = ~handled & ~blank
    if rest.any():
        cleaned = _decimals_careful(uniques[rest])
        fixed = pd.Series(cleaned, dtype=object).str.fullmatch(_PLAIN_NUMBER).to_numpy(dtype=bool)
        again_scaled, again_status, handled_now = _digits_read(
            np.where(fixed, cleaned, "x"), scale, max_int_digits
        )
        for i in np.flatnonzero(fixed & ~handled_now):  # longer than the matrix: rare
            again_scaled[i], again_status[i] = _decimal_one(cleaned[i], scale, max_int_digits)
        scaled[rest] = again_scaled
        status[rest] = np.where(fixed, again_status, INVALID)
    return Decimals(scaled=column.rows(scaled), status=column.rows(status), scale=scale)


def decimal_text(scaled: np.ndarray, scale: int) -> np.ndarray:
    """Format scaled integers as exact decimal strings (``-12.3400``), vectorised."""
    numbers = pd.Series(np.asarray(scaled, dtype=np.int64))
    magnitude = numbers.abs()
    text = (magnitude // _POW10[scale]).astype(str)
    if scale:
        frac = (magnitude % _POW10[scale] + _POW10[scale]).astype(str).str.slice(1)
        text = text + "." + frac
    text = text.where(numbers >= 0, "-" + text)
    return text.to_numpy(dtype=object)


# --- Whole numbers ------------------------------------------------------------------------------
def positive_ints_parse(column: Column) -> tuple[np.ndarray, np.ndarray]:
    """Parse whole numbers 1..2**31-1 (``7`` or ``7.0``); returns (numbers, status)."""
    text = pd.Series(column.uniques, dtype=object)
    number = np.zeros(len(text), dtype=np.int64)
    status = np.full(len(text), INVALID, dtype=np.int8)
    whole = text.str.fullmatch(r"\d{1,10}(?:\.0*)?").to_numpy(dtype=bool)
    if whole.any():
        number[whole] = text[whole].str.replace(r"\.0*$", "", regex=True).astype(np.int64)
    status[whole & (number >= 1) & (number <= 2_147_483_647)] = OK
    status[(text == "").to_numpy()] = BLANK
    return column.rows(number), column.rows(status)


# --- Dates ----------------------------------------------------------------------------------
DATE_BLANK = 0
DATE_BAD = 1
DATE_FULL = 2  # year, month, day known
DATE_AMBIGUOUS = 3  # a/b/year: M/D/Y or D/M/Y, decided per file

_TIME = r"(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?"
_YMD = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?" + _TIME)
_COMPACT = re.compile(r"(\d{4})(\d{2})(\d{2})")
_AMBIGUOUS = re.compile(r"(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})" + _TIME)
_SERIAL = re.compile(r"\d{1,7}(?:\.\d+)?")
_EXCEL_EPOCH = dt.date(1899, 12, 30)


@dataclass(frozen=True)
class DateParts:
    """Per-row date pieces; ambiguous slash dates keep both parts until the file decides."""

    kind: np.ndarray
    year: np.ndarray
    first: np.ndarray  # month for DATE_FULL
    second: np.ndarray  # day for DATE_FULL

    @property
    def first_above_12(self) -> bool:
        return bool(((self.kind == DATE_AMBIGUOUS) & (self.first > 12)).any())

    @property
    def second_above_12(self) -> bool:
        return bool(((self.kind == DATE_AMBIGUOUS) & (self.second > 12)).any())

    @classmethod
    def concat(cls, parts: list[DateParts]) -> DateParts:
        def join(name: str, dtype: type) -> np.ndarray:
            arrays = [getattr(p, name) for p in parts]
            return np.concatenate(arrays).astype(dtype) if arrays else np.array([], dtype=dtype)

        return cls(
            kind=join("kind", np.int8),
            year=join("year", np.int32),
            first=join("first", np.int32),
            second=join("second", np.int32),
        )


def date_parts_parse(column: Column, *, allow_serial: bool = False) -> DateParts:
    """Split date cells into parts; ``allow_serial`` reads Excel serial day numbers.

    Runs per distinct value (a file has a few thousand distinct dates at most).
    """
    size = len(column.uniques)
    kind = np.full(size, DATE_BAD, dtype=np.int8)
    year = np.zeros(size, dtype=np.int32)
    first = np.zeros(size, dtype=np.int32)
    second = np.zeros(size, dtype=np.int32)
    for i, cell in enumerate(column.uniques):
        if cell == "":
            kind[i] = DATE_BLANK
        elif match := _YMD.fullmatch(cell) or _COMPACT.fullmatch(cell):
            kind[i] = DATE_FULL
            year[i], first[i], second[i] = (int(g) for g in match.groups()[:3])
        elif match := _AMBIGUOUS.fullmatch(cell):
            kind[i] = DATE_AMBIGUOUS
            first[i], second[i], year[i] = (int(g) for g in match.groups()[:3])
        elif allow_serial and _SERIAL.fullmatch(cell):
            serial = int(cell.split(".")[0])
            if 1 <= serial <= 2_958_465:
                day = _EXCEL_EPOCH + dt.timedelta(days=serial)
                kind[i] = DATE_FULL
                year[i], first[i], second[i] = day.year, day.month, day.day
    return DateParts(
        kind=column.rows(kind),
        year=column.rows(year),
        first=column.rows(first),
        second=column.rows(second),
    )


def date_order_decide(parts: DateParts, *, date_order: str) -> str:
    """``mdy`` or ``dmy`` for the file's ambiguous dates.

    A saved mapping's ``mdy``/``dmy`` wins. Otherwise a first part above 12 means D/M/Y, a
    second part above 12 means M/D/Y, and an undecidable file is read as M/D/Y.
    """
    if date_order in ("mdy", "dmy"):
        return date_order
    if parts.first_above_12 and not parts.second_above_12:
        return "dmy"
    return "mdy"


def dates_resolve(parts: DateParts, *, order: str) -> tuple[np.ndarray, np.ndarray]:
    """Return (``datetime64[D]`` dates, valid mask); impossible dates are invalid."""
    ambiguous = parts.kind == DATE_AMBIGUOUS
    if order == "dmy":
        month = np.where(ambiguous, parts.second, parts.first)
        day = np.where(ambiguous, parts.first, parts.second)
    else:
        month, day = parts.first, parts.second
    candidate = (parts.kind == DATE_FULL) | ambiguous
    candidate &= (parts.year >= 1900) & (parts.year <= 2100)
    candidate &= (month >= 1) & (month <= 12) & (day >= 1) & (day <= 31)
    stamp = np.where(candidate, parts.year * 10000 + month * 100 + day, 19000101)
    # Few distinct stamps: resolve them once.
    codes, uniques = pd.factorize(stamp)
    dates = pd.to_datetime(pd.Series(uniques).astype(str), format="%Y%m%d", errors="coerce")
    resolved = dates.to_numpy(dtype="datetime64[D]")[codes]
    valid = candidate & ~np.isnat(resolved)
    return resolved, valid
