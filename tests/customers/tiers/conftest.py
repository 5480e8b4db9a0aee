"""Tier fixtures: customers of different salespeople with orders, and two runs."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

import pytest

from customers.models import Customer
from customers.tiers.models import TierRun
from customers.tiers.services import tier_rule_create, tier_run_compute, tier_run_create
from tests.factories import CustomerFactory, OrderFactory, OrderLineFactory


@dataclass
class TierWorld:
    company: object
    north: Customer  # owned by S-N1 (rep), bought from rep
    peer: Customer  # owned by S-N2, bought from S-N2
    shared: Customer  # owned by S-S1 (south), bought from rep and from S-S1
    south: Customer  # owned by S-S1, bought from S-S1
    spring: TierRun  # as of 2019-04-01
    summer: TierRun  # as of 2019-07-01


def order(customer, seller, no: str, day: dt.date, amount: str, company) -> None:
    o = OrderFactory(order_no=no, order_date=day, customer=customer)
    OrderLineFactory(
        order=o,
        line_no=1,
        salesperson=seller,
        product_line=company.chairs,
        amount=Decimal(amount),
    )


@pytest.fixture
def tier_world(company) -> TierWorld:
    c = company
    kw = {"phone": "555-0100", "email": "x@example.com", "address": "1 Main St"}
    north = CustomerFactory(code="CN", name="North Co", owner=c.rep, region="North", **kw)
    peer = CustomerFactory(code="CP", name="Peer Co", owner=c.north_peer, region="North", **kw)
    shared = CustomerFactory(code="CS", name="=cmd()", owner=c.south_rep, region="South", **kw)
    south = CustomerFactory(code="CX", name="South Co", owner=c.south_rep, region="South", **kw)
    order(north, c.rep, "N1", dt.date(2019, 3, 1), "900", c)
    order(north, c.rep, "N2", dt.date(2019, 5, 1), "100", c)
    order(peer, c.north_peer, "P1", dt.date(2019, 2, 1), "300", c)
    order(shared, c.rep, "S1", dt.date(2019, 6, 1), "50", c)
    order(shared, c.south_rep, "S2", dt.date(2019, 1, 15), "20.125", c)
    order(south, c.south_rep, "X1", dt.date(2019, 3, 20), "700", c)
    tier_rule_create(code="big", name="Big", monetary_min=Decimal("500"), discount_policy="10 %")
    tier_rule_create(code="small", name="Small", visit_frequency="Quarterly")
    spring = tier_run_compute(run=tier_run_create(as_of=dt.date(2019, 4, 1), enqueue=False))
    summer = tier_run_compute(run=tier_run_create(as_of=dt.date(2019, 7, 1), enqueue=False))
    return TierWorld(c, north, peer, shared, south, spring, summer)
