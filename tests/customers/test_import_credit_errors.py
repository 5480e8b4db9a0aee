"""Every bad split in a file is a row error naming the row, the column and the reason; the
row is rejected whole (all-or-nothing and partial modes as for any other field)."""

from __future__ import annotations

import pytest

from customers.models import OrderLine, OrderLineCredit
from tests.customers.import_support import csv_text, failed_with, run_import, shown
from tests.factories import SalespersonFactory

pytestmark = pytest.mark.django_db

SPLIT = "order_id,order_date,customer_code,salesperson_code,product_line,amount,credit_split"
COLUMNS = (
    "order_id,order_date,customer_code,salesperson_code,share,salesperson_2,share_2,"
    "product_line,amount"
)
GOOD = "SO-1,2019-03-05,C-1,S-N1,FUR-CH,100,S-N1:60;S-N2:40"


@pytest.mark.parametrize(
    ("split", "message"),
    [
        ("S-N1:99;S-N2:0", "The share '0' must be more than 0 %."),
        ("S-N1:59;S-N2:40", "The shares add up to 99 %, not 100 %: S-N1:59;S-N2:40."),
        ("S-N1:60.5;S-N2:40", "The shares add up to 100.5 %, not 100 %: S-N1:60.5;S-N2:40."),
        ("S-N1:abc;S-N2:50", "'abc' is not a share; write a percentage such as 60, 60 % or 33.33."),
        ("S-N1:-10;S-N2:110", "The share '-10' must be more than 0 %."),
        ("S-N1:60.00001;S-N2:40", "The share '60.00001' has more than 4 decimal places."),
        ("S-N1:60.1234567;S-N2:40", "The share '60.1234567' has more than 4 decimal places."),
        ("S-N1:60;XX-9:40", "Unknown salesperson 'XX-9' in the credit split."),
        ("S-N1:50;S-N1:50", "Salesperson S-N1 is named more than once in the credit split."),
        (
            "S-N1:60;S-N2",
            "Give a share for every salesperson of the split, or for none (equal shares).",
        ),
        (
            "S-N2:60;S-S1:40",
            "The row's salesperson S-N1 is not one of the salespeople credited: S-N2:60;S-S1:40.",
        ),
        (
            "S-N1:60;;S-N2:40",
            "'S-N1:60;;S-N2:40' is not a credit split; write it like W01:60;W02:40 "
            "(or W01;W02 for equal shares).",
        ),
        (
            "S-N1:",
            "'S-N1:' is not a credit split; write it like W01:60;W02:40 (or W01;W02 for "
            "equal shares).",
        ),
        (
            "S-N1:1e400;S-N2:1",
            "'1e400' is not a share; write a percentage such as 60, 60 % or 33.33.",
        ),
        ("S-N1:NaN;S-N2:1", "'NaN' is not a share; write a percentage such as 60, 60 % or 33.33."),
    ],
)
def test_a_bad_split_is_a_row_error_naming_the_column(company, split, message):
    job = run_import(csv_text(GOOD, f"SO-2,2019-03-05,C-1,S-N1,FUR-CH,100,{split}", header=SPLIT))

    failed_with(job, [{"row": 3, "column": "credit_split", "message": message}], rows_total=2)
    assert OrderLineCredit.objects.count() == 0


def test_more_than_ten_salespeople_on_a_line_is_an_error(company):
    people = [SalespersonFactory(code=f"P{n:02d}", org_unit=company.north_team) for n in range(11)]
    split = ";".join(person.code for person in people)

    job = run_import(csv_text(f"SO-1,2019-03-05,C-1,P00,FUR-CH,100,{split}", header=SPLIT))

    failed_with(
        job,
        [
            {
                "row": 2,
                "column": "credit_split",
                "message": "The credit split names 11 salespeople; at most 10 may share a line.",
            }
        ],
        rows_total=1,
    )


def test_an_inactive_salesperson_in_the_split_is_an_error(company):
    SalespersonFactory(code="S-OLD", org_unit=company.north_team, is_active=False)

    job = run_import(csv_text("SO-1,2019-03-05,C-1,S-N1,FUR-CH,100,S-N1;S-OLD", header=SPLIT))

    assert shown(job.errors) == [
        {
            "row": 2,
            "column": "credit_split",
            "message": "Salesperson S-OLD in the credit split is inactive.",
        }
    ]


@pytest.mark.parametrize(
    ("row", "column", "message"),
    [
        (
            "SO-2,2019-03-05,C-1,S-N1,60,S-N2,30,FUR-CH,100",
            "share",
            "The shares add up to 90 %, not 100 %: S-N1:60;S-N2:30.",
        ),
        (
            "SO-2,2019-03-05,C-1,S-N1,60,,40,FUR-CH,100",
            "share_2",
            "A share is given but no salesperson for it (share_2).",
        ),
        (
            "SO-2,2019-03-05,C-1,S-N1,60,NOBODY,40,FUR-CH,100",
            "salesperson_2",
            "Unknown salesperson 'NOBODY' in the credit split.",
        ),
        (
            "SO-2,2019-03-05,C-1,S-N1,50,S-N1,50,FUR-CH,100",
            "salesperson_2",
            "Salesperson S-N1 is named more than once in the credit split.",
        ),
        (
            "SO-2,2019-03-05,C-1,S-N1,x%,S-N2,40,FUR-CH,100",
            "share",
            "'x' is not a share; write a percentage such as 60, 60 % or 33.33.",
        ),
    ],
)
def test_bad_split_columns_name_the_column_at_fault(company, row, column, message):
    job = run_import(
        csv_text("SO-1,2019-03-05,C-1,S-N1,60,S-N2,40,FUR-CH,100", row, header=COLUMNS),
        mode="partial",
    )

    assert job.status == "succeeded"
    assert job.outcome == "with_errors"
    assert shown(job.errors) == [{"row": 3, "column": column, "message": message}]
    assert list(OrderLine.objects.values_list("order__order_no", flat=True)) == ["SO-1"]
    assert OrderLineCredit.objects.count() == 2


def test_a_row_with_both_forms_of_split_is_refused(company):
    header = SPLIT + ",salesperson_2,share_2"
    job = run_import(
        csv_text("SO-1,2019-03-05,C-1,S-N1,FUR-CH,100,S-N1;S-N2,S-N2,50", header=header)
    )

    assert shown(job.errors) == [
        {
            "row": 2,
            "column": "credit_split",
            "message": (
                "The row has both a credit split and additional salesperson columns; use one."
            ),
        }
    ]


def test_a_manager_may_split_only_with_salespeople_of_their_part(company):
    job = run_import(
        csv_text(
            "SO-1,2019-03-05,C-1,S-N1,FUR-CH,100,S-N1;S-N2",
            "SO-2,2019-03-05,C-1,S-N1,FUR-CH,100,S-N1;S-S1",
            "SO-3,2019-03-05,C-1,S-N1,FUR-CH,100,S-N1;NO-SUCH",
            header=SPLIT,
        ),
        actor=company.users["manager"],
        mode="partial",
    )

    # a code outside the manager's part reads like an unknown one
    assert shown(job.errors) == [
        {
            "row": 3,
            "column": "credit_split",
            "message": "Salesperson 'S-S1' in the credit split is unknown or not in your scope.",
        },
        {
            "row": 4,
            "column": "credit_split",
            "message": (
                "Salesperson 'NO-SUCH' in the credit split is unknown or not in your scope."
            ),
        },
    ]
    assert set(OrderLineCredit.objects.values_list("salesperson__code", flat=True)) == {
        "S-N1",
        "S-N2",
    }


def test_a_manager_cannot_overwrite_a_line_split_with_someone_outside_their_part(company):
    run_import(csv_text("SO-1,2019-03-05,C-1,S-N1,FUR-CH,100,S-N1;S-S1", header=SPLIT))

    job = run_import(
        csv_text("SO-1,2019-03-05,C-1,S-N1,FUR-CH,100,", header=SPLIT),
        actor=company.users["manager"],
    )

    assert shown(job.errors) == [
        {
            "row": 2,
            "column": "order_id",
            "message": (
                "Order SO-1 line 1 is stored outside your part of the company; only an "
                "administrator can change it."
            ),
        }
    ]
    assert OrderLineCredit.objects.count() == 2


def test_rejected_rows_name_their_order(company):
    job = run_import(
        csv_text(GOOD, "SO-77,2019-03-05,C-1,S-N1,FUR-CH,100,S-N1:1;S-N2:1", header=SPLIT),
        mode="partial",
    )

    assert [(e["row"], e["order"], e["code"]) for e in job.errors] == [
        (3, "SO-77", "credit_share_sum")
    ]
