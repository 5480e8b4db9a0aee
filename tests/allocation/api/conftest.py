"""Actual cells for the allocation API tests (on top of the shared ``company`` fixture)."""

import datetime as dt
from decimal import Decimal

import pytest

from allocation.models import ActualCell


def make_cell(salesperson, product_line, month, amount, cost="0", lines=1, **measures):
    return ActualCell.objects.create(
        salesperson=salesperson,
        product_line=product_line,
        month=month,
        amount=Decimal(amount),
        cost=Decimal(cost),
        lines=lines,
        **{name: Decimal(value) for name, value in measures.items()},
    )


@pytest.fixture
def cells(company):
    """Four cells: two of ``rep`` (S-N1), one of the north peer, one in the south."""
    return [
        make_cell(
            company.rep,
            company.chairs,
            dt.date(2019, 3, 1),
            "100.50",
            "60",
            2,
            quantity="3",
            new_customer_amount="40.25",
        ),
        make_cell(company.rep, company.phones, dt.date(2019, 4, 1), "200.1234", "0", 1),
        make_cell(company.north_peer, company.tables, dt.date(2019, 3, 1), "50", "20", 1),
        make_cell(company.south_rep, company.chairs, dt.date(2020, 1, 1), "-300", "-100", 3),
    ]
