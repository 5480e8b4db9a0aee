"""Measure plans in the browser: the plans list groups them, the editor switches measure
and prints units, admins add a measure, nobody else may."""

from __future__ import annotations

from decimal import Decimal

import pytest

from allocation.models import Plan
from allocation.services import measure_plan_create, plan_allocate
from tests.allocation.test_plan_support import make_plan

pytestmark = pytest.mark.django_db


@pytest.fixture
def family(company):
    plan = make_plan(company)
    quantity = measure_plan_create(
        plan=plan, measure="quantity", total_amount=Decimal(1200), actor=None
    )
    plan_allocate(plan=quantity, actor=None)
    return plan, Plan.objects.get(pk=quantity.pk)


def test_the_plans_list_shows_measures_under_their_plan(company, client, family):
    _plan, quantity = family
    client.force_login(company.users["admin"])

    html = client.get("/plans/").content.decode()

    assert html.count('<tr data-plan="') == 1  # one row: the revenue plan
    assert f'<a href="/plans/{quantity.pk}/">Quantity</a>: 1,200 units' in html


def test_the_editor_switches_measure_and_prints_units(company, client, family):
    plan, quantity = family
    client.force_login(company.users["manager"])

    html = client.get(f"/plans/{quantity.pk}/").content.decode()

    assert "<span data-plan-total>1,200 units</span>" in html
    assert f'href="/plans/{plan.pk}/" data-measure="revenue"' in html
    assert 'data-measure="quantity" aria-current="page"' in html
    assert '"wholeUnits": true' in html
    revenue = client.get(f"/plans/{plan.pk}/").content.decode()
    assert "<span data-plan-total>CNY 36,000.00</span>" in revenue
    assert 'id="measure-add"' not in revenue  # managers don't add measures


def test_an_admin_adds_a_measure_from_the_editor(company, client, family):
    plan, _quantity = family
    client.force_login(company.users["admin"])
    assert 'id="measure-add"' in client.get(f"/plans/{plan.pk}/").content.decode()

    response = client.post(
        f"/plans/{plan.pk}/measures/", {"measure": "gross_margin", "total_amount": "9,000.50"}
    )

    margin = Plan.objects.get(measure="gross_margin")
    assert response.status_code == 302
    assert response["Location"] == f"/plans/{margin.pk}/"
    assert (margin.measure_of_id, margin.total_amount) == (plan.pk, Decimal("9000.50"))
    again = client.post(
        f"/plans/{plan.pk}/measures/", {"measure": "quantity", "total_amount": "5"}, follow=True
    )
    assert "already has a quantity plan" in again.content.decode()


@pytest.mark.parametrize("username", ["manager", "other_manager", "rep", "nobody"])
def test_only_admins_add_measures_in_the_browser(company, client, family, username):
    plan, _quantity = family
    client.force_login(company.users[username])
    response = client.post(
        f"/plans/{plan.pk}/measures/", {"measure": "gross_margin", "total_amount": "1"}
    )
    assert response.status_code in {403, 404}
    assert not Plan.objects.filter(measure="gross_margin").exists()
    assert client.get(f"/plans/{plan.pk}/measures/").status_code in {403, 404, 405}


def test_a_manager_outside_the_plan_does_not_open_its_measure(company, client):
    north = make_plan(company, name="North only", root_org_unit=company.north)
    units = measure_plan_create(plan=north, measure="quantity", total_amount=10, actor=None)
    client.force_login(company.users["other_manager"])
    assert client.get(f"/plans/{units.pk}/").status_code == 404
    client.force_login(company.users["rep"])  # not a manager: no editor
    assert client.get(f"/plans/{units.pk}/").status_code in {403, 404}
