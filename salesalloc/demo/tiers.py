"""The demo's customer tiers: rule tiers with service plans and the 2019 snapshots.

Superstore's orders run from 2016-01-03 to 2019-12-30. Snapshots as of the first day of
each quarter of 2019 and one as of 2020-01-01 (each over the preceding 365 days) give the
migration matrix content on first start: who moved from A to B, from Champions to At risk,
from Key account to Win back during 2019.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.contrib.auth.models import AbstractBaseUser

from customers.tiers.models import TierRule, TierRun
from customers.tiers.services import (
    tier_rule_create,
    tier_run_compute,
    tier_run_create,
    tier_settings_update,
)

SNAPSHOT_DATES = [
    dt.date(2019, 1, 1),
    dt.date(2019, 4, 1),
    dt.date(2019, 7, 1),
    dt.date(2019, 10, 1),
    dt.date(2020, 1, 1),
]
WINDOW_DAYS = 365

RULES: list[dict] = [
    {
        "code": "key-account",
        "name": "Key account",
        "abc": ["A"],
        "segments": ["champions", "loyal", "potential_loyalist"],
        "discount_policy": "8 % on every order; free shipping",
        "visit_frequency": "Monthly visit",
        "service_owner": "Key account team",
    },
    {
        "code": "win-back",
        "name": "Win back",
        "abc": ["A", "B"],
        "segments": ["at_risk", "cant_lose", "about_to_sleep", "hibernating"],
        "discount_policy": "10 % comeback coupon",
        "visit_frequency": "Call within 2 weeks",
        "service_owner": "Account owner",
    },
    {
        "code": "growth",
        "name": "Growth",
        "abc": ["A", "B"],
        "discount_policy": "5 % above 1,000 per order",
        "visit_frequency": "Quarterly visit",
        "service_owner": "Account owner",
    },
    {
        "code": "active",
        "name": "Active",
        "recency_max": 180,
        "discount_policy": "List price; seasonal promotions",
        "visit_frequency": "Call twice a year",
        "service_owner": "Inside sales",
    },
    {
        "code": "standard",
        "name": "Standard",
        "discount_policy": "List price",
        "visit_frequency": "E-mail newsletter",
        "service_owner": "Inside sales",
    },
]


def demo_tiers_create(*, actor: AbstractBaseUser | None = None) -> list[TierRun]:
    """Create the demo's rules and settings, then compute the 2019 snapshots here."""
    tier_settings_update(
        window_days=WINDOW_DAYS, abc_a=Decimal("0.80"), abc_b=Decimal("0.95"), actor=actor
    )
    if not TierRule.objects.exists():
        for rule in RULES:
            tier_rule_create(**rule, actor=actor)
    runs = []
    for day in SNAPSHOT_DATES:
        run = tier_run_create(
            as_of=day, window_days=WINDOW_DAYS, kind=TierRun.Kind.DEMO, actor=actor, enqueue=False
        )
        runs.append(tier_run_compute(run=run))
    return runs
