"""The text side of reading an order file: its encoding, delimiter and header row, and the
error that says why a file cannot be read (for people, in the viewer's language)."""

from __future__ import annotations

import codecs
import csv
import io

from django.utils.translation import gettext_noop

from salesalloc.core.texts import Text

DELIMITERS = (",", ";", "\t", "|")


class FileFormatError(Exception):
    """The file cannot be read as an order file; ``message`` says why, for people (in the
    active language; ``text`` keeps it untranslated, for a job that shows it later)."""

    def __init__(self, message: Text) -> None:
        super().__init__(message.render())
        self.text = message

    @property
    def message(self) -> str:
        return self.text.render()


def detect_encoding(data: bytes, *, final: bool = True) -> str:
    """``utf-8-sig``, ``utf-8`` or ``gb18030`` (a superset of GBK); else ``FileFormatError``.

    ``final=False``: ``data`` is the start of a file (a character may be cut at its end).
    """
    if data.startswith(codecs.BOM_UTF8):
        if _decodes(data[len(codecs.BOM_UTF8) :], "utf-8", final=final):
            return "utf-8-sig"
    elif _decodes(data, "utf-8", final=final):
        return "utf-8"
    elif _decodes(data, "gb18030", final=final):
        return "gb18030"
    raise FileFormatError(
        Text(
            gettext_noop("The file's text is neither UTF-8 nor GBK/GB18030; save it as CSV UTF-8.")
        )
    )


def _decodes(
    data: bytes, encoding: str, block: int = 4 * 1024 * 1024, *, final: bool = True
) -> bool:
    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    view = memoryview(data)
    try:
        for start in range(0, len(view), block):
            decoder.decode(view[start : start + block])
        decoder.decode(b"", final=final)
    except UnicodeDecodeError:
        return False
    return True


HEAD_BYTES = 1024 * 1024


def _decode_head(data: bytes, encoding: str, size: int = HEAD_BYTES) -> str:
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
    raise FileFormatError(Text(gettext_noop("The file has no header row.")))
