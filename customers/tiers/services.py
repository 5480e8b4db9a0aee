"""Writes of tiers: runs and their snapshots, the daily snapshot, rules and settings.

A run is computed set-based: one SQL ``GROUP BY`` (``order_rfm_frame``), the pure engine
over the frame, and one bulk write of the rows (``COPY`` on PostgreSQL, ``bulk_create``
elsewhere). Computing is idempotent: the run row is locked, its rows are deleted and
rebuilt, so a retried or doubled task gives the same snapshot.
"""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal
from typing import Any

import pandas as pd
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from customers.tiers import engine
from customers.tiers.models import CustomerTier, TierRule, TierRun, TierSettings
from customers.tiers.selectors import (
    decimal_from_units,
    order_rfm_frame,
    segment_map_effective,
    tier_rule_list,
    tier_rule_specs,
    tier_run_rows_frame,
    tier_settings_get,
)
from salesalloc.core.users import acting_user

_BATCH = 5000


# The engine speaks English (it has no Django); the messages people see are translated here.
_MESSAGES = {
    "Enter a decimal number such as 0.80.": gettext_lazy("Enter a decimal number such as 0.80."),
    "Must be more than 0 and at most 1.": gettext_lazy("Must be more than 0 and at most 1."),
    "Use at most 4 decimal places.": gettext_lazy("Use at most 4 decimal places."),
    "The B threshold must be greater than the A threshold.": gettext_lazy(
        "The B threshold must be greater than the A threshold."
    ),
}


def _config_error(exc: engine.ConfigError) -> ValidationError:
    known = _MESSAGES.get(exc.message)
    if known is None:  # the segment map's detailed messages
        return ValidationError(
            {exc.field: [_("Invalid segment mapping: %(detail)s") % {"detail": exc.message}]}
        )
    return ValidationError({exc.field: [known]})


@transaction.atomic
def tier_run_create(
    *,
    as_of: dt.date,
    window_days: int | None = None,
    abc_a: Decimal | None = None,
    abc_b: Decimal | None = None,
    kind: str = TierRun.Kind.MANUAL,
    actor: AbstractBaseUser | AnonymousUser | None = None,
    enqueue: bool = True,
) -> TierRun:
    """Queue a tier run as of a date; missing parameters come from the tier settings.

    The computation is enqueued after commit (``customers.tiers.compute_run``); with
    ``enqueue=False`` the caller computes it (``tier_run_compute``), e.g. the demo.
    Raises ``ValidationError`` naming ``abc_a``/``abc_b``/``window_days``.
    """
    defaults = tier_settings_get()
    a = defaults.abc_a if abc_a is None else abc_a
    b = defaults.abc_b if abc_b is None else abc_b
    try:
        a, b = engine.abc_thresholds_validate(a, b)
    except engine.ConfigError as exc:
        raise _config_error(exc) from exc
    window = defaults.window_days if window_days is None else window_days
    if window is not None and not 1 <= window <= 36_500:
        raise ValidationError({"window_days": [_("Must be between 1 and 36500 days.")]})
    run = TierRun(
        kind=kind,
        as_of=as_of,
        window_days=window,
        abc_a=a,
        abc_b=b,
        requested_by=acting_user(actor),
        status=TierRun.Status.QUEUED,
    )
    run.full_clean()
    run.save()
    if enqueue:
        from customers.tiers.tasks import tier_run_compute_task

        tier_run_compute_task.delay_on_commit(run.pk)
    return run


def _rows_frame(result: pd.DataFrame, *, run_id: int, now: dt.datetime) -> pd.DataFrame:
    monetary = result["monetary_units"].astype("int64")
    sign = monetary.lt(0).map({True: "-", False: ""})
    absolute = monetary.abs()
    text = (
        sign + (absolute // 10_000).astype(str) + "." + (absolute % 10_000).astype(str).str.zfill(4)
    )
    return pd.DataFrame(
        {
            "run_id": run_id,
            "customer_id": result["customer_id"].astype("int64"),
            "last_order_date": pd.to_datetime(result["last_order_date"]).dt.strftime("%Y-%m-%d"),
            "recency_days": result["recency_days"].astype("int64"),
            "frequency": result["frequency"].astype("int64"),
            "monetary": text,
            "r": result["r"].astype("int64"),
            "f": result["f"].astype("int64"),
            "m": result["m"].astype("int64"),
            "segment": result["segment"].astype(str),
            "abc": result["abc"].astype(str),
            "tier": result["tier"].astype(str),
            "created_at": now.isoformat(),
            "updated_at": now.isoformat(),
        }
    )


def _rows_write(rows: pd.DataFrame, *, use_copy: bool | None = None) -> int:
    """Insert snapshot rows: ``COPY`` on PostgreSQL, ``bulk_create`` elsewhere."""
    if rows.empty:
        return 0
    if connection.vendor == "postgresql" and use_copy is not False:
        buffer = io.StringIO()
        rows.to_csv(buffer, index=False, header=False)
        columns = ", ".join(rows.columns)
        table = CustomerTier._meta.db_table
        with connection.cursor() as cursor:
            raw = cursor.cursor
            # An empty tier is "", not NULL: CSV COPY reads unquoted empty fields as NULL.
            sql = f"COPY {table} ({columns}) FROM STDIN (FORMAT CSV, FORCE_NOT_NULL (tier))"
            with raw.copy(sql) as copy:
                copy.write(buffer.getvalue())
        return len(rows)
    now = timezone.now()
    objects = [
        CustomerTier(
            run_id=rec["run_id"],
            customer_id=rec["customer_id"],
            last_order_date=dt.date.fromisoformat(rec["last_order_date"]),
            recency_days=rec["recency_days"],
            frequency=rec["frequency"],
            monetary=Decimal(rec["monetary"]),
            r=rec["r"],
            f=rec["f"],
            m=rec["m"],
            segment=rec["segment"],
            abc=rec["abc"],
            tier=rec["tier"],
            created_at=now,
            updated_at=now,
        )
        for rec in rows.to_dict("records")
    ]
    CustomerTier.objects.bulk_create(objects, batch_size=_BATCH)
    return len(objects)


@transaction.atomic
def tier_run_compute(*, run: TierRun, use_copy: bool | None = None) -> TierRun:
    """Compute a run's snapshot from the order lines and store it (replacing any rows).

    1. lock the run row; 2. one SQL aggregation per customer; 3. the pure engine with the
    current rules and segment map (copied onto the run); 4. delete the run's rows and
    write the new ones in one bulk insert; 5. mark the run succeeded with its totals.
    """
    locked = TierRun.objects.select_for_update().get(pk=run.pk)
    started = timezone.now()
    tier_settings = tier_settings_get()
    rules = list(tier_rule_list())
    segment_map = segment_map_effective(tier_settings)
    config = engine.TierConfig(
        abc_a=locked.abc_a,
        abc_b=locked.abc_b,
        segment_map=segment_map,
        rules=tier_rule_specs(rules),
    )
    aggregates = order_rfm_frame(as_of=locked.as_of, window_days=locked.window_days)
    result = engine.tiers_compute(aggregates, as_of=locked.as_of, config=config)
    CustomerTier.objects.filter(run=locked).delete()
    written = _rows_write(_rows_frame(result, run_id=locked.pk, now=started), use_copy=use_copy)
    locked.status = TierRun.Status.SUCCEEDED
    locked.customers = written
    locked.monetary_total = decimal_from_units(
        int(result["monetary_units"].sum()) if written else 0
    )
    locked.config = {
        "segment_map": segment_map,
        "rules": [{"code": rule.code, "name": rule.name} for rule in rules],
    }
    locked.error = ""
    locked.started_at = locked.started_at or started
    locked.finished_at = timezone.now()
    locked.save(
        update_fields=[
            "status", "customers", "monetary_total", "config", "error",
            "started_at", "finished_at", "updated_at",
        ]
    )  # fmt: skip
    return locked


def tier_run_fail(*, run_id: int, error: str) -> None:
    """Record that a run failed for good."""
    TierRun.objects.filter(pk=run_id).update(
        status=TierRun.Status.FAILED,
        error=error[:2000],
        finished_at=timezone.now(),
        updated_at=timezone.now(),
    )


def _daily_lock() -> TierSettings:
    """Lock the settings row: daily refreshes of the snapshot queue behind each other."""
    try:
        with transaction.atomic():
            TierSettings.objects.get_or_create(pk=1)
    except IntegrityError:  # created concurrently
        pass
    return TierSettings.objects.select_for_update().get(pk=1)


def _daily_replace(*, day: dt.date, kind: str, defaults: TierSettings) -> TierRun:
    old = TierRun.objects.filter(as_of=day, daily=True)
    CustomerTier.objects.filter(run__in=old).delete()
    old.delete()
    run = TierRun(
        kind=kind,
        as_of=day,
        daily=True,
        window_days=defaults.window_days,
        abc_a=defaults.abc_a,
        abc_b=defaults.abc_b,
        status=TierRun.Status.RUNNING,
        started_at=timezone.now(),
    )
    run.full_clean(validate_constraints=False)
    run.save()
    return tier_run_compute(run=run)


def tier_daily_refresh(
    *,
    day: dt.date | None = None,
    kind: str = TierRun.Kind.NIGHTLY,
    customer_ids: list[int] | None = None,
) -> TierRun:
    """Refresh the automatic snapshot of ``day`` (today): at most one per date.

    Without ``customer_ids`` (nightly): under the tier settings row's lock (concurrent
    refreshes queue), the day's daily run and its rows are deleted and a new run is computed
    from all order lines with the current settings; a new run id (rather than rewriting the
    rows in place) spares the bulk insert the dead index entries of the replaced rows.

    With ``customer_ids`` (after an import: the customers whose lines it wrote): the
    stored figures of everybody else are kept, those customers' are recomputed by an indexed
    query, every score, segment, class and tier is recomputed from the merged figures (a
    quintile moves for everyone), and only the rows that differ are rewritten. This needs
    today's snapshot with the same window; otherwise the full refresh runs. Exact as long as
    an import only changes the figures of customers it writes lines for; the one exception,
    an order moved to another customer, is corrected by the next full (nightly) refresh.
    """
    day = day or timezone.localdate()
    with transaction.atomic():
        defaults = _daily_lock()
        run = (
            TierRun.objects.filter(as_of=day, daily=True, status=TierRun.Status.SUCCEEDED)
            .select_for_update()
            .first()
        )
        if (
            customer_ids is None
            or len(customer_ids) > INCREMENTAL_MAX_CUSTOMERS
            or run is None
            or run.window_days != defaults.window_days
        ):
            return _daily_replace(day=day, kind=kind, defaults=defaults)
        return _daily_update(run=run, kind=kind, defaults=defaults, customer_ids=customer_ids)


INCREMENTAL_MAX_CUSTOMERS = 10_000
_COMPARED = [
    "last_order_date", "recency_days", "frequency", "monetary_units",
    "r", "f", "m", "segment", "abc", "tier",
]  # fmt: skip


def _daily_update(
    *, run: TierRun, kind: str, defaults: TierSettings, customer_ids: list[int]
) -> TierRun:
    started = timezone.now()
    stored = tier_run_rows_frame(run=run)
    ids = sorted({int(i) for i in customer_ids})
    fresh = order_rfm_frame(as_of=run.as_of, window_days=run.window_days, customer_ids=ids)
    kept = stored[~stored["customer_id"].isin(ids)]
    aggregates = pd.concat([kept[fresh.columns.tolist()], fresh], ignore_index=True).sort_values(
        "customer_id", kind="mergesort"
    )
    rules = list(tier_rule_list())
    segment_map = segment_map_effective(defaults)
    config = engine.TierConfig(
        abc_a=defaults.abc_a,
        abc_b=defaults.abc_b,
        segment_map=segment_map,
        rules=tier_rule_specs(rules),
    )
    result = engine.tiers_compute(aggregates, as_of=run.as_of, config=config)
    both = stored[["customer_id", *_COMPARED]].merge(
        result[["customer_id", *_COMPARED]],
        on="customer_id",
        how="outer",
        suffixes=("_old", "_new"),
        indicator=True,
    )
    differs = pd.Series(False, index=both.index)
    for column in _COMPARED:
        differs |= both[f"{column}_old"].ne(both[f"{column}_new"])
    gone_or_changed = both.loc[(both["_merge"] == "left_only") | differs, "customer_id"]
    to_write = set(both.loc[(both["_merge"] != "left_only") & differs, "customer_id"].tolist())
    doomed = [int(i) for i in gone_or_changed.tolist()]
    for start in range(0, len(doomed), _BATCH):
        CustomerTier.objects.filter(
            run=run, customer_id__in=doomed[start : start + _BATCH]
        ).delete()
    _rows_write(
        _rows_frame(result[result["customer_id"].isin(to_write)], run_id=run.pk, now=started)
    )
    run.kind = kind
    run.abc_a, run.abc_b = defaults.abc_a, defaults.abc_b
    run.customers = len(result)
    run.monetary_total = decimal_from_units(
        int(result["monetary_units"].sum()) if len(result) else 0
    )
    run.config = {
        "segment_map": segment_map,
        "rules": [{"code": rule.code, "name": rule.name} for rule in rules],
    }
    run.started_at = started
    run.finished_at = timezone.now()
    run.save(
        update_fields=[
            "kind", "abc_a", "abc_b", "customers", "monetary_total", "config",
            "started_at", "finished_at", "updated_at",
        ]
    )  # fmt: skip
    return run


# --- configuration ----------------------------------------------------------------------------


def _rule_fields() -> list[str]:
    return [
        "code", "name", "monetary_min", "monetary_max", "frequency_min", "frequency_max",
        "recency_min", "recency_max", "regions", "states", "segments", "abc",
        "discount_policy", "visit_frequency", "service_owner",
    ]  # fmt: skip


@transaction.atomic
def tier_rule_create(
    *, actor: AbstractBaseUser | AnonymousUser | None = None, **fields: Any
) -> TierRule:
    """Add a rule tier at the end of the list."""
    unknown = set(fields) - set(_rule_fields())
    if unknown:
        raise TypeError(f"unknown rule fields: {sorted(unknown)}")
    last = TierRule.objects.aggregate(last=Max("position"))["last"]
    rule = TierRule(position=0 if last is None else last + 1, **fields)
    rule.full_clean()
    rule.save()
    return rule


@transaction.atomic
def tier_rule_update(
    *, rule: TierRule, actor: AbstractBaseUser | AnonymousUser | None = None, **fields: Any
) -> TierRule:
    """Change a rule tier's conditions or service plan."""
    unknown = set(fields) - set(_rule_fields())
    if unknown:
        raise TypeError(f"unknown rule fields: {sorted(unknown)}")
    for name, value in fields.items():
        setattr(rule, name, value)
    rule.full_clean()
    rule.save(update_fields=[*fields, "updated_at"])
    return rule


@transaction.atomic
def tier_rule_delete(
    *, rule: TierRule, actor: AbstractBaseUser | AnonymousUser | None = None
) -> None:
    """Remove a rule tier (past snapshots keep its code)."""
    rule.delete()


@transaction.atomic
def tier_rule_move(
    *, rule: TierRule, up: bool, actor: AbstractBaseUser | AnonymousUser | None = None
) -> None:
    """Swap a rule with its neighbour, then renumber positions 0..n-1."""
    rules = list(TierRule.objects.select_for_update().order_by("position", "id"))
    index = next(i for i, r in enumerate(rules) if r.pk == rule.pk)
    other = index - 1 if up else index + 1
    if 0 <= other < len(rules):
        rules[index], rules[other] = rules[other], rules[index]
    for position, item in enumerate(rules):
        if item.position != position:
            TierRule.objects.filter(pk=item.pk).update(position=position, updated_at=timezone.now())


@transaction.atomic
def tier_settings_update(
    *,
    window_days: int | None,
    abc_a: Decimal,
    abc_b: Decimal,
    segment_map: list | None = None,
    actor: AbstractBaseUser | AnonymousUser | None = None,
) -> TierSettings:
    """Change the defaults of new runs; validates thresholds and the segment map."""
    try:
        abc_a, abc_b = engine.abc_thresholds_validate(abc_a, abc_b)
        normalised = engine.segment_map_validate(segment_map) if segment_map else []
    except engine.ConfigError as exc:
        raise _config_error(exc) from exc
    tier_settings, _ = TierSettings.objects.select_for_update().get_or_create(pk=1)
    tier_settings.window_days = window_days
    tier_settings.abc_a = abc_a
    tier_settings.abc_b = abc_b
    tier_settings.segment_map = normalised
    tier_settings.full_clean()
    tier_settings.save()
    return tier_settings


__all__ = [
    "tier_daily_refresh",
    "tier_rule_create",
    "tier_rule_delete",
    "tier_rule_move",
    "tier_rule_update",
    "tier_run_compute",
    "tier_run_create",
    "tier_run_fail",
    "tier_settings_update",
]
