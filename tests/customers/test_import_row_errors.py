"""``import_job_run``: every kind of bad row, named by row and column; all-or-nothing and
partial modes."""

from __future__ import annotations

from unittest import mock

import pytest
from django.test import override_settings

from customers.importing import store as store_module
from customers.models import (
    Customer,
    ImportJob,
    OrderLine,
)
from customers.services.imports import import_job_run
from tests.customers.import_support import (
    HEADER,
    csv_text,
    database_snapshot,
    failed_with,
    job_create,
    job_payload,
    one_bad_row,
    run_import,
    shown,
    stored_lines,
)
from tests.factories import SalespersonFactory

pytestmark = pytest.mark.django_db
GOOD = csv_text(
    "SO-1,2019-03-05,C-1,S-N1,FUR-CH,100.50",
    "SO-1,2019-03-05,C-1,S-N2,TEC-PH,20",
    "SO-2,2019-04-01,C-2,S-S1,Tables,-5.25",
)


# --- Row errors ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("row", "column", "message"),
    [
        (
            "SO-2,2019-13-45,C-1,S-N1,FUR-CH,1",
            "order_date",
            "'2019-13-45' is not a date (e.g. 2019-03-05 or 3/5/2019).",
        ),
        ("SO-2,,C-1,S-N1,FUR-CH,1", "order_date", "order_date is empty."),
        ("SO-2,2019-03-05,C-1,S-N1,FUR-CH,12.5O", "amount", "'12.5O' is not a number."),
        (
            "SO-2,2019-03-05,C-1,S-N1,FUR-CH,1.23456",
            "amount",
            "'1.23456' has more than 4 decimal places.",
        ),
        (
            "SO-2,2019-03-05,C-1,S-N1,FUR-CH,123456789012345",
            "amount",
            "'123456789012345' is too large (more than 14 digits before the decimal point).",
        ),
        (",2019-03-05,C-1,S-N1,FUR-CH,1", "order_id", "order_id is empty."),
        ("SO-2,2019-03-05,,S-N1,FUR-CH,1", "customer_code", "customer_code is empty."),
        ("SO-2,2019-03-05,C-1,S-N1,,1", "product_line", "product_line is empty."),
        ("SO-2,2019-03-05,C-1,S-N1,Sofas,1", "product_line", "Unknown product line 'Sofas'."),
        ("SO-2,2019-03-05,C-1,S-X9,FUR-CH,1", "salesperson_code", "Unknown salesperson 'S-X9'."),
        (
            "SO-2,2019-03-05,C-1,S-N1,FUR-CH,",
            "amount",
            "No amount, and no quantity and unit price to compute it from.",
        ),
        ("SO-2,2019-03-05,C-1,S-N1,FUR-CH", None, "The row has 5 fields; the header has 6."),
        ("SO-2,2019-03-05,C-1,S-N1,FUR-CH,1,2", None, "The row has 7 fields; the header has 6."),
        (
            "SO-2,2019-03-05,C-1,S-N1,FUR-CH,1,2,3,4",
            None,
            "The row has 9 fields; the header has 6.",
        ),
        (
            "SO-2,2019-03-05," + "C" * 65 + ",S-N1,FUR-CH,1",
            "customer_code",
            f"'{'C' * 65}' is longer than 64 characters.",
        ),
    ],
)
def test_bad_row_is_reported_with_its_row_column_and_value(
    company, row: str, column, message: str
) -> None:
    job = one_bad_row(company, row)
    failed_with(job, [{"row": 3, "column": column, "message": message}], rows_total=2)


@pytest.mark.parametrize(
    ("cells", "column", "message"),
    [
        ("x,1", "quantity", "'x' is not a number."),
        ("1,abc", "unit_price", "'abc' is not a number."),
        ("1,-2", "unit_price", "Unit price '-2' is negative."),
        (
            "3,0.333333",
            "amount",
            "Quantity 3 × unit price 0.333333 has more than 4 decimal places.",
        ),
    ],
)
def test_bad_quantity_or_price_is_reported(company, cells: str, column: str, message: str) -> None:
    header = f"{HEADER[: HEADER.rindex(',')]},quantity,unit_price"
    job = run_import(csv_text(f"SO-1,2019-03-05,C-1,S-N1,FUR-CH,{cells}", header=header))
    failed_with(job, [{"row": 2, "column": column, "message": message}], rows_total=1)


def test_non_numeric_cost_is_reported(company) -> None:
    job = run_import(csv_text("SO-1,2019-03-05,C-1,S-N1,FUR-CH,10,n/a", header=f"{HEADER},成本"))
    failed_with(
        job, [{"row": 2, "column": "成本", "message": "'n/a' is not a number."}], rows_total=1
    )


def test_inactive_salesperson_is_reported(company) -> None:
    SalespersonFactory(code="S-OLD", org_unit=company.north_team, is_active=False)
    job = one_bad_row(company, "SO-2,2019-03-05,C-1,s-old,FUR-CH,1")
    failed_with(
        job,
        [{"row": 3, "column": "salesperson_code", "message": "Salesperson S-OLD is inactive."}],
        rows_total=2,
    )


def test_same_key_twice_is_a_duplicate_of_the_first_row(company) -> None:
    header = "order_id,line_no,order_date,customer_code,salesperson_code,product_line,amount"
    job = run_import(
        csv_text(
            "SO-1,1,2019-03-05,C-1,S-N1,FUR-CH,1",
            "SO-1,2,2019-03-05,C-1,S-N1,FUR-CH,1",
            "SO-1,1,2019-03-05,C-1,S-N1,FUR-CH,9",
            header=header,
        )
    )
    failed_with(
        job,
        [{"row": 4, "column": "line_no", "message": "Duplicate of row 2 (order SO-1, line 1)."}],
        rows_total=3,
    )


def test_rows_of_one_order_must_agree_on_date_and_customer(company) -> None:
    job = run_import(
        csv_text(
            "SO-1,2019-03-05,C-1,S-N1,FUR-CH,1",
            "SO-1,2019-03-06,C-1,S-N1,FUR-CH,1",
            "SO-1,2019-03-05,C-2,S-N1,FUR-CH,1",
        )
    )
    failed_with(
        job,
        [
            {
                "row": 3,
                "column": "order_date",
                "message": "Order SO-1 is dated 2019-03-05 on row 2 but 2019-03-06 here.",
            },
            {
                "row": 4,
                "column": "customer_code",
                "message": "Order SO-1 is for customer C-1 on row 2 but C-2 here.",
            },
        ],
        rows_total=3,
    )


def test_all_or_nothing_lists_every_bad_row_and_keeps_stored_data(company) -> None:
    run_import(GOOD)
    before = database_snapshot()

    job = run_import(
        csv_text(
            "SO-1,2019-03-05,C-1,S-N1,FUR-CH,999",
            "SO-3,bad-date,C-3,S-N1,FUR-CH,1",
            "SO-4,2019-03-05,C-3,S-N1,Nope,zz",
        )
    )

    assert job.status == "failed"
    assert shown(job.errors) == [
        {
            "row": 3,
            "column": "order_date",
            "message": "'bad-date' is not a date (e.g. 2019-03-05 or 3/5/2019).",
        },
        {"row": 4, "column": "product_line", "message": "Unknown product line 'Nope'."},
        {"row": 4, "column": "amount", "message": "'zz' is not a number."},
    ]
    assert (job.rows_total, job.rows_rejected, job.rows_imported, job.errors_total) == (3, 2, 0, 3)
    assert job.message == (
        "2 of 3 rows have errors (3 errors); nothing was imported. "
        "Fix the rows listed, or import in partial mode."
    )
    assert job.recompute_status == ImportJob.RecomputeStatus.SKIPPED
    assert database_snapshot() == before


def test_partial_mode_stores_the_good_rows_and_reports_the_rest(company) -> None:
    job = run_import(
        csv_text(
            "SO-1,2019-03-05,C-1,S-N1,FUR-CH,1",
            "SO-2,2019-03-05,C-2,S-N1,FUR-CH,oops",
            "SO-3,2019-03-07,C-1,S-N2,FUR-CH,3",
        ),
        mode="partial",
    )
    assert job_payload(job) == {
        "status": "succeeded",
        "phase": "done",
        "rows_total": 3,
        "rows_done": 3,
        "rows_imported": 2,
        "rows_rejected": 1,
        "rows_inserted": 2,
        "rows_updated": 0,
        "rows_unchanged": 0,
        "errors": [{"row": 3, "column": "amount", "message": "'oops' is not a number."}],
        "errors_total": 1,
    }
    assert job.rows_imported + job.rows_rejected == job.rows_total
    assert [line[0] for line in stored_lines()] == ["SO-1", "SO-3"]
    assert not Customer.objects.filter(code="C-2").exists()


def test_partial_mode_fails_when_no_row_is_good(company) -> None:
    job = run_import(csv_text("SO-1,2019-03-05,C-1,S-N1,FUR-CH,x"), mode="partial")
    assert job.status == "failed"
    assert job.message == "None of the 1 rows can be imported; see the errors."
    assert OrderLine.objects.count() == 0


@override_settings(SALESALLOC_IMPORT_MAX_ERRORS=2)
def test_errors_are_capped_but_counted(company) -> None:
    job = run_import(csv_text(*[f"SO-{i},2019-03-05,C-1,S-N1,FUR-CH,x" for i in range(5)]))
    assert [error["row"] for error in shown(job.errors)] == [2, 3]
    assert (job.errors_total, job.rows_rejected) == (5, 5)


def test_header_only_file_fails(company) -> None:
    job = run_import(csv_text())
    assert job.status == "failed"
    assert job.message == "The file has no order lines below its header."


def test_write_phase_failure_leaves_the_database_untouched(company) -> None:
    run_import(GOOD)
    before = database_snapshot()
    job = job_create(
        csv_text("SO-9,2019-03-05,C-9,S-N1,FUR-CH,1", "SO-1,2019-03-05,C-1,S-N1,FUR-CH,7")
    )

    with mock.patch.object(
        store_module.ImportStore, "_lines_upsert", side_effect=RuntimeError("disk full")
    ):
        job = import_job_run(job=job)

    assert job.status == "failed"
    assert job.message == "The import failed with an internal error; nothing was imported."
    assert database_snapshot() == before  # the customer and order written before it are gone
