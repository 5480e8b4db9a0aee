"""A published FY2019 plan (EQUAL methods: S-N1 9,000.00 a year, 2,250.00 in Q1), four of
S-N1's customers, their sales in Q1 2018 (the history) and Q1 2019, and a tier snapshot.

    customer  tier    Q1 2018 (S-N1)  Q1 2019 (S-N1)   also
    C-1       -                   -            800.00   S-S1 sells C-1 999.00 in Q1 2019
    C-2       GOLD           200.00            100.00   S-N2 sells C-2 1,000.00 in Q1 2018
    C-3       GOLD           300.00            400.00
    C-4       -              500.00             50.00
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from allocation.services import plan_approve, plan_publish, plan_submit
from customers.tiers.models import TierRule
from tests.allocation.test_plan_support import make_plan
from tests.factories import CustomerFactory, OrderFactory, OrderLineFactory
from tests.performance.tier_snapshots import snapshot


def sale(customer, salesperson, product_line, day: dt.date, amount: str) -> None:
    OrderLineFactory(
        order=OrderFactory(customer=customer, order_date=day),
        salesperson=salesperson,
        product_line=product_line,
        amount=Decimal(amount),
    )


@pytest.fixture
def accounts(company):
    plan = make_plan(company)
    plan_submit(plan=plan, actor=company.users["admin"])
    plan_approve(plan=plan, actor=company.users["director"])
    plan = plan_publish(plan=plan, actor=company.users["director"])
    c1, c2, c3, c4 = (
        CustomerFactory(code=f"C-{i}", name=f"Customer {i}", owner=company.rep) for i in range(1, 5)
    )
    rep, chairs = company.rep, company.chairs
    for customer, amount in ((c2, "200.00"), (c3, "300.00"), (c4, "500.00")):
        sale(customer, rep, chairs, dt.date(2018, 2, 10), amount)
    sale(c2, company.north_peer, chairs, dt.date(2018, 1, 5), "1000.00")
    for customer, amount in ((c1, "800.00"), (c2, "100.00"), (c3, "400.00"), (c4, "50.00")):
        sale(customer, rep, chairs, dt.date(2019, 3, 10), amount)
    sale(c1, company.south_rep, chairs, dt.date(2019, 1, 10), "999.00")
    TierRule.objects.create(code="GOLD", name="Gold accounts", position=1)
    snapshot(dt.date(2019, 1, 1), {c2: ("Loyal", "A", "GOLD"), c3: ("Loyal", "A", "GOLD")})
    company.plan = plan
    return company
