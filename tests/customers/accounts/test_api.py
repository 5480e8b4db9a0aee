"""The account targets API: whole payloads, pagination, scoping (crossing the subtree and
salesperson lines), errors naming the field, and a fixed number of queries per page."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from customers.accounts.models import AccountPlan

pytestmark = pytest.mark.django_db

URL = "/api/v1/account-plans/"


def _body(company, salesperson="S-N1", **extra):
    return {
        "plan": company.plan.pk,
        "salesperson": salesperson,
        "period": "Q1",
        "accounts": [
            {"customer": "C-1", "amount": "1000.01"},
            {"customer": "C-2"},
            {"tier": "GOLD", "amount": None},
        ],
        **extra,
    }


def test_a_salesperson_sets_their_accounts_and_gets_the_whole_attainment(accounts, client_as):
    response = client_as("rep").post(URL, _body(accounts), format="json")

    assert response.status_code == 201
    row = AccountPlan.objects.get()
    # The worked example of test_services: 2,250.00 = 1,000.01 + 250.00 + 375.00 + 624.99;
    # actual 800 + 100 + 400 + 50 = 1,350.00 -> 0.6.
    assert response.json() == {
        "id": row.pk,
        "plan": accounts.plan.pk,
        "salesperson": "S-N1",
        "period": "Q1",
        "tier_run": row.tier_run_id,
        "updated_by": "rep",
        "updated_at": row.updated_at.isoformat().replace("+00:00", "Z"),
        "target": "2250.00",
        "actual": "1350.00",
        "attainment": "0.6000",
        "accounts": [
            {
                "kind": "customer",
                "code": "C-1",
                "name": "Customer 1",
                "method": "amount",
                "target": "1000.01",
                "actual": "800.00",
                "attainment": "0.8000",  # 800 / 1,000.01 = 0.79999...
            },
            {
                "kind": "customer",
                "code": "C-2",
                "name": "Customer 2",
                "method": "share",
                "target": "250.00",
                "actual": "100.00",
                "attainment": "0.4000",
            },
            {
                "kind": "tier",
                "code": "GOLD",
                "name": "Gold accounts",
                "method": "share",
                "target": "375.00",
                "actual": "400.00",
                "attainment": "1.0667",
            },
            {
                "kind": "other",
                "code": "",
                "name": "Other accounts",
                "method": "share",
                "target": "624.99",
                "actual": "50.00",
                "attainment": "0.0800",  # 50 / 624.99 = 0.080001...
            },
        ],
    }
    again = client_as("rep").post(URL, _body(accounts), format="json")
    assert again.status_code == 200
    assert AccountPlan.objects.count() == 1


def test_the_list_is_paginated_and_carries_each_accounts_target(accounts, client_as):
    client_as("manager").post(URL, _body(accounts), format="json")
    row = AccountPlan.objects.get()

    assert client_as("rep").get(URL).json() == {
        "count": 1,
        "next": None,
        "previous": None,
        "results": [
            {
                "id": row.pk,
                "plan": accounts.plan.pk,
                "salesperson": "S-N1",
                "period": "Q1",
                "tier_run": row.tier_run_id,
                "updated_by": "manager",
                "updated_at": row.updated_at.isoformat().replace("+00:00", "Z"),
                "target": "2250.00",
                "accounts": [
                    {"kind": "customer", "code": "C-1", "method": "amount", "target": "1000.01"},
                    {"kind": "customer", "code": "C-2", "method": "share", "target": "250.00"},
                    {"kind": "tier", "code": "GOLD", "method": "share", "target": "375.00"},
                    {"kind": "other", "code": "", "method": "share", "target": "624.99"},
                ],
            }
        ],
    }
    assert client_as("rep").get(URL, {"period": "Q2"}).json()["count"] == 0
    assert (
        client_as("rep").get(URL, {"salesperson": "S-N1", "plan": accounts.plan.pk}).json()["count"]
        == 1
    )


@pytest.mark.parametrize(
    ("user", "salesperson", "status"),
    [
        ("rep", "S-N1", 201),
        ("rep", "S-N2", 404),  # a peer's accounts look missing
        ("rep", "S-S1", 404),
        ("south_rep", "S-N1", 404),
        ("manager", "S-N2", 201),
        ("manager", "S-S1", 404),  # outside the manager's subtree
        ("other_manager", "S-N1", 404),
        ("admin", "S-S1", 201),
        ("nobody", "S-N1", 403),
    ],
)
def test_who_may_set_whose_accounts(accounts, client_as, user, salesperson, status):
    body = _body(accounts, salesperson=salesperson, accounts=[{"customer": "C-1"}])
    response = client_as(user).post(URL, body, format="json")
    assert response.status_code == status
    assert AccountPlan.objects.count() == (1 if status == 201 else 0)


@pytest.mark.parametrize(
    ("user", "sees"),
    [
        ("admin", True),
        ("manager", True),
        ("rep", True),
        ("other_manager", False),
        ("south_rep", False),
    ],
)
def test_reads_are_scoped(accounts, client_as, user, sees):
    row_id = client_as("admin").post(URL, _body(accounts), format="json").json()["id"]

    assert client_as(user).get(URL).json()["count"] == (1 if sees else 0)
    assert client_as(user).get(f"{URL}{row_id}/").status_code == (200 if sees else 404)
    assert client_as("nobody").get(URL).status_code == 403
    assert APIClient().get(URL).status_code == 401


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"period": "Q5"}, "period"),
        ({"accounts": [{"customer": "C-1", "amount": "NaN"}]}, "accounts"),
        ({"accounts": [{"customer": "C-1", "amount": "1e400"}]}, "accounts"),
        ({"accounts": [{"customer": "C-1", "amount": "3000"}]}, "accounts"),
        ({"accounts": [{"customer": "ZZZ"}]}, "accounts[0]"),
        ({"plan": "x"}, "plan"),
    ],
)
def test_bad_input_is_a_400_naming_the_field(accounts, client_as, change, field):
    response = client_as("rep").post(URL, {**_body(accounts), **change}, format="json")

    assert response.status_code == 400
    assert field in response.json()["fields"]
    assert not AccountPlan.objects.exists()


def test_a_page_of_account_plans_costs_a_fixed_number_of_queries(accounts, client_as):
    admin = client_as("admin")
    admin.get(URL)
    admin.post(URL, _body(accounts), format="json")
    with CaptureQueriesContext(connection) as one:
        admin.get(URL)
    for code in ("S-N2", "S-S1"):
        admin.post(URL, _body(accounts, salesperson=code), format="json")
    with CaptureQueriesContext(connection) as three:
        assert admin.get(URL).json()["count"] == 3
    assert len(three) == len(one)
