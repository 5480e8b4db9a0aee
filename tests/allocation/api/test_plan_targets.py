"""Targets for integrations (/targets/), a salesperson's own (/my-targets/), acknowledgements."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from allocation.services import plan_approve, plan_publish, plan_submit
from tests.allocation.test_plan_support import make_plan

pytestmark = pytest.mark.django_db

TARGETS = "/api/v1/targets/"


@pytest.fixture
def plan(company):
    plan = make_plan(company)
    plan_submit(plan=plan)
    plan_approve(plan=plan)
    return plan_publish(plan=plan)


def _target(plan, salesperson, name, unit, line, month, amount):
    return {
        "plan": plan.pk,
        "salesperson": salesperson,
        "salesperson_name": name,
        "org_unit": unit,
        "product_line": line,
        "month": month,
        "amount": amount,
    }


def test_targets_take_the_same_filters_as_actuals(client_as, plan):
    response = client_as("admin").get(
        TARGETS, {"plan": plan.pk, "org_unit": "NORTH", "product_line": "FUR", "month": "2019-03"}
    )

    assert response.status_code == 200
    assert response.json() == {
        "count": 4,
        "next": None,
        "previous": None,
        "results": [
            _target(plan, "S-N1", "Nora North", "N-T1", "FUR-CH", "2019-03", "250.00"),
            _target(plan, "S-N1", "Nora North", "N-T1", "FUR-TA", "2019-03", "250.00"),
            _target(plan, "S-N2", "Ned North", "N-T1", "FUR-CH", "2019-03", "250.00"),
            _target(plan, "S-N2", "Ned North", "N-T1", "FUR-TA", "2019-03", "250.00"),
        ],
    }


@pytest.mark.parametrize(
    ("username", "count"),
    [("admin", 108), ("manager", 72), ("other_manager", 36), ("rep", 36), ("south_rep", 36)],
)
def test_each_role_pulls_only_its_scope(client_as, plan, username, count):
    assert client_as(username).get(TARGETS, {"page_size": 500}).json()["count"] == count


def test_without_a_plan_only_published_targets_come_back(company, client_as, plan):
    draft = make_plan(company, name="draft")

    assert client_as("admin").get(TARGETS, {"year": 2019}).json()["count"] == 108
    assert client_as("admin").get(TARGETS, {"plan": draft.pk}).json()["count"] == 108
    assert client_as("rep").get(TARGETS, {"plan": draft.pk}).json()["fields"] == {
        "plan": [f"No plan with id “{draft.pk}” is visible to you."]
    }
    assert client_as("rep").get(TARGETS, {"salesperson": "S-S1"}).status_code == 400
    assert client_as("nobody").get(TARGETS).status_code == 403


def test_the_targets_list_costs_a_fixed_number_of_queries(client_as, plan):
    client = client_as("manager")
    client.get(TARGETS)
    with CaptureQueriesContext(connection) as small:
        client.get(TARGETS, {"page_size": 5})
    with CaptureQueriesContext(connection) as large:
        response = client.get(TARGETS, {"page_size": 72})

    assert len(response.json()["results"]) == 72
    assert len(small) == len(large) <= 9


def test_my_targets_by_year_quarter_month_and_line(client_as, plan):
    response = client_as("rep").get("/api/v1/my-targets/")

    assert response.status_code == 200
    months = [{"month": f"2019-{m:02d}", "amount": "750.00"} for m in range(1, 13)]
    line_months = [{"month": f"2019-{m:02d}", "amount": "250.00"} for m in range(1, 13)]
    line = {
        "year": "3000.00",
        "quarters": [{"quarter": f"Q{q}", "amount": "750.00"} for q in range(1, 5)],
        "months": line_months,
    }
    assert response.json() == {
        "count": 1,
        "next": None,
        "previous": None,
        "results": [
            {
                "plan": {
                    "id": plan.pk,
                    "name": "FY2019",
                    "fiscal_year": 2019,
                    "version": 1,
                    "currency": "CNY",
                },
                "salesperson": "S-N1",
                "year": "9000.00",
                "quarters": [{"quarter": f"Q{q}", "amount": "2250.00"} for q in range(1, 5)],
                "months": months,
                "product_lines": [
                    {"code": "FUR-CH", "name": "Chairs", **line},
                    {"code": "FUR-TA", "name": "Tables", **line},
                    {"code": "TEC-PH", "name": "Phones", **line},
                ],
                "acknowledgement": None,
            }
        ],
    }
    assert client_as("manager").get("/api/v1/my-targets/").json()["count"] == 0


@time_machine.travel(dt.datetime(2019, 1, 20, 2, 0, tzinfo=dt.UTC), tick=False)
def test_salespeople_acknowledge_and_managers_see_who_has_not(client_as, plan):
    url = f"/api/v1/plans/{plan.pk}/"
    response = client_as("rep").post(
        f"{url}acknowledge/", {"status": "disputed", "comment": "Q4 is too high"}, format="json"
    )
    assert response.json() == {
        "plan": plan.pk,
        "salesperson": "S-N1",
        "status": "disputed",
        "comment": "Q4 is too high",
        "acted_at": "2019-01-20T10:00:00+08:00",
    }

    rows = client_as("manager").get(f"{url}acknowledgements/").json()["results"]

    assert rows == [
        {
            "salesperson": "S-N1",
            "salesperson_name": "Nora North",
            "org_unit": "N-T1",
            "status": "disputed",
            "comment": "Q4 is too high",
            "acted_by": "rep",
            "acted_at": "2019-01-20T10:00:00+08:00",
        },
        {
            "salesperson": "S-N2",
            "salesperson_name": "Ned North",
            "org_unit": "N-T1",
            "status": "pending",
            "comment": "",
            "acted_by": None,
            "acted_at": None,
        },
    ]
    pending = client_as("admin").get(f"{url}acknowledgements/", {"status": "pending"}).json()
    assert [r["salesperson"] for r in pending["results"]] == ["S-N2", "S-S1"]
    assert client_as("rep").get(f"{url}acknowledgements/").status_code == 403
    assert (
        client_as("manager")
        .post(f"{url}acknowledge/", {"status": "acknowledged"}, format="json")
        .status_code
        == 403
    )
    mine = client_as("rep").get("/api/v1/my-targets/").json()["results"][0]["acknowledgement"]
    assert mine == {
        "status": "disputed",
        "comment": "Q4 is too high",
        "acted_at": "2019-01-20T10:00:00+08:00",
    }


def test_acknowledgement_and_own_target_lists_cost_fixed_queries(company, client_as, plan):
    from tests.factories import SalespersonFactory

    url = f"/api/v1/plans/{plan.pk}/acknowledgements/"
    client = client_as("admin")
    client.get(url)
    with CaptureQueriesContext(connection) as three:
        client.get(url)
    for n in range(5):
        SalespersonFactory(code=f"S-X{n}", org_unit=company.north_team)
    second = make_plan(company, name="bigger", fiscal_year=2020)  # one published plan a year
    plan_submit(plan=second)
    plan_approve(plan=second)
    plan_publish(plan=second)
    with CaptureQueriesContext(connection) as eight:
        response = client.get(f"/api/v1/plans/{second.pk}/acknowledgements/")
    assert response.json()["count"] == 8
    assert len(eight) == len(three)

    rep = client_as("rep")
    with CaptureQueriesContext(connection) as mine:
        assert rep.get("/api/v1/my-targets/").json()["count"] == 2
    assert len(mine) <= 10
