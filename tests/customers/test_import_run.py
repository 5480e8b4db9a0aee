"""``import_job_run``: storing, counts, re-imports, scope, progress and the signal."""

from __future__ import annotations

from decimal import Decimal
from unittest import mock

import pytest
from django.test import override_settings

from customers.models import (
    Customer,
    ImportJob,
    Order,
    OrderLine,
    Product,
)
from customers.services.imports import import_job_run
from customers.signals import orders_imported
from tests.customers.import_support import (
    HEADER,
    csv_text,
    database_snapshot,
    job_create,
    job_payload,
    run_import,
    shown,
    stored_lines,
)
from tests.factories import CustomerFactory, OrderFactory, OrderLineFactory

pytestmark = pytest.mark.django_db
GOOD = csv_text(
    "SO-1,2019-03-05,C-1,S-N1,FUR-CH,100.50",
    "SO-1,2019-03-05,C-1,S-N2,TEC-PH,20",
    "SO-2,2019-04-01,C-2,S-S1,Tables,-5.25",
)


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
    assert shown(job.errors) == [
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
    assert shown(job.errors) == [
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
    with mock.patch("customers.services.imports.stored_lines_check"):
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
