"""``import_job_run``: parsing, validation, storing, counts, errors and the signal."""

from __future__ import annotations

import io
from decimal import Decimal
from unittest import mock

import openpyxl
import pytest
from django.test import override_settings

from customers.importing import store as store_module
from customers.models import (
    ColumnMapping,
    Customer,
    ImportJob,
    Order,
    OrderLine,
    Product,
    TerritoryRule,
)
from customers.services.imports import import_job_run
from customers.signals import orders_imported
from tests.customers.import_support import (
    FIXTURES,
    HEADER,
    csv_text,
    database_snapshot,
    job_create,
    job_payload,
    run_import,
    stored_lines,
)
from tests.factories import CustomerFactory, OrderFactory, OrderLineFactory, SalespersonFactory

pytestmark = pytest.mark.django_db

GOOD = csv_text(
    "SO-1,2019-03-05,C-1,S-N1,FUR-CH,100.50",
    "SO-1,2019-03-05,C-1,S-N2,TEC-PH,20",
    "SO-2,2019-04-01,C-2,S-S1,Tables,-5.25",
)


def failed_with(job: ImportJob, errors: list[dict], *, rows_total: int) -> None:
    """The job failed on exactly these row errors and stored nothing."""
    assert job.status == ImportJob.Status.FAILED
    assert job.errors == errors
    assert job.errors_total == len(errors)
    assert job.rows_total == rows_total
    assert job.rows_imported == 0
    assert job.rows_rejected == len({error["row"] for error in errors})
    assert OrderLine.objects.count() == 0
    assert Order.objects.count() == 0
    assert Customer.objects.count() == 0


def one_bad_row(company, row: str, header: str = HEADER) -> ImportJob:
    return run_import(csv_text("SO-1,2019-03-05,C-1,S-N1,FUR-CH,1", row, header=header))


# --- The happy path --------------------------------------------------------------------------
def test_import_stores_lines_orders_customers_and_reports_counts(company) -> None:
    job = run_import(GOOD)

    assert job_payload(job) == {
        "status": "succeeded",
        "phase": "done",
        "rows_total": 3,
        "rows_done": 3,
        "rows_imported": 3,
        "rows_rejected": 0,
        "rows_inserted": 3,
        "rows_updated": 0,
        "rows_unchanged": 0,
        "errors": [],
        "errors_total": 0,
    }
    assert job.message.startswith(
        "Imported 3 of 3 rows (3 new, 0 changed, 0 unchanged); 0 rejected"
    )
    assert job.started_at is not None
    assert job.finished_at >= job.started_at
    assert job.recompute_status == ImportJob.RecomputeStatus.PENDING
    assert stored_lines() == [
        ("SO-1", 1, "2019-03-05", "C-1", "S-N1", "FUR-CH", Decimal("100.50")),
        ("SO-1", 2, "2019-03-05", "C-1", "S-N2", "TEC-PH", Decimal("20")),
        ("SO-2", 1, "2019-04-01", "C-2", "S-S1", "FUR-TA", Decimal("-5.25")),
    ]
    assert list(Order.objects.order_by("order_no").values_list("order_no", "customer__code")) == [
        ("SO-1", "C-1"),
        ("SO-2", "C-2"),
    ]
    assert set(OrderLine.objects.values_list("import_job_id", flat=True)) == {job.pk}
    assert job.affected_cells == [
        [company.rep.pk, "2019-03-01"],
        [company.north_peer.pk, "2019-03-01"],
        [company.south_rep.pk, "2019-04-01"],
    ]


def test_line_numbers_are_positions_within_each_order_in_file_order(company) -> None:
    run_import(
        csv_text(
            "SO-1,2019-03-05,C-1,S-N1,FUR-CH,1",
            "SO-2,2019-03-05,C-1,S-N1,FUR-CH,2",
            "SO-1,2019-03-05,C-1,S-N1,FUR-CH,3",
        )
    )
    assert [(line[0], line[1], line[6]) for line in stored_lines()] == [
        ("SO-1", 1, Decimal(1)),
        ("SO-1", 2, Decimal(3)),
        ("SO-2", 1, Decimal(2)),
    ]


def test_explicit_line_numbers_are_the_key(company) -> None:
    run_import(
        csv_text(
            "SO-1,7,2019-03-05,C-1,S-N1,FUR-CH,1",
            "SO-1,3,2019-03-05,C-1,S-N1,FUR-CH,2",
            header="order_id,line_no,order_date,customer_code,salesperson_code,product_line,amount",
        )
    )
    assert [line[1] for line in stored_lines()] == [3, 7]


def test_amount_is_quantity_times_unit_price_when_absent(company) -> None:
    job = run_import(
        csv_text(
            "SO-1,2019-03-05,C-1,S-N1,FUR-CH,3,19.99,",
            "SO-1,2019-03-05,C-1,S-N1,FUR-CH,2,0.125,",
            "SO-2,2019-03-05,C-1,S-N1,FUR-CH,2,10,15",
            header=f"{HEADER[: HEADER.rindex(',')]},quantity,unit_price,amount",
        )
    )
    assert job.status == "succeeded"
    lines = OrderLine.objects.order_by("order__order_no", "line_no")
    assert [(line.quantity, line.unit_price, line.amount) for line in lines] == [
        (Decimal(3), Decimal("19.99"), Decimal("59.97")),
        (Decimal(2), Decimal("0.125"), Decimal("0.25")),
        (Decimal(2), Decimal(10), Decimal(15)),  # a given amount wins (discounts)
    ]


def test_customers_take_their_last_row_and_the_owner_of_their_latest_line(company) -> None:
    header = (
        "order_id,order_date,customer_code,customer_name,region,salesperson_code,product_line,"
        "amount"
    )
    job = run_import(
        csv_text(
            "SO-2,2019-05-01,C-1,Acme Late,East,S-N2,FUR-CH,1",
            "SO-1,2019-03-05,C-1,Acme Early,West,S-N1,FUR-CH,1",
            header=header,
        )
    )
    customer = Customer.objects.get(code="C-1")
    assert (customer.name, customer.region, customer.owner_id) == (
        "Acme Early",
        "West",
        company.north_peer.pk,
    )
    assert job.rows_inserted == 2


def test_blank_customer_cells_keep_stored_values_and_unknown_columns_are_listed(company) -> None:
    CustomerFactory(code="C-1", name="Stored Name", region="North", state="")
    job = run_import(
        csv_text(
            "SO-1,2019-03-05,C-1,,Hebei,S-N1,FUR-CH,1,x,y",
            header="order_id,order_date,customer_code,customer_name,state,salesperson_code,"
            "product_line,amount,Ship Mode,Discount",
        )
    )
    customer = Customer.objects.get(code="C-1")
    assert (customer.name, customer.region, customer.state) == ("Stored Name", "North", "Hebei")
    assert job.message.endswith("Ignored columns: Ship Mode, Discount.")


def test_products_are_created_by_sku_with_their_product_line(company) -> None:
    run_import(
        csv_text(
            "SO-1,2019-03-05,C-1,S-N1,FUR-CH,SKU-1,Old chair,1",
            "SO-2,2019-03-06,C-1,S-N1,FUR-CH,SKU-1,Chair,1",
            "SO-2,2019-03-06,C-1,S-N1,TEC-PH,,,1",
            header="order_id,order_date,customer_code,salesperson_code,product_line,sku,"
            "product_name,amount",
        )
    )
    assert list(Product.objects.values_list("sku", "name", "product_line__code")) == [
        ("SKU-1", "Chair", "FUR-CH")
    ]
    assert list(OrderLine.objects.order_by("id").values_list("product__sku", flat=True)) == [
        "SKU-1",
        "SKU-1",
        None,
    ]


# --- Re-imports ------------------------------------------------------------------------------
def test_reimport_of_the_same_file_is_idempotent(company) -> None:
    run_import(GOOD)
    before = database_snapshot()

    job = run_import(GOOD)

    assert job_payload(job) | {"errors": None} == {
        "status": "succeeded",
        "phase": "done",
        "rows_total": 3,
        "rows_done": 3,
        "rows_imported": 3,
        "rows_rejected": 0,
        "rows_inserted": 0,
        "rows_updated": 0,
        "rows_unchanged": 3,
        "errors": None,
        "errors_total": 0,
    }
    assert job.recompute_status == ImportJob.RecomputeStatus.SKIPPED
    assert job.affected_cells == []
    assert database_snapshot() == before


def test_corrected_line_is_updated_and_both_of_its_cells_are_affected(company) -> None:
    run_import(GOOD)
    untouched = OrderLine.objects.get(order__order_no="SO-2")

    job = run_import(
        csv_text(
            "SO-1,2019-03-05,C-1,S-N1,FUR-CH,100.50",
            "SO-1,2019-03-05,C-1,S-S1,TEC-PH,25",
            "SO-2,2019-04-01,C-2,S-S1,Tables,-5.25",
        )
    )

    assert (job.rows_inserted, job.rows_updated, job.rows_unchanged) == (0, 1, 2)
    assert stored_lines()[1] == ("SO-1", 2, "2019-03-05", "C-1", "S-S1", "TEC-PH", Decimal(25))
    assert OrderLine.objects.get(pk=untouched.pk).updated_at == untouched.updated_at
    assert job.affected_cells == [
        [company.north_peer.pk, "2019-03-01"],
        [company.south_rep.pk, "2019-03-01"],
    ]


def test_redated_order_moves_its_stored_lines_that_the_file_leaves_out(company) -> None:
    run_import(GOOD)

    job = run_import(csv_text("SO-1,2019-06-30,C-1,S-N1,FUR-CH,100.50"))

    assert job.rows_updated == 1
    assert {(line[0], line[1], line[2]) for line in stored_lines()} == {
        ("SO-1", 1, "2019-06-30"),
        ("SO-1", 2, "2019-06-30"),
        ("SO-2", 1, "2019-04-01"),
    }
    assert Order.objects.get(order_no="SO-1").order_date.isoformat() == "2019-06-30"
    assert job.affected_cells == [
        [company.rep.pk, "2019-03-01"],
        [company.rep.pk, "2019-06-01"],
        [company.north_peer.pk, "2019-03-01"],
        [company.north_peer.pk, "2019-06-01"],
    ]


def test_a_job_runs_once(company) -> None:
    job = run_import(GOOD)
    again = import_job_run(job=job)
    assert again.status == "succeeded"
    assert OrderLine.objects.count() == 3


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
    assert job.errors == [
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
    assert [error["row"] for error in job.errors] == [2, 3]
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


# --- Formats ---------------------------------------------------------------------------------
CHINESE = (
    "订单号,日期,客户编码,客户名称,业务员,产品线,金额\n"
    'CN-1,2019/3/5,K-1,上海贸易,S-N1,Chairs,"1,234.50"\n'
)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030"])
def test_chinese_headers_in_every_supported_encoding(company, encoding: str) -> None:
    job = run_import(CHINESE.encode(encoding))
    assert job.status == "succeeded", job.errors
    assert stored_lines() == [
        ("CN-1", 1, "2019-03-05", "K-1", "S-N1", "FUR-CH", Decimal("1234.50"))
    ]
    assert Customer.objects.get(code="K-1").name == "上海贸易"


@pytest.mark.parametrize("delimiter", [";", "\t", "|"])
def test_semicolon_tab_and_pipe_delimited_files(company, delimiter: str) -> None:
    text = GOOD.replace(",", delimiter).replace("100.50", "100.50")
    job = run_import(text)
    assert job.status == "succeeded", job.errors
    assert len(stored_lines()) == 3


def test_full_width_digits_and_thousands_separators(company) -> None:
    job = run_import(
        csv_text(
            'SO-１,２０１９-０３-０５,C-1,S-N1,FUR-CH,"１，２３４．５"',
            'SO-2,2019年3月6日,C-1,S-N1,FUR-CH,"(1,000)"',
            "SO-3,20190307,C-1,S-N1,FUR-CH,￥88",
        )
    )
    assert job.status == "succeeded", job.errors
    assert [(line[0], line[2], line[6]) for line in stored_lines()] == [
        ("SO-1", "2019-03-05", Decimal("1234.5")),
        ("SO-2", "2019-03-06", Decimal(-1000)),
        ("SO-3", "2019-03-07", Decimal(88)),
    ]


def test_day_month_year_files_are_detected(company) -> None:
    run_import(csv_text("SO-1,25/3/2019,C-1,S-N1,FUR-CH,1", "SO-2,4/3/2019,C-1,S-N1,FUR-CH,1"))
    assert [line[2] for line in stored_lines()] == ["2019-03-25", "2019-03-04"]


def test_xlsx_file_imports_with_date_cells_and_numbers(company) -> None:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(HEADER.split(","))
    sheet.append(["SO-1", 43529, "C-1", "S-N1", "FUR-CH", 100.5])  # an Excel serial date
    sheet.append(["SO-2", "2019-03-06", "C-1", "S-N1", "FUR-CH", "oops"])
    buffer = io.BytesIO()
    workbook.save(buffer)

    job = run_import(buffer.getvalue(), name="orders.xlsx", mode="partial")

    assert job.errors == [{"row": 3, "column": "amount", "message": "'oops' is not a number."}]
    assert stored_lines() == [("SO-1", 1, "2019-03-05", "C-1", "S-N1", "FUR-CH", Decimal("100.5"))]


def test_legacy_xls_file_imports(company) -> None:
    job = run_import((FIXTURES / "orders_chinese.xls").read_bytes(), name="orders.xls")
    assert job.status == "succeeded", job.errors
    assert stored_lines() == [
        ("X-1", 1, "2019-03-05", "C-1", "S-N1", "FUR-CH", Decimal(25)),
        ("X-1", 2, "2019-03-05", "C-1", "S-N1", "TEC-PH", Decimal("99.99")),
        ("X-2", 1, "2019-04-01", "C-2", "S-N2", "FUR-TA", Decimal(300)),
    ]


def test_saved_mapping_imports_an_erp_layout(company) -> None:
    mapping = ColumnMapping.objects.create(
        name="ERP",
        columns={
            "order_id": "Beleg",
            "order_date": "Datum",
            "customer_code": "Kunde",
            "salesperson_code": "Vertreter",
            "product_line": "Sparte",
            "amount": "Umsatz",
        },
        date_order="dmy",
    )
    job = run_import(
        "Beleg;Datum;Kunde;Vertreter;Sparte;Umsatz;Notiz\nB-1;05.03.2019;K-1;S-N1;FUR-CH;12.00;x\n",
        mapping=mapping,
    )
    assert job.status == "succeeded", job.errors
    assert stored_lines() == [("B-1", 1, "2019-03-05", "K-1", "S-N1", "FUR-CH", Decimal(12))]
    assert job.mapping == mapping
    assert job.message.endswith("Ignored columns: Notiz.")


# --- Territory rules ---------------------------------------------------------------------------
TERRITORY_HEADER = (
    "order_id,order_date,customer_code,city,state,region,salesperson_code,product_line,amount"
)


def test_territory_rules_assign_rows_without_a_salesperson_most_specific_first(company) -> None:
    TerritoryRule.objects.create(attribute="region", value="East", salesperson=company.south_rep)
    TerritoryRule.objects.create(
        attribute="state", value="new york", salesperson=company.north_peer
    )
    TerritoryRule.objects.create(attribute="customer_code", value="C-VIP", salesperson=company.rep)
    job = run_import(
        csv_text(
            "SO-1,2019-03-05,C-1,Albany,New York,East,,FUR-CH,1",  # state beats region
            "SO-2,2019-03-05,C-2,Boston,Massachusetts,East,,FUR-CH,1",  # region
            "SO-3,2019-03-05,C-VIP,Albany,New York,East,,FUR-CH,1",  # customer code beats state
            "SO-4,2019-03-05,C-4,Albany,New York,East,S-S1,FUR-CH,1",  # a named salesperson wins
            header=TERRITORY_HEADER,
        )
    )
    assert job.status == "succeeded", job.errors
    assert [(line[0], line[4]) for line in stored_lines()] == [
        ("SO-1", "S-N2"),
        ("SO-2", "S-S1"),
        ("SO-3", "S-N1"),
        ("SO-4", "S-S1"),
    ]


def test_row_without_salesperson_or_matching_rule_names_the_territory(company) -> None:
    TerritoryRule.objects.create(attribute="state", value="Texas", salesperson=company.south_rep)
    job = run_import(
        csv_text("SO-1,2019-03-05,C-1,Albany,New York,East,,FUR-CH,1", header=TERRITORY_HEADER)
    )
    failed_with(
        job,
        [
            {
                "row": 2,
                "column": "salesperson_code",
                "message": "No salesperson given, and no territory rule matches "
                "city 'Albany', state 'New York', region 'East'.",
            }
        ],
        rows_total=1,
    )


def test_file_without_salesperson_column_uses_rules_only(company) -> None:
    TerritoryRule.objects.create(attribute="country", value="China", salesperson=company.rep)
    job = run_import(
        "order_id,order_date,customer_code,country,product_line,amount\n"
        "SO-1,2019-03-05,C-1,China,FUR-CH,1\nSO-2,2019-03-05,C-2,Japan,FUR-CH,1\n",
        mode="partial",
    )
    assert job.errors == [
        {
            "row": 3,
            "column": "salesperson_code",
            "message": "No salesperson given, and no territory rule matches country 'Japan'.",
        }
    ]
    assert [line[4] for line in stored_lines()] == ["S-N1"]


# --- Scope -------------------------------------------------------------------------------------
def test_manager_may_not_import_for_salespeople_outside_their_subtree(company) -> None:
    job = run_import(
        csv_text(
            "SO-1,2019-03-05,C-1,S-N1,FUR-CH,1",
            "SO-2,2019-03-05,C-2,S-S1,FUR-CH,1",
            "SO-3,2019-03-05,C-2,NO-SUCH,FUR-CH,1",
        ),
        actor=company.users["manager"],
        mode="partial",
    )
    # an existing salesperson outside the scope and an unknown code read alike
    assert job.errors == [
        {
            "row": 3,
            "column": "salesperson_code",
            "message": "Salesperson 'S-S1' is unknown or not in your scope.",
        },
        {
            "row": 4,
            "column": "salesperson_code",
            "message": "Salesperson 'NO-SUCH' is unknown or not in your scope.",
        },
    ]
    assert [line[4] for line in stored_lines()] == ["S-N1"]
    assert job.created_by == company.users["manager"]


def test_manager_may_not_overwrite_stored_lines_of_other_salespeople(company) -> None:
    line = OrderLineFactory(
        order=OrderFactory(order_no="SO-1", customer=CustomerFactory(code="C-1")),
        line_no=1,
        salesperson=company.south_rep,
        product_line=company.chairs,
    )
    job = run_import(csv_text("SO-1,2019-03-15,C-1,S-N1,FUR-CH,1"), actor=company.users["manager"])
    assert job.status == "failed"
    assert job.errors == [
        {
            "row": 2,
            "column": "order_id",
            "message": "Order SO-1 line 1 is stored outside your part of the company; only an "
            "administrator can change it.",
        }
    ]
    line.refresh_from_db()
    assert line.salesperson == company.south_rep


def test_store_refuses_stored_lines_that_moved_out_of_scope_after_validation(company) -> None:
    # given a stored line of the south that validation did not see (a concurrent change)
    OrderLineFactory(
        order=OrderFactory(order_no="SO-1", customer=CustomerFactory(code="C-1")),
        line_no=1,
        salesperson=company.south_rep,
        product_line=company.chairs,
    )
    before = database_snapshot()
    # when the north manager's import reaches the write phase
    with mock.patch("customers.services.imports._stored_lines_check"):
        job = run_import(
            csv_text("SO-1,2019-03-15,C-1,S-N1,FUR-CH,1"), actor=company.users["manager"]
        )
    # then the merge refuses it and nothing changes
    assert job.status == "failed"
    assert job.message == (
        "Some lines in the file were stored for salespeople outside your part of the company "
        "while the import ran; nothing was imported."
    )
    assert database_snapshot() == before


def test_owner_follows_the_latest_line_stored_or_imported(company) -> None:
    run_import(csv_text("SO-1,2019-06-01,C-1,S-S1,FUR-CH,1"))
    assert Customer.objects.get(code="C-1").owner == company.south_rep

    run_import(csv_text("SO-0,2019-01-01,C-1,S-N1,FUR-CH,1"))  # older than the stored line
    assert Customer.objects.get(code="C-1").owner == company.south_rep

    run_import(csv_text("SO-2,2019-07-01,C-1,S-N2,FUR-CH,1"))  # newer
    assert Customer.objects.get(code="C-1").owner == company.north_peer


# --- Progress and the signal -----------------------------------------------------------------
@override_settings(SALESALLOC_IMPORT_CHUNK_ROWS=2)
def test_progress_is_reported_per_chunk(company) -> None:
    seen: list[tuple[int, int]] = []
    rows = [f"SO-{i},2019-03-05,C-1,S-N1,FUR-CH,1" for i in range(5)]
    job = run_import(csv_text(*rows[:2], "", *rows[2:]), progress=lambda d, t: seen.append((d, t)))
    # Chunks are 2 lines of the file (the header and the blank line count as lines).
    assert seen == [(0, 5), (1, 5), (2, 5), (4, 5), (5, 5)]
    assert (job.rows_done, job.rows_total) == (5, 5)


def test_signal_is_sent_once_after_commit_with_the_job(
    company, django_capture_on_commit_callbacks
) -> None:
    received: list[dict] = []

    def receiver(sender, **kwargs) -> None:
        received.append({"sender": sender, "job_id": kwargs["job_id"]})

    orders_imported.connect(receiver, weak=False)
    try:
        job = job_create(GOOD)
        with django_capture_on_commit_callbacks() as callbacks:
            job = import_job_run(job=job)
        assert received == []  # nothing before commit
        for callback in callbacks:
            callback()
        assert received == [{"sender": ImportJob, "job_id": job.pk}]
        assert job.affected_cells == [
            [company.rep.pk, "2019-03-01"],
            [company.north_peer.pk, "2019-03-01"],
            [company.south_rep.pk, "2019-04-01"],
        ]
        received.clear()
        with django_capture_on_commit_callbacks(execute=True):
            import_job_run(job=job_create(GOOD))  # nothing changed: no signal
        assert received == []
    finally:
        orders_imported.disconnect(receiver)
