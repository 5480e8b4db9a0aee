"""Cost pools and the contribution margin over customer tiers (the rule tiers of the latest
succeeded snapshot; drivers from its customers' order lines in the pool's period)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from customers.tiers.models import TierRule, TierRun
from performance.costs.models import CostPool
from performance.costs.services import cost_pool_create
from tests.factories import CustomerFactory
from tests.performance.costs.test_cost_pools import sale
from tests.performance.tier_snapshots import snapshot

pytestmark = pytest.mark.django_db

POOLS = "/api/v1/cost-pools/"


@pytest.fixture
def tiered(company):
    gold, silver, plain, newcomer = (CustomerFactory() for _ in range(4))
    # gold: two orders 300 (cost 100) + 100 (cost 40); silver: 200 (cost 150);
    # plain (no rule tier): 500; newcomer (not in the snapshot): 700; gold out of Q4: 999
    sale(company.rep, company.chairs, "300.00", "100.00", customer=gold)
    sale(company.south_rep, company.phones, "100.00", "40.00", customer=gold)
    sale(company.south_rep, company.chairs, "200.00", "150.00", customer=silver)
    sale(company.rep, company.chairs, "500.00", "0", customer=plain)
    sale(company.rep, company.chairs, "700.00", "0", customer=newcomer)
    sale(company.rep, company.chairs, "999.00", "0", day="2019-06-01", customer=gold)
    TierRule.objects.create(position=1, code="gold", name="Gold")
    TierRule.objects.create(position=2, code="silver", name="Silver")
    # an older snapshot put everyone in silver, a newer failed one in gold: neither counts
    snapshot(dt.date(2019, 9, 1), dict.fromkeys((gold, silver, plain), ("loyal", "A", "silver")))
    snapshot(
        dt.date(2020, 1, 5),
        dict.fromkeys((gold, silver, plain), ("loyal", "A", "gold")),
        status=TierRun.Status.FAILED,
    )
    snapshot(
        dt.date(2020, 1, 1),
        {
            gold: ("champions", "A", "gold"),
            silver: ("loyal", "B", "silver"),
            plain: ("new", "C", ""),
        },
    )
    return gold, silver


def split(driver, weights=None, amount="90.00"):
    pool = cost_pool_create(
        name=driver,
        amount=Decimal(amount),
        period="2019-Q4",
        driver=driver,
        dimension="tier",
        weights=weights,
    )
    return {line.key: line.amount for line in pool.lines.all()}


def test_tier_pool_by_each_driver(tiered):
    # revenue: gold 400, silver 200 → 60 / 30
    assert split("revenue") == {"gold": Decimal("60.00"), "silver": Decimal("30.00")}
    # margin: gold 260, silver 50; 9000 × 260/310 = 7548.39, × 50/310 = 1451.61 → cent to silver
    assert split("margin") == {"gold": Decimal("75.48"), "silver": Decimal("14.52")}
    # orders: gold 2, silver 1; customers: 1 and 1
    assert split("orders") == {"gold": Decimal("60.00"), "silver": Decimal("30.00")}
    assert split("customers") == {"gold": Decimal("45.00"), "silver": Decimal("45.00")}
    assert split("equal", amount="0.01") == {"gold": Decimal("0.01"), "silver": Decimal("0.00")}
    assert split("manual", weights={"gold": Decimal("1"), "silver": Decimal("2")}) == {
        "gold": Decimal("30.00"),
        "silver": Decimal("60.00"),
    }
    pool = CostPool.objects.get(name="revenue")
    assert {line.key: line.name for line in pool.lines.all()} == {
        "gold": "Gold",
        "silver": "Silver",
    }
    assert pool.lines.get(key="gold").driver_value == Decimal("400")


def test_a_later_snapshot_without_rule_tiers_is_skipped(tiered):
    # given today's automatic snapshot, made with no customer in its window (or before the
    # rules existed), later than the one that assigns tiers
    snapshot(dt.date(2026, 11, 30), {}, daily=True)

    # then the split still uses the tiers of the 2020-01-01 snapshot
    assert split("revenue") == {"gold": Decimal("60.00"), "silver": Decimal("30.00")}


def test_tier_refusals_name_the_field_and_store_nothing(company, tiered):
    with pytest.raises(ValidationError) as headcount:
        split("headcount")
    assert "driver" in headcount.value.message_dict
    with pytest.raises(ValidationError) as unknown:
        split("manual", weights={"bronze": Decimal("1")})
    assert "weights" in unknown.value.message_dict
    assert not CostPool.objects.exists()


def test_no_snapshot_is_a_400_on_dimension(company, client_as):
    body = {
        "name": "Q4",
        "amount": "10",
        "period": "2019-Q4",
        "driver": "equal",
        "dimension": "tier",
    }
    response = client_as("admin").post(POOLS, body, format="json")
    assert response.status_code == 400
    assert "dimension" in response.json()["fields"]
    report = client_as("admin").get(
        "/api/v1/contribution-margin/", {"period": "2019-Q4", "dimension": "tier"}
    )
    assert report.status_code == 400


def test_api_and_contribution_margin_by_tier(company, client_as, client, tiered):
    body = {
        "name": "Q4",
        "amount": "1000.01",
        "period": "2019-Q4",
        "driver": "revenue",
        "dimension": "tier",
    }
    response = client_as("admin").post(POOLS, body, format="json")
    assert response.status_code == 201, response.json()
    # 100001 × 2/3 = 66667.33, × 1/3 = 33333.67: the leftover cent to silver (.67)
    assert response.json()["lines"] == [
        {"key": "gold", "amount": "666.67"},
        {"key": "silver", "amount": "333.34"},
    ]
    url = "/api/v1/contribution-margin/"
    rows = client_as("admin").get(url, {"period": "2019-Q4", "dimension": "tier"}).json()
    assert [
        (r["key"], r["revenue"], r["allocated_cost"], r["contribution"]) for r in rows["results"]
    ] == [
        ("gold", "400.00", "666.67", "-406.67"),
        ("silver", "200.00", "333.34", "-283.34"),
    ]
    assert (
        client_as("manager").get(url, {"period": "2019-Q4", "dimension": "tier"}).status_code == 403
    )

    client.force_login(company.users["admin"])
    page = client.get(reverse("contribution-margin"), {"period": "2019-Q4", "dimension": "tier"})
    html = page.content.decode()
    assert 'data-key="gold"' in html
    assert '<option value="tier" selected>' in html
