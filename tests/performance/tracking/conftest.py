"""A published FY2019 plan over the shared company, with order lines around 15 March 2019.

Targets (per month, every month of 2019): S-N1 chairs 1,000.00; S-N2 phones 500.00;
S-S1 chairs 2,000.00. Orders: S-N1 900 (Jan), 1,100 (Feb), 600 (5 Mar), 200 (20 Mar);
S-N2 400 (Feb); S-S1 3,000 (Jan).
"""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from allocation.models import Plan, TargetCell
from customers.services import order_actuals_refresh
from tests.factories import OrderFactory, OrderLineFactory

AS_OF = dt.date(2019, 3, 15)


def line(day: dt.date, salesperson, product_line, amount: str):
    return OrderLineFactory(
        order=OrderFactory(order_date=day),
        salesperson=salesperson,
        product_line=product_line,
        amount=Decimal(amount),
    )


def publish_plan(company, year: int = 2019, monthly=None) -> Plan:
    monthly = monthly or [
        (company.rep, company.chairs, "1000.00"),
        (company.north_peer, company.phones, "500.00"),
        (company.south_rep, company.chairs, "2000.00"),
    ]
    plan = Plan.objects.create(
        name=f"FY{year}",
        fiscal_year=year,
        root_org_unit=company.root,
        status=Plan.Status.PUBLISHED,
        published_at=timezone.now(),
        total_amount=sum(Decimal(a) for *_, a in monthly) * 12,
    )
    TargetCell.objects.bulk_create(
        TargetCell(
            plan=plan,
            salesperson=person,
            product_line=pl,
            month=dt.date(year, m, 1),
            amount=Decimal(amount),
        )
        for person, pl, amount in monthly
        for m in range(1, 13)
    )
    plan.salespeople.set({person for person, *_ in monthly})
    return plan


@pytest.fixture
def tracked(company):
    publish_plan(company)
    line(dt.date(2019, 1, 10), company.rep, company.chairs, "900.00")
    line(dt.date(2019, 2, 10), company.rep, company.chairs, "1100.00")
    line(dt.date(2019, 3, 5), company.rep, company.chairs, "600.00")
    line(dt.date(2019, 3, 20), company.rep, company.chairs, "200.00")
    line(dt.date(2019, 2, 1), company.north_peer, company.phones, "400.00")
    line(dt.date(2019, 1, 20), company.south_rep, company.chairs, "3000.00")
    order_actuals_refresh()
    return company
