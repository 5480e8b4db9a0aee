"""The demo's plans: FY2019 published (target against actual) and FY2020 being drafted.

Called by the demo loader once the Superstore orders are imported and the actuals refreshed:
the FY2019 total is the company's 2018 actuals + 10 % (rounded to the dollar), split by
each node's share of the 2016-2018 actuals (org tree and product lines) with the 2016-2018
monthly profile of each product line. The plan carries two measure plans allocated the same
way from their own history: units sold (2018 + 10 %, whole units) and gross margin
(Superstore's Profit, 2018 + 10 %). Then the three are submitted, approved and published
together. The FY2020 draft (revenue) is split the same way from 2017-2019 and left a draft,
for managers to edit in the browser (keep the row's year or the month's total, undo, the
Excel round trip).
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import DecimalField

from allocation.measures import actual_expression
from allocation.models import ActualCell, OrgUnit, Plan
from allocation.selectors import company_currency
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
DRAFT_YEAR = 2020
GROWTH = Decimal("1.10")
PLAN_NAME = "FY2019 sales targets"
DRAFT_NAME = "FY2020 sales targets (draft)"
MEASURES = (Plan.Measure.QUANTITY, Plan.Measure.GROSS_MARGIN)
_SUM = DecimalField(max_digits=18, decimal_places=4)
BASE = {"base_from": "2016-01", "base_to": "2018-12"}
METHODS = {
    "org": {"method": "historical", **BASE},
    "product_line": {"method": "historical", **BASE},
    "seasonality": {"method": "historical", "base_years": 3},
    "country": "CN",
}


def demo_plan_total(
    *, root: OrgUnit, measure: str = Plan.Measure.REVENUE, year: int = FISCAL_YEAR
) -> Decimal:
    """The company's actuals of ``measure`` in the year before ``year`` + 10 %, rounded to
    the dollar (or unit)."""
    actual = ActualCell.objects.filter(
        month__year=year - 1, salesperson__org_unit__path__startswith=root.path
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
            measure_of__isnull=True,
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
        currency=company_currency(org_unit=root),  # USD: the demo company's
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


@transaction.atomic
def demo_draft_plan_create(*, actor: AbstractBaseUser | None) -> Plan:
    """Create and allocate the demo's FY2020 draft; return the existing one if any."""
    root = OrgUnit.objects.get(code=COMPANY_CODE)
    existing = Plan.objects.filter(
        root_org_unit=root,
        fiscal_year=DRAFT_YEAR,
        name=DRAFT_NAME,
        scenario_of__isnull=True,
        measure_of__isnull=True,
    ).first()
    if existing is not None:
        return existing
    base = {"base_from": "2017-01", "base_to": "2019-12"}
    plan = plan_create(
        name=DRAFT_NAME,
        fiscal_year=DRAFT_YEAR,
        start_month=1,
        currency=company_currency(org_unit=root),
        total_amount=demo_plan_total(root=root, year=DRAFT_YEAR),
        root_org_unit=root,
        method_config={
            **METHODS,
            "org": {"method": "historical", **base},
            "product_line": {"method": "historical", **base},
        },
        actor=actor,
    )
    return plan_allocate(plan=plan, actor=actor)
