"""Writes for commissions: plans, statement recomputes and the statement lifecycle.

A recompute rebuilds *draft* statements wholesale from targets and actuals (idempotent: the
same inputs give the same rows); approved and paid statements are frozen, and returns that
would have changed them are clawed back in the next open period instead.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Sequence
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Field
from django.utils import timezone
from django.utils.translation import gettext as _

from allocation.models import OrgUnit, Plan, ProductLine, Salesperson
from performance.commissions import engine
from performance.commissions.calculation import Computed, PlanCalculation
from performance.commissions.models import (
    CommissionLine,
    CommissionPlan,
    CommissionSpif,
    CommissionStatement,
)
from performance.commissions.selectors import (
    StoredLine,
    commission_plan_members,
    commission_plan_periods,
    statement_lines_by_statement,
)
from salesalloc.core.exceptions import ConflictError
from salesalloc.core.users import acting_user


def _brackets_clean(brackets: Sequence[dict[str, Any]]) -> list[dict[str, str]]:
    try:
        parsed = [
            engine.Bracket(start=Decimal(str(b["from"])), rate=Decimal(str(b["rate"])))
            for b in brackets
        ]
        ordered = engine.check_brackets(parsed)
    except (KeyError, ArithmeticError, TypeError) as exc:
        raise ValidationError({"brackets": _("Each bracket needs a 'from' and a 'rate'.")}) from exc
    except engine.CommissionError as exc:
        raise ValidationError({"brackets": str(exc)}) from exc
    return [
        {"from": f"{b.start.normalize():f}", "rate": f"{b.rate.normalize():f}"} for b in ordered
    ]


@transaction.atomic
def commission_plan_create(
    *,
    name: str,
    target_plan: Plan,
    period: str,
    mode: str,
    brackets: Sequence[dict[str, Any]],
    cap: Decimal | None = None,
    salespeople: Collection[Salesperson] = (),
    org_units: Collection[OrgUnit] = (),
    decelerator: tuple[Decimal, Decimal] | None = None,
    spifs: Sequence[dict[str, Any]] = (),
    award_amount: Decimal | None = None,
    award_group: OrgUnit | None = None,
    start_date: dt.date | None = None,
    end_date: dt.date | None = None,
    clawback: bool = True,
    actor: AbstractBaseUser | AnonymousUser | None = None,
) -> CommissionPlan:
    """Create a plan with its SPIFs and compute its draft statements."""
    plan = CommissionPlan(
        name=name.strip(),
        target_plan=target_plan,
        period=period,
        mode=mode,
        brackets=_brackets_clean(brackets),
        cap=cap,
        decelerator_from=None if decelerator is None else decelerator[0],
        decelerator_rate=None if decelerator is None else decelerator[1],
        award_amount=award_amount,
        award_group=award_group,
        start_date=start_date,
        end_date=end_date,
        clawback=clawback,
        created_by=acting_user(actor),
    )
    plan.full_clean()
    plan.save()
    plan.salespeople.set(list(salespeople))
    plan.org_units.set(list(org_units))
    for spec in spifs:
        spif = CommissionSpif(
            plan=plan,
            product_line=spec["product_line"],
            kind=spec["kind"],
            value=spec["value"],
            start_date=spec["start_date"],
            end_date=spec["end_date"],
        )
        spif.full_clean()
        spif.save()
    commission_statements_recompute(plan=plan, actor=actor)
    return plan


def _stored(
    plan: CommissionPlan, people: list[int]
) -> tuple[dict[tuple[int, str], CommissionStatement], dict[int, list[StoredLine]]]:
    """The stored statements of these people, and their lines as plain values."""
    rows = {
        (row.salesperson_id, row.period): row
        for row in CommissionStatement.objects.filter(plan=plan, salesperson_id__in=people)
    }
    lines = statement_lines_by_statement(statement_ids=[row.pk for row in rows.values()])
    return rows, lines


def _write(
    plan: CommissionPlan,
    result: Computed,
    row: CommissionStatement | None,
    now: dt.datetime,
) -> tuple[CommissionStatement, list[CommissionLine]]:
    statement = result.statement
    assert statement is not None  # noqa: S101 - frozen results are never written
    row = row or CommissionStatement(plan=plan, salesperson_id=result.salesperson_id)
    row.period = result.span.label
    row.period_start = result.span.start
    row.period_end = result.span.end
    row.position = result.span.position
    row.actual = statement.actual
    row.target = statement.target
    row.attainment = statement.attainment
    row.subtotal = statement.subtotal
    row.cap = statement.cap
    row.total = statement.total
    row.computed_at = now
    lines = [
        CommissionLine(
            position=i,
            kind=line.kind,
            label=line.label[:200],
            base=line.base,
            rate=line.rate,
            amount=line.amount,
            reference=line.reference[:100],
            source_ids=list(line.source_ids),
        )
        for i, line in enumerate(statement.lines)
    ]
    return row, lines


@transaction.atomic
def commission_statements_recompute(
    *,
    plan: CommissionPlan,
    salesperson_ids: Collection[int] | None = None,
    months: Collection[dt.date] | None = None,
    actor: AbstractBaseUser | AnonymousUser | None = None,
) -> int:
    """Rebuild the plan's draft statements; return how many were written.

    Idempotent: the plan row is locked, every period is computed in order (a clawback needs
    the rate its original period paid), and only drafts of the requested people and of the
    periods touching ``months`` are replaced; approved and paid rows never change. With an
    award, the whole plan is recomputed for those periods (one person's sales move the
    group's best attainment).
    """
    plan = (
        CommissionPlan.objects.select_for_update(of=("self",))
        .select_related("target_plan", "award_group")
        .get(pk=plan.pk)
    )
    members = commission_plan_members(plan=plan)
    spans = commission_plan_periods(plan=plan)
    if not members or not spans:
        return 0
    wanted = set(members) if salesperson_ids is None else set(members) & set(salesperson_ids)
    if plan.award_amount and plan.award_group_id and wanted:
        wanted = set(members)
    if not wanted:
        return 0
    people = sorted(wanted)
    stored, stored_lines = _stored(plan, people)
    codes = dict(Salesperson.objects.filter(pk__in=people).values_list("pk", "code"))
    results = PlanCalculation(
        plan=plan, salesperson_ids=people, stored=stored, stored_lines=stored_lines
    ).run(codes)
    month_set = None if months is None else {m.replace(day=1) for m in months}
    now = timezone.now()
    writes = _Writes()
    for result in results:
        if result.statement is None:
            continue
        if month_set is not None and not month_set & set(result.span.months):
            continue
        existing = stored.get((result.salesperson_id, result.span.label))
        before = (
            None if existing is None else _fingerprint(existing, stored_lines.get(existing.pk, []))
        )
        row, lines = _write(plan, result, existing, now)
        after = _fingerprint(row, [_stored_line(line) for line in lines])
        writes.add(row, lines, same=before is not None and before == after)
    return writes.save(now)


STATEMENT_FIELDS = (
    "period_start",
    "period_end",
    "position",
    "actual",
    "target",
    "attainment",
    "subtotal",
    "cap",
    "total",
)


def _fingerprint(row: CommissionStatement, lines: Sequence[StoredLine]) -> tuple[Any, ...]:
    """What a statement shows: its figures and its lines (equal Decimals compare equal)."""
    return (tuple(getattr(row, name) for name in STATEMENT_FIELDS), tuple(lines))


def _stored_line(line: CommissionLine) -> StoredLine:
    return StoredLine(*(getattr(line, name) for name in StoredLine._fields))


class _Writes:
    """The recomputed drafts, written set-based: a statement that comes out the same only
    gets its ``computed_at`` (one UPDATE for all of them); changed ones are updated in one
    batch and their lines replaced; new ones inserted with their lines."""

    def __init__(self) -> None:
        self.same: list[int] = []
        self.changed: list[CommissionStatement] = []
        self.new: list[CommissionStatement] = []
        self.lines: list[tuple[CommissionStatement, list[CommissionLine]]] = []

    def add(self, row: CommissionStatement, lines: list[CommissionLine], *, same: bool) -> None:
        if same:
            self.same.append(row.pk)
            return
        (self.changed if row.pk is not None else self.new).append(row)
        self.lines.append((row, lines))

    def save(self, now: dt.datetime) -> int:
        for start in range(0, len(self.same), 5000):
            CommissionStatement.objects.filter(pk__in=self.same[start : start + 5000]).update(
                computed_at=now, updated_at=now
            )
        changed_ids = [row.pk for row in self.changed]
        for start in range(0, len(changed_ids), 5000):
            CommissionLine.objects.filter(
                statement_id__in=changed_ids[start : start + 5000]
            ).delete()
        for row in self.changed:
            row.updated_at = now
        _update_many(self.changed, [*STATEMENT_FIELDS, "computed_at", "updated_at"])
        CommissionStatement.objects.bulk_create(self.new, batch_size=500)
        for row, lines in self.lines:
            for line in lines:
                line.statement = row
        CommissionLine.objects.bulk_create(
            [line for _row, lines in self.lines for line in lines], batch_size=1000
        )
        return len(self.same) + len(self.lines)


def _update_many(rows: list[CommissionStatement], names: list[str]) -> None:
    """One parameterised UPDATE per row, sent as a batch (``executemany``): Django's
    ``bulk_update`` builds a CASE per field and row, far slower to compile than to run."""
    if not rows:
        return
    meta = CommissionStatement._meta
    fields = [field for name in names if isinstance(field := meta.get_field(name), Field)]
    quote = connection.ops.quote_name
    pk_column = meta.pk.column if meta.pk is not None else "id"
    sql = "UPDATE {} SET {} WHERE {} = %s".format(  # noqa: S608 - our table and columns
        quote(meta.db_table),
        ", ".join(f"{quote(str(field.column))} = %s" for field in fields),
        quote(str(pk_column)),
    )
    params = [
        [field.get_db_prep_save(getattr(row, field.attname), connection) for field in fields]
        + [row.pk]
        for row in rows
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)


def commission_recompute_for_cells(
    *, cells: Collection[tuple[int, dt.date]], actor: AbstractBaseUser | AnonymousUser | None = None
) -> int:
    """Recompute the drafts an import touched: the affected people and periods only."""
    if not cells:
        return 0
    people = sorted({sp for sp, _month in cells})
    months = {month.replace(day=1) for _sp, month in cells}
    years = {m.year for m in months} | {m.year - 1 for m in months}
    written = 0
    for plan in CommissionPlan.objects.filter(target_plan__fiscal_year__in=years).order_by("pk"):
        written += commission_statements_recompute(
            plan=plan, salesperson_ids=people, months=months, actor=actor
        )
    return written


def commission_recompute_all(
    *,
    salesperson_ids: Collection[int] | None = None,
    actor: AbstractBaseUser | AnonymousUser | None = None,
) -> int:
    """Recompute every plan's drafts (the nightly run), one transaction per plan."""
    written = 0
    for plan in CommissionPlan.objects.order_by("pk"):
        written += commission_statements_recompute(
            plan=plan, salesperson_ids=salesperson_ids, actor=actor
        )
    return written


@transaction.atomic
def commission_statement_approve(
    *, statement: CommissionStatement, actor: AbstractBaseUser | AnonymousUser | None = None
) -> CommissionStatement:
    """draft → approved: the statement is frozen from now on."""
    row = CommissionStatement.objects.select_for_update().get(pk=statement.pk)
    if row.status != CommissionStatement.Status.DRAFT:
        raise ConflictError(_("Only a draft statement can be approved."))
    row.status = CommissionStatement.Status.APPROVED
    row.approved_by = acting_user(actor)
    row.approved_at = timezone.now()
    row.save(update_fields=["status", "approved_by", "approved_at", "updated_at"])
    return row


@transaction.atomic
def commission_statement_pay(
    *, statement: CommissionStatement, actor: AbstractBaseUser | AnonymousUser | None = None
) -> CommissionStatement:
    """approved → paid."""
    row = CommissionStatement.objects.select_for_update().get(pk=statement.pk)
    if row.status != CommissionStatement.Status.APPROVED:
        raise ConflictError(_("Only an approved statement can be marked paid."))
    row.status = CommissionStatement.Status.PAID
    row.paid_by = acting_user(actor)
    row.paid_at = timezone.now()
    row.save(update_fields=["status", "paid_by", "paid_at", "updated_at"])
    return row


def product_line_for_spif(*, code: str) -> ProductLine:
    line = ProductLine.objects.filter(code=code).first()
    if line is None:
        raise ValidationError({"spifs": _("Unknown product line %(code)s.") % {"code": code}})
    return line
