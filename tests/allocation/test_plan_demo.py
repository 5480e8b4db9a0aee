"""The demo's FY2019 plan (salesalloc.demo.plan): 2018 actuals + 10 %, historical, published."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db.models import Sum

from allocation.models import ActualCell, OrgUnit, Plan, TargetCell
from salesalloc.demo.plan import demo_draft_plan_create, demo_plan_create
from tests.factories import OrgUnitFactory, ProductLineFactory, SalespersonFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_the_demo_plan_is_last_years_actuals_plus_ten_percent_and_published():
    admin = UserFactory(username="admin", is_superuser=True)
    root = OrgUnitFactory(code="SUPERSTORE", kind=OrgUnit.Kind.COMPANY, currency="USD")
    west = OrgUnitFactory(code="WEST", kind=OrgUnit.Kind.REGION, parent=root)
    people = [SalespersonFactory(code=f"W0{i}", org_unit=west) for i in (1, 2)]
    furniture = ProductLineFactory(code="FUR")
    lines = [ProductLineFactory(code=c, parent=furniture) for c in ("FUR-BO", "FUR-CH")]
    rows = [
        ActualCell(salesperson=person, product_line=line, month=dt.date(year, month, 1),
                   amount=Decimal("100.0455") * (i + 1) * (j + 1),
                   cost=Decimal("40.0455") * (i + 1) * (j + 1),
                   quantity=Decimal(3) * (i + 1) * (j + 1))
        for year in (2016, 2017, 2018, 2019)
        for month in range(1, 13)
        for i, person in enumerate(people)
        for j, line in enumerate(lines)
    ]  # fmt: skip
    ActualCell.objects.bulk_create(rows)

    plan = demo_plan_create(actor=admin)

    # 2018: 12 x 100.0455 x (1 + 2 + 2 + 4) = 10,804.914; + 10 % = 11,885.4054 -> 11,885.
    assert (plan.status, plan.fiscal_year, plan.start_month) == ("published", 2019, 1)
    assert plan.total_amount == Decimal("11885.00")
    assert TargetCell.objects.filter(plan=plan).aggregate(s=Sum("amount"))["s"] == Decimal("11885")
    assert plan.method_config["org"]["base_from"] == "2016-01"
    assert plan.method_config["seasonality"] == {"method": "historical", "base_years": 3}
    assert plan.published_by == admin
    # W02 sold twice as much as W01: two thirds of the plan.
    w02 = TargetCell.objects.filter(plan=plan, salesperson=people[1]).aggregate(s=Sum("amount"))
    assert w02["s"] == Decimal("7923.33")
    assert demo_plan_create(actor=admin) == plan
    # The measure plans, published with it: units 2018 = 12 x 3 x 9 = 324; + 10 % = 356.4
    # -> 356 whole units. Margin 2018 = 12 x (100.0455 - 40.0455) x 9 = 6,480; + 10 % = 7,128.
    quantity, margin = plan.measures.order_by("pk")
    assert (quantity.measure, quantity.status, quantity.total_amount) == (
        "quantity",
        "published",
        Decimal("356.00"),
    )
    assert (margin.measure, margin.status, margin.total_amount) == (
        "gross_margin",
        "published",
        Decimal("7128.00"),
    )
    units = list(TargetCell.objects.filter(plan=quantity).values_list("amount", flat=True))
    assert sum(units) == Decimal(356)
    assert all(amount == amount.to_integral_value() for amount in units)
    # W02 has 6 of the 9 weights: 356 x 2/3 = 237.33 -> 237; W01 118.67 -> 118 + the leftover
    # unit (the larger remainder) = 119.
    w02_units = TargetCell.objects.filter(plan=quantity, salesperson=people[1])
    assert w02_units.aggregate(s=Sum("amount"))["s"] == Decimal(237)
    assert Plan.objects.count() == 3

    assert plan.currency == "USD"  # the company's, on its top unit

    draft = demo_draft_plan_create(actor=admin)

    # 2019: 10,804.914 again; + 10 % -> 11,885; split by 2017-2019, left a draft
    assert (draft.status, draft.fiscal_year, draft.currency) == ("draft", 2020, "USD")
    assert draft.total_amount == Decimal("11885.00")
    assert TargetCell.objects.filter(plan=draft).aggregate(s=Sum("amount"))["s"] == Decimal("11885")
    assert draft.method_config["org"]["base_from"] == "2017-01"
    assert demo_draft_plan_create(actor=admin) == draft
    assert Plan.objects.count() == 4  # the draft has no measure plans
