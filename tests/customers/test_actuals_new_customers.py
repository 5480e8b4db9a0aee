"""New-customer revenue in the actuals grid: the lines of customers whose first order (over
all history, any salesperson) is in the 12 months up to and including the line's month; an
import that moves a first order recomputes every cell whose new-customer revenue changes."""

from __future__ import annotations

from decimal import Decimal

import pytest

from allocation.models import ActualCell
from customers.services import import_job_affected_cells, order_actuals_refresh
from tests.customers.import_support import csv_text, run_import

pytestmark = pytest.mark.django_db


def _new() -> dict[tuple[str, str], Decimal]:
    return {
        (code, f"{month:%Y-%m}"): amount
        for code, month, amount in ActualCell.objects.values_list(
            "salesperson__code", "month", "new_customer_amount"
        )
    }


def _import(*rows: str):
    job = run_import(csv_text(*rows))
    assert job.status == "succeeded", job.errors
    order_actuals_refresh(cells=import_job_affected_cells(job=job))  # as the pipeline does
    return job


ROWS = (
    "SO-1,2018-03-10,C-X,S-S1,FUR-CH,200",  # C-X's first order: March 2018 (S-S1)
    "SO-2,2019-02-20,C-X,S-N1,FUR-CH,100",  # Feb 2019 - Mar 2018 = 11 months: still new
    "SO-3,2019-03-05,C-X,S-N1,FUR-CH,50",  # 12 months: no longer new
    "SO-4,2019-03-01,C-Y,S-N1,FUR-CH,30",  # C-Y's first order: new in its own month
)


def test_new_customer_revenue_ends_twelve_months_after_the_first_order(company):
    _import(*ROWS)

    assert _new() == {
        ("S-S1", "2018-03"): Decimal(200),  # the first order's own month is month 0
        ("S-N1", "2019-02"): Decimal(100),
        ("S-N1", "2019-03"): Decimal(30),  # C-Y's 30; C-X's 50 is past the 12 months
    }
    order_actuals_refresh()  # the full rebuild agrees
    assert _new()[("S-N1", "2019-03")] == Decimal(30)


def test_an_earlier_first_order_recomputes_the_cells_it_changes(company):
    _import(*ROWS)

    # An order of C-Y from 2017 arrives: C-Y was never new in 2019. Its March 2019 cell is
    # not in this file, yet it is recomputed.
    job = _import("SO-0,2017-12-01,C-Y,S-S1,TEC-PH,5")

    assert (company.rep.pk, "2019-03-01") in {tuple(c) for c in job.affected_cells}
    assert _new() == {
        ("S-S1", "2017-12"): Decimal(5),
        ("S-S1", "2018-03"): Decimal(200),
        ("S-N1", "2019-02"): Decimal(100),
        ("S-N1", "2019-03"): Decimal(0),
    }
    before = _new()
    order_actuals_refresh()
    assert _new() == before


def test_new_customer_revenue_is_a_measure_of_its_own_in_attainment(company, client_as):
    _import(*ROWS)
    body = (
        client_as("admin")
        .get(
            "/api/v1/attainment/",
            {"year": 2019, "as_of": "2019-12-31", "measure": "new_customer_revenue"},
        )
        .json()
    )
    # 2019: 100 (Feb) + 30 (Mar) = 130.
    assert (body["actual"], body["months"][1]["actual"], body["months"][2]["actual"]) == (
        "130.00",
        "100.00",
        "30.00",
    )
