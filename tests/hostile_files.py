"""Small files that describe huge things, built in memory for the file-limit tests.

``sheet_xlsx`` writes a minimal workbook (the parts calamine and openpyxl need) around a
worksheet's XML, so a test can put a cell anywhere or lie in ``<dimension>``; the zip helpers
edit the zip directory (declared sizes) the way a hostile uploader would.
"""

from __future__ import annotations

import io
import struct
import zipfile

_OOXML = "application/vnd.openxmlformats-officedocument.spreadsheetml"
_PACKAGE = "http://schemas.openxmlformats.org/package/2006"
_RELATIONSHIP = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    f'<Types xmlns="{_PACKAGE}/content-types">'
    '<Default Extension="rels" '
    'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    f'<Override PartName="/xl/workbook.xml" ContentType="{_OOXML}.sheet.main+xml"/>'
    f'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="{_OOXML}.worksheet+xml"/>'
    "</Types>"
)
_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    f'<Relationships xmlns="{_PACKAGE}/relationships">'
    f'<Relationship Id="rId1" Type="{_RELATIONSHIP}/officeDocument" Target="xl/workbook.xml"/>'
    "</Relationships>"
)
_WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    f'xmlns:r="{_RELATIONSHIP}">'
    '<sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
_WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    f'<Relationships xmlns="{_PACKAGE}/relationships">'
    f'<Relationship Id="rId1" Type="{_RELATIONSHIP}/worksheet" Target="worksheets/sheet1.xml"/>'
    "</Relationships>"
)
SHEET_PART = "xl/worksheets/sheet1.xml"


def sheet_xml(rows: str, *, dimension: str | None = None) -> bytes:
    """A worksheet part around ``rows`` (``<row>`` elements), optionally with a dimension."""
    head = f'<dimension ref="{dimension}"/>' if dimension else ""
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        f"{head}<sheetData>{rows}</sheetData></worksheet>"
    ).encode()


def inline_row(number: int, cells: dict[str, object]) -> str:
    """One ``<row>`` with inline text cells or numbers, e.g. ``{"A": "order_id", "B": 3}``."""
    parts = []
    for column, value in cells.items():
        ref = f"{column}{number}"
        if isinstance(value, str):
            parts.append(f'<c r="{ref}" t="inlineStr"><is><t>{value}</t></is></c>')
        else:
            parts.append(f'<c r="{ref}"><v>{value}</v></c>')
    return f'<row r="{number}">{"".join(parts)}</row>'


def sheet_xlsx(sheet: bytes, *, extra: dict[str, bytes] | None = None) -> bytes:
    """A minimal workbook whose first sheet is ``sheet`` (deflated, like Excel writes it)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", _CONTENT_TYPES)
        archive.writestr("_rels/.rels", _RELS)
        archive.writestr("xl/workbook.xml", _WORKBOOK)
        archive.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
        archive.writestr(SHEET_PART, sheet)
        for name, data in (extra or {}).items():
            archive.writestr(name, data)
    return buffer.getvalue()


def far_cell_xlsx(*, dimension: str | None = "XFD1048576") -> bytes:
    """A header cell at A1 and one more at XFD1048576: 17 billion cells from A1 (~1 KB)."""
    rows = inline_row(1, {"A": "order_id"}) + inline_row(1048576, {"XFD": "x"})
    return sheet_xlsx(sheet_xml(rows, dimension=dimension))


def declared_size_set(data: bytes, member: str, size: int) -> bytes:
    """Rewrite the uncompressed size ``member`` declares in the zip's central directory."""
    archive = bytearray(data)
    name = member.encode()
    position = archive.find(b"PK\x01\x02")
    while position >= 0:
        name_length = struct.unpack_from("<H", archive, position + 28)[0]
        if archive[position + 46 : position + 46 + name_length] == name:
            struct.pack_into("<I", archive, position + 24, size)
            return bytes(archive)
        position = archive.find(b"PK\x01\x02", position + 4)
    raise KeyError(member)
