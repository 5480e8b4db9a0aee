"""Every plan measure in the actuals grid (customers.services.actuals): units, cost and so
gross margin (amount - cost), on the full rebuild and on the incremental refresh alike."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db.models import F

from allocation.measures import actual_sum
from allocation.models import ActualCell
from customers.measures import order_line_measure_cents
from customers.models import OrderLine
from customers.services import order_actuals_refresh
from tests.factories import OrderFactory, OrderLineFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def lines(company):
    march = OrderFactory(order_no="SO-1", order_date=dt.date(2019, 3, 15))
    # 3 chairs at 33.3750 = 100.1250, cost 60: margin 40.1250.
    OrderLineFactory(
        order=march,
        line_no=1,
        salesperson=company.rep,
        product_line=company.chairs,
        quantity=Decimal(3),
        amount=Decimal("100.1250"),
        cost=Decimal(60),
    )
    # A return of 1 chair without a cost: -20.0050 of margin (cost counts 0).
    OrderLineFactory(
        order=march,
        line_no=2,
        salesperson=company.rep,
        product_line=company.chairs,
        quantity=Decimal(-1),
        amount=Decimal("-20.0050"),
        cost=None,
    )
    # Sold at a loss: 2 phones for 80, cost 95 -> margin -15.
    OrderLineFactory(
        order=OrderFactory(order_no="SO-2", order_date=dt.date(2019, 4, 1)),
        line_no=1,
        salesperson=company.south_rep,
        product_line=company.phones,
        quantity=Decimal(2),
        amount=Decimal(80),
        cost=Decimal(95),
    )
    return company


def _measures() -> set[tuple]:
    return set(
        ActualCell.objects.annotate(margin=F("amount") - F("cost")).values_list(
            "salesperson__code", "month", "quantity", "cost", "margin"
        )
    )


EXPECTED = {
    # units 3 - 1 = 2; cost 60 + 0; margin (100.1250 - 60) + (-20.0050 - 0) = 20.1200
    ("S-N1", dt.date(2019, 3, 1), Decimal(2), Decimal(60), Decimal("20.1200")),
    # one line at a loss: margin 80 - 95 = -15
    ("S-S1", dt.date(2019, 4, 1), Decimal(2), Decimal(95), Decimal(-15)),
}


def test_the_full_rebuild_carries_units_cost_and_margin(lines):
    order_actuals_refresh()

    assert _measures() == EXPECTED


def test_the_incremental_refresh_rebuilds_the_measures_of_the_cells_it_touches(lines):
    order_actuals_refresh()
    OrderLineFactory(
        order=OrderFactory(order_no="SO-3", order_date=dt.date(2019, 3, 20)),
        line_no=1,
        salesperson=lines.rep,
        product_line=lines.chairs,
        quantity=Decimal(5),
        amount=Decimal(50),
        cost=Decimal(30),
    )
    ActualCell.objects.filter(salesperson=lines.south_rep).update(quantity=Decimal(99))

    order_actuals_refresh(cells=[(lines.rep.pk, dt.date(2019, 3, 1))])

    # S-N1 March: units 2 + 5 = 7, cost 60 + 30 = 90, margin 20.1200 + (50 - 30) = 40.1200;
    # S-S1 was not touched and keeps the value written over it.
    assert _measures() == {
        ("S-N1", dt.date(2019, 3, 1), Decimal(7), Decimal(90), Decimal("40.1200")),
        ("S-S1", dt.date(2019, 4, 1), Decimal(99), Decimal(95), Decimal(-15)),
    }


@pytest.mark.parametrize("measure", ["revenue", "quantity", "gross_margin"])
def test_grid_and_order_line_sums_of_a_measure_agree(lines, measure):
    order_actuals_refresh()

    derived = {
        "revenue": Decimal("100.1250") - Decimal("20.0050") + 80,  # 160.12
        "quantity": Decimal(3 - 1 + 2),
        "gross_margin": Decimal("100.1250") - 60 - Decimal("20.0050") + (80 - 95),  # 5.12
    }[measure]
    from_lines = OrderLine.objects.aggregate(c=order_line_measure_cents(measure))["c"]
    from_grid = ActualCell.objects.aggregate(c=actual_sum(measure))["c"]
    assert from_lines == from_grid == int(derived * 100)
