"""Customers and order lines for the customers API tests (on top of ``company``).

C-N1  owner S-N1 (rep)         SO-1/1  S-N1  FUR-CH  2019-03-15  100.50
C-N2  owner S-N2 (north peer)  SO-2/1  S-N2  FUR-TA  2019-04-02   80
C-S1  owner S-S1 (south)       SO-3/1  S-S1  TEC-PH  2020-01-10  -20 (a return)
"""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

import pytest

from customers.models import Customer, OrderLine
from tests.factories import CustomerFactory, OrderFactory, OrderLineFactory, ProductFactory


@dataclass
class Sales:
    north_customer: Customer
    peer_customer: Customer
    south_customer: Customer
    rep_line: OrderLine
    peer_line: OrderLine
    south_line: OrderLine


@pytest.fixture
def sales(company):
    north_customer = CustomerFactory(
        code="C-N1",
        name="Northwind",
        region="North",
        state="Hebei",
        city="Baoding",
        country="China",
        segment="Corporate",
        owner=company.rep,
        phone="+86 138 0000 0001",
        email="buyer@northwind.example",
        address="1 North Road",
    )
    peer_customer = CustomerFactory(
        code="C-N2", name='=HYPERLINK("http://evil")', region="North", owner=company.north_peer
    )
    south_customer = CustomerFactory(
        code="C-S1",
        name="Southwind",
        region="South",
        state="Guangdong",
        owner=company.south_rep,
        phone="+86 139 0000 0002",
    )
    chair = ProductFactory(sku="CH-001", name="Chair", product_line=company.chairs)
    rep_line = OrderLineFactory(
        order=OrderFactory(
            order_no="SO-1", order_date=dt.date(2019, 3, 15), customer=north_customer
        ),
        line_no=1,
        salesperson=company.rep,
        product_line=company.chairs,
        product=chair,
        quantity=Decimal("2.0000"),
        unit_price=Decimal("50.250000"),
        amount=Decimal("100.5000"),
        cost=Decimal("60.0000"),
    )
    peer_line = OrderLineFactory(
        order=OrderFactory(order_no="SO-2", order_date=dt.date(2019, 4, 2), customer=peer_customer),
        line_no=1,
        salesperson=company.north_peer,
        product_line=company.tables,
        amount=Decimal("80"),
    )
    south_line = OrderLineFactory(
        order=OrderFactory(
            order_no="SO-3", order_date=dt.date(2020, 1, 10), customer=south_customer
        ),
        line_no=1,
        salesperson=company.south_rep,
        product_line=company.phones,
        quantity=Decimal("-1"),
        unit_price=Decimal("20"),
        amount=Decimal("-20"),
        cost=Decimal("-12.5"),
    )
    return Sales(north_customer, peer_customer, south_customer, rep_line, peer_line, south_line)
