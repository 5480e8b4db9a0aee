"""Writes for cost allocation: create a pool and split it exactly by its driver."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from allocation.models import OrgUnit
from performance.costs.engine import CostSplitError, pool_split
from performance.costs.models import CostPool, CostPoolLine
from performance.costs.selectors import (
    DimensionKeys,
    NoTierSnapshotError,
    dimension_keys,
    distinct_counts,
    headcount,
    revenue_and_cost,
)
from performance.periods import Period, parse_period
from salesalloc.core.money import from_cents, to_cents
from salesalloc.core.users import acting_user

NO_TIERS = gettext_lazy(
    "Customer tiers need a succeeded tier snapshot that assigns rule tiers: compute the tiers "
    "(with rule tiers defined) first."
)


def _driver_values(
    *, driver: str, keys: DimensionKeys, period: Period, weights: Mapping[str, Decimal]
) -> dict[str, Decimal]:
    """The weight of every key under ``driver`` (keys without activity weigh 0)."""
    base = dict.fromkeys(keys.names, Decimal(0))
    if driver == CostPool.Driver.EQUAL:
        return dict.fromkeys(keys.names, Decimal(1))
    if driver == CostPool.Driver.MANUAL:
        unknown = sorted(set(weights) - set(keys.names))
        if unknown:
            raise ValidationError(
                {"weights": _("Unknown keys: %(keys)s") % {"keys": ", ".join(unknown)}}
            )
        return {**base, **{k: Decimal(v) for k, v in weights.items()}}
    if driver in (CostPool.Driver.REVENUE, CostPool.Driver.MARGIN):
        revenue, cost = revenue_and_cost(keys=keys, period=period)
        if driver == CostPool.Driver.REVENUE:
            return {**base, **{k: v for k, v in revenue.items() if k in base}}
        return {
            **base,
            **{
                k: revenue.get(k, Decimal(0)) - cost.get(k, Decimal(0))
                for k in revenue
                if k in base
            },
        }
    if driver in (CostPool.Driver.ORDERS, CostPool.Driver.CUSTOMERS):
        column = "order_id" if driver == CostPool.Driver.ORDERS else "customer_id"
        counts = distinct_counts(keys=keys, period=period, column=column)
        return {**base, **{k: Decimal(v) for k, v in counts.items() if k in base}}
    if driver == CostPool.Driver.HEADCOUNT:
        counts = headcount(keys=keys)
        return {**base, **{k: Decimal(v) for k, v in counts.items() if k in base}}
    raise ValidationError({"driver": _("Unknown driver.")})


@transaction.atomic
def cost_pool_create(
    *,
    name: str,
    amount: Decimal,
    period: str,
    driver: str,
    dimension: str,
    weights: Mapping[str, Decimal] | None = None,
    parent: OrgUnit | None = None,
    description: str = "",
    actor: AbstractBaseUser | AnonymousUser | None = None,
) -> CostPool:
    """Create a pool and its lines: the amount split by the driver's values, exactly.

    Largest remainder on cents, ties to the lower key (DESIGN §3); the lines sum to the
    pool's amount to the cent. A negative driver value (e.g. a loss-making line under the
    margin driver) is an error naming the key, and nothing is stored.

    ``dimension="tier"`` splits over the rule tiers of the latest succeeded tier snapshot that
    assigns any:
    each of its customers counts in the tier the snapshot gave them (customers no rule
    matched are not allocated), and the drivers come from those customers' order lines in
    the pool's period. Headcount does not apply to tiers (an error on ``driver``).
    """
    if dimension == CostPool.Dimension.TIER and driver == CostPool.Driver.HEADCOUNT:
        raise ValidationError(
            {"driver": _("The headcount driver splits over org units, not over customer tiers.")}
        )
    try:
        span = parse_period(period)
    except ValueError as exc:
        raise ValidationError({"period": str(exc)}) from exc
    try:
        keys = dimension_keys(dimension=dimension, parent=parent)
    except NoTierSnapshotError as exc:
        raise ValidationError({"dimension": str(NO_TIERS)}) from exc
    try:
        values = _driver_values(driver=driver, keys=keys, period=span, weights=weights or {})
        cents = pool_split(to_cents(amount), values)
    except CostSplitError as exc:
        raise ValidationError({"driver": exc.message}) from exc
    pool = CostPool(
        name=name.strip(),
        description=description,
        amount=amount,
        period=span.label,
        period_start=span.start,
        period_end=span.end,
        driver=driver,
        dimension=dimension,
        weights={k: str(v) for k, v in (weights or {}).items()},
        created_by=acting_user(actor),
    )
    pool.full_clean()
    pool.save()
    CostPoolLine.objects.bulk_create(
        CostPoolLine(
            pool=pool,
            key=key,
            name=keys.names.get(key, ""),
            org_unit_id=keys.org_ids.get(key),
            driver_value=values[key],
            amount=from_cents(cents[key]),
        )
        for key in sorted(cents)
    )
    return pool
