"""Every foundation endpoint, every method: anonymous -> 401, no role -> 403, JSON error shape.

Lists also share one pagination contract: ``{"count", "next", "previous", "results"}`` and
``page_size``.
"""

import datetime as dt
from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from allocation.models import ActualCell, Plan, PlanChange, ReliefRequest
from customers.models import ColumnMapping, ImportJob, TerritoryRule
from tests.allocation.test_plan_support import make_plan
from tests.factories import CustomerFactory, OrderFactory, OrderLineFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def objects(company):
    customer = CustomerFactory(code="C-1", owner=company.rep)
    lines = [
        OrderLineFactory(
            order=OrderFactory(customer=customer),
            salesperson=company.rep,
            product_line=company.chairs,
        )
        for _ in range(2)
    ]
    CustomerFactory(code="C-2", owner=company.rep)
    for month in (1, 2):
        ActualCell.objects.create(
            salesperson=company.rep,
            product_line=company.chairs,
            month=dt.date(2019, month, 1),
            amount=Decimal(1),
        )
    mappings = [
        ColumnMapping.objects.create(name=name, columns={"amount": "Sales"}) for name in "AB"
    ]
    rules = [
        TerritoryRule.objects.create(attribute="state", value=value, salesperson=company.rep)
        for value in ("Hebei", "Shanxi")
    ]
    jobs = [
        ImportJob.objects.create(original_name=f"{i}.csv", created_by=company.users["admin"])
        for i in range(2)
    ]
    plan = make_plan(company)
    relief, _other = (
        ReliefRequest.objects.create(
            plan=plan,
            salesperson=company.rep,
            reason="leave",
            amount=Decimal("1.00"),
            months=[month],
            requested_by=company.users["rep"],
            requested_as="salesperson",
            approval_path=company.north_team.path,
            target_amount=Decimal("1.00"),
        )
        for month in ("2019-03", "2019-04")
    )
    return {
        "plans": plan.pk,
        "relief-requests": relief.pk,
        "org-units": company.north.pk,
        "salespeople": company.rep.pk,
        "product-lines": company.chairs.pk,
        "customers": customer.pk,
        "orders": lines[0].pk,
        "imports": jobs[0].pk,
        "column-mappings": mappings[0].pk,
        "territory-rules": rules[0].pk,
    }


LISTS = [
    "org-units",
    "salespeople",
    "product-lines",
    "actuals",
    "customers",
    "orders",
    "imports",
    "column-mappings",
    "territory-rules",
    "relief-requests",
]
READS = [
    *(f"/api/v1/{name}/" for name in LISTS),
    "/api/v1/actuals/totals/",
    "/api/v1/orders/export/",
    "/api/v1/customers/export/",
]
DETAILS = [
    "org-units",
    "salespeople",
    "product-lines",
    "customers",
    "orders",
    "imports",
    "column-mappings",
    "relief-requests",
]
WRITES = [
    ("post", "/api/v1/imports/"),
    ("post", "/api/v1/column-mappings/"),
    ("put", "/api/v1/column-mappings/{column-mappings}/"),
    ("delete", "/api/v1/column-mappings/{column-mappings}/"),
    ("post", "/api/v1/territory-rules/"),
    ("delete", "/api/v1/territory-rules/{territory-rules}/"),
    ("post", "/api/v1/relief-requests/"),
    ("post", "/api/v1/relief-requests/{relief-requests}/approve/"),
    ("post", "/api/v1/relief-requests/{relief-requests}/reject/"),
    ("post", "/api/v1/relief-requests/{relief-requests}/withdraw/"),
]


# Every route of allocation/api/plans/urls.py (see tests/allocation/api/test_plan_access.py for
# the rows each role sees in them).
PLAN_READS = [
    "/api/v1/plans/",
    "/api/v1/plans/compare/?plans={plans},{plans}&group_by=salesperson",
    "/api/v1/targets/",
    "/api/v1/my-targets/",
    *(
        f"/api/v1/plans/{{plans}}/{path}"
        for path in (
            "",
            "method-inputs/",
            "product-line-totals/",
            "changes/",
            "grid/",
            "rollup/",
            "constraints/",
            "export/",
            "days/?month=2019-03",
            "days/export/?month=2019-03",
            "acknowledgements/",
            "undo/",
        )
    ),
]
PLAN_WRITES = [
    ("post", "/api/v1/plans/"),
    ("patch", "/api/v1/plans/{plans}/"),
    ("put", "/api/v1/plans/{plans}/methods/"),
    ("put", "/api/v1/plans/{plans}/method-inputs/"),
    ("put", "/api/v1/plans/{plans}/product-line-totals/"),
    *(
        ("post", f"/api/v1/plans/{{plans}}/{path}/")
        for path in (
            "allocate",
            "submit",
            "approve",
            "reject",
            "publish",
            "archive",
            "new-version",
            "scenarios",
            "respread",
            "cells/edit",
            "cells/paste",
            "cells/lock",
            "undo",
            "upload",
            "uploads/1/confirm",
            "uploads/1/discard",
            "acknowledge",
        )
    ),
]


def _requests(objects):
    yield from (("get", url) for url in READS)
    yield from (("get", url.format_map(objects)) for url in PLAN_READS)
    yield from ((method, url.format_map(objects)) for method, url in PLAN_WRITES)
    yield from (("get", f"/api/v1/{name}/{objects[name]}/") for name in DETAILS)
    yield from ((method, url.format_map(objects)) for method, url in WRITES)


def test_anonymous_requests_are_401_everywhere(objects):
    client = APIClient()

    for method, url in _requests(objects):
        response = getattr(client, method)(url)
        assert response.status_code == 401, (method, url)
        assert response.json() == {
            "message": "Authentication credentials were not provided.",
            "code": "not_authenticated",
        }, (method, url)


def test_users_without_a_role_are_403_everywhere(client_as, objects):
    client = client_as("nobody")

    for method, url in _requests(objects):
        response = getattr(client, method)(url, {}, format="json")
        assert response.status_code == 403, (method, url)
        assert response.json()["code"] == "permission_denied", (method, url)
        assert set(response.json()) == {"message", "code"}, (method, url)
    assert ColumnMapping.objects.count() == 2
    assert TerritoryRule.objects.count() == 2
    assert Plan.objects.count() == 1
    assert set(PlanChange.objects.values_list("action", flat=True)) == {"create", "allocate"}
    assert set(ReliefRequest.objects.values_list("status", flat=True)) == {"pending"}


@pytest.mark.parametrize("name", LISTS)
def test_every_list_is_paginated_the_same_way(client_as, objects, name):
    response = client_as("admin").get(f"/api/v1/{name}/", {"page_size": 1})

    body = response.json()
    assert response.status_code == 200
    assert list(body) == ["count", "next", "previous", "results"]
    assert body["count"] >= 2
    assert len(body["results"]) == 1
    assert body["previous"] is None
    assert body["next"].startswith(f"http://testserver/api/v1/{name}/?page=2")
    second = client_as("admin").get(body["next"]).json()
    assert second["results"] != body["results"]


@pytest.mark.parametrize("name", LISTS)
def test_a_page_that_does_not_exist_is_a_json_404(client_as, objects, name):
    response = client_as("admin").get(f"/api/v1/{name}/", {"page": 99})

    assert response.status_code == 404
    assert response.json() == {"message": "Invalid page.", "code": "not_found"}
