"""Measure plans over the API: POST plans/{id}/measures/, ``measure``/``measure_of`` on the
plans list and its filters, targets of a measure plan, editing in whole units, and who may
do what (crossing the subtree and salesperson lines)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from rest_framework.test import APIClient

from allocation.models import Plan
from allocation.services import plan_allocate, plan_approve, plan_publish, plan_submit
from tests.allocation.test_plan_support import EQUAL, make_plan

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_time")]

NOW = "2019-01-15T17:00:00+08:00"
URL = "/api/v1/plans/"


@pytest.fixture
def frozen_time():
    with time_machine.travel(dt.datetime(2019, 1, 15, 9, 0, tzinfo=dt.UTC), tick=False):
        yield


@pytest.fixture
def plan(company):
    return make_plan(company)


def _add(client, plan, **body):
    return client.post(
        f"{URL}{plan.pk}/measures/",
        {"measure": "quantity", "total_amount": "120", **body},
        format="json",
    )


def test_an_admin_adds_a_quantity_plan_and_gets_its_whole_detail(client_as, plan):
    response = _add(client_as("admin"), plan)

    assert response.status_code == 201
    child = Plan.objects.get(measure="quantity")
    assert response.json() == {
        "id": child.pk,
        "name": "FY2019",
        "fiscal_year": 2019,
        "start_month": 1,
        "currency": "CNY",
        "status": "draft",
        "mode": "top_down",
        "version": 1,
        "previous_version": None,
        "scenario_of": None,
        "measure": "quantity",
        "measure_of": plan.pk,
        "root_org_unit": "ACME",
        "total_amount": "120.00",
        "scope": "plan",
        "revision": 0,
        "allocated_at": None,
        "created_at": NOW,
        "updated_at": NOW,
        "method_config": child.method_config,
        "product_lines": ["FUR-CH", "FUR-TA", "TEC-PH"],
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
        "actions": ["edit", "lock", "upload", "allocate"],
        "relief_distribution": "absorb",
        "publish_check": None,
    }
    assert child.method_config == plan.method_config


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"total_amount": "12.5"}, "total_amount"),
        ({"measure": "revenue"}, "measure"),
        ({"measure": "profit"}, "measure"),
        ({"total_amount": "1e400"}, "total_amount"),
        ({"total_amount": "-1"}, "total_amount"),
    ],
)
def test_bad_measure_input_is_a_400_naming_the_field(client_as, plan, body, field):
    response = _add(client_as("admin"), plan, **body)

    assert response.status_code == 400
    assert field in response.json()["fields"]
    assert not Plan.objects.filter(measure_of=plan).exists()


def test_a_second_quantity_plan_and_a_measure_of_a_measure_are_refused(client_as, plan):
    admin = client_as("admin")
    child = _add(admin, plan).json()["id"]

    assert _add(admin, plan).status_code == 409
    assert _add(admin, Plan.objects.get(pk=child), measure="gross_margin").status_code == 409


@pytest.mark.parametrize(
    ("username", "status"),
    [("manager", 403), ("other_manager", 403), ("rep", 403), ("nobody", 403)],
)
def test_only_admins_add_measures(client_as, plan, username, status):
    assert _add(client_as(username), plan).status_code == status
    assert APIClient().post(f"{URL}{plan.pk}/measures/", {}, format="json").status_code == 401


def test_the_list_carries_measure_and_filters_by_it(company, client_as, plan):
    admin = client_as("admin")
    child = _add(admin, plan).json()["id"]

    rows = admin.get(URL).json()["results"]
    assert [(r["id"], r["measure"], r["measure_of"]) for r in rows] == [
        (plan.pk, "revenue", None),
        (child, "quantity", plan.pk),
    ]
    assert [r["id"] for r in admin.get(URL, {"measure": "quantity"}).json()["results"]] == [child]
    assert [r["id"] for r in admin.get(URL, {"measure_of": plan.pk}).json()["results"]] == [child]
    assert admin.get(URL, {"measure": "units"}).status_code == 400
    # A manager sees the measure plan of a plan they see; the other region's manager too
    # (the plan covers the company), each with their part's total.
    north = client_as("manager").get(URL, {"measure": "quantity"}).json()["results"]
    assert [(r["id"], r["scope"]) for r in north] == [(child, "subtree")]


def _published_quantity(company, plan):
    child = Plan.objects.get(pk=_add_service(company, plan))
    plan_allocate(plan=child, actor=company.users["admin"])
    plan_submit(plan=plan, actor=company.users["admin"])
    plan_approve(plan=plan, actor=company.users["director"])
    plan_publish(plan=plan, actor=company.users["director"])
    child.refresh_from_db()
    return child


def _add_service(company, plan):
    from allocation.services import measure_plan_create

    return measure_plan_create(
        plan=plan, measure="quantity", total_amount=Decimal(120), actor=None
    ).pk


def test_targets_of_a_measure_plan_are_units_and_never_mix_with_revenue(company, client_as, plan):
    child = _published_quantity(company, plan)
    rep = client_as("rep")

    # 120 units: 60 per region, 30 for S-N1 -> 10 per leaf line -> 0.83 a month: Jan..Oct get
    # one unit each (the earliest months take the leftover units).
    units = rep.get("/api/v1/targets/", {"plan": child.pk, "product_line": "FUR-CH"}).json()
    assert [(r["month"], r["amount"]) for r in units["results"]] == [
        (f"2019-{m:02d}", "1.00" if m <= 10 else "0.00") for m in range(1, 13)
    ]
    default = rep.get("/api/v1/targets/", {"product_line": "FUR-CH"}).json()
    assert {r["plan"] for r in default["results"]} == {plan.pk}
    quantity = rep.get("/api/v1/targets/", {"measure": "quantity"}).json()
    assert {r["plan"] for r in quantity["results"]} == {child.pk}
    assert sum(Decimal(r["amount"]) for r in quantity["results"]) == Decimal(30)
    # S-N1 never sees S-S1's units: the code reads like an unknown one.
    other = rep.get("/api/v1/targets/", {"plan": child.pk, "salesperson": "S-S1"})
    assert other.status_code == 400
    assert "salesperson" in other.json()["fields"]


def test_a_quantity_cell_edit_over_the_api_is_whole_units(company, client_as, plan):
    admin = client_as("admin")
    child = Plan.objects.get(pk=_add_service(company, plan))
    plan_allocate(plan=child, actor=company.users["admin"])
    edit = f"{URL}{child.pk}/cells/edit/"
    cell = {"salesperson": "S-N1", "product_line": "FUR-CH", "period": "2019-01"}

    refused = admin.post(edit, {**cell, "amount": "2.5"}, format="json")
    assert refused.status_code == 400
    assert refused.json()["fields"] == {"amount": ["A quantity is a whole number of units."]}
    done = admin.post(edit, {**cell, "amount": "4"}, format="json")
    assert done.status_code == 200
    # The manager of the other region may not change a northern cell of the measure plan: the
    # code reads like an unknown one, and nothing moves.
    crossing = client_as("other_manager").post(edit, {**cell, "amount": "3"}, format="json")
    assert crossing.status_code == 400
    assert "salesperson" in crossing.json()["fields"]
    january = {"plan": child.pk, "salesperson": "S-N1", "product_line": "FUR-CH"}
    rows = admin.get("/api/v1/targets/", {**january, "month": "2019-01"}).json()["results"]
    assert [r["amount"] for r in rows] == ["4.00"]


def test_measure_plans_move_only_with_their_revenue_plan_over_the_api(company, client_as, plan):
    admin = client_as("admin")
    child = Plan.objects.get(pk=_add_service(company, plan))
    plan_allocate(plan=child, actor=company.users["admin"])

    assert admin.post(f"{URL}{child.pk}/submit/", {}, format="json").status_code == 409
    assert admin.post(f"{URL}{plan.pk}/submit/", {}, format="json").status_code == 200
    child.refresh_from_db()
    assert child.status == "submitted"


def test_a_plan_with_equal_methods_keeps_them_for_its_margin_plan(company, client_as, plan):
    response = _add(
        client_as("admin"), plan, measure="gross_margin", total_amount="900.50", method_config=EQUAL
    )
    assert response.status_code == 201
    assert response.json()["total_amount"] == "900.50"
