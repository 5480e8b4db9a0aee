"""``salesalloc.core.filelimits``: hostile workbooks and texts are refused from metadata or a
bounded stream, before any reader lays out the grid."""

from __future__ import annotations

import dataclasses
import io
import zipfile

import pytest

from salesalloc.core.filelimits import (
    FileLimitError,
    FileLimits,
    text_lines_check,
    xlsx_cells_check,
    xlsx_directory_check,
    xlsx_upload_check,
)
from tests.hostile_files import (
    SHEET_PART,
    declared_size_set,
    far_cell_xlsx,
    inline_row,
    sheet_xlsx,
    sheet_xml,
)

LIMITS = FileLimits(
    max_rows=1_048_576,
    max_columns=256,
    max_cells=5_000_000,
    max_xlsx_bytes=256 * 1024 * 1024,
    max_member_bytes=200 * 1024 * 1024,
    max_ratio=100,
    max_lines=2_000_000,
    max_line_bytes=64 * 1024,
)


def small_sheet() -> bytes:
    return sheet_xlsx(sheet_xml(inline_row(1, {"A": "order_id", "B": "amount"})))


def test_the_defaults_are_the_settings(settings) -> None:
    assert FileLimits.from_settings() == LIMITS
    settings.SALESALLOC_SHEET_MAX_CELLS = 7
    assert FileLimits.from_settings().max_cells == 7


def test_an_ordinary_workbook_passes_every_check() -> None:
    data = small_sheet()
    xlsx_upload_check(data, LIMITS)
    xlsx_cells_check(data, LIMITS)


def test_a_declared_dimension_past_the_columns_is_refused_from_the_first_kb() -> None:
    data = far_cell_xlsx()
    assert len(data) < 2000

    with pytest.raises(FileLimitError) as caught:
        xlsx_upload_check(data, LIMITS)

    assert caught.value.setting == "SALESALLOC_SHEET_MAX_COLUMNS"
    assert caught.value.message == (
        "The sheet reaches column 16,384; at most 256 columns are read "
        "(SALESALLOC_SHEET_MAX_COLUMNS)."
    )


def test_a_sheet_that_hides_its_far_cell_is_caught_by_the_stream() -> None:
    data = far_cell_xlsx(dimension="A1")
    xlsx_upload_check(data, LIMITS)  # the declared dimension is harmless

    with pytest.raises(FileLimitError) as caught:
        xlsx_cells_check(data, LIMITS)

    assert caught.value.setting == "SALESALLOC_SHEET_MAX_COLUMNS"


@pytest.mark.parametrize(
    ("row", "setting"),
    [
        ('<row r="2000000"><c r="A2000000"><v>1</v></c></row>', "SALESALLOC_SHEET_MAX_ROWS"),
        ('<x:row r="3"><x:c t="n" r="IW3"><v>1</v></x:c></x:row>', "SALESALLOC_SHEET_MAX_COLUMNS"),
        ("<row r='5000'><c s='1' r='$ZZ$5000'><v>1</v></c></row>", "SALESALLOC_SHEET_MAX_COLUMNS"),
        # A1 to IV30000 is 7.68 million cells.
        ('<row r="30000"><c r="IV30000"><v>1</v></c></row>', "SALESALLOC_SHEET_MAX_CELLS"),
        # Cells without a reference take the next column: 300 of them reach column 300.
        ("<row>" + "<c><v>1</v></c>" * 300 + "</row>", "SALESALLOC_SHEET_MAX_COLUMNS"),
    ],
)
def test_any_reference_form_counts(row: str, setting: str) -> None:
    data = sheet_xlsx(sheet_xml(inline_row(1, {"A": "order_id"}) + row))

    with pytest.raises(FileLimitError) as caught:
        xlsx_cells_check(data, LIMITS)

    assert caught.value.setting == setting


def test_a_dense_sheet_is_refused_when_its_cells_exceed_the_limit() -> None:
    limits = dataclasses.replace(LIMITS, max_cells=10_000)
    rows = "".join(inline_row(n, dict.fromkeys("ABCDEFGHIJ", n)) for n in range(1, 1002))
    data = sheet_xlsx(sheet_xml(rows))

    with pytest.raises(FileLimitError) as caught:
        xlsx_cells_check(data, limits)

    assert caught.value.setting == "SALESALLOC_SHEET_MAX_CELLS"
    assert "10,010 cells" in caught.value.message


def test_a_member_declaring_a_huge_size_is_refused_from_the_directory() -> None:
    data = declared_size_set(small_sheet(), SHEET_PART, 4_000_000_000)

    with pytest.raises(FileLimitError) as caught:
        xlsx_directory_check(data, LIMITS)

    assert caught.value.setting == "SALESALLOC_XLSX_MAX_MEMBER_BYTES"
    assert caught.value.message == (
        "The workbook part xl/worksheets/sheet1.xml unpacks to 4,000,000,000 bytes; at most "
        "209,715,200 bytes per part are read (SALESALLOC_XLSX_MAX_MEMBER_BYTES)."
    )


def test_the_sum_of_the_members_is_bounded() -> None:
    limits = dataclasses.replace(LIMITS, max_xlsx_bytes=1000)

    with pytest.raises(FileLimitError) as caught:
        xlsx_directory_check(small_sheet(), limits)

    assert caught.value.setting == "SALESALLOC_XLSX_MAX_UNCOMPRESSED_BYTES"


def test_a_zip_bomb_ratio_is_refused_from_the_directory() -> None:
    data = sheet_xlsx(sheet_xml(""), extra={"xl/media/pad.bin": b"\0" * (8 * 1024 * 1024)})
    assert len(data) < 20_000

    with pytest.raises(FileLimitError) as caught:
        xlsx_directory_check(data, LIMITS)

    assert caught.value.setting == "SALESALLOC_XLSX_MAX_COMPRESSION_RATIO"


def test_a_member_that_inflates_past_its_declared_size_is_unreadable() -> None:
    rows = "".join(inline_row(n, {"A": n}) for n in range(1, 2000))
    data = declared_size_set(sheet_xlsx(sheet_xml(rows)), SHEET_PART, 1000)
    xlsx_directory_check(data, LIMITS)  # the directory looks harmless

    with pytest.raises(FileLimitError, match="could not be read"):
        xlsx_cells_check(data, LIMITS)


def test_not_a_zip_is_unreadable() -> None:
    with pytest.raises(FileLimitError, match="could not be read"):
        xlsx_upload_check(b"PK\x03\x04 not a zip", LIMITS)


def test_an_element_split_between_blocks_is_seen(monkeypatch) -> None:
    monkeypatch.setattr("salesalloc.core.filelimits.BLOCK_BYTES", 7)
    data = sheet_xlsx(sheet_xml('<row r="1"><c r="IW1"><v>1</v></c></row>'))

    with pytest.raises(FileLimitError) as caught:
        xlsx_cells_check(data, LIMITS)

    assert caught.value.setting == "SALESALLOC_SHEET_MAX_COLUMNS"


def test_other_members_are_streamed_too() -> None:
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as out:
        out.writestr("xl/worksheets/sheet9.xml", sheet_xml('<row r="3000000"/>'))
    with pytest.raises(FileLimitError, match="SALESALLOC_SHEET_MAX_ROWS"):
        xlsx_cells_check(archive.getvalue(), LIMITS)


# --- Text -------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("data", "lines"),
    [(b"", 0), (b"a", 1), (b"a\n", 1), (b"a\nb", 2), (b"a\r\nb\r\n\r\n", 3)],
)
def test_lines_are_counted(data: bytes, lines: int) -> None:
    assert text_lines_check(data, LIMITS) == lines


def test_too_many_lines_are_refused_while_counting() -> None:
    limits = dataclasses.replace(LIMITS, max_lines=1000)
    assert text_lines_check(b"x\n" * 1000, limits) == 1000

    with pytest.raises(FileLimitError) as caught:
        text_lines_check(b"x\n" * 1001, limits)

    assert caught.value.message == (
        "The file has more than 1,000 lines; at most 1,000 are read (SALESALLOC_CSV_MAX_LINES)."
    )


@pytest.mark.parametrize("block", [7, 1024 * 1024])
@pytest.mark.parametrize(
    ("data", "ok"),
    [
        (b"ab\n" + b"x" * 20 + b"\nc\n", True),
        (b"ab\n" + b"x" * 21 + b"\nc\n", False),
        (b"x" * 21, False),
        (b"a\n" + b"x" * 21, False),
        (b"x" * 21 + b"\n", False),
    ],
)
def test_a_line_too_long_is_refused_wherever_it_sits(monkeypatch, block, data, ok) -> None:
    monkeypatch.setattr("salesalloc.core.filelimits.BLOCK_BYTES", block)
    limits = dataclasses.replace(LIMITS, max_line_bytes=20)
    if ok:
        text_lines_check(data, limits)
        return
    with pytest.raises(FileLimitError) as caught:
        text_lines_check(data, limits)
    assert caught.value.setting == "SALESALLOC_CSV_MAX_LINE_BYTES"
