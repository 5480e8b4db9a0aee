import io
from decimal import Decimal

from openpyxl import load_workbook

from salesalloc.core.export import csv_rows, safe_text, xlsx_bytes


def test_text_that_looks_like_a_formula_is_neutralised_in_csv():
    text = "".join(
        csv_rows(
            ["name", "amount"], [['=HYPERLINK("x")', Decimal("-12.50")], ["@SUM(A1)", Decimal("3")]]
        )
    )
    lines = text.lstrip("\ufeff").splitlines()
    assert lines[1] == '"\'=HYPERLINK(""x"")",-12.50'
    assert lines[2] == "'@SUM(A1),3"


def test_safe_text_leaves_ordinary_text_alone():
    assert safe_text("Acme 北京") == "Acme 北京"
    assert safe_text("+86 138") == "'+86 138"


def test_xlsx_text_cells_are_strings_and_numbers_stay_numbers():
    data = xlsx_bytes(["name", "amount"], [["=1+1", Decimal("-5.25")]])
    sheet = load_workbook(io.BytesIO(data)).active
    assert sheet["A2"].value == "=1+1"
    assert sheet["A2"].data_type == "s"
    assert sheet["B2"].value == -5.25


def test_separator_and_whitespace_prefixes_are_neutralised_too():
    for text in (";cmd", "|calc", "\tx", "\rx", "=1", "+1", "-1", "@x"):
        assert safe_text(text) == "'" + text
    text = "".join(csv_rows(["name"], [[";a"], ["|b"]]))
    assert text.lstrip("\ufeff").splitlines()[1:] == ["';a", "'|b"]


def test_xlsx_writes_stored_control_characters_by_leaving_them_out():
    data = xlsx_bytes(["na\x00me"], [["Acme\x0bCo\x1f", "tab\tand\nline"], ["\ufffeok"]])
    sheet = load_workbook(io.BytesIO(data)).active
    assert [[cell.value for cell in row] for row in sheet.iter_rows()] == [
        ["name", None],
        ["AcmeCo", "tab\tand\nline"],
        ["ok", None],
    ]


def test_csv_keeps_stored_text_as_it_is():
    text = "".join(csv_rows(["name"], [["Acme\x0bCo"]]))
    assert text.lstrip("\ufeff").split("\r\n")[1] == "Acme\x0bCo"
