"""Reads of tiers: the aggregation a run starts from, and the viewer-scoped snapshots.

Scoping follows ``customers.selectors.customer_list``: admins see every customer; a manager
sees the customers their subtree sold to (or owns); a salesperson their own customers.
Personal data (phone, e-mail, address) is for admins, holders of
``customers.view_personal_data`` and the manager responsible for the customer (whose
subtree holds the customer's account owner) -- see ``personal_data_customer_ids``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal

import numpy as np
import pandas as pd
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Count, Max, Q, QuerySet, Sum

from allocation.selectors import viewer_scope
from customers.api.permissions import can_view_personal_data
from customers.models import Customer, OrderLine
from customers.selectors import customer_list
from customers.tiers import engine
from customers.tiers.models import CustomerTier, TierRule, TierRun, TierSettings
from salesalloc.core.money import MoneySum

User = AbstractBaseUser | AnonymousUser


def window_start(*, as_of: dt.date, window_days: int | None) -> dt.date | None:
    """First day that counts: orders dated ``as_of - window_days <= date < as_of``."""
    return None if window_days is None else as_of - dt.timedelta(days=window_days)


def units_from_decimal(values: Iterable[Decimal | None]) -> np.ndarray:
    """Exact decimals -> int64 units of 0.0001 (no float on the way)."""
    return np.array(
        [0 if v is None else int(Decimal(v).scaleb(4).to_integral_value()) for v in values],
        dtype=np.int64,
    )


def decimal_from_units(units: int) -> Decimal:
    return Decimal(int(units)).scaleb(-4)


def order_rfm_frame(*, as_of: dt.date, window_days: int | None = None) -> pd.DataFrame:
    """One row per customer with order lines in the window (the engine's input).

    One SQL ``GROUP BY customer`` over the order lines (their denormalised date and
    customer make it a single-table scan): last order date, distinct orders, net amount;
    then the customers' code, region and state joined in pandas.
    """
    lines = OrderLine.objects.filter(order_date__lt=as_of)
    start = window_start(as_of=as_of, window_days=window_days)
    if start is not None:
        lines = lines.filter(order_date__gte=start)
    rows = list(
        lines.order_by()
        .values("customer_id")
        .annotate(
            last_order_date=Max("order_date"),
            frequency=Count("order_id", distinct=True),
            monetary=MoneySum("amount"),
        )
        .values_list("customer_id", "last_order_date", "frequency", "monetary")
    )
    columns = ["customer_id", "last_order_date", "frequency", "monetary"]
    frame = pd.DataFrame.from_records(rows, columns=columns)
    frame["customer_id"] = frame["customer_id"].astype("int64")
    frame["frequency"] = frame["frequency"].astype("int64")
    frame["monetary_units"] = units_from_decimal(frame["monetary"].tolist())
    frame = frame.drop(columns="monetary")
    frame["last_order_date"] = pd.to_datetime(frame["last_order_date"])
    people = pd.DataFrame.from_records(
        list(Customer.objects.order_by().values_list("pk", "code", "region", "state")),
        columns=["customer_id", "code", "region", "state"],
    )
    people["customer_id"] = people["customer_id"].astype("int64")
    return frame.merge(people, on="customer_id", how="inner")


def tier_settings_get() -> TierSettings:
    """The defaults of new runs (the unsaved defaults when nobody has changed them)."""
    return TierSettings.objects.filter(pk=1).first() or TierSettings(pk=1)


def segment_map_effective(tier_settings: TierSettings) -> list[dict]:
    return list(tier_settings.segment_map) or list(engine.DEFAULT_SEGMENT_MAP)


def tier_rule_specs(rules: Iterable[TierRule]) -> list[engine.TierRuleSpec]:
    """Rules as the engine's conditions (money in units of 0.0001)."""

    def units(value: Decimal | None) -> int | None:
        return None if value is None else int(Decimal(value).scaleb(4).to_integral_value())

    return [
        engine.TierRuleSpec(
            code=rule.code,
            monetary_min_units=units(rule.monetary_min),
            monetary_max_units=units(rule.monetary_max),
            frequency_min=rule.frequency_min,
            frequency_max=rule.frequency_max,
            recency_min=rule.recency_min,
            recency_max=rule.recency_max,
            regions=tuple(rule.regions or ()),
            states=tuple(rule.states or ()),
            segments=tuple(rule.segments or ()),
            abc=tuple(rule.abc or ()),
        )
        for rule in rules
    ]


def tier_rule_list() -> QuerySet[TierRule]:
    """Rule tiers in the order they are tried. Shared configuration: anyone may read it."""
    return TierRule.objects.order_by("position", "id")


def tier_run_list(*, user: User) -> QuerySet[TierRun]:
    """Runs are visible to every role (their rows are scoped); nothing without a role."""
    runs = TierRun.objects.select_related("requested_by").order_by("-as_of", "-id")
    return runs if viewer_scope(user=user).role != "none" else runs.none()


def tier_run_latest(*, user: User) -> TierRun | None:
    return tier_run_list(user=user).filter(status=TierRun.Status.SUCCEEDED).first()


def customer_tier_list(*, user: User, run: TierRun | None = None) -> QuerySet[CustomerTier]:
    """Snapshot rows of customers the viewer may see (of one run when given)."""
    scope = viewer_scope(user=user)
    rows = CustomerTier.objects.select_related("customer", "customer__owner", "run")
    if run is not None:
        rows = rows.filter(run=run)
    if scope.is_admin:
        return rows
    if scope.role == "none":
        return rows.none()
    return rows.filter(customer__in=customer_list(user=user).values("pk"))


def personal_data_q(*, user: User, prefix: str = "") -> Q:
    """Customers (at ``prefix``) whose phone, e-mail and address the viewer may see."""
    scope = viewer_scope(user=user)
    if scope.is_admin or can_view_personal_data(user):
        return Q()
    if not scope.is_manager:
        return Q(pk__in=[])
    return Q(scope.managed_salesperson_q(f"{prefix}owner__")) & Q(
        **{f"{prefix}owner__isnull": False}
    )


def may_see_personal_data(*, user: User, customer: Customer) -> bool:
    return Customer.objects.filter(personal_data_q(user=user), pk=customer.pk).exists()


def personal_data_customer_ids(*, user: User, customer_ids: Iterable[int]) -> set[int]:
    """Which of these customers' personal data the viewer may see."""
    ids = list(customer_ids)
    if not ids:
        return set()
    scope = viewer_scope(user=user)
    if scope.is_admin or can_view_personal_data(user):
        return set(ids)
    if not scope.is_manager:
        return set()
    return set(
        Customer.objects.filter(personal_data_q(user=user), pk__in=ids).values_list("pk", flat=True)
    )


def can_see_personal_columns(*, user: User) -> bool:
    """Whether personal columns exist at all for this viewer (admins and managers)."""
    scope = viewer_scope(user=user)
    return scope.is_admin or scope.is_manager or can_view_personal_data(user)


def tier_snapshot_frame(*, rows: QuerySet[CustomerTier]) -> pd.DataFrame:
    """Snapshot rows as a frame (``customer_id``, ``monetary_units``, the class columns)."""
    records = list(
        rows.order_by().values_list(
            "customer_id",
            "monetary",
            "recency_days",
            "frequency",
            "r",
            "f",
            "m",
            "segment",
            "abc",
            "tier",
            "customer__region",
            "customer__state",
        )
    )
    columns = [
        "customer_id", "monetary", "recency_days", "frequency", "r", "f", "m",
        "segment", "abc", "tier", "region", "state",
    ]  # fmt: skip
    frame = pd.DataFrame.from_records(records, columns=columns)
    frame["monetary_units"] = units_from_decimal(frame["monetary"].tolist())
    for column in ("customer_id", "recency_days", "frequency", "r", "f", "m"):
        frame[column] = frame[column].astype("int64")
    return frame.drop(columns="monetary")


def tier_migration_frame(
    *, user: User, from_run: TierRun, to_run: TierRun, by: str
) -> pd.DataFrame:
    """The migration matrix between two runs over the viewer's customers (``engine``)."""
    before = tier_snapshot_frame(rows=customer_tier_list(user=user, run=from_run))
    after = tier_snapshot_frame(rows=customer_tier_list(user=user, run=to_run))
    return engine.migration_matrix(before, after, by=by)


def tier_distribution(*, rows: QuerySet[CustomerTier], by: str) -> list[dict]:
    """Customers and net amount per class of ``by`` (tier, segment or abc) in these rows."""
    data = rows.order_by().values(by).annotate(customers=Count("pk"), monetary=MoneySum("monetary"))
    return sorted(
        (
            {"key": row[by], "customers": row["customers"], "monetary": row["monetary"]}
            for row in data
        ),
        key=lambda row: row["key"],
    )


def tier_heatmap(*, rows: QuerySet[CustomerTier]) -> list[list[dict]]:
    """The R x F grid (R 5 at the top, F 1..5 left to right): customers and net amount."""
    data = (
        rows.order_by().values("r", "f").annotate(customers=Count("pk"), monetary=Sum("monetary"))
    )
    cells = {(row["r"], row["f"]): row for row in data}
    most = max((row["customers"] for row in data), default=0)
    grid = []
    for r in range(5, 0, -1):
        line = []
        for f in range(1, 6):
            row = cells.get((r, f))
            count = row["customers"] if row else 0
            line.append(
                {
                    "r": r,
                    "f": f,
                    "customers": count,
                    "monetary": row["monetary"] if row else Decimal(0),
                    "level": round(100 * count / most) if most else 0,
                }
            )
        grid.append(line)
    return grid


def customer_tier_history(*, user: User, customer: Customer) -> QuerySet[CustomerTier]:
    """The customer's rows in every succeeded run, oldest first."""
    return (
        customer_tier_list(user=user)
        .filter(customer=customer, run__status=TierRun.Status.SUCCEEDED)
        .order_by("run__as_of", "run_id")
    )
