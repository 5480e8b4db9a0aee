"""``import_job_create``: files are checked before parsing; the task starts after commit."""

from __future__ import annotations

import hashlib

import pytest
from django.core.exceptions import ValidationError
from django.test import override_settings

from customers.models import ColumnMapping, ImportJob, OrderLine, TerritoryRule
from customers.services.imports import (
    FileRejected,
    FileTooLarge,
    import_job_create,
    import_job_run,
)
from salesalloc.core.exceptions import ScopeError
from tests.customers.import_support import csv_text, job_create, shown, upload

pytestmark = pytest.mark.django_db

GOOD = csv_text("SO-1,2019-03-05,C-1,S-N1,FUR-CH,10")


def test_accepted_file_is_stored_and_the_job_queued(company) -> None:
    mapping = ColumnMapping.objects.create(name="plain", columns={})
    job = job_create(GOOD, actor=company.users["manager"], mode="partial", mapping=mapping)

    assert job.status == ImportJob.Status.QUEUED
    assert job.phase == ImportJob.Phase.WAITING
    assert (job.mode, job.mapping, job.created_by) == ("partial", mapping, company.users["manager"])
    assert job.original_name == "orders.csv"
    assert job.size_bytes == len(GOOD.encode())
    assert job.sha256 == hashlib.sha256(GOOD.encode()).hexdigest()
    with job.file.open("rb") as handle:
        assert handle.read() == GOOD.encode()
    assert OrderLine.objects.count() == 0


def test_the_import_task_runs_after_commit(company, django_capture_on_commit_callbacks) -> None:
    with django_capture_on_commit_callbacks() as callbacks:
        job = import_job_create(
            file=upload(GOOD), original_name="orders.csv", actor=company.users["admin"]
        )
    assert len(callbacks) == 1
    job.refresh_from_db()
    assert job.status == ImportJob.Status.QUEUED  # nothing ran inside the transaction

    callbacks[0]()  # commit: the (eager) task runs

    job.refresh_from_db()
    assert job.status == ImportJob.Status.SUCCEEDED
    assert OrderLine.objects.count() == 1


@override_settings(SALESALLOC_IMPORT_MAX_BYTES=100)
def test_file_over_the_size_limit_is_refused_before_parsing(company) -> None:
    with pytest.raises(FileTooLarge) as caught:
        job_create(b"x" * 101, actor=company.users["admin"])
    assert caught.value.status_code == 413
    assert caught.value.code == "file_too_large"
    assert caught.value.message == "The file is 101 bytes; imports are limited to 100 bytes."
    assert ImportJob.objects.count() == 0


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (
            b"%PDF-1.4\x00\x01binary",
            "orders.csv",
            "The file is binary, not CSV text or an Excel workbook.",
        ),
        (
            GOOD.encode(),
            "orders.docx",
            "orders.docx is not a CSV or Excel file (.csv, .txt, .xlsx, .xls).",
        ),
        (
            b"order_id,amount\n\x81\x30\xff,1\n",
            "orders.csv",
            "The file's text is neither UTF-8 nor GBK/GB18030; save it as CSV UTF-8.",
        ),
    ],
)
def test_files_that_are_not_order_files_are_refused(
    company, data: bytes, name: str, message: str
) -> None:
    with pytest.raises(FileRejected) as caught:
        job_create(data, name=name, actor=company.users["admin"])
    assert (caught.value.status_code, caught.value.code) == (400, "file_rejected")
    assert caught.value.message == message
    assert ImportJob.objects.count() == 0


def test_header_without_required_fields_is_refused_naming_them(company) -> None:
    with pytest.raises(FileRejected) as caught:
        job_create("订单号,客户编码,数量,备注\nA,C,1,x\n", actor=company.users["admin"])
    assert caught.value.message == (
        "The file has no column for order_date, product_line, amount (or quantity and "
        "unit_price), salesperson_code (or territory rules). "
        "Headers found: 订单号, 客户编码, 数量, 备注."
    )
    assert caught.value.extra == {
        "missing": ["order_date", "product_line", "amount", "salesperson_code"],
        "headers": ["订单号", "客户编码", "数量", "备注"],
    }


def test_mapping_that_names_absent_headers_is_refused(company) -> None:
    mapping = ColumnMapping.objects.create(name="ERP", columns={"amount": "Umsatz"})
    text = "order_id,order_date,customer_code,salesperson_code,product_line,Sales\n"
    with pytest.raises(FileRejected, match="no column for amount"):
        job_create(text, actor=company.users["admin"], mapping=mapping)


def test_file_without_salesperson_column_needs_territory_rules(company) -> None:
    text = "order_id,order_date,customer_code,state,product_line,amount\nA,2019-01-01,C,NY,FUR,1\n"
    with pytest.raises(FileRejected, match="salesperson_code"):
        job_create(text, actor=company.users["admin"])
    TerritoryRule.objects.create(attribute="state", value="NY", salesperson=company.rep)
    assert job_create(text, actor=company.users["admin"]).status == "queued"


@pytest.mark.parametrize("username", ["rep", "south_rep", "nobody"])
def test_only_admins_and_managers_may_import(company, username: str) -> None:
    with pytest.raises(ScopeError) as caught:
        job_create(GOOD, actor=company.users[username])
    assert caught.value.status_code == 403
    assert ImportJob.objects.count() == 0


@pytest.mark.parametrize("username", ["admin", "director", "manager", "other_manager"])
def test_admins_and_managers_may_import(company, username: str) -> None:
    assert job_create(GOOD, actor=company.users[username]).status == "queued"


def test_system_imports_without_a_user(company) -> None:
    job = job_create(GOOD, actor=None)
    assert job.created_by is None


def test_unknown_mode_is_a_validation_error(company) -> None:
    with pytest.raises(ValidationError):
        job_create(GOOD, actor=None, mode="sometimes")


def test_the_summary_is_in_the_uploaders_language_and_row_errors_in_the_viewers(company):
    from django.utils import translation

    from tests.customers.import_support import csv_text

    with translation.override("zh-hans"):
        job = job_create(csv_text("SO-1,2019-13-01,C-1,S-N1,FUR-CH,1"))
    # the task runs later, wherever: in whatever language is active there
    with translation.override("en"):
        job = import_job_run(job=job)

    assert job.language == "zh-hans"
    assert job.status == "failed"
    # the stored summary text (logs, the command line) is the uploader's language...
    assert "未导入任何数据" in job.message
    # ...while pages and the API render the stored codes in the viewer's language
    with translation.override("zh-hans"):
        assert "不是有效日期" in shown(job.errors)[0]["message"]
    with translation.override("en"):
        assert shown(job.errors)[0]["message"] == (
            "'2019-13-01' is not a date (e.g. 2019-03-05 or 3/5/2019)."
        )
