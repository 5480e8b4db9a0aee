"""A published FY2019 plan with easy numbers for the quota relief tests.

The company of ``tests/conftest.py`` plus two more people in the north team, so the team
has four: ``N-T1``: S-N1 (``rep``), S-N2, S-N3, S-N4; ``S-T1``: S-S1 (``south_rep``).
The plan covers two leaf lines, FUR-CH and TEC-PH; every month of 2019 each person has::

    person  FUR-CH   TEC-PH   a month   the year
    S-N1   1000.00   500.00   1500.00   18000.00
    S-N2    600.00   300.00    900.00   10800.00
    S-N3    400.00   200.00    600.00    7200.00
    S-N4    200.00   100.00    300.00    3600.00
    S-S1   2000.00  1000.00   3000.00   36000.00
    total                     6300.00   75600.00   (the plan total)
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db.models import Sum
from django.utils import timezone

from allocation.models import CellConstraint, Plan, TargetCell
from tests.factories import SalespersonFactory, UserFactory

MONTHLY = {
    "S-N1": ("1000.00", "500.00"),
    "S-N2": ("600.00", "300.00"),
    "S-N3": ("400.00", "200.00"),
    "S-N4": ("200.00", "100.00"),
    "S-S1": ("2000.00", "1000.00"),
}
YEAR_TOTAL = Decimal("75600.00")  # (1500 + 900 + 600 + 300 + 3000) × 12


def relief_company(company):
    """Add S-N3 and S-N4 (S-N4 logs in as ``north_four``) to the north team."""
    company.n3 = SalespersonFactory(code="S-N3", name="Nina North", org_unit=company.north_team)
    user = UserFactory(username="north_four")
    company.users["north_four"] = user
    company.n4 = SalespersonFactory(
        code="S-N4", name="Noel North", org_unit=company.north_team, user=user
    )
    return company


def published_plan(company, *, name="FY2019", root=None, year=2019, **fields) -> Plan:
    """The published plan of the module docstring (a complete grid, 12 months)."""
    people = {
        "S-N1": company.rep,
        "S-N2": company.north_peer,
        "S-N3": company.n3,
        "S-N4": company.n4,
        "S-S1": company.south_rep,
    }
    plan = Plan.objects.create(
        name=name,
        fiscal_year=year,
        root_org_unit=root or company.root,
        status=Plan.Status.PUBLISHED,
        published_at=timezone.now(),
        allocated_at=timezone.now(),
        total_amount=YEAR_TOTAL,
        currency="CNY",
        **fields,
    )
    plan.product_lines.set([company.chairs, company.phones])
    plan.salespeople.set(people.values())
    TargetCell.objects.bulk_create(
        TargetCell(
            plan=plan,
            salesperson=people[code],
            product_line=line,
            month=dt.date(year, month, 1),
            amount=Decimal(amount),
        )
        for code, amounts in MONTHLY.items()
        for line, amount in zip((company.chairs, company.phones), amounts, strict=True)
        for month in range(1, 13)
    )
    return plan


def lock(plan, *, salesperson=None, org_unit=None, product_line=None, period="year", **bounds):
    return CellConstraint.objects.create(
        plan=plan,
        salesperson=salesperson,
        org_unit=org_unit,
        product_line=product_line,
        period=period,
        locked=not bounds,
        min_amount=bounds.get("min_amount"),
        max_amount=bounds.get("max_amount"),
    )


def target(plan, **filters) -> Decimal:
    """The sum of the plan's leaves matching ORM filters (exact, 2 places)."""
    total = TargetCell.objects.filter(plan=plan, **filters).aggregate(s=Sum("amount"))["s"]
    return Decimal(total or 0).quantize(Decimal("0.01"))


def cell(plan, code, line, month) -> Decimal:
    return target(plan, salesperson__code=code, product_line=line, month=dt.date(2019, month, 1))


def assert_parents_add_up(plan) -> None:
    """Every stored figure is a leaf, so check the plan total and the org sums against them."""
    plan.refresh_from_db()
    assert target(plan) == plan.total_amount
    north = target(plan, salesperson__org_unit__path__startswith=plan.root_org_unit.path)
    assert north == plan.total_amount
