"""The §7 commissions API: create a plan (201), statements with the fixed row shape, scoping."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from performance.commissions.models import CommissionStatement
from tests.performance.commissions.support import sell, target_plan

pytestmark = pytest.mark.django_db

PLANS = "/api/v1/commission-plans/"
STATEMENTS = "/api/v1/commission-statements/"
BRACKETS = [
    {"from": "0", "rate": "0.02"},
    {"from": "0.5", "rate": "0.04"},
    {"from": "1", "rate": "0.06"},
]


@pytest.fixture
def tp(company):
    people = [company.rep, company.north_peer, company.south_rep]
    return target_plan(
        company,
        {(p, m): "10000.00" for p in people for m in ("2019-01", "2019-04", "2019-07", "2019-10")},
    )


def create(client, tp, **extra):
    body = {"name": "Q", "target_plan": tp.pk, "period": "quarter", "mode": "marginal"}
    body |= {"brackets": BRACKETS, **extra}
    return client.post(PLANS, body, format="json")


def test_admin_creates_a_plan_and_gets_201_with_statements(company, client_as, tp):
    sell(company.rep, "2019-02-10", "12000.00", product_line=company.chairs)
    response = create(client_as("admin"), tp, cap="400.00", salespeople=["S-N1"])
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body == {
        "id": body["id"],
        "name": "Q",
        "target_plan": tp.pk,
        "period": "quarter",
        "mode": "marginal",
        "brackets": BRACKETS,
        "cap": "400.00",
        "salespeople": ["S-N1"],
        "statements": 4,
    }
    rows = client_as("admin").get(STATEMENTS, {"plan": body["id"], "period": "2019-Q1"}).json()
    assert rows == {
        "count": 1,
        "next": None,
        "previous": None,
        "results": [
            {
                "salesperson": "S-N1",
                "period": "2019-Q1",
                "actual": "12000.00",
                "target": "10000.00",
                "attainment": "1.2000",
                "total": "400.00",
                "lines": [
                    {"label": "0%–50%", "base": "5000.00", "rate": "0.02", "amount": "100.00"},
                    {"label": "50%–100%", "base": "5000.00", "rate": "0.04", "amount": "200.00"},
                    {"label": "≥ 100%", "base": "2000.00", "rate": "0.06", "amount": "120.00"},
                ],
            }
        ],
    }


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("brackets", []),
        ("brackets", [{"from": "0", "rate": "NaN"}]),
        ("brackets", [{"from": "1e400", "rate": "0.02"}]),
        ("brackets", [{"from": "0", "rate": "0.02"}, {"from": "0", "rate": "0.03"}]),
        ("cap", "123456789012345678901234567890"),
        ("mode", "sideways"),
        ("salespeople", ["NOPE"]),
        ("target_plan", 999999),
    ],
)
def test_bad_input_is_a_400_naming_the_field(client_as, tp, field, value):
    response = create(client_as("admin"), tp, **{field: value})
    assert response.status_code == 400
    assert field in response.json()["fields"]


def test_only_admins_create_plans(client_as, api_client, tp):
    for user in ("manager", "rep", "nobody"):
        assert create(client_as(user), tp).status_code == 403
    assert create(api_client, tp).status_code == 401


def _all_statements(company, tp, client_as):
    create(client_as("admin"), tp)
    return {
        user: sorted(
            {
                row["salesperson"]
                for row in client_as(user).get(STATEMENTS, {"page_size": 500}).json()["results"]
            }
        )
        for user in ("admin", "manager", "other_manager", "rep", "south_rep")
    }


def test_statements_are_scoped_own_only_and_subtree(company, client_as, api_client, tp):
    seen = _all_statements(company, tp, client_as)
    assert seen == {
        "admin": ["S-N1", "S-N2", "S-S1"],
        "manager": ["S-N1", "S-N2"],
        "other_manager": ["S-S1"],
        "rep": ["S-N1"],
        "south_rep": ["S-S1"],
    }
    assert client_as("nobody").get(STATEMENTS).status_code == 403
    assert api_client.get(STATEMENTS).status_code == 401
    # another person's statement is a 404, like a missing one
    other = CommissionStatement.objects.filter(salesperson=company.south_rep).first()
    assert client_as("rep").get(f"{STATEMENTS}{other.pk}/").status_code == 404
    assert client_as("other_manager").get(f"{STATEMENTS}{other.pk}/").status_code == 200


def test_statement_filters(company, client_as, tp):
    create(client_as("admin"), tp)
    rows = client_as("admin").get(STATEMENTS, {"salesperson": "S-N2", "period": "2019-Q3"}).json()
    assert [(r["salesperson"], r["period"]) for r in rows["results"]] == [("S-N2", "2019-Q3")]
    assert client_as("admin").get(STATEMENTS, {"plan": "x"}).status_code == 400


def test_statement_list_query_count_does_not_grow_with_rows(
    company, client_as, tp, django_assert_max_num_queries
):
    create(client_as("admin"), tp)
    client = client_as("admin")
    with django_assert_max_num_queries(8):
        response = client.get(STATEMENTS, {"page_size": 500})
    assert response.json()["count"] == 12


def test_approve_and_pay(company, client_as, tp):
    create(client_as("admin"), tp)
    row = CommissionStatement.objects.get(salesperson=company.rep, period="2019-Q1")
    approve = reverse("api-commission-statement-approve", args=[row.pk])
    pay = reverse("api-commission-statement-pay", args=[row.pk])
    assert client_as("rep").post(approve).status_code == 403
    assert client_as("other_manager").post(approve).status_code == 404
    response = client_as("manager").post(approve)
    assert response.status_code == 200
    assert response.json()["status"] == "approved"
    assert client_as("manager").post(approve).status_code == 409
    assert client_as("manager").post(pay).status_code == 403
    assert client_as("admin").post(pay).json()["status"] == "paid"
    row.refresh_from_db()
    assert row.status == "paid"
    assert row.total == Decimal("0.00")
