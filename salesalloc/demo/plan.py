"""The demo's FY2019 target plan, published so the dashboard can show target against actual.

Called by the demo loader once the Superstore orders are imported and the actuals refreshed:
the total is the company's 2018 actuals + 10 % (rounded to the dollar), split by each node's
share of the 2016-2018 actuals (org tree and product lines) with the 2016-2018 monthly
profile of each product line. The plan carries two measure plans allocated the same way from
their own history: units sold (2018 + 10 %, whole units) and gross margin (Superstore's
Profit, 2018 + 10 %). Then the three are submitted, approved and published together.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import DecimalField

from allocation.measures import actual_expression
from allocation.models import ActualCell, OrgUnit, Plan
from allocation.services import (
    measure_plan_create,
    plan_allocate,
    plan_approve,
    plan_create,
    plan_publish,
    plan_submit,
)
from salesalloc.core.money import MoneySum
from salesalloc.demo import COMPANY_CODE

FISCAL_YEAR = 2019
GROWTH = Decimal("1.10")
PLAN_NAME = "FY2019 sales targets"
MEASURES = (Plan.Measure.QUANTITY, Plan.Measure.GROSS_MARGIN)
_SUM = DecimalField(max_digits=18, decimal_places=4)
BASE = {"base_from": "2016-01", "base_to": "2018-12"}
METHODS = {
    "org": {"method": "historical", **BASE},
    "product_line": {"method": "historical", **BASE},
    "seasonality": {"method": "historical", "base_years": 3},
    "country": "CN",
}


def demo_plan_total(*, root: OrgUnit, measure: str = Plan.Measure.REVENUE) -> Decimal:
    """The company's 2018 actuals of ``measure`` + 10 %, rounded to the dollar (or unit)."""
    actual = ActualCell.objects.filter(
        month__year=FISCAL_YEAR - 1, salesperson__org_unit__path__startswith=root.path
    ).aggregate(total=MoneySum(actual_expression(measure), output_field=_SUM))["total"]
    return (Decimal(actual or 0) * GROWTH).quantize(Decimal(1), rounding=ROUND_HALF_UP)


@transaction.atomic
def demo_plan_create(*, actor: AbstractBaseUser | None) -> Plan:
    """Create, allocate and publish the demo's FY2019 plan; return the existing one if any.

    Idempotent: a second call returns the published plan already there.
    """
    root = OrgUnit.objects.get(code=COMPANY_CODE)
    existing = (
        Plan.objects.filter(
            root_org_unit=root,
            fiscal_year=FISCAL_YEAR,
            name=PLAN_NAME,
            scenario_of__isnull=True,
            status=Plan.Status.PUBLISHED,
        )
        .order_by("-version")
        .first()
    )
    if existing is not None:
        return existing
    plan = plan_create(
        name=PLAN_NAME,
        fiscal_year=FISCAL_YEAR,
        start_month=1,
        currency="USD",  # the Superstore orders are in US dollars
        total_amount=demo_plan_total(root=root),
        root_org_unit=root,
        method_config=METHODS,
        actor=actor,
    )
    plan = plan_allocate(plan=plan, actor=actor)
    for measure in MEASURES:
        child = measure_plan_create(
            plan=plan,
            measure=measure,
            total_amount=demo_plan_total(root=root, measure=measure),
            actor=actor,
        )
        plan_allocate(plan=child, actor=actor)
    plan = plan_submit(plan=plan, actor=actor, comment="Demo: 2018 actuals + 10 %.")
    # One demo administrator does it all, so the four-eyes rule is overridden, openly.
    plan = plan_approve(plan=plan, actor=actor, override_four_eyes=True)
    return plan_publish(plan=plan, actor=actor)
