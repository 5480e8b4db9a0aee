"""Attainment of a measure: ``?measure=`` reads the published plan's measure plan and that
measure's actuals; the dashboard switches measure; scoping is the same as for revenue."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from allocation.models import Plan, TargetCell
from customers.services import order_actuals_refresh
from tests.factories import OrderFactory, OrderLineFactory
from tests.performance.tracking.conftest import publish_plan

pytestmark = pytest.mark.django_db

URL = "/api/v1/attainment/"


def _measure_plan(revenue: Plan, measure: str, monthly: list[tuple]) -> Plan:
    child = Plan.objects.create(
        name=revenue.name,
        fiscal_year=revenue.fiscal_year,
        root_org_unit=revenue.root_org_unit,
        status=Plan.Status.PUBLISHED,
        measure=measure,
        measure_of=revenue,
        total_amount=sum(Decimal(a) for *_, a in monthly) * 12,
    )
    TargetCell.objects.bulk_create(
        TargetCell(plan=child, salesperson=p, product_line=pl, month=dt.date(2019, m, 1), amount=a)
        for p, pl, a in monthly
        for m in range(1, 13)
    )
    child.salespeople.set({p for p, *_ in monthly})
    return child


@pytest.fixture
def measured(company):
    revenue = publish_plan(company)
    # Units: S-N1 10 chairs a month, S-S1 20. Margin: S-N1 300.00 a month, S-S1 600.00.
    _measure_plan(
        revenue,
        "quantity",
        [(company.rep, company.chairs, Decimal(10)), (company.south_rep, company.chairs, 20)],
    )
    _measure_plan(
        revenue,
        "gross_margin",
        [(company.rep, company.chairs, Decimal(300)), (company.south_rep, company.chairs, 600)],
    )
    for day, person, units, amount, cost in (
        (dt.date(2019, 1, 10), company.rep, 4, "900.00", "700.00"),
        (dt.date(2019, 2, 10), company.rep, 8, "1100.00", "800.00"),
        (dt.date(2019, 1, 20), company.south_rep, 25, "3000.00", "3100.00"),  # at a loss
    ):
        OrderLineFactory(
            order=OrderFactory(order_date=day),
            salesperson=person,
            product_line=company.chairs,
            quantity=Decimal(units),
            amount=Decimal(amount),
            cost=Decimal(cost),
        )
    order_actuals_refresh()
    return company


def _figures(client, **params):
    body = client.get(URL, {"year": 2019, "as_of": "2019-12-31", **params}).json()
    return {k: body[k] for k in ("measure", "target", "actual", "attainment")}, body


def test_quantity_attainment_is_units_against_the_quantity_plan(measured, client_as):
    figures, body = _figures(client_as("admin"), measure="quantity", salesperson="S-N1")

    # 12 x 10 = 120 units targeted; 4 + 8 = 12 sold: 12 / 120 = 0.1000.
    assert figures == {
        "measure": "quantity",
        "target": "120.00",
        "actual": "12.00",
        "attainment": "0.1000",
    }
    assert body["plan"]["id"] == Plan.objects.get(measure="quantity").pk
    assert body["months"][1] == {
        "month": "2019-02",
        "target": "10.00",
        "actual": "8.00",
        "forecast": "8.00",
    }


def test_margin_attainment_is_amount_minus_cost_and_may_be_negative(measured, client_as):
    company_wide, _body = _figures(client_as("admin"), measure="gross_margin")
    south, _body = _figures(client_as("admin"), measure="gross_margin", salesperson="S-S1")

    # Margin: S-N1 (900 - 700) + (1,100 - 800) = 500; S-S1 3,000 - 3,100 = -100; all 400.
    # Targets: (300 + 600) x 12 = 10,800; 400 / 10,800 = 0.0370.
    assert company_wide == {
        "measure": "gross_margin",
        "target": "10800.00",
        "actual": "400.00",
        "attainment": "0.0370",
    }
    assert south == {
        "measure": "gross_margin",
        "target": "7200.00",
        "actual": "-100.00",
        "attainment": "-0.0139",
    }


def test_revenue_stays_the_default_and_an_unknown_measure_is_a_400(measured, client_as):
    figures, _body = _figures(client_as("admin"), salesperson="S-N1")
    assert figures == {
        "measure": "revenue",
        "target": "12000.00",
        "actual": "2000.00",
        "attainment": "0.1667",
    }
    response = client_as("admin").get(URL, {"year": 2019, "measure": "profit"})
    assert response.status_code == 400
    assert "measure" in response.json()["fields"]


def test_a_measure_without_a_plan_shows_actuals_without_targets(company, client_as):
    publish_plan(company)
    figures, body = _figures(client_as("admin"), measure="new_customer_revenue")
    assert body["plan"] is None
    assert figures == {
        "measure": "new_customer_revenue",
        "target": None,
        "actual": "0.00",
        "attainment": None,
    }


@pytest.mark.parametrize(
    ("user", "params", "status"),
    [
        ("rep", {"salesperson": "S-N1"}, 200),
        ("rep", {"salesperson": "S-S1"}, 404),
        ("rep", {"org_unit": "NORTH"}, 404),
        ("manager", {"org_unit": "NORTH"}, 200),
        ("manager", {"salesperson": "S-S1"}, 404),
        ("other_manager", {"salesperson": "S-N1"}, 404),
        ("nobody", {}, 403),
    ],
)
def test_measure_attainment_is_scoped_like_revenue(measured, client_as, user, params, status):
    response = client_as(user).get(URL, {"year": 2019, "measure": "quantity", **params})
    assert response.status_code == status


def test_the_dashboard_switches_measure_and_prints_units(measured, client):
    client.force_login(measured.users["admin"])

    page = client.get("/dashboard/", {"year": 2019, "as_of": "2019-12-31", "measure": "quantity"})
    html = page.content.decode()

    assert page.status_code == 200
    assert "data-measure-tabs" in html
    for measure in ("revenue", "quantity", "gross_margin"):
        assert f'data-measure="{measure}"' in html
    # 30 x 12 = 360 units targeted company-wide, shown as units (no cents).
    assert '<span class="kpi__value" data-kpi="target">360</span>' in html
    revenue = client.get("/dashboard/", {"year": 2019, "as_of": "2019-12-31"}).content.decode()
    assert '<span class="kpi__value" data-kpi="target">42,000.00</span>' in revenue


def test_the_ranking_ranks_by_a_measure(measured, client):
    client.force_login(measured.users["admin"])

    html = client.get(
        "/ranking/", {"year": 2019, "as_of": "2019-12-31", "measure": "quantity"}
    ).content.decode()

    # Units: S-N1 12 of 120 (0.10), S-S1 25 of 240 (0.104): S-S1 ranks first; units print
    # without cents.
    assert html.index("S-S1") < html.index("S-N1")
    assert '<td class="num">240</td>' in html
    assert '<td class="num">25</td>' in html
