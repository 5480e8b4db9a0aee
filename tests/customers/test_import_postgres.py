"""PostgreSQL-only behaviour of imports: COPY staging, the portable store on PostgreSQL,
concurrent imports, and progress seen from another connection."""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from django.db import connection, connections
from django.test import override_settings

from customers.importing.store import ImportStore
from customers.importing.store_copy import CopyImportStore, import_store
from customers.models import Customer, ImportJob, Order, OrderLine
from customers.services import imports as imports_service
from customers.services.imports import import_job_run
from tests.customers.import_support import csv_text, job_create, run_import, stored_lines

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL"),
]

FIRST = csv_text(
    "SO-1,2019-03-05,C-1,S-N1,FUR-CH,100.5",
    "SO-1,2019-03-05,C-1,S-N2,TEC-PH,",
    "SO-2,2019-04-01,C-2,S-S1,Tables,-5.25",
).replace("TEC-PH,\n", "TEC-PH,0.0001\n")
SECOND = csv_text(
    "SO-1,2019-03-05,C-1,S-N1,FUR-CH,100.5",
    "SO-1,2019-03-05,C-1,S-S1,TEC-PH,0.0001",
    "SO-3,2019-05-01,C-1,S-N1,FUR-TA,7",
)


@pytest.mark.django_db
def test_postgres_uses_the_copy_store() -> None:
    assert type(import_store(connection)) is CopyImportStore
    assert type(import_store(connection, portable=True)) is ImportStore


@pytest.mark.django_db
@pytest.mark.parametrize("portable", [False, True], ids=["copy", "portable"])
def test_both_stores_write_the_same_rows_and_counts(company, monkeypatch, portable: bool) -> None:
    monkeypatch.setattr(
        imports_service, "import_store", lambda conn: import_store(conn, portable=portable)
    )

    first = run_import(FIRST)
    second = run_import(SECOND)
    third = run_import(SECOND)

    assert [
        (j.rows_inserted, j.rows_updated, j.rows_unchanged) for j in (first, second, third)
    ] == [
        (3, 0, 0),
        (1, 1, 1),
        (0, 0, 3),
    ]
    assert stored_lines() == [
        ("SO-1", 1, "2019-03-05", "C-1", "S-N1", "FUR-CH", Decimal("100.5")),
        ("SO-1", 2, "2019-03-05", "C-1", "S-S1", "TEC-PH", Decimal("0.0001")),
        ("SO-2", 1, "2019-04-01", "C-2", "S-S1", "FUR-TA", Decimal("-5.25")),
        ("SO-3", 1, "2019-05-01", "C-1", "S-N1", "FUR-TA", Decimal(7)),
    ]
    assert second.affected_cells == [
        [company.rep.pk, "2019-05-01"],
        [company.north_peer.pk, "2019-03-01"],
        [company.south_rep.pk, "2019-03-01"],
    ]


@pytest.mark.django_db
def test_quantities_prices_and_costs_round_trip_through_binary_copy(company) -> None:
    header = (
        "order_id,order_date,customer_code,salesperson_code,product_line,quantity,unit_price,cost"
    )
    run_import(
        csv_text(
            "SO-1,2019-03-05,C-1,S-N1,FUR-CH,3,0.1235,-1.5",
            "SO-2,2019-03-05,C-1,S-N1,FUR-CH,0.0002,123456789012.5,",
            header=header,
        )
    )
    assert list(
        OrderLine.objects.order_by("order__order_no").values_list(
            "quantity", "unit_price", "amount", "cost"
        )
    ) == [
        (Decimal(3), Decimal("0.1235"), Decimal("0.3705"), Decimal("-1.5")),
        (Decimal("0.0002"), Decimal("123456789012.5"), Decimal("24691357.8025"), None),
    ]


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_imports_of_one_file_leave_no_duplicates(company) -> None:
    text = csv_text(*[f"SO-{i},2019-03-05,C-{i % 7},S-N1,FUR-CH,{i}.25" for i in range(200)])
    jobs = [job_create(text), job_create(text)]
    both_validated = threading.Barrier(2, timeout=30)
    results: dict[int, ImportJob] = {}

    def work(job: ImportJob) -> None:
        def progress(done: int, total: int) -> None:
            if done == total:
                both_validated.wait()  # both reach the write phase together

        try:
            results[job.pk] = import_job_run(job=job, progress=progress)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work, args=(job,)) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    counts = sorted((j.status, j.rows_inserted, j.rows_unchanged) for j in results.values())
    assert counts == [("succeeded", 0, 200), ("succeeded", 200, 0)]
    assert OrderLine.objects.count() == 200
    assert Order.objects.count() == 200
    assert Customer.objects.count() == 7


@pytest.mark.django_db(transaction=True)
@override_settings(SALESALLOC_IMPORT_CHUNK_ROWS=3)
def test_progress_is_committed_while_the_import_runs(company) -> None:
    seen_elsewhere: list[tuple[int, int, str]] = []

    def read_from_another_connection(job_id: int) -> None:
        try:
            job = ImportJob.objects.get(pk=job_id)
            seen_elsewhere.append((job.rows_done, job.rows_total, job.phase))
        finally:
            connections.close_all()

    job = job_create(csv_text(*[f"SO-{i},2019-03-05,C-1,S-N1,FUR-CH,1" for i in range(7)]))

    def progress(done: int, total: int) -> None:
        reader = threading.Thread(target=read_from_another_connection, args=(job.pk,))
        reader.start()
        reader.join()

    job = import_job_run(job=job, progress=progress)

    assert job.status == "succeeded"
    assert seen_elsewhere == [
        (0, 7, "reading"),
        (2, 7, "reading"),
        (5, 7, "reading"),
        (7, 7, "reading"),
    ]


def _order_foreign_keys() -> list[tuple[str, str, str]]:
    """The order tables' foreign keys and the lines' indexes, as PostgreSQL describes them."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) "
            "FROM pg_constraint WHERE contype = 'f' AND conrelid IN "
            "('customers_orderline'::regclass, 'customers_order'::regclass) ORDER BY 1, 2"
        )
        keys = cursor.fetchall()
        cursor.execute(
            "SELECT 'index', indexname, indexdef FROM pg_indexes "
            "WHERE tablename = 'customers_orderline' ORDER BY 2"
        )
        return keys + cursor.fetchall()


@pytest.mark.django_db
@override_settings(SALESALLOC_IMPORT_BULK_ROWS=2)
def test_bulk_import_checks_foreign_keys_set_based_and_restores_them(company) -> None:
    before = _order_foreign_keys()

    first = run_import(FIRST)
    second = run_import(SECOND)

    assert (first.status, second.status) == ("succeeded", "succeeded")
    assert (second.rows_inserted, second.rows_updated, second.rows_unchanged) == (1, 1, 1)
    assert len(before) == 7 + 5  # 7 foreign keys; primary key, unique key, 3 indexes
    assert _order_foreign_keys() == before


@pytest.mark.django_db
@override_settings(SALESALLOC_IMPORT_BULK_ROWS=2)
def test_bulk_import_that_breaks_a_foreign_key_rolls_back_whole(company, monkeypatch) -> None:
    # given: a store whose merge writes a line pointing at a salesperson that does not exist
    original = CopyImportStore._owners_update

    def corrupt(self, cursor, stamp):
        original(self, cursor, stamp)
        cursor.execute("UPDATE customers_orderline SET salesperson_id = 999999")

    monkeypatch.setattr(CopyImportStore, "_owners_update", corrupt)
    before = _order_foreign_keys()

    job = run_import(FIRST)

    assert job.status == "failed"
    assert OrderLine.objects.count() == 0
    assert Order.objects.count() == 0
    assert _order_foreign_keys() == before
