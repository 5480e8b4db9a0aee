"""Published targets as salespeople see them: acknowledgements, my targets, day targets."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from allocation.access import plan_scope_get, viewer_scope
from allocation.engine.calendars import working_days
from allocation.engine.fiscal import MONTHS, FiscalYear
from allocation.engine.split import split_days
from allocation.models import Acknowledgement, Plan, ProductLine, Salesperson, TargetCell
from allocation.scoping import cell_resolve_visible
from allocation.selectors.frames import sum_cents
from allocation.selectors.plans import plan_structure_get
from allocation.structure import OrgNode, PlNode


@dataclass(frozen=True)
class AcknowledgementRow:
    salesperson: OrgNode
    org_unit_code: str
    status: str  # pending | acknowledged | disputed
    comment: str
    acted_by: str | None
    acted_at: dt.datetime | None


def acknowledgement_list(
    *, user: AbstractBaseUser | AnonymousUser, plan: Plan, status: str | None = None
) -> list[AcknowledgementRow]:
    """Every plan member the viewer manages, with their answer (or ``pending``)."""
    structure = plan_structure_get(plan=plan, with_constraints=False)
    window = plan_scope_get(user=user, structure=structure)
    answers = {
        row.salesperson_id: row
        for row in Acknowledgement.objects.filter(plan=plan).select_related("acted_by")
    }
    units = {node.id: node.code for node in structure.units.values()}
    units[structure.root.id] = structure.root.code
    out = []
    for sp in structure.member_ids:
        node = structure.members[int(sp)]
        if not window.may_change(node):
            continue
        answer = answers.get(int(sp))
        row = AcknowledgementRow(
            salesperson=node,
            org_unit_code=units.get(node.unit_id or 0, ""),
            status=answer.status if answer else "pending",
            comment=answer.comment if answer else "",
            acted_by=answer.acted_by.get_username() if answer and answer.acted_by else None,
            acted_at=answer.acted_at if answer else None,
        )
        if status is None or row.status == status:
            out.append(row)
    return sorted(out, key=lambda r: r.salesperson.code)


@dataclass
class MyTargets:
    plan: Plan
    salesperson: Salesperson
    month_labels: list[str]
    months: list[int]
    product_lines: list[tuple[ProductLine, list[int]]]
    acknowledgement: Acknowledgement | None


def my_target_list(*, user: AbstractBaseUser | AnonymousUser) -> list[MyTargets]:
    """The signed-in salesperson's targets in every published plan (newest first)."""
    scope = viewer_scope(user=user)
    if scope.salesperson_id is None:
        return []
    plans = list(
        Plan.objects.filter(
            status=Plan.Status.PUBLISHED,
            salespeople__id=scope.salesperson_id,
            measure_of__isnull=True,  # measure plans are read on the dashboard and the API
        ).order_by("-fiscal_year", "name", "-version")
    )
    if not plans:
        return []
    person = Salesperson.objects.get(pk=scope.salesperson_id)
    rows = list(
        TargetCell.objects.filter(plan__in=plans, salesperson_id=scope.salesperson_id)
        .order_by()
        .values("plan_id", "product_line_id", "month")
        .annotate(cents=sum_cents())
        .values_list("plan_id", "product_line_id", "month", "cents")
    )
    lines = {pl.pk: pl for pl in ProductLine.objects.filter(pk__in={r[1] for r in rows})}
    answers = {
        a.plan_id: a
        for a in Acknowledgement.objects.filter(plan__in=plans, salesperson_id=scope.salesperson_id)
    }
    out = []

    for plan in plans:
        fiscal = FiscalYear(plan.fiscal_year, plan.start_month)
        by_line: dict[int, list[int]] = {}
        for plan_id, pl_id, month, cents in rows:
            if plan_id != plan.pk:
                continue
            m = fiscal.month_index(month)
            if m is not None:
                by_line.setdefault(pl_id, [0] * MONTHS)[m] += int(cents or 0)
        totals = [sum(values[m] for values in by_line.values()) for m in range(MONTHS)]
        out.append(
            MyTargets(
                plan=plan,
                salesperson=person,
                month_labels=fiscal.month_labels(),
                months=totals,
                product_lines=sorted(
                    ((lines[pk], values) for pk, values in by_line.items()),
                    key=lambda item: item[0].code,
                ),
                acknowledgement=answers.get(plan.pk),
            )
        )
    return out


@dataclass(frozen=True)
class DayTargets:
    salesperson: OrgNode
    month: dt.date
    product_line: PlNode | None
    amount_cents: int
    days: list[tuple[dt.date, int]]


def plan_day_target_list(
    *,
    user: AbstractBaseUser | AnonymousUser,
    plan: Plan,
    month: dt.date,
    salesperson: str | None = None,
    product_line: str | None = None,
) -> list[DayTargets]:
    """Day-level targets: each visible salesperson's month target split over its working days.

    Working days follow the plan's calendar country (China with 调休 by default); the split
    is exact (``split_days``: equal shares, leftover cents to the earliest days).
    """

    structure = plan_structure_get(plan=plan, with_constraints=False)
    window = plan_scope_get(user=user, structure=structure)
    label = f"{month:%Y-%m}"
    cell = cell_resolve_visible(
        structure, window, salesperson=salesperson, product_line=product_line, period=label
    )
    people = (
        [cell.org] if salesperson else [structure.members[int(sp)] for sp in structure.member_ids]
    )
    people = [p for p in people if window.sees(p)]
    if salesperson and not people:
        raise ValidationError(
            {
                "salesperson": _("No salesperson with code “%(value)s” is visible to you.")
                % {"value": salesperson}
            }
        )
    cells = TargetCell.objects.filter(
        plan=plan,
        month=month,
        product_line_id__in=[int(x) for x in structure.leaves_under(cell.pl)],
    )
    if salesperson:
        cells = cells.filter(salesperson_id=cell.org.id)
    totals = dict(
        cells.order_by()
        .values("salesperson_id")
        .annotate(c=sum_cents())
        .values_list("salesperson_id", "c")
    )
    country = (plan.method_config or {}).get("country", "CN")
    last = (month.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1)
    days = working_days(month, last, country=country)
    out = []
    for person in sorted(people, key=lambda p: p.code):
        total = int(totals.get(person.id) or 0)
        split = split_days(total, days) if days else {}
        out.append(
            DayTargets(
                salesperson=person,
                month=month,
                product_line=cell.pl,
                amount_cents=total,
                days=sorted(split.items()),
            )
        )
    return out
