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
from typing import Any

import numpy as np
import pandas as pd
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import connection
from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Sum

from allocation.access import viewer_scope
from customers.api.permissions import can_view_personal_data
from customers.models import Customer, Order, OrderLine
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


_RFM_SQL = """
SELECT o.customer_id, c.code, c.region, c.state, o.last_order_date, o.frequency,
       l.monetary_units
FROM (
    SELECT customer_id, MAX(order_date) AS last_order_date, COUNT(*) AS frequency
    FROM {orders} WHERE {where} GROUP BY customer_id
) o
JOIN (
    SELECT customer_id, {units} AS monetary_units
    FROM {lines} WHERE {where} GROUP BY customer_id
) l ON l.customer_id = o.customer_id
JOIN {customers} c ON c.id = o.customer_id
"""


def order_rfm_frame(
    *, as_of: dt.date, window_days: int | None = None, customer_ids: list[int] | None = None
) -> pd.DataFrame:
    """One row per customer with orders in the window (the engine's input).

    Set-based, one SQL statement of two hash aggregates: orders per customer (last order
    date, number of orders) and order lines per customer (net amount, returns included).
    An order's lines carry its date and customer (the import keeps the copies in step, and
    every order has lines), so counting orders counts the distinct orders of the lines --
    without a ``COUNT(DISTINCT)``, which would sort a million lines. The net amount comes
    back in integer units of 0.0001, exact on PostgreSQL (``numeric``) and on SQLite (each
    4-place amount is rounded to its units before summing, so no float sum is kept).
    ``customer_ids`` restricts it to those customers (index scans; an incremental refresh).
    """
    where = "order_date < %s"
    params: list[Any] = [as_of]
    start = window_start(as_of=as_of, window_days=window_days)
    if start is not None:
        where += " AND order_date >= %s"
        params.append(start)
    if customer_ids is not None:
        ids = sorted({int(i) for i in customer_ids}) or [0]
        if connection.vendor == "postgresql":
            where += " AND customer_id = ANY(%s)"
            params.append(ids)
        else:
            where += f" AND customer_id IN ({', '.join(['%s'] * len(ids))})"
            params.extend(ids)
    if connection.vendor == "postgresql":
        units = "CAST(SUM(amount) * 10000 AS BIGINT)"
    else:
        units = "SUM(CAST(ROUND(amount * 10000) AS INTEGER))"
    sql = _RFM_SQL.format(
        units=units,
        orders=Order._meta.db_table,
        lines=OrderLine._meta.db_table,
        customers=Customer._meta.db_table,
        where=where,
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params * 2)
        rows = cursor.fetchall()
    columns = [
        "customer_id", "code", "region", "state", "last_order_date", "frequency", "monetary_units",
    ]  # fmt: skip
    frame = pd.DataFrame.from_records(rows, columns=columns)
    for column in ("customer_id", "frequency", "monetary_units"):
        frame[column] = frame[column].astype("int64")
    frame["last_order_date"] = pd.to_datetime(frame["last_order_date"])
    return frame


_SNAPSHOT_SQL = """
SELECT t.customer_id, c.code, c.region, c.state, t.last_order_date, t.frequency,
       {units} AS monetary_units, t.recency_days, t.r, t.f, t.m, t.segment, t.abc, t.tier
FROM {rows} t JOIN {customers} c ON c.id = t.customer_id
WHERE t.run_id = %s
"""
SNAPSHOT_COLUMNS = [
    "customer_id", "code", "region", "state", "last_order_date", "frequency", "monetary_units",
    "recency_days", "r", "f", "m", "segment", "abc", "tier",
]  # fmt: skip


def tier_run_rows_frame(*, run: TierRun) -> pd.DataFrame:
    """A run's stored rows with the customers' attributes, money in units (one query)."""
    if connection.vendor == "postgresql":
        units = "CAST(t.monetary * 10000 AS BIGINT)"
    else:
        units = "CAST(ROUND(t.monetary * 10000) AS INTEGER)"
    sql = _SNAPSHOT_SQL.format(
        units=units, rows=CustomerTier._meta.db_table, customers=Customer._meta.db_table
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [run.pk])
        rows = cursor.fetchall()
    frame = pd.DataFrame.from_records(rows, columns=SNAPSHOT_COLUMNS)
    for column in ("customer_id", "frequency", "monetary_units", "recency_days", "r", "f", "m"):
        frame[column] = frame[column].astype("int64")
    frame["last_order_date"] = pd.to_datetime(frame["last_order_date"])
    return frame


def import_job_customer_ids(*, job_id: int) -> list[int]:
    """Customers whose order lines an import wrote (inserted or changed)."""
    return list(
        OrderLine.objects.filter(import_job_id=job_id)
        .order_by()
        .values_list("customer_id", flat=True)
        .distinct()
    )


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
                    "level": round(10 * count / most) if most else 0,  # 0-10: the heat class
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


def tier_run_latest_succeeded() -> TierRun | None:
    """The latest succeeded snapshot, unscoped (for computations such as cost pools)."""
    return TierRun.objects.filter(status=TierRun.Status.SUCCEEDED).order_by("-as_of", "-id").first()


def tier_run_latest_with_rule_tiers() -> TierRun | None:
    """The latest succeeded snapshot in which some customer has a rule tier, unscoped.

    Today's automatic snapshot can be empty (no orders inside its window) or predate the
    rules; splits by rule tier skip such snapshots rather than finding no tiers in them.
    """
    tiered = CustomerTier.objects.filter(run=OuterRef("pk")).exclude(tier="")
    return (
        TierRun.objects.filter(status=TierRun.Status.SUCCEEDED)
        .filter(Exists(tiered))
        .order_by("-as_of", "-id")
        .first()
    )


def customer_rule_tiers(*, run: TierRun) -> tuple[dict[int, str], dict[str, str]]:
    """Each customer's rule tier in ``run`` (customers no rule matched are left out) and the
    tiers' names (the rule's name, or its code when the rule has gone since)."""
    customers = dict(
        CustomerTier.objects.filter(run=run)
        .exclude(tier="")
        .order_by()
        .values_list("customer_id", "tier")
    )
    rule_names = dict(TierRule.objects.values_list("code", "name"))
    names = {code: rule_names.get(code, code) for code in sorted(set(customers.values()))}
    return customers, names


def tier_run_previous_succeeded(*, run: TierRun) -> TierRun | None:
    """The succeeded snapshot just before ``run`` (by as-of date, then id), unscoped."""
    return (
        TierRun.objects.filter(status=TierRun.Status.SUCCEEDED)
        .filter(Q(as_of__lt=run.as_of) | Q(as_of=run.as_of, id__lt=run.pk))
        .order_by("-as_of", "-id")
        .first()
    )


def customer_ids_in_segments(*, run: TierRun, segments: Iterable[str]) -> set[int]:
    """Customers whose segment in ``run`` is one of ``segments``."""
    return set(
        CustomerTier.objects.filter(run=run, segment__in=list(segments))
        .order_by()
        .values_list("customer_id", flat=True)
    )
