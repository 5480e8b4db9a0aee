"""Helpers shared by the order-import tests (``tests/customers/test_import_*.py``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile

from customers.importing.issues import issues_render
from customers.models import Customer, ImportJob, Order, OrderLine, Product
from customers.services.imports import import_job_create, import_job_run

FIXTURES = Path(__file__).parent / "fixtures"
ROOT = Path(__file__).resolve().parents[2]
SUPERSTORE_PATHS = (ROOT / "salesalloc" / "demo" / "superstore.csv",)
HEADER = "order_id,order_date,customer_code,salesperson_code,product_line,amount"


def superstore_path() -> Path | None:
    return next((path for path in SUPERSTORE_PATHS if path.is_file()), None)


def csv_text(*rows: str, header: str = HEADER) -> str:
    return "\n".join((header, *rows)) + "\n"


def upload(content: bytes | str, name: str = "orders.csv") -> SimpleUploadedFile:
    data = content.encode("utf-8") if isinstance(content, str) else content
    return SimpleUploadedFile(name, data)


def job_create(
    content: bytes | str, *, name: str = "orders.csv", actor: Any = None, **kwargs: Any
) -> ImportJob:
    return import_job_create(
        file=upload(content, name), original_name=name, actor=actor, enqueue=False, **kwargs
    )


def run_import(
    content: bytes | str,
    *,
    name: str = "orders.csv",
    actor: Any = None,
    progress: Callable[[int, int], None] | None = None,
    **kwargs: Any,
) -> ImportJob:
    job = job_create(content, name=name, actor=actor, **kwargs)
    return import_job_run(job=job, progress=progress)


def stored_lines() -> list[tuple]:
    """Every order line as (order, line, date, customer, salesperson, product line, amount)."""
    rows = OrderLine.objects.order_by("order__order_no", "line_no").values_list(
        "order__order_no",
        "line_no",
        "order_date",
        "customer__code",
        "salesperson__code",
        "product_line__code",
        "amount",
    )
    return [(o, n, day.isoformat(), c, s, p, Decimal(a)) for o, n, day, c, s, p, a in rows]


def database_snapshot() -> dict[str, list]:
    """Everything an import writes, to compare before and after."""
    return {
        "customers": list(Customer.objects.order_by("code").values()),
        "products": list(Product.objects.order_by("sku").values()),
        "orders": list(Order.objects.order_by("order_no").values()),
        "lines": list(OrderLine.objects.order_by("order_id", "line_no").values()),
    }


def shown(entries: Any) -> list[dict[str, Any]]:
    """Stored row errors, warnings or notices as people read them, in the active language:
    ``{"row", "column", "message"}`` each."""
    return [
        {"row": entry["row"], "column": entry["column"], "message": entry["message"]}
        for entry in issues_render(entries)
    ]


def job_payload(job: ImportJob) -> dict[str, Any]:
    """The job fields a client sees, for whole-payload assertions."""
    return {
        "status": job.status,
        "phase": job.phase,
        "rows_total": job.rows_total,
        "rows_done": job.rows_done,
        "rows_imported": job.rows_imported,
        "rows_rejected": job.rows_rejected,
        "rows_inserted": job.rows_inserted,
        "rows_updated": job.rows_updated,
        "rows_unchanged": job.rows_unchanged,
        "errors": shown(job.errors),
        "errors_total": job.errors_total,
    }


def month(day: str) -> str:
    return dt.date.fromisoformat(day).replace(day=1).isoformat()


def failed_with(job: ImportJob, errors: list[dict], *, rows_total: int) -> None:
    """The job failed on exactly these row errors and stored nothing."""
    assert job.status == ImportJob.Status.FAILED
    assert shown(job.errors) == errors
    assert job.errors_total == len(errors)
    assert job.rows_total == rows_total
    assert job.rows_imported == 0
    assert job.rows_rejected == len({error["row"] for error in errors})
    assert OrderLine.objects.count() == 0
    assert Order.objects.count() == 0
    assert Customer.objects.count() == 0


def one_bad_row(company: Any, row: str, header: str = HEADER) -> ImportJob:
    """Import one good row and ``row``; the job that comes back."""
    return run_import(csv_text("SO-1,2019-03-05,C-1,S-N1,FUR-CH,1", row, header=header))
