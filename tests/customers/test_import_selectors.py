"""Scoped reads of imports, order lines, customers, mappings and territory rules."""

from __future__ import annotations

import datetime as dt

import pytest

from customers.models import ColumnMapping, TerritoryRule
from customers.selectors import (
    column_mapping_list,
    customer_list,
    import_job_list,
    order_last_date,
    order_line_list,
    territory_rule_list,
)
from tests.customers.import_support import csv_text, job_create, run_import
from tests.factories import CustomerFactory, OrderFactory, OrderLineFactory

pytestmark = pytest.mark.django_db

LINES = csv_text(
    "SO-1,2019-03-05,C-1,S-N1,FUR-CH,10.5",
    "SO-1,2019-03-05,C-1,S-S1,TEC-PH,2",
    "SO-2,2019-04-01,C-2,S-S1,FUR-TA,-3",
    "SO-3,2019-04-02,C-3,S-N2,FUR-TA,4",
)


@pytest.fixture
def lines(company) -> None:
    assert run_import(LINES).status == "succeeded"


def test_import_jobs_are_seen_by_admins_and_their_creators(company) -> None:
    mine = job_create(LINES, actor=company.users["manager"])
    theirs = job_create(LINES, actor=company.users["other_manager"])
    system = job_create(LINES, actor=None)

    assert set(import_job_list(user=company.users["admin"])) == {mine, theirs, system}
    assert set(import_job_list(user=company.users["director"])) == {mine, theirs, system}
    assert list(import_job_list(user=company.users["manager"])) == [mine]
    assert list(import_job_list(user=company.users["rep"])) == []


def test_import_job_list_joins_creator_and_mapping(company, django_assert_num_queries) -> None:
    job_create(LINES, actor=company.users["admin"])
    job_create(LINES, actor=company.users["admin"])
    jobs = import_job_list(user=company.users["admin"])
    with django_assert_num_queries(1):
        assert [(j.created_by.username, j.mapping) for j in jobs] == [("admin", None)] * 2


@pytest.mark.parametrize(
    ("username", "orders"),
    [
        ("admin", ["SO-1/1", "SO-1/2", "SO-2/1", "SO-3/1"]),
        ("manager", ["SO-1/1", "SO-3/1"]),
        ("other_manager", ["SO-1/2", "SO-2/1"]),
        ("rep", ["SO-1/1"]),
        ("nobody", []),
    ],
)
def test_order_lines_are_scoped_to_visible_salespeople(company, lines, username, orders) -> None:
    seen = order_line_list(user=company.users[username])
    assert sorted(f"{line.order.order_no}/{line.line_no}" for line in seen) == orders


def test_order_line_list_needs_one_query(company, lines, django_assert_num_queries) -> None:
    seen = order_line_list(user=company.users["admin"])
    with django_assert_num_queries(1):
        rows = [
            (
                line.order.order_no,
                line.customer.code,
                line.salesperson.code,
                line.product_line.code,
                line.product,
            )
            for line in seen
        ]
    assert len(rows) == 4


@pytest.mark.parametrize(
    ("username", "codes"),
    [
        ("admin", ["C-1", "C-2", "C-3", "C-9"]),
        ("manager", ["C-1", "C-3"]),
        ("other_manager", ["C-1", "C-2", "C-9"]),
        ("rep", ["C-1"]),
        ("nobody", []),
    ],
)
def test_customers_are_those_owned_by_or_bought_from_visible_salespeople(
    company, lines, username, codes
) -> None:
    CustomerFactory(code="C-9", owner=company.south_rep)  # owned, no lines
    seen = customer_list(user=company.users[username])
    assert [customer.code for customer in seen] == codes  # once each, in code order


def test_customer_list_needs_one_query(company, lines, django_assert_num_queries) -> None:
    seen = customer_list(user=company.users["manager"])
    with django_assert_num_queries(1):
        assert [(c.code, c.owner.code if c.owner else None) for c in seen] == [
            ("C-1", "S-S1"),  # the later of its two lines on its latest day
            ("C-3", "S-N2"),
        ]


def test_mappings_are_for_those_who_may_import(company) -> None:
    mapping = ColumnMapping.objects.create(name="erp", columns={"amount": "Umsatz"})
    assert list(column_mapping_list(user=company.users["manager"])) == [mapping]
    assert list(column_mapping_list(user=company.users["rep"])) == []


def test_territory_rules_are_scoped_to_visible_salespeople(company) -> None:
    north = TerritoryRule.objects.create(attribute="state", value="NY", salesperson=company.rep)
    south = TerritoryRule.objects.create(
        attribute="state", value="TX", salesperson=company.south_rep
    )
    assert list(territory_rule_list(user=company.users["admin"])) == [north, south]
    assert list(territory_rule_list(user=company.users["manager"])) == [north]
    assert list(territory_rule_list(user=company.users["nobody"])) == []


def test_order_last_date_is_the_latest_line_of_anyone(company) -> None:
    assert order_last_date() is None
    OrderLineFactory(order=OrderFactory(order_date=dt.date(2019, 5, 1)), salesperson=company.rep)
    OrderLineFactory(
        order=OrderFactory(order_date=dt.date(2019, 7, 9)), salesperson=company.south_rep
    )
    OrderLineFactory(order=OrderFactory(order_date=dt.date(2019, 6, 1)), salesperson=company.rep)

    assert order_last_date() == dt.date(2019, 7, 9)
