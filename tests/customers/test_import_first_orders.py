"""``Customer.first_order_date``: kept by every import, healed by the nightly recompute."""

from __future__ import annotations

import datetime as dt

import pytest

from customers.models import Customer, Order
from customers.services import customer_first_orders_refresh, import_job_first_order_moves
from tests.customers.import_support import csv_text, run_import

pytestmark = pytest.mark.django_db


def firsts() -> dict[str, dt.date | None]:
    return dict(Customer.objects.values_list("code", "first_order_date"))


def test_an_import_sets_each_customers_first_order_over_all_its_orders(company) -> None:
    job = run_import(
        csv_text(
            "SO-1,2019-03-05,C-1,S-N1,FUR-CH,100.50",
            "SO-2,2019-01-20,C-1,S-N2,TEC-PH,20",  # another salesperson, earlier
            "SO-3,2019-04-01,C-2,S-S1,Tables,-5.25",  # a return is an order too
        )
    )

    assert job.status == "succeeded"
    assert firsts() == {"C-1": dt.date(2019, 1, 20), "C-2": dt.date(2019, 4, 1)}
    assert job.first_order_moves == []  # a customer's first order ever is not a move


def test_a_later_import_moves_the_date_earlier_or_leaves_it(company) -> None:
    run_import(csv_text("SO-1,2019-03-05,C-1,S-N1,FUR-CH,100"))

    later = run_import(csv_text("SO-9,2019-06-01,C-1,S-N1,FUR-CH,10"))
    assert firsts() == {"C-1": dt.date(2019, 3, 5)}
    assert later.first_order_moves == []

    earlier = run_import(csv_text("SO-8,2018-11-30,C-1,S-N2,FUR-CH,10"))
    assert firsts() == {"C-1": dt.date(2018, 11, 30)}
    c1 = Customer.objects.get(code="C-1").pk
    assert earlier.first_order_moves == [[c1, "2019-03-05", "2018-11-30"]]
    assert import_job_first_order_moves(job=earlier) == [
        (c1, dt.date(2019, 3, 5), dt.date(2018, 11, 30))
    ]


def test_a_redated_first_order_moves_the_date_later(company) -> None:
    run_import(csv_text("SO-1,2019-01-05,C-1,S-N1,FUR-CH,100", "SO-2,2019-03-01,C-1,S-N1,FUR-CH,5"))

    run_import(csv_text("SO-1,2019-05-05,C-1,S-N1,FUR-CH,100"))

    assert firsts() == {"C-1": dt.date(2019, 3, 1)}


def test_a_reassigned_order_updates_both_customers(company) -> None:
    run_import(csv_text("SO-1,2019-01-05,C-1,S-N1,FUR-CH,100", "SO-2,2019-03-01,C-1,S-N1,FUR-CH,5"))

    # SO-1 now belongs to C-2: C-1's first order is SO-2; C-2's is SO-1
    moved = run_import(csv_text("SO-1,2019-01-05,C-2,S-N1,FUR-CH,100"))
    assert firsts() == {"C-1": dt.date(2019, 3, 1), "C-2": dt.date(2019, 1, 5)}
    c1 = Customer.objects.get(code="C-1").pk
    assert moved.first_order_moves == [[c1, "2019-01-05", "2019-03-01"]]

    # and a customer left with no order at all has no first order
    emptied = run_import(csv_text("SO-2,2019-03-01,C-2,S-N1,FUR-CH,5"))
    assert firsts() == {"C-1": None, "C-2": dt.date(2019, 1, 5)}
    assert import_job_first_order_moves(job=emptied) == [(c1, dt.date(2019, 3, 1), None)]


def test_a_refused_import_leaves_the_dates_alone(company) -> None:
    run_import(csv_text("SO-1,2019-03-05,C-1,S-N1,FUR-CH,100"))

    job = run_import(
        csv_text("SO-7,2018-01-01,C-1,S-N1,FUR-CH,1", "SO-8,2018-01-02,C-1,NOBODY,FUR-CH,1")
    )

    assert job.status == "failed"
    assert firsts() == {"C-1": dt.date(2019, 3, 5)}


def test_the_nightly_refresh_heals_an_order_deleted_outside_an_import(company) -> None:
    run_import(csv_text("SO-1,2019-01-05,C-1,S-N1,FUR-CH,100", "SO-2,2019-03-01,C-2,S-N1,FUR-CH,5"))
    Order.objects.filter(order_no="SO-1").delete()  # e.g. in the admin
    Customer.objects.filter(code="C-2").update(first_order_date=None)

    assert customer_first_orders_refresh() == 2
    assert firsts() == {"C-1": None, "C-2": dt.date(2019, 3, 1)}
    assert customer_first_orders_refresh() == 0  # nothing left to change
