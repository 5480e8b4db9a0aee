"""The demo's incentives: a 2019 scorecard template, a commission plan, a Q4 marketing pool."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.contrib.auth.models import AbstractBaseUser

from allocation.models import Plan, ProductLine
from performance.commissions.models import CommissionPlan
from performance.commissions.services import commission_plan_create
from performance.costs.models import CostPool
from performance.costs.services import cost_pool_create
from performance.scorecards.models import Kpi, ScorecardTemplate
from performance.scorecards.services import kpi_library_ensure, scorecard_template_create

COMMISSION_PLAN_NAME = "2019 sales commission"
SCORECARD_NAME = "2019 sales scorecard"
POOL_NAME = "Q4 2019 marketing"
SPIF_LINE = "FUR-CH"  # chairs: an extra 3 % on chairs sold in Q3 2019


def demo_incentives_create(*, plan: Plan, actor: AbstractBaseUser | None) -> None:
    """Create the demo's scorecards, commission statements and marketing pool (idempotent)."""
    kpi_library_ensure()
    kpis = {kpi.code: kpi for kpi in Kpi.objects.all()}
    if not ScorecardTemplate.objects.filter(name=SCORECARD_NAME).exists():
        scorecard_template_create(
            name=SCORECARD_NAME,
            year=2019,
            period="quarter",
            peer_group=ScorecardTemplate.PeerGroup.TEAM,
            target_plan=plan,
            items=[
                {"kpi": kpis["revenue"], "weight": Decimal(50), "cap": Decimal("1.2")},
                {
                    "kpi": kpis["new_customers"],
                    "weight": Decimal(20),
                    "rule": "bands",
                    "target": Decimal(4),
                    "bands": [
                        {"from": "0.5", "points": "60"},
                        {"from": "1", "points": "100"},
                        {"from": "1.5", "points": "120"},
                    ],
                },
                {
                    "kpi": kpis["aov"],
                    "weight": Decimal(15),
                    "target": Decimal(250),
                    "cap": Decimal("1.2"),
                },
                {
                    "kpi": kpis["retention"],
                    "weight": Decimal(15),
                    "target": Decimal("0.3"),
                    "cap": Decimal("1.2"),
                },
            ],
            actor=actor,
        )
    if not CommissionPlan.objects.filter(name=COMMISSION_PLAN_NAME).exists():
        commission_plan_create(
            name=COMMISSION_PLAN_NAME,
            target_plan=plan,
            period="quarter",
            mode="marginal",
            brackets=[
                {"from": "0", "rate": "0.02"},
                {"from": "0.8", "rate": "0.04"},
                {"from": "1", "rate": "0.06"},
            ],
            cap=Decimal("3000.00"),
            spifs=[
                {
                    "product_line": ProductLine.objects.get(code=SPIF_LINE),
                    "kind": "rate",
                    "value": Decimal("0.03"),
                    "start_date": dt.date(2019, 7, 1),
                    "end_date": dt.date(2019, 9, 30),
                }
            ],
            actor=actor,
        )
    if not CostPool.objects.filter(name=POOL_NAME).exists():
        cost_pool_create(
            name=POOL_NAME,
            amount=Decimal("25000.00"),
            period="2019-Q4",
            driver=CostPool.Driver.REVENUE,
            dimension=CostPool.Dimension.ORG_UNIT,
            description="Trade shows and online ads, shared by the regions' Q4 revenue.",
            actor=actor,
        )
