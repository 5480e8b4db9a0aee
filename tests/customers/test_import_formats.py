"""``import_job_run``: encodings, delimiters, number and date formats, XLSX/XLS, saved
mappings and territory rules."""

from __future__ import annotations

import io
from decimal import Decimal

import openpyxl
import pytest

from customers.models import (
    ColumnMapping,
    Customer,
    TerritoryRule,
)
from tests.customers.import_support import (
    FIXTURES,
    HEADER,
    csv_text,
    failed_with,
    run_import,
    shown,
    stored_lines,
)

pytestmark = pytest.mark.django_db
GOOD = csv_text(
    "SO-1,2019-03-05,C-1,S-N1,FUR-CH,100.50",
    "SO-1,2019-03-05,C-1,S-N2,TEC-PH,20",
    "SO-2,2019-04-01,C-2,S-S1,Tables,-5.25",
)

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

    assert shown(job.errors) == [
        {"row": 3, "column": "amount", "message": "'oops' is not a number."}
    ]
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
    assert shown(job.errors) == [
        {
            "row": 3,
            "column": "salesperson_code",
            "message": "No salesperson given, and no territory rule matches country 'Japan'.",
        }
    ]
    assert [line[4] for line in stored_lines()] == ["S-N1"]
