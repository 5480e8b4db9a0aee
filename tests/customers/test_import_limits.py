"""Hostile order files: refused at upload when metadata tells, else the job fails naming the
limit; nothing is parsed in the request and nothing is expanded before it is bounded."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, override_settings

from customers.importing.reading import SourceWidened, source_open
from customers.models import ImportJob, OrderLine
from customers.services.imports import FileRejected, import_job_run
from tests.customers.import_support import FIXTURES, HEADER, csv_text, job_create, run_import, shown
from tests.hostile_files import far_cell_xlsx, inline_row, sheet_xlsx, sheet_xml

pytestmark = pytest.mark.django_db

ROW = "SO-{n},2019-03-05,C-1,S-N1,FUR-CH,10"


def header_row(number: int = 1) -> str:
    names = HEADER.split(",")
    return inline_row(number, {chr(65 + i): name for i, name in enumerate(names)})


def order_row(number: int) -> str:
    values = [f"SO-{number}", "2019-03-05", "C-1", "S-N1", "FUR-CH", 10]
    return inline_row(number, {chr(65 + i): value for i, value in enumerate(values)})


def test_a_far_cell_declared_in_the_dimension_is_refused_at_upload(company) -> None:
    with pytest.raises(FileRejected) as caught:
        job_create(far_cell_xlsx(), name="orders.xlsx", actor=company.users["manager"])

    assert caught.value.status_code == 400
    assert caught.value.message == (
        "The sheet reaches column 16,384; at most 256 columns are read "
        "(SALESALLOC_SHEET_MAX_COLUMNS)."
    )
    assert not ImportJob.objects.exists()


def test_a_hidden_far_cell_fails_the_job_naming_the_limit(company) -> None:
    data = sheet_xlsx(sheet_xml(header_row() + order_row(2) + inline_row(1048576, {"XFD": "x"})))

    job = run_import(data, name="orders.xlsx", actor=company.users["manager"])

    assert job.status == ImportJob.Status.FAILED
    assert job.message == (
        "The sheet reaches column 16,384; at most 256 columns are read "
        "(SALESALLOC_SHEET_MAX_COLUMNS)."
    )
    assert not OrderLine.objects.exists()


@override_settings(SALESALLOC_SHEET_MAX_CELLS=60)
def test_a_dense_sheet_over_the_cell_limit_fails_the_job(company) -> None:
    rows = header_row() + "".join(order_row(n) for n in range(2, 12))  # 11 rows x 6 columns

    job = run_import(sheet_xlsx(sheet_xml(rows)), name="orders.xlsx")

    assert job.status == ImportJob.Status.FAILED
    assert job.message == (
        "The sheet spans 66 cells (11 rows x 6 columns); at most 60 cells are read "
        "(SALESALLOC_SHEET_MAX_CELLS)."
    )


@override_settings(SALESALLOC_XLSX_MAX_UNCOMPRESSED_BYTES=2000)
def test_a_workbook_that_unpacks_too_far_is_refused_at_upload(company) -> None:
    rows = header_row() + "".join(order_row(n) for n in range(2, 40))
    with pytest.raises(FileRejected, match="SALESALLOC_XLSX_MAX_UNCOMPRESSED_BYTES"):
        job_create(sheet_xlsx(sheet_xml(rows)), name="orders.xlsx")


@override_settings(SALESALLOC_SHEET_MAX_ROWS=3)
def test_xls_limits_come_from_calamines_dimensions(company) -> None:
    job = run_import((FIXTURES / "orders_chinese.xls").read_bytes(), name="orders.xls")

    assert job.status == ImportJob.Status.FAILED
    assert job.message.startswith("The sheet reaches row 4; at most 3 rows are read")


def test_a_workbook_is_not_opened_in_the_request(company, monkeypatch) -> None:
    def refuse(*args, **kwargs):
        raise AssertionError("the request parsed the workbook")

    monkeypatch.setattr("customers.importing.reading.load_workbook", refuse)
    data = sheet_xlsx(sheet_xml(header_row() + order_row(2)))

    job = job_create(data, name="orders.xlsx", actor=company.users["manager"])

    assert job.status == ImportJob.Status.QUEUED
    monkeypatch.undo()
    assert import_job_run(job=job).status == ImportJob.Status.SUCCEEDED
    assert OrderLine.objects.count() == 1


def test_a_workbook_without_the_required_columns_fails_the_job(company) -> None:
    data = sheet_xlsx(sheet_xml(inline_row(1, {"A": "order_id"}) + inline_row(2, {"A": "x"})))

    job = run_import(data, name="orders.xlsx")

    assert job.status == ImportJob.Status.FAILED
    assert job.message.startswith("The file has no column for order_date, customer_code")


@override_settings(SALESALLOC_CSV_MAX_LINES=1000)
def test_too_many_csv_lines_are_refused_at_upload(company) -> None:
    text = HEADER + "\n" + "x\n" * 1000

    with pytest.raises(FileRejected) as caught:
        job_create(text, actor=company.users["manager"])

    assert caught.value.message == (
        "The file has more than 1,000 lines; at most 1,000 are read (SALESALLOC_CSV_MAX_LINES)."
    )


def test_a_csv_line_too_long_is_refused_at_upload(company) -> None:
    text = csv_text(ROW.format(n=1), "SO-2," + "x" * 70_000 + ",C-1,S-N1,FUR-CH,10")

    with pytest.raises(FileRejected, match="SALESALLOC_CSV_MAX_LINE_BYTES"):
        job_create(text, actor=company.users["manager"])


def test_trailing_empty_fields_do_not_widen_the_read(company) -> None:
    rows = [ROW.format(n=n) for n in range(5000)]
    rows[17] += "," * 30_000
    data = csv_text(*rows).encode()

    source = source_open(data=data, name="orders.csv")
    try:
        chunks = list(source.chunks(1000))
    except SourceWidened:  # the old reader widened every chunk to 30,010 columns
        pytest.fail("one row of trailing commas widened the whole read")

    assert sum(len(chunk.rows) for chunk in chunks) == 5000
    assert max(chunk.field_counts.max() for chunk in chunks) == 0
    job = run_import(data)
    assert (job.status, job.rows_imported) == (ImportJob.Status.SUCCEEDED, 5000)


def test_a_row_with_more_fields_than_the_limit_fails_the_job_naming_it(company) -> None:
    text = csv_text(ROW.format(n=1), ROW.format(n=2) + ",x" * 300)

    job = run_import(text, mode="partial")

    assert job.status == ImportJob.Status.FAILED
    assert job.message == (
        "A row has 306 fields; at most 256 columns are read (SALESALLOC_SHEET_MAX_COLUMNS)."
    )


def test_rows_with_a_few_extra_fields_are_still_reported(company) -> None:
    text = csv_text(ROW.format(n=1), ROW.format(n=2) + ",x,y,z", ROW.format(n=3) + ",,,,")

    job = run_import(text, mode="partial")

    assert shown(job.errors) == [
        {"row": 3, "column": None, "message": "The row has 9 fields; the header has 6."}
    ]
    assert job.rows_imported == 2


def test_the_api_answers_400_for_a_far_cell_at_once(client_as, company) -> None:
    upload = SimpleUploadedFile("orders.xlsx", far_cell_xlsx())

    response = client_as("manager").post("/api/v1/imports/", {"file": upload})

    assert response.status_code == 400
    assert response.json()["message"] == (
        "The sheet reaches column 16,384; at most 256 columns are read "
        "(SALESALLOC_SHEET_MAX_COLUMNS)."
    )
    assert not ImportJob.objects.exists()


def test_the_import_page_shows_the_limit_for_a_far_cell(company) -> None:
    client = Client()
    client.force_login(company.users["manager"])
    upload = SimpleUploadedFile("orders.xlsx", far_cell_xlsx())

    response = client.post("/imports/", {"file": upload, "mode": "all_or_nothing"})

    assert response.status_code == 200
    assert "SALESALLOC_SHEET_MAX_COLUMNS" in response.content.decode()
    assert not ImportJob.objects.exists()
