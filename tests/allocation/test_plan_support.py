"""Helpers shared by the plan tests: plain functions over the ``company`` fixture.

The company (``tests/conftest.py``)::

    ACME ─ NORTH (manager) ─ N-T1 ─ S-N1 (rep), S-N2
         └ SOUTH (other_manager) ─ S-T1 ─ S-S1 (south_rep)
    product lines: FUR ─ FUR-CH, FUR-TA;  TEC ─ TEC-PH   (three leaves)

``EQUAL`` methods make the numbers easy to follow: 36,000.00 splits 18,000 per region,
9,000 per northern salesperson and 18,000 for S-S1, 1/3 per leaf line, 1/12 per month.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pandas as pd
import pytest
from django.db.models import Sum

from allocation.models import ActualCell, Plan, TargetCell
from allocation.services import plan_allocate, plan_create

EQUAL = {
    "org": {"method": "equal"},
    "product_line": {"method": "equal"},
    "seasonality": {"method": "uniform"},
}
MONTHS_2019 = [f"2019-{m:02d}" for m in range(1, 13)]

# Monthly actuals per (salesperson, product line) in the base years: 2:1 north, S-S1 biggest.
HISTORY = {
    ("rep", "chairs"): Decimal("100"),
    ("rep", "phones"): Decimal("50"),
    ("north_peer", "tables"): Decimal("75"),
    ("south_rep", "chairs"): Decimal("200"),
    ("south_rep", "phones"): Decimal("100"),
}


def add_actuals(company, years=(2018,), history=HISTORY, season=None) -> None:
    """Monthly actual cells for the company (``season``: 12 multipliers, default flat)."""
    rows = []
    for year in years:
        for (person, line), amount in history.items():
            for month in range(1, 13):
                factor = Decimal(season[month - 1]) if season else Decimal(1)
                rows.append(
                    ActualCell(
                        salesperson=getattr(company, person),
                        product_line=getattr(company, line),
                        month=dt.date(year, month, 1),
                        amount=amount * factor,
                    )
                )
    ActualCell.objects.bulk_create(rows)


def make_plan(company, *, total="36000.00", methods=None, actor="admin", allocate=True, **kwargs):
    plan = plan_create(
        name=kwargs.pop("name", "FY2019"),
        fiscal_year=kwargs.pop("fiscal_year", 2019),
        total_amount=Decimal(total),
        method_config=EQUAL if methods is None else methods,
        actor=company.users[actor],
        **kwargs,
    )
    if allocate:
        plan = plan_allocate(plan=plan, actor=company.users[actor])
    return plan


def leaves(plan: Plan) -> pd.DataFrame:
    """The plan's leaves as codes: salesperson, product_line, month (YYYY-MM), amount."""
    rows = TargetCell.objects.filter(plan=plan).values_list(
        "salesperson__code", "product_line__code", "month", "amount"
    )
    frame = pd.DataFrame(list(rows), columns=["salesperson", "product_line", "month", "amount"])
    frame["month"] = [f"{m:%Y-%m}" for m in frame["month"]]
    frame["amount"] = [Decimal(a).quantize(Decimal("0.01")) for a in frame["amount"]]
    return frame.sort_values(["salesperson", "product_line", "month"]).reset_index(drop=True)


def amount(plan: Plan, **filters) -> Decimal:
    """Sum of the plan's leaves matching ORM filters (exact, 2 places)."""
    total = TargetCell.objects.filter(plan=plan, **filters).aggregate(s=Sum("amount"))["s"]
    return Decimal(total or 0).quantize(Decimal("0.01"))


def by(plan: Plan, column: str) -> dict[str, Decimal]:
    frame = leaves(plan)
    return {key: sum(group["amount"], Decimal(0)) for key, group in frame.groupby(column)}


@pytest.mark.django_db
def test_equal_methods_give_the_documented_numbers(company):
    plan = make_plan(company)

    assert by(plan, "salesperson") == {
        "S-N1": Decimal("9000.00"),
        "S-N2": Decimal("9000.00"),
        "S-S1": Decimal("18000.00"),
    }
    assert set(leaves(plan).query("salesperson == 'S-N1'")["amount"]) == {Decimal("250.00")}


CENT = Decimal("0.01")


def cents(value: Decimal) -> int:
    """An amount as whole cents."""
    return int(value * 100)
