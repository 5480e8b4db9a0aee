"""Plans over the API: list, create, detail, settings, methods, allocate, transitions,
versions, scenarios, re-spread, compare — shapes, errors and who may do what."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from allocation.models import ActualCell, Plan
from allocation.services import plan_approve, plan_publish, plan_submit
from tests.allocation.test_plan_support import EQUAL, make_plan

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.usefixtures("frozen_time"),
]

NOW = "2019-01-15T17:00:00+08:00"
URL = "/api/v1/plans/"


@pytest.fixture
def frozen_time():
    with time_machine.travel(dt.datetime(2019, 1, 15, 9, 0, tzinfo=dt.UTC), tick=False):
        yield


@pytest.fixture
def plan(company):
    return make_plan(company)


def _published(company, plan):
    plan_submit(plan=plan)
    plan_approve(plan=plan)
    return plan_publish(plan=plan)


def _row(plan, **changes):
    row = {
        "id": plan.pk,
        "name": "FY2019",
        "fiscal_year": 2019,
        "start_month": 1,
        "currency": "CNY",
        "status": "draft",
        "mode": "top_down",
        "version": 1,
        "previous_version": None,
        "scenario_of": None,
        "measure": "revenue",
        "measure_of": None,
        "root_org_unit": "ACME",
        "total_amount": "36000.00",
        "scope": "plan",
        "relief_distribution": "absorb",
        "revision": 1,
        "allocated_at": NOW,
        "created_at": NOW,
        "updated_at": NOW,
    }
    row.update(changes)
    return row


def _page(results):
    return {"count": len(results), "next": None, "previous": None, "results": results}


# --- list -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("username", "changes"),
    [
        ("admin", {}),
        ("director", {}),
        ("manager", {"total_amount": "18000.00", "scope": "subtree"}),
        ("other_manager", {"total_amount": "18000.00", "scope": "subtree"}),
    ],
)
def test_the_list_shows_each_role_the_total_of_its_part(client_as, plan, username, changes):
    response = client_as(username).get(URL)

    assert response.status_code == 200
    assert response.json() == _page([_row(plan, **changes)])


def test_salespeople_see_only_published_plans_with_their_own_total(company, client_as, plan):
    assert client_as("rep").get(URL).json() == _page([])

    _published(company, plan)

    assert client_as("rep").get(URL).json() == _page(
        [_row(plan, status="published", total_amount="9000.00", scope="own")]
    )


def test_a_user_without_a_role_gets_403_and_anonymous_401(client_as, plan):
    assert client_as("nobody").get(URL).status_code == 403
    assert APIClient().get(URL).status_code == 401


def test_a_plan_outside_a_managers_subtree_is_not_listed(company, client_as):
    north = make_plan(company, name="North only", root_org_unit=company.north)

    assert [p["id"] for p in client_as("manager").get(URL).json()["results"]] == [north.pk]
    assert client_as("other_manager").get(URL).json()["results"] == []
    assert client_as("other_manager").get(f"{URL}{north.pk}/").status_code == 404


def test_the_list_filters_by_status_year_and_scenario(client_as, plan):
    client_as("admin").post(f"{URL}{plan.pk}/scenarios/", {"name": "what if"}, format="json")

    assert client_as("admin").get(URL, {"scenario": "true"}).json()["count"] == 1
    assert client_as("admin").get(URL, {"scenario": "false"}).json()["count"] == 1
    assert client_as("admin").get(URL, {"status": "published"}).json()["count"] == 0
    assert client_as("admin").get(URL, {"fiscal_year": 2019}).json()["count"] == 2


@pytest.mark.parametrize("username", ["admin", "manager"])
def test_the_list_costs_the_same_queries_for_one_plan_or_many(company, client_as, username):
    client = client_as(username)
    make_plan(company)
    client.get(URL)  # warm the token
    with CaptureQueriesContext(connection) as one:
        client.get(URL)
    for n in range(4):
        make_plan(company, name=f"More {n}")
    with CaptureQueriesContext(connection) as five:
        response = client.get(URL)

    assert response.json()["count"] == 5
    assert len(five) == len(one) <= 8


# --- create, detail, update -------------------------------------------------------------------


def test_an_admin_creates_a_draft_and_extra_fields_are_ignored(company, client_as):
    response = client_as("admin").post(
        URL,
        {
            "name": "FY2019",
            "fiscal_year": 2019,
            "total_amount": "36000.00",
            "product_lines": ["FUR"],
            "method_config": EQUAL,
            "status": "published",
            "version": 7,
            "revision": 99,
            "created_by": "nobody",
        },
        format="json",
    )

    assert response.status_code == 201
    body = response.json()
    plan = Plan.objects.get()
    assert body == {
        **_row(plan, total_amount="36000.00", revision=0, allocated_at=None),
        "method_config": {
            "org": {"method": "equal"},
            "org_levels": {},
            "product_line": {"method": "equal"},
            "seasonality": {"method": "uniform"},
            "country": "CN",
        },
        "product_lines": ["FUR-CH", "FUR-TA"],
        "salespeople_count": 0,
        "created_by": "admin",
        "submitted_by": None,
        "submitted_at": None,
        "approved_by": None,
        "approved_at": None,
        "published_by": None,
        "published_at": None,
        "archived_by": None,
        "archived_at": None,
        "actions": ["edit", "lock", "upload", "allocate", "archive", "scenario"],
        "publish_check": None,
    }


@pytest.mark.parametrize("username", ["manager", "rep", "nobody"])
def test_only_admins_create_plans(client_as, username):
    response = client_as(username).post(
        URL, {"name": "x", "fiscal_year": 2019, "total_amount": "1"}, format="json"
    )

    assert response.status_code == 403


def test_invalid_input_names_the_field(client_as):
    client = client_as("admin")
    bad_config = {"org": {"method": "historical", "smoothing": "2"}}

    response = client.post(
        URL,
        {"name": "x", "fiscal_year": 2019, "total_amount": "1", "method_config": bad_config},
        format="json",
    )
    assert response.status_code == 400
    assert response.json() == {
        "message": "org.smoothing: Must be between 0 and 1.",
        "code": "invalid",
        "fields": {"org.smoothing": ["Must be between 0 and 1."]},
    }
    response = client.post(
        URL, {"name": "x", "fiscal_year": 2019, "total_amount": "-1"}, format="json"
    )
    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["total_amount"]
    response = client.post(
        URL,
        {"name": "x", "fiscal_year": 2019, "total_amount": "1", "product_lines": ["NOPE"]},
        format="json",
    )
    assert response.json()["fields"] == {"product_lines": ["Unknown codes: NOPE."]}


def test_the_detail_lists_what_the_viewer_may_do(company, client_as, plan):
    assert client_as("admin").get(f"{URL}{plan.pk}/").json()["actions"] == [
        "edit",
        "lock",
        "upload",
        "submit",
        "allocate",
        "archive",
        "scenario",
    ]
    assert client_as("manager").get(f"{URL}{plan.pk}/").json()["actions"] == [
        "edit",
        "lock",
        "upload",
        "submit",
    ]
    _published(company, plan)
    assert client_as("rep").get(f"{URL}{plan.pk}/").json()["actions"] == ["acknowledge"]


def test_patching_an_allocated_plans_total_rescales_it(client_as, plan):
    response = client_as("admin").patch(
        f"{URL}{plan.pk}/", {"total_amount": "72000.00", "name": "FY19 stretch"}, format="json"
    )

    assert response.status_code == 200
    assert (response.json()["total_amount"], response.json()["name"]) == (
        "72000.00",
        "FY19 stretch",
    )
    response = client_as("admin").patch(f"{URL}{plan.pk}/", {"fiscal_year": 2020}, format="json")
    assert response.status_code == 409
    assert response.json() == {
        "message": "fiscal_year can't change once the plan is allocated.",
        "code": "conflict",
    }


def test_methods_and_inputs_are_replaced_by_admins(company, client_as, plan):
    admin = client_as("admin")
    response = admin.put(
        f"{URL}{plan.pk}/methods/", {"org": {"method": "potential"}}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["method_config"]["org"] == {"method": "potential"}

    inputs = {
        "inputs": [
            {"org_unit": "NORTH", "potential_index": "3"},
            {"org_unit": "SOUTH", "potential_index": "1"},
            {"org_unit": "N-T1", "potential_index": "1"},
            {"org_unit": "S-T1", "potential_index": "1"},
            {"salesperson": "S-N1", "potential_index": "1"},
            {"salesperson": "S-N2", "potential_index": "1"},
            {"salesperson": "S-S1", "potential_index": "1"},
        ]
    }
    assert admin.put(f"{URL}{plan.pk}/method-inputs/", inputs, format="json").status_code == 200
    assert client_as("manager").get(f"{URL}{plan.pk}/method-inputs/").json()["inputs"][0] == {
        "org_unit": "NORTH",
        "salesperson": None,
        "product_line": None,
        "manual_percent": None,
        "growth_rate": None,
        "potential_index": "3.0000",
        "fte_override": None,
    }
    assert (
        client_as("manager").put(f"{URL}{plan.pk}/methods/", {}, format="json").status_code == 403
    )

    response = admin.post(f"{URL}{plan.pk}/allocate/")
    assert response.status_code == 200
    assert response.json()["revision"] == 2
    north = client_as("manager").get(URL).json()["results"][0]["total_amount"]
    assert north == "27000.00"


def test_fixed_product_line_totals_over_the_api(client_as, plan):
    admin = client_as("admin")
    body = {"totals": [{"product_line": "TEC", "amount": "20000.00"}]}

    assert admin.put(f"{URL}{plan.pk}/product-line-totals/", body, format="json").json() == body
    assert admin.post(f"{URL}{plan.pk}/allocate/").status_code == 200
    assert client_as("manager").get(f"{URL}{plan.pk}/product-line-totals/").status_code == 403


def test_an_infeasible_allocation_is_a_400_saying_nothing_changed(client_as, plan):
    client_as("admin").put(
        f"{URL}{plan.pk}/product-line-totals/",
        {"totals": [{"product_line": "TEC", "amount": "36000.01"}]},
        format="json",
    )

    response = client_as("admin").put(
        f"{URL}{plan.pk}/product-line-totals/",
        {
            "totals": [
                {"product_line": "FUR", "amount": "1"},
                {"product_line": "FUR-CH", "amount": "1"},
            ]
        },
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["message"] == "product_line: FUR-CH is nested in another fixed line."


# --- lifecycle --------------------------------------------------------------------------------


def test_the_lifecycle_over_the_api(company, client_as, plan):
    assert (
        client_as("manager")
        .post(f"{URL}{plan.pk}/submit/", {"comment": "ok"}, format="json")
        .json()["status"]
        == "submitted"
    )
    response = client_as("manager").post(f"{URL}{plan.pk}/approve/")
    assert response.status_code == 403
    assert response.json() == {
        "message": "Only administrators may do this.",
        "code": "permission_denied",
    }
    assert client_as("admin").post(f"{URL}{plan.pk}/reject/", {}, format="json").json() == {
        "message": "reason: This field is required.",
        "code": "invalid",
        "fields": {"reason": ["This field is required."]},
    }
    client_as("admin").post(f"{URL}{plan.pk}/reject/", {"reason": "redo"}, format="json")
    client_as("admin").post(f"{URL}{plan.pk}/submit/")
    response = client_as("admin").post(f"{URL}{plan.pk}/approve/")
    assert response.status_code == 409  # four-eyes: the submitter does not approve
    client_as("admin").post(f"{URL}{plan.pk}/approve/", {"override_four_eyes": True}, format="json")
    body = client_as("admin").post(f"{URL}{plan.pk}/publish/").json()
    assert (body["status"], body["published_by"], body["published_at"]) == (
        "published",
        "admin",
        NOW,
    )

    response = client_as("admin").post(
        f"{URL}{plan.pk}/cells/edit/", {"amount": "1"}, format="json"
    )
    assert response.status_code == 409
    assert response.json() == {
        "message": "This plan is published; only drafts can be changed. Create a new version "
        "to change it.",
        "code": "plan_not_editable",
    }
    response = client_as("admin").post(
        f"{URL}{plan.pk}/new-version/", {"reason": "Q2"}, format="json"
    )
    assert response.status_code == 201
    assert (response.json()["version"], response.json()["previous_version"]) == (2, plan.pk)
    assert client_as("rep").post(f"{URL}{plan.pk}/new-version/").status_code == 403


def test_a_salesperson_cannot_transition_and_an_unpublished_plan_is_404_for_them(client_as, plan):
    assert client_as("rep").post(f"{URL}{plan.pk}/submit/").status_code == 403
    assert client_as("rep").get(f"{URL}{plan.pk}/").status_code == 404


def test_scenarios_and_compare(client_as, plan):
    admin = client_as("admin")
    scenario = admin.post(f"{URL}{plan.pk}/scenarios/", {"name": "Push"}, format="json").json()
    admin.post(
        f"{URL}{scenario['id']}/cells/edit/",
        {"org_unit": "NORTH", "amount": "20000"},
        format="json",
    )

    response = admin.get(
        f"{URL}compare/", {"plans": f"{plan.pk},{scenario['id']}", "group_by": "org_unit"}
    )

    assert response.json() == {
        "group_by": "org_unit",
        "plans": [
            {"id": plan.pk, "name": "FY2019", "version": 1, "status": "draft", "scenario_of": None},
            {
                "id": scenario["id"],
                "name": "Push",
                "version": 1,
                "status": "draft",
                "scenario_of": plan.pk,
            },
        ],
        "rows": [
            {
                "key": "NORTH",
                "name": "North",
                "amounts": ["18000.00", "20000.00"],
                "differences": ["0.00", "2000.00"],
            },
            {
                "key": "SOUTH",
                "name": "South",
                "amounts": ["18000.00", "16000.00"],
                "differences": ["0.00", "-2000.00"],
            },
        ],
    }
    manager = client_as("manager").get(
        f"{URL}compare/", {"plans": f"{plan.pk},{scenario['id']}", "group_by": "salesperson"}
    )
    assert [row["key"] for row in manager.json()["rows"]] == ["S-N1", "S-N2"]
    assert admin.get(f"{URL}compare/", {"plans": f"{plan.pk}"}).status_code == 400
    assert admin.get(f"{URL}compare/", {"plans": f"{plan.pk},999"}).json()["fields"] == {
        "plans": ["No plan with id 999 is visible to you."]
    }
    assert client_as("rep").get(f"{URL}compare/", {"plans": f"{plan.pk},1"}).status_code == 403


def test_respread_over_the_api(company, client_as, plan):
    _published(company, plan)
    ActualCell.objects.create(
        salesperson=company.rep,
        product_line=company.chairs,
        month=dt.date(2019, 1, 1),
        amount=Decimal("1000"),
    )

    response = client_as("admin").post(
        f"{URL}{plan.pk}/respread/", {"as_of": "2019-01-31"}, format="json"
    )

    assert response.status_code == 201
    assert (response.json()["version"], response.json()["total_amount"]) == (2, "36000.00")
    assert (
        client_as("manager")
        .post(f"{URL}{plan.pk}/respread/", {"as_of": "2019-01-31"}, format="json")
        .status_code
        == 403
    )
