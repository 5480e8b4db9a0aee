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
