"""Cost pools over org units and product lines, the API, the contribution-margin page."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from customers.services import order_actuals_refresh
from performance.costs.services import cost_pool_create
from tests.factories import CustomerFactory, OrderFactory, OrderLineFactory

pytestmark = pytest.mark.django_db

POOLS = "/api/v1/cost-pools/"


def sale(person, product_line, amount, cost, day="2019-11-05", customer=None):
    order = OrderFactory(
        order_date=dt.date.fromisoformat(day), customer=customer or CustomerFactory()
    )
    OrderLineFactory(
        order=order,
        salesperson=person,
        product_line=product_line,
        amount=Decimal(amount),
        cost=Decimal(cost),
    )
    order_actuals_refresh(salesperson_ids=[person.pk])


@pytest.fixture
def sales(company):
    sale(company.rep, company.chairs, "300.00", "100.00")
    sale(company.north_peer, company.phones, "100.00", "40.00")
    sale(company.south_rep, company.chairs, "200.00", "150.00")
    sale(company.south_rep, company.chairs, "999.00", "0", day="2019-06-01")  # outside Q4


def lines(pool):
    return {line.key: line.amount for line in pool.lines.all()}


def test_pool_by_revenue_over_regions(company, sales):
    pool = cost_pool_create(
        name="Q4 marketing",
        amount=Decimal("1000.01"),
        period="2019-Q4",
        driver="revenue",
        dimension="org_unit",
    )
    # NORTH 400, SOUTH 200: 100001 × 2/3 = 66667.33, × 1/3 = 33333.67 → leftover cent to SOUTH
    assert lines(pool) == {"NORTH": Decimal("666.67"), "SOUTH": Decimal("333.34")}
    assert pool.lines.get(key="NORTH").driver_value == Decimal("400")


def test_pool_by_margin_orders_customers_headcount_equal_manual(company, sales):
    def split(driver, dimension="org_unit", weights=None):
        return lines(
            cost_pool_create(
                name=driver,
                amount=Decimal("90.00"),
                period="2019-Q4",
                driver=driver,
                dimension=dimension,
                weights=weights,
            )
        )

    # margin: NORTH (300−100)+(100−40) = 260, SOUTH 200−150 = 50
    # 9000 × 260/310 = 7548.39, × 50/310 = 1451.61: floors leave 1 cent → SOUTH (.61)
    assert split("margin") == {"NORTH": Decimal("75.48"), "SOUTH": Decimal("14.52")}
    # orders: NORTH 2, SOUTH 1 → 60 / 30
    assert split("orders") == {"NORTH": Decimal("60.00"), "SOUTH": Decimal("30.00")}
    assert split("customers") == {"NORTH": Decimal("60.00"), "SOUTH": Decimal("30.00")}
    # headcount: NORTH 2 people, SOUTH 1
    assert split("headcount") == {"NORTH": Decimal("60.00"), "SOUTH": Decimal("30.00")}
    assert split("equal") == {"NORTH": Decimal("45.00"), "SOUTH": Decimal("45.00")}
    assert split("manual", weights={"NORTH": Decimal("70"), "SOUTH": Decimal("30")}) == {
        "NORTH": Decimal("63.00"),
        "SOUTH": Decimal("27.00"),
    }
    # revenue by product line: FUR 500, TEC 100 → 75 / 15
    assert split("revenue", "product_line") == {"FUR": Decimal("75.00"), "TEC": Decimal("15.00")}


def test_refusals_change_nothing(company, sales):
    from performance.costs.models import CostPool

    with pytest.raises(ValidationError, match="tier snapshot"):  # none succeeded yet
        cost_pool_create(
            name="t", amount=Decimal(1), period="2019", driver="equal", dimension="tier"
        )
    with pytest.raises(ValidationError):
        cost_pool_create(
            name="h", amount=Decimal(1), period="2019", driver="headcount", dimension="product_line"
        )
    with pytest.raises(ValidationError):
        cost_pool_create(
            name="p", amount=Decimal(1), period="2019-13", driver="equal", dimension="org_unit"
        )
    with pytest.raises(ValidationError):
        cost_pool_create(
            name="m",
            amount=Decimal(1),
            period="2019",
            driver="manual",
            dimension="org_unit",
            weights={"NOWHERE": Decimal(1)},
        )
    assert not CostPool.objects.exists()


def test_negative_margin_is_an_error_naming_the_key(company):
    sale(company.south_rep, company.chairs, "100.00", "180.00")
    sale(company.rep, company.chairs, "100.00", "10.00")
    with pytest.raises(ValidationError, match="SOUTH"):
        cost_pool_create(
            name="m", amount=Decimal(1), period="2019-Q4", driver="margin", dimension="org_unit"
        )


def test_api_creates_a_pool_with_exact_lines(company, client_as, sales):
    body = {
        "name": "Q4",
        "amount": "1000.01",
        "period": "2019-Q4",
        "driver": "revenue",
        "dimension": "org_unit",
    }
    response = client_as("admin").post(POOLS, body, format="json")
    assert response.status_code == 201, response.json()
    assert response.json() == {
        "id": response.json()["id"],
        "name": "Q4",
        "amount": "1000.01",
        "period": "2019-Q4",
        "driver": "revenue",
        "dimension": "org_unit",
        "lines": [{"key": "NORTH", "amount": "666.67"}, {"key": "SOUTH", "amount": "333.34"}],
    }


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("amount", "NaN"),
        ("amount", "1e400"),
        ("amount", "-1"),
        ("period", "Q4"),
        ("dimension", "tier"),  # no tier snapshot yet
        ("driver", "vibes"),
        ("weights", {"NORTH": "-1"}),
    ],
)
def test_api_bad_input_is_400(company, client_as, sales, field, value):
    body = {
        "name": "Q4",
        "amount": "10",
        "period": "2019-Q4",
        "driver": "manual",
        "dimension": "org_unit",
        "weights": {"NORTH": "1"},
    }
    body[field] = value
    response = client_as("admin").post(POOLS, body, format="json")
    assert response.status_code == 400
    assert field in response.json()["fields"]


def test_api_access(company, client_as, api_client, sales):
    cost_pool_create(
        name="Q4", amount=Decimal("90"), period="2019-Q4", driver="equal", dimension="org_unit"
    )
    body = {
        "name": "x",
        "amount": "1",
        "period": "2019",
        "driver": "equal",
        "dimension": "org_unit",
    }
    assert client_as("manager").post(POOLS, body, format="json").status_code == 403
    assert client_as("rep").get(POOLS).status_code == 403
    assert api_client.get(POOLS).status_code == 401
    # a manager sees only the lines of their own region
    rows = client_as("manager").get(POOLS).json()["results"]
    assert rows[0]["lines"] == [{"key": "NORTH", "amount": "45.00"}]
    assert len(client_as("admin").get(POOLS).json()["results"][0]["lines"]) == 2


def test_contribution_margin_api_and_scope(company, client_as, sales):
    cost_pool_create(
        name="Q4", amount=Decimal("90"), period="2019-Q4", driver="equal", dimension="org_unit"
    )
    url = "/api/v1/contribution-margin/"
    body = client_as("admin").get(url, {"period": "2019-Q4", "dimension": "org_unit"}).json()
    # NORTH: 400 − 140 − 45 = 215 (53.75 %); SOUTH: 200 − 150 − 45 = 5 (2.5 %)
    assert body["results"] == [
        {
            "key": "NORTH",
            "revenue": "400.00",
            "cost_of_goods": "140.00",
            "allocated_cost": "45.00",
            "contribution": "215.00",
            "margin": "0.5375",
        },
        {
            "key": "SOUTH",
            "revenue": "200.00",
            "cost_of_goods": "150.00",
            "allocated_cost": "45.00",
            "contribution": "5.00",
            "margin": "0.0250",
        },
    ]
    manager = client_as("manager").get(url, {"period": "2019-Q4"}).json()
    assert [row["key"] for row in manager["results"]] == ["NORTH"]
    assert (
        client_as("manager")
        .get(url, {"period": "2019-Q4", "dimension": "product_line"})
        .status_code
        == 403
    )
    assert client_as("rep").get(url, {"period": "2019-Q4"}).status_code == 403
    assert (
        client_as("admin").get(url, {"period": "2019-Q4", "dimension": "nope"}).status_code == 400
    )


def test_contribution_page_scope_chart_and_export(client, company, sales):
    cost_pool_create(
        name="Q4", amount=Decimal("90"), period="2019-Q4", driver="equal", dimension="org_unit"
    )
    url = reverse("contribution-margin")
    client.force_login(company.users["manager"])
    page = client.get(url, {"period": "2019-Q4"}).content.decode()
    assert 'data-key="NORTH"' in page
    assert 'data-key="SOUTH"' not in page
    assert 'id="chart-data"' in page
    csv_text = b"".join(
        client.get(url, {"period": "2019-Q4", "format": "csv"}).streaming_content
    ).decode("utf-8-sig")
    assert "NORTH,North,400.00,140.00,45.00,215.00" in csv_text
    assert "SOUTH" not in csv_text
    client.force_login(company.users["rep"])
    assert client.get(url).status_code == 403
    client.force_login(company.users["admin"])
    zh = client.get(url, {"period": "2019-Q4"}, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "贡献毛利" in zh
