"""Cell values that once failed whole imports: long numbers and control characters are row
errors (or, in names, cleaned), in both modes and on both stores (COPY and portable)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from customers.models import Customer, ImportJob, OrderLine, Product
from customers.services.imports import FileRejected
from tests.customers.import_support import csv_text, run_import, shown, stored_lines

pytestmark = pytest.mark.django_db

HEADER = (
    "order_id,order_date,customer_code,salesperson_code,product_line,sku,quantity,unit_price,"
    "amount,cost"
)
GOOD = "SO-1,2019-03-05,C-1,S-N1,FUR-CH,K-1,2,5,10,4"
LONG = "1234567890123456789012345"


def bad_row(field: str, value: str) -> str:
    values = ["SO-2", "2019-03-05", "C-1", "S-N1", "FUR-CH", "K-1", "2", "5", "10", "4"]
    cells = dict(zip(HEADER.split(","), values, strict=True))
    cells[field] = value
    if field in ("quantity", "unit_price"):
        cells["amount"] = ""  # computed from them
    return ",".join(cells.values())


@pytest.mark.parametrize("mode", ["all_or_nothing", "partial"])
@pytest.mark.parametrize("field", ["amount", "quantity", "unit_price", "cost"])
@pytest.mark.parametrize(
    ("value", "message"),
    [
        (LONG, f"'{LONG}' is too large (more than {{digits}} digits before the decimal point)."),
        (
            "9" * 30 + ".25",
            "'"
            + "9" * 30
            + ".25' is too large (more than {digits} digits before the decimal point).",
        ),
        ("1e400", "'1e400' is not a number."),
        ("NaN", "'NaN' is not a number."),
        ("inf", "'inf' is not a number."),
        ("-Infinity", "'-Infinity' is not a number."),
        ("0." + "0" * 30 + "1", "'0." + "0" * 30 + "1' has more than {scale} decimal places."),
    ],
)
def test_numbers_of_any_length_are_row_errors(company, mode, field, value, message) -> None:
    scale, digits = {"quantity": (4, 10), "unit_price": (6, 12)}.get(field, (4, 14))
    text = csv_text(GOOD, bad_row(field, value), header=HEADER)

    job = run_import(text, mode=mode)

    assert shown(job.errors) == [
        {"row": 3, "column": field, "message": message.format(digits=digits, scale=scale)}
    ]
    if mode == "partial":
        assert (job.status, job.rows_imported, job.rows_rejected) == ("succeeded", 1, 1)
        assert [line[0] for line in stored_lines()] == ["SO-1"]
    else:
        assert job.status == ImportJob.Status.FAILED
        assert job.message.startswith("1 of 2 rows have errors")
        assert not OrderLine.objects.exists()


def test_the_largest_amounts_that_fit_are_stored_exactly(company) -> None:
    # 14 integer digits fit every column; SQLite keeps decimals as REAL, so the values here
    # stay within the 15 significant digits it holds exactly.
    text = csv_text(
        "SO-1,2019-03-05,C-1,S-N1,FUR-CH,K-1,999999.9999,99999999.999999,99999999999999,"
        "-99999999999999",
        header=HEADER,
    )

    job = run_import(text)

    assert job.status == ImportJob.Status.SUCCEEDED, job.errors
    line = OrderLine.objects.get()
    assert (line.quantity, line.unit_price, line.amount, line.cost) == (
        Decimal("999999.9999"),
        Decimal("99999999.999999"),
        Decimal("99999999999999"),
        Decimal("-99999999999999"),
    )


@pytest.mark.parametrize("field", ["order_id", "customer_code", "salesperson_code", "sku"])
def test_a_control_character_in_a_code_is_a_row_error_naming_the_column(company, field) -> None:
    text = csv_text(GOOD, bad_row(field, "X\x0bY"), header=HEADER)

    job = run_import(text, mode="partial")

    # (an unknown salesperson is reported too: no code with a control character exists)
    assert shown(job.errors)[0] == {
        "row": 3,
        "column": field,
        "message": "'X\\x0bY' contains a control character, which a code may not contain.",
    }
    assert job.rows_imported == 1


def test_control_characters_in_names_are_dropped_and_line_breaks_become_spaces(company) -> None:
    header = (
        "order_id,order_date,customer_code,customer_name,salesperson_code,product_line,sku,"
        "product_name,city,amount"
    )
    text = csv_text(
        'SO-1,2019-03-05,C-1,"Acme\x0b\x01 ""North""\r\nBranch",S-N1,FUR-CH,K-1,'
        "Chair\x7f\x85 Pro,Bei\x1fjing,10",
        header=header,
    )

    job = run_import(text)

    assert job.status == ImportJob.Status.SUCCEEDED, job.errors
    customer = Customer.objects.get(code="C-1")
    assert (customer.name, customer.city) == ('Acme "North" Branch', "Beijing")
    assert Product.objects.get(sku="K-1").name == "Chair Pro"


def test_a_message_quotes_a_long_or_control_filled_cell_safely(company) -> None:
    text = csv_text(GOOD, bad_row("amount", "12\x01" + "x" * 500), header=HEADER)

    job = run_import(text, mode="partial")

    message = shown(job.errors)[0]["message"]
    assert message.startswith("'12\\x01xxx")
    assert message.endswith("…' is not a number.")
    assert len(message) < 150


def test_a_nul_anywhere_in_a_csv_is_refused_at_upload(company) -> None:
    # The CSV parser would cut the cell at the NUL ("12\x00x" read as 12): refuse the file.
    padding = [f"SO-P{n},2019-03-05,C-1,S-N1,FUR-CH,K-1,2,5,10,4" for n in range(2000)]
    text = csv_text(*padding, bad_row("amount", "12\x00x"), header=HEADER)
    assert text.index("\x00") > 65536

    with pytest.raises(FileRejected, match="binary"):
        run_import(text)
