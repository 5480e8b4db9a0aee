"""``manage.py import_orders``: a synchronous import with a progress bar and a summary."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from customers.models import ColumnMapping, ImportJob, OrderLine
from tests.customers.import_support import csv_text

pytestmark = pytest.mark.django_db


def command(*args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("import_orders", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


@pytest.fixture
def orders_file(tmp_path: Path) -> Path:
    path = tmp_path / "orders.csv"
    path.write_text(
        csv_text(
            "SO-1,2019-03-05,C-1,S-N1,FUR-CH,10",
            "SO-2,2019-03-06,C-2,S-S1,FUR-CH,x",
            "SO-3,2019-03-07,C-1,S-N2,TEC-PH,5",
        ),
        encoding="utf-8",
    )
    return path


def test_command_imports_and_prints_a_summary(company, orders_file: Path) -> None:
    out, err = command(str(orders_file), "--mode", "partial")

    job = ImportJob.objects.get()
    assert (job.status, job.created_by, job.rows_imported) == ("succeeded", None, 2)
    assert OrderLine.objects.count() == 2
    # the API status stays "succeeded"; the outcome says a row was rejected
    assert f"Import #{job.pk}: succeeded (Completed with errors)" in out
    assert "rows in file:  3" in out
    assert "imported:      2 (2 new, 0 changed, 0 unchanged)" in out
    assert "rejected:      1" in out
    assert "warnings:      0" in out
    assert "row 3 (order SO-2), amount: 'x' is not a number." in out
    assert "3/3" in err  # the progress bar, rows done / total


def test_command_fails_with_a_non_zero_exit_when_the_job_fails(company, orders_file: Path) -> None:
    out = io.StringIO()
    with pytest.raises(CommandError, match="failed"):
        call_command("import_orders", str(orders_file), stdout=out, stderr=io.StringIO())
    assert "row 3 (order SO-2), amount: 'x' is not a number." in out.getvalue()
    assert OrderLine.objects.count() == 0


def test_command_imports_as_a_user_with_a_saved_mapping(company, tmp_path: Path) -> None:
    ColumnMapping.objects.create(name="erp", columns={"amount": "Umsatz"})
    path = tmp_path / "erp.csv"
    path.write_text(
        "order_id,order_date,customer_code,salesperson_code,product_line,Umsatz\n"
        "SO-1,2019-03-05,C-1,S-N1,FUR-CH,10\n",
        encoding="utf-8",
    )
    command(str(path), "--mapping", "erp", "--user", "manager")
    job = ImportJob.objects.get()
    assert (job.status, job.created_by.username, job.mapping.name) == (
        "succeeded",
        "manager",
        "erp",
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["missing.csv"], "No such file"),
        (["{file}", "--mapping", "nope"], "No saved column mapping named nope"),
        (["{file}", "--user", "ghost"], "No user named ghost"),
        (["{file}", "--user", "rep"], "Only admins and managers may import orders"),
    ],
)
def test_command_refuses_bad_arguments(
    company, orders_file: Path, args: list[str], message: str
) -> None:
    with pytest.raises(CommandError, match=message):
        command(*[arg.format(file=orders_file) for arg in args])


def test_command_refuses_files_that_are_not_order_files(company, tmp_path: Path) -> None:
    path = tmp_path / "notes.csv"
    path.write_text("hello,world\n1,2\n", encoding="utf-8")
    with pytest.raises(CommandError, match="The file has no column for order_id"):
        command(str(path))
    assert ImportJob.objects.count() == 0
