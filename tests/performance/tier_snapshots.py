"""Hand-made customer tier snapshots (TierRun + CustomerTier rows) for performance tests."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from customers.tiers.models import CustomerTier, TierRun


def snapshot(
    as_of: dt.date, rows: dict, *, status: str = TierRun.Status.SUCCEEDED, daily: bool = False
) -> TierRun:
    """A run as of ``as_of`` whose rows give each customer ``(segment, abc, tier)``."""
    run = TierRun.objects.create(as_of=as_of, status=status, daily=daily, customers=len(rows))
    CustomerTier.objects.bulk_create(
        CustomerTier(
            run=run,
            customer=customer,
            last_order_date=as_of - dt.timedelta(days=1),
            recency_days=1,
            frequency=1,
            monetary=Decimal("1"),
            r=3,
            f=3,
            m=3,
            segment=segment,
            abc=abc,
            tier=tier,
        )
        for customer, (segment, abc, tier) in rows.items()
    )
    return run
