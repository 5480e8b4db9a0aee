"""Order-file reading, header mapping and value parsing (pure: no database)."""

import datetime as dt
import io
from decimal import Decimal

import numpy as np
import openpyxl
import pandas as pd
import pytest

from customers.importing import superstore_mapping_columns
from customers.importing.fields import column_plan, header_key
from customers.importing.parsing import (
    BLANK,
    INVALID,
    OK,
    TOO_LARGE,
    TOO_MANY_DECIMALS,
    Column,
    date_order_decide,
    date_parts_parse,
    dates_resolve,
    decimal_text,
    decimals_parse,
    positive_ints_parse,
)
from customers.importing.reading import FileFormatError, SourceWidened, source_open


def amounts(*cells: str) -> list[tuple[int, int]]:
    parsed = decimals_parse(Column.of(pd.Series(cells, dtype=object)), scale=4, max_int_digits=14)
    return list(zip(parsed.scaled.tolist(), parsed.status.tolist(), strict=True))


def read_all(data: bytes, name: str = "orders.csv", chunk_rows: int = 1000):
    source = source_open(data=data, name=name)
    try:
        chunks = list(source.chunks(chunk_rows))
    except SourceWidened:  # a row had several extra fields: the source reads wider now
        chunks = list(source.chunks(chunk_rows))
    frame = pd.concat([c.frame for c in chunks], ignore_index=True)
    rows = np.concatenate([c.rows for c in chunks]).tolist()
    counts = np.concatenate([c.field_counts for c in chunks]).tolist()
    return source, frame, rows, counts


# --- Money and quantities --------------------------------------------------------------------
@pytest.mark.parametrize(
    ("cell", "scaled"),
    [
        ("1234.5", 12_345_000),
        ("-0.5", -5_000),
        ("1,234,567.89", 12_345_678_900),
        ("(123.45)", -1_234_500),
        ("123.45-", -1_234_500),
        ("+3", 30_000),
        ("¥1,000", 10_000_000),
        ("￥ 88", 880_000),
        ("$ 1 000.25", 10_002_500),
        ("€12", 120_000),
        ("１２３４．５６", 12_345_600),
        ("１，２３４．５", 12_345_000),
        ("  7  ", 70_000),
        (".5", 5_000),
        ("5.", 50_000),
        ("00012", 120_000),
        ("1.500000", 15_000),
        ("99999999999999.9999", 999_999_999_999_999_999),
        ("0", 0),
    ],
)
def test_decimals_parse_reads_money_exactly(cell: str, scaled: int) -> None:
    assert amounts(cell) == [(scaled, OK)]


@pytest.mark.parametrize(
    ("cell", "status"),
    [
        ("", BLANK),
        ("   ", BLANK),
        ("abc", INVALID),
        ("12,50", INVALID),  # a decimal comma is not a thousands separator: never 1250
        ("1,23,4", INVALID),
        ("1.2.3", INVALID),
        ("--1", INVALID),
        ("-", INVALID),
        ("1e5", INVALID),
        ("1.23456", TOO_MANY_DECIMALS),
        ("100000000000000", TOO_LARGE),
        ("0000000000000000000000001.00001", TOO_MANY_DECIMALS),
    ],
)
def test_decimals_parse_flags_what_it_cannot_store(cell: str, status: int) -> None:
    assert amounts(cell)[0][1] == status


def test_decimals_parse_matches_decimal_on_random_numbers() -> None:
    rng = np.random.default_rng(7)
    cells = []
    for _ in range(5000):
        whole = str(rng.integers(0, 10 ** int(rng.integers(1, 15))))
        frac = "".join(rng.choice(list("0123456789"), int(rng.integers(0, 5))))
        sign = "-" if rng.random() < 0.3 else ""
        cells.append(f"{sign}{whole}.{frac}" if frac else f"{sign}{whole}")
    parsed = amounts(*cells)
    expected = [(int(Decimal(cell) * 10_000), OK) for cell in cells]
    assert parsed == expected


def test_decimal_text_formats_scaled_integers_exactly() -> None:
    assert decimal_text(np.array([12_345_000, -5_000, 0, 999_999_999_999_999_999]), 4).tolist() == [
        "1234.5000",
        "-0.5000",
        "0.0000",
        "99999999999999.9999",
    ]


def test_positive_ints_parse_accepts_whole_numbers_only() -> None:
    numbers, status = positive_ints_parse(Column.of(pd.Series(["1", "2.0", "0", "x", "", "3.5"])))
    assert numbers.tolist()[:2] == [1, 2]
    assert status.tolist() == [OK, OK, INVALID, INVALID, BLANK, INVALID]


# --- Dates -----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "cell",
    [
        "2019-03-05",
        "2019/3/5",
        "2019.3.5",
        "20190305",
        "2019年3月5日",
        "2019-03-05 10:22:00",
        "３/5/2019",
    ],
)
def test_dates_parse_common_formats(cell: str) -> None:
    parts = date_parts_parse(Column.of(pd.Series([cell])))
    dates, valid = dates_resolve(parts, order=date_order_decide(parts, date_order="auto"))
    assert valid.tolist() == [True]
    assert dates[0] == np.datetime64("2019-03-05")


@pytest.mark.parametrize(
    ("cells", "order"),
    [
        (["3/5/2019", "12/31/2019"], "mdy"),  # a second part above 12: month/day/year
        (["3/5/2019", "31/12/2019"], "dmy"),  # a first part above 12: day/month/year
        (["3/5/2019", "4/6/2019"], "mdy"),  # undecidable: month/day/year
    ],
)
def test_date_order_is_decided_per_file(cells: list[str], order: str) -> None:
    parts = date_parts_parse(Column.of(pd.Series(cells)))
    assert date_order_decide(parts, date_order="auto") == order


def test_mapping_date_order_wins_over_detection() -> None:
    parts = date_parts_parse(Column.of(pd.Series(["3/5/2019", "12/31/2019"])))
    dates, valid = dates_resolve(parts, order=date_order_decide(parts, date_order="dmy"))
    assert dates[0] == np.datetime64("2019-05-03")
    assert valid.tolist() == [True, False]  # 31 is not a month


def test_excel_serial_dates_only_when_allowed() -> None:
    column = Column.of(pd.Series(["43529"]))
    allowed = date_parts_parse(column, allow_serial=True)
    dates, valid = dates_resolve(allowed, order="mdy")
    assert (dates[0], valid[0]) == (np.datetime64("2019-03-05"), True)
    _dates, valid = dates_resolve(date_parts_parse(column), order="mdy")
    assert valid.tolist() == [False]


def test_impossible_and_blank_dates_are_not_valid() -> None:
    parts = date_parts_parse(Column.of(pd.Series(["2019-02-30", "", "soon", "1850-01-01"])))
    _dates, valid = dates_resolve(parts, order="mdy")
    assert valid.tolist() == [False, False, False, False]


# --- Headers ---------------------------------------------------------------------------------
def test_headers_match_aliases_loosely_in_english_and_chinese() -> None:
    plan = column_plan(
        [
            " Order-ID ",
            "单据日期",
            "客户编号",
            "业务员",
            "产品类别",
            "QTY",
            "Unit Price",
            "NET AMOUNT",
        ]
    )
    assert plan.columns == {
        "order_id": 0,
        "order_date": 1,
        "customer_code": 2,
        "salesperson_code": 3,
        "product_line": 4,
        "quantity": 5,
        "unit_price": 6,
        "amount": 7,
    }
    assert plan.unknown == ()


def test_header_key_ignores_case_spaces_underscores_and_dashes() -> None:
    assert header_key(" Order_ID ") == header_key("order-id") == header_key("ORDER ID")


def test_saved_mapping_overrides_aliases_and_unknown_headers_are_listed() -> None:
    headers = [
        "Row ID",
        "Order ID",
        "Order Date",
        "Customer ID",
        "Sales",
        "Discount",
        "Sub-Category",
    ]
    plan = column_plan(headers, superstore_mapping_columns())
    assert plan.columns["amount"] == 4
    assert plan.columns["line_no"] == 0
    assert plan.columns["product_line"] == 6
    assert plan.unknown == ("Discount",)
    assert plan.label("amount") == "Sales"
    assert plan.label("cost") == "cost"


def test_missing_required_fields_are_named() -> None:
    plan = column_plan(["order_id", "quantity", "customer_code"])
    assert plan.missing_required(has_territory_rules=False) == [
        "order_date",
        "product_line",
        "amount",
        "salesperson_code",
    ]
    assert "salesperson_code" not in plan.missing_required(has_territory_rules=True)


def test_quantity_and_unit_price_stand_in_for_amount() -> None:
    plan = column_plan(["order_id", "order_date", "customer_code", "product_line", "qty", "price"])
    assert plan.missing_required(has_territory_rules=True) == []


# --- Reading CSV -----------------------------------------------------------------------------
HEADER = "order_id,order_date,amount"


@pytest.mark.parametrize(
    ("text", "delimiter"),
    [
        ("order_id;order_date;amount\nA;2019-01-01;1,5\n", ";"),
        ("order_id\torder_date\tamount\nA\t2019-01-01\t1\n", "\t"),
        ("order_id|order_date|amount\nA|2019-01-01|1\n", "|"),
        ('order_id,order_date,amount\nA,2019-01-01,"1,000.00"\n', ","),
    ],
)
def test_delimiter_is_sniffed(text: str, delimiter: str) -> None:
    source, frame, _rows, _counts = read_all(text.encode())
    assert source.delimiter == delimiter
    assert source.header == ("order_id", "order_date", "amount")
    assert frame.shape == (1, 3)


@pytest.mark.parametrize(
    ("encoded", "encoding"),
    [
        ("订单号,日期,金额\n甲,2019-01-01,1\n".encode(), "utf-8"),
        ("\ufeff订单号,日期,金额\n甲,2019-01-01,1\n".encode(), "utf-8-sig"),
        ("订单号,日期,金额\n甲,2019-01-01,1\n".encode("gbk"), "gb18030"),
        ("订单号,日期,金额\n𠀀,2019-01-01,1\n".encode("gb18030"), "gb18030"),
    ],
)
def test_text_encodings_are_detected(encoded: bytes, encoding: str) -> None:
    source, frame, _rows, _counts = read_all(encoded)
    assert source.encoding == encoding
    assert source.header == ("订单号", "日期", "金额")
    assert frame.iloc[0, 0] in ("甲", "𠀀")


def test_row_numbers_are_file_lines_skipping_blank_lines() -> None:
    text = f'{HEADER}\nA,2019-01-01,1\n\n   \nB,2019-01-02,"multi\nline"\r\nC,2019-01-03,3\n'
    source, frame, rows, _counts = read_all(text.encode(), chunk_rows=2)
    assert rows == [2, 5, 7]
    assert frame[0].tolist() == ["A", "B", "C"]
    assert source.rows_estimate() >= 3


def test_rows_with_too_few_or_too_many_fields_are_counted() -> None:
    text = f"{HEADER}\nA,2019-01-01,1\nB,2019-01-02\nC,2019-01-03,3,4\nD,2019-01-04,4,5,6,7\nE,,\n"
    _source, frame, rows, counts = read_all(text.encode())
    assert rows == [2, 3, 4, 5, 6]
    assert counts == [0, 2, 4, 6, 0]  # 0: the row has the header's 3 fields
    assert frame.iloc[4].tolist() == ["E", "", ""]


def test_xlsx_cells_become_text_like_a_csv() -> None:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append([])
    sheet.append(["订单号", "日期", "金额", "数量"])
    sheet.append(["A", dt.date(2019, 3, 5), 261.96, 2])
    sheet.append([None, None, None, None])
    sheet.append(["B", dt.datetime(2019, 3, 6, 0, 0), 0.1 + 0.2, 1e20])  # noqa: DTZ001 - Excel
    buffer = io.BytesIO()
    workbook.save(buffer)
    source, frame, rows, _counts = read_all(buffer.getvalue(), name="orders.xlsx")
    assert source.kind == "xlsx"
    assert source.header == ("订单号", "日期", "金额", "数量")
    assert rows == [3, 5]
    assert frame.values.tolist() == [
        ["A", "2019-03-05", "261.96", "2"],
        ["B", "2019-03-06", "0.3", "100000000000000000000"],
    ]


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (b"", "orders.csv", "empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00", "orders.csv", "binary"),
        ("a,b\n".encode("utf-16"), "orders.csv", "UTF-16"),
        (b"order_id,amount\n\xff\xfe\xfa,1\n", "orders.csv", "neither UTF-8 nor GBK"),
        (b"order_id,amount\n", "orders.pdf", "not a CSV or Excel file"),
        (b"order_id,amount\n", "orders.xlsx", "not a valid XLSX"),
        (b"PK\x03\x04not really a zip", "orders.xlsx", "could not be read"),
    ],
)
def test_files_that_cannot_be_order_files_are_refused(data: bytes, name: str, message: str) -> None:
    with pytest.raises(FileFormatError, match=message):
        source_open(data=data, name=name)


@pytest.mark.parametrize(
    ("delimiter", "encoding"),
    [(",", "utf-8"), (";", "gb18030"), ("|", "gb18030"), ("\t", "utf-8"), ("|", "utf-8")],
)
def test_field_counts_are_the_same_on_the_fast_and_the_quoted_path(delimiter, encoding) -> None:
    # 丨 (U+4E28) is 0xD8 0x7C in GB18030: its second byte is "|", not a delimiter.
    rows = [
        ["订单号", "日期", "金额"],
        ["A丨", "2019-01-01", ""],
        ["B", "2019-01-02"],
        ["C", "", "", ""],
        ['"D,x|y;z"', "2019-01-04", ""],
        ['"E"', "", "", "", ""],
    ]
    text = "\n".join(delimiter.join(row) for row in rows) + "\n"
    _source, frame, rows_read, counts = read_all(text.encode(encoding))
    assert rows_read == [2, 3, 4, 5, 6]
    assert counts == [0, 2, 4, 0, 5]
    assert frame.iloc[3, 0] == "D,x|y;z"
