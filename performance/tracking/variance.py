"""Reads for the variance report (ERPNext's "Target Variance"): target vs achieved.

Rows are a salesperson or an org unit (team, department or region) × a period (month,
fiscal quarter or year) × optionally a top-level product line, each with target, achieved,
variance (achieved − target) and attainment. Two ``GROUP BY`` queries over the target and
actuals grids (grouped by salesperson or by their org unit, month and product line), scoped
to what the viewer may see; the rest is arithmetic on the grouped rows.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Case, F, IntegerField, Q, Value, When
from django.http import Http404

from allocation.access import viewer_scope
from allocation.models import ActualCell, OrgUnit, ProductLine, Salesperson, TargetCell
from performance.tracking import engine
from performance.tracking.selectors import (
    OTHER,
    _cents,
    _not_found,
    tracking_node_get,
    tracking_plan_get,
    tracking_unit_get,
)

PERIODS = ("month", "quarter", "year")
BY = ("salesperson", "team", "department", "region")
SORT_KEYS = ("name", "period", "product_line", "target", "achieved", "variance", "attainment")


@dataclass(frozen=True)
class VarianceRow:
    code: str
    name: str
    period: str
    product_line: str  # a top-level product line's code, or "" when not split
    target: int | None  # cents; None without a published plan
    achieved: int

    @property
    def variance(self) -> int | None:
        return None if self.target is None else self.achieved - self.target

    @property
    def attainment(self) -> Fraction | None:
        return engine.ratio(self.achieved, self.target)


@dataclass(frozen=True)
class VarianceReport:
    year: int
    rows: list[VarianceRow]
    total: VarianceRow
    has_plan: bool


def period_label(year: int, start_month: int, month: dt.date, period: str) -> str:
    """The §7 label of the period a month falls in: "2019", "2019-Q1" or "2019-03"."""
    if period == "month":
        return f"{month:%Y-%m}"
    if period == "year":
        return str(year)
    index = (month.year * 12 + month.month) - (year * 12 + start_month)
    return f"{year}-Q{index // 3 + 1}"


def _sort_value(row: VarianceRow, key: str) -> Any:
    value = {
        "name": row.code,
        "period": row.period,
        "product_line": row.product_line,
        "target": row.target,
        "achieved": row.achieved,
        "variance": row.variance,
        "attainment": row.attainment,
    }[key]
    return value


def variance_report_get(
    *,
    user: AbstractBaseUser | AnonymousUser,
    year: int,
    period: str = "month",
    by: str = "salesperson",
    org_unit: str | None = None,
    product_line: str | None = None,
    split_product_lines: bool = False,
    sort: str = "name",
) -> VarianceReport:
    """The variance rows the viewer may see, sorted by ``sort`` ("-" prefix: descending).

    ``org_unit`` narrows to a visible subtree (404 outside); ``product_line`` to one line.
    """
    base = _rows_filter(user=user, org_unit=org_unit, product_line=product_line)
    plan = tracking_plan_get(year=year, target=_report_node(user=user, org_unit=org_unit))
    start_month = plan.start_month if plan else 1
    months = engine.fiscal_months(year, start_month)
    first, after = months[0], engine.add_months(months[-1], 1)
    tops = list(ProductLine.objects.filter(parent__isnull=True).order_by("code"))
    pl_key = (
        _product_line_key(tops)
        if split_product_lines
        else Value(OTHER, output_field=IntegerField())
    )
    who = F("salesperson_id") if by == "salesperson" else F("salesperson__org_unit_id")

    def grouped(queryset: Any) -> list[tuple[int, dt.date, int, int]]:
        return list(
            queryset.filter(base, month__gte=first, month__lt=after)
            .annotate(who=who, pl=pl_key)
            .order_by()
            .values_list("who", "month", "pl")
            .annotate(c=_cents())
        )

    target_rows = grouped(TargetCell.objects.filter(plan=plan)) if plan else []
    actual_rows = grouped(ActualCell.objects.all())

    names = _row_names({raw for raw, *_ in target_rows} | {raw for raw, *_ in actual_rows}, by)

    def key(raw: int, month: dt.date, pl: int) -> tuple[str, str, str]:
        code, _name = names.get(raw, ("", ""))
        label = period_label(year, start_month, month, period)
        return code, label, tops[pl].code if pl != OTHER else ""

    targets: dict[tuple[str, str, str], int] = defaultdict(int)
    achieved: dict[tuple[str, str, str], int] = defaultdict(int)
    for raw, month, pl, cents in target_rows:
        targets[key(raw, month, pl)] += int(cents or 0)
    for raw, month, pl, cents in actual_rows:
        achieved[key(raw, month, pl)] += int(cents or 0)
    by_code = dict(names.values())
    rows = [
        VarianceRow(
            code=code,
            name=by_code.get(code, ""),
            period=label,
            product_line=pl,
            target=targets.get((code, label, pl), 0) if plan else None,
            achieved=achieved.get((code, label, pl), 0),
        )
        for code, label, pl in sorted(set(targets) | set(achieved))
    ]
    total = VarianceRow(
        code="",
        name="",
        period=str(year),
        product_line="",
        target=sum(targets.values()) if plan else None,
        achieved=sum(achieved.values()),
    )
    return VarianceReport(
        year=year, rows=_sorted(rows, sort), total=total, has_plan=plan is not None
    )


def _report_node(
    *, user: AbstractBaseUser | AnonymousUser, org_unit: str | None
) -> OrgUnit | Salesperson | None:
    """The node whose published plan the report reads: ``org_unit``, else the viewer's own
    (the company for admins); None for a viewer with no part of the company."""
    if org_unit:
        return tracking_node_get(user=user, org_unit=org_unit)
    try:
        return tracking_node_get(user=user)
    except Http404:  # nothing of the company is the viewer's: no plan counts
        return None


def _rows_filter(
    *, user: AbstractBaseUser | AnonymousUser, org_unit: str | None, product_line: str | None
) -> Q:
    """Grid rows of the salespeople the viewer sees, under ``org_unit`` and ``product_line``
    when given (404 for a unit outside the viewer's scope or an unknown line)."""
    base = Q(viewer_scope(user=user).salesperson_q("salesperson__"))
    if org_unit:
        node = tracking_unit_get(user=user, code=org_unit)
        base &= Q(salesperson__org_unit__path__startswith=node.path)
    if product_line:
        line = ProductLine.objects.filter(code=product_line).first()
        if line is None:
            raise _not_found("product line", product_line)
        base &= Q(product_line__path__startswith=line.path)
    return base


def _product_line_key(tops: list[ProductLine]) -> Case:
    """Each row's top-level product line, as its index in ``tops`` (OTHER: none of them)."""
    return Case(
        *[When(product_line__path__startswith=pl.path, then=Value(i)) for i, pl in enumerate(tops)],
        default=Value(OTHER),
        output_field=IntegerField(),
    )


def _row_names(ids: set[int], by: str) -> dict[int, tuple[str, str]]:
    """(code, name) each raw id stands for: a salesperson, or (``by`` a unit kind) the unit
    of that kind at or above the salesperson's unit."""
    names: dict[int, tuple[str, str]] = {}
    if by == "salesperson":
        for person in Salesperson.objects.filter(pk__in=ids).only("code", "name"):
            names[person.pk] = (person.code, person.name)
        return names
    units = {u.pk: u for u in OrgUnit.objects.filter(pk__in=ids)}
    ancestor_ids = {
        int(part) for u in units.values() for part in u.path.strip("/").split("/") if part
    }
    every = {u.pk: u for u in OrgUnit.objects.filter(pk__in=ancestor_ids | set(units))}
    for pk, unit in units.items():
        chain = [every[int(p)] for p in unit.path.strip("/").split("/") if p]
        chosen = next((u for u in reversed(chain) if u.kind == by), unit)
        names[pk] = (chosen.code, chosen.name)
    return names


def _sorted(rows: list[VarianceRow], sort: str) -> list[VarianceRow]:
    """``rows`` sorted by ``sort`` ("-" prefix: descending; unknown: by name), ties by code,
    period and product line; rows without the figure go last either way."""
    descending = sort.startswith("-")
    sort_key = sort.lstrip("-")
    if sort_key not in SORT_KEYS:
        sort_key, descending = "name", False
    rows = sorted(rows, key=lambda row: (row.code, row.period, row.product_line))
    known = [row for row in rows if _sort_value(row, sort_key) is not None]
    unknown = [row for row in rows if _sort_value(row, sort_key) is None]
    known.sort(key=lambda row: _sort_value(row, sort_key), reverse=descending)
    return known + unknown
