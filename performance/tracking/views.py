"""The dashboard: attainment, pace and forecast of one node, drilled down by clicking.

The URL names the node (``?org_unit=`` or ``?salesperson=``), the fiscal year, the as-of
date and an optional product line, so every drill-down step can be bookmarked and shared.
All figures come from ``performance.tracking.selectors.attainment_get`` (the same as the API).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from fractions import Fraction
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext

from allocation.access import viewer_scope
from allocation.models import OrgUnit, ProductLine
from performance.tracking import engine
from performance.tracking.engine import Figures
from performance.tracking.selectors import (
    NODE_ORG_UNIT,
    NODE_PRODUCT_LINE,
    NODE_SALESPERSON,
    Attainment,
    Node,
    attainment_get,
    pivot_get,
    tracking_years,
)
from salesalloc.core.db import use_replica
from salesalloc.core.money import from_cents


class DashboardForm(forms.Form):
    year = forms.TypedChoiceField(label=gettext_lazy("Fiscal year"), coerce=int, required=False)
    as_of = forms.DateField(
        label=gettext_lazy("As of"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    product_line = forms.ChoiceField(label=gettext_lazy("Product line"), required=False)
    org_unit = forms.CharField(required=False, max_length=50, widget=forms.HiddenInput)
    salesperson = forms.CharField(required=False, max_length=50, widget=forms.HiddenInput)

    def __init__(self, *args: Any, years: list[int], lines: list[ProductLine], **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["year"].choices = [(year, f"FY{year}") for year in years]
        self.fields["product_line"].choices = [("", _("All product lines"))] + [
            (line.code, ("\u2003" * line.depth) + f"{line.code} {line.name}") for line in lines
        ]


def band(value: Fraction | None) -> str:
    """The status band of a ratio (pace, attainment, forecast / target) for colouring.

    ``good`` at or above the warning threshold, ``warn`` down to the critical one, ``bad``
    below; the thresholds are the pace alert's (``SALESALLOC_ALERT_PACE_*``).
    """
    if value is None:
        return "none"
    if value >= Fraction(str(settings.SALESALLOC_ALERT_PACE_WARNING)):
        return "good"
    if value >= Fraction(str(settings.SALESALLOC_ALERT_PACE_CRITICAL)):
        return "warn"
    return "bad"


def _money(cents: int | None) -> Decimal | None:
    return None if cents is None else from_cents(cents)


def _percent(value: Fraction | None) -> str:
    if value is None:
        return "–"
    return f"{Decimal(value.numerator) / Decimal(value.denominator) * 100:.1f}%"


def _forecast_ratio(figures: Figures) -> Fraction | None:
    return (
        engine.ratio(figures.forecast_statistical or 0, figures.target)
        if (figures.forecast_statistical is not None)
        else None
    )


def _row(figures: Figures) -> dict[str, Any]:
    forecast_ratio = _forecast_ratio(figures)
    return {
        "target": _money(figures.target),
        "actual": _money(figures.actual),
        "actual_to_date": _money(figures.actual_to_date),
        "expected_to_date": _money(figures.expected_to_date),
        "pace": _percent(figures.pace),
        "pace_band": band(figures.pace),
        "attainment": _percent(figures.attainment),
        "forecast": _money(figures.forecast_statistical),
        "forecast_ratio": _percent(forecast_ratio),
        "forecast_band": band(forecast_ratio),
        "method": figures.forecast_method,
    }


def dashboard_url(*, year: int, as_of: dt.date, node: Node | None, product_line: str = "") -> str:
    """The dashboard URL of a node (None: the viewer's default node)."""
    query: dict[str, Any] = {"year": year, "as_of": as_of.isoformat()}
    if node is not None:
        query.update(node.query)
    if product_line:
        query["product_line"] = product_line
    return f"{reverse('dashboard')}?{urlencode(query)}"


def children_title(result: Attainment) -> str:
    """What the children table lists: "By region", "By team", "By salesperson"..."""
    kinds = {child.node.kind for child in result.children}
    org_kinds = {child.node.org_kind for child in result.children if child.node.org_kind}
    if kinds == {NODE_PRODUCT_LINE}:
        return _("By product line")
    if kinds == {NODE_SALESPERSON}:
        return _("By salesperson")
    if kinds == {NODE_ORG_UNIT} and len(org_kinds) == 1:
        kind = org_kinds.pop()
        return {
            OrgUnit.Kind.REGION: _("By region"),
            OrgUnit.Kind.DEPARTMENT: _("By department"),
            OrgUnit.Kind.TEAM: _("By team"),
        }.get(kind, _("By org unit"))
    return _("By org unit and salesperson")


def _default_as_of(year: int, start_month: int, today: dt.date) -> dt.date:
    months = engine.fiscal_months(year, start_month)
    if today < months[0]:
        return months[0]
    return min(today, engine.month_end(months[-1]))


def _cumulative(values: list[int | None]) -> list[str | None]:
    out: list[str | None] = []
    running = 0
    for value in values:
        if value is None:
            out.append(None)
            continue
        running += value
        out.append(str(from_cents(running)))
    return out


@login_required
@use_replica
def dashboard(request: HttpRequest) -> HttpResponse:
    """One node's tiles, cumulative chart, children (drill-down) and product-line pivot."""
    scope = viewer_scope(user=request.user)
    if scope.role == "none":
        return render(request, "performance/dashboard.html", {"scope": scope})
    today = timezone.localdate()
    years = tracking_years(user=request.user, today=today)
    lines = list(ProductLine.objects.order_by("path"))
    form = DashboardForm(request.GET or None, years=years, lines=lines)
    data = form.cleaned_data if form.is_bound and form.is_valid() else {}
    year = data.get("year") or today.year
    from performance.tracking.selectors import Resolved, tracking_node_get, tracking_plan_get

    plan = tracking_plan_get(year=year)
    as_of = data.get("as_of") or _default_as_of(year, plan.start_month if plan else 1, today)
    product_line = data.get("product_line") or ""
    resolved = Resolved(
        target=tracking_node_get(
            user=request.user,
            org_unit=data.get("org_unit") or None,
            salesperson=data.get("salesperson") or None,
        ),
        plan=plan,
    )
    result = attainment_get(
        user=request.user,
        year=year,
        as_of=as_of,
        product_line=product_line or None,
        resolved=resolved,
    )
    form = DashboardForm(
        initial={
            "year": year,
            "as_of": as_of,
            "product_line": product_line,
            **result.node.query,
        },
        years=years,
        lines=lines,
    )
    figures = result.figures
    main = _row(figures)
    tiles = [
        {"key": "target", "label": _("Target"), "value": main["target"], "band": "none"},
        {
            "key": "actual_to_date",
            "label": _("Actual to date"),
            "value": main["actual_to_date"],
            "band": "none",
        },
        {
            "key": "expected_to_date",
            "label": _("Expected to date"),
            "value": main["expected_to_date"],
            "band": "none",
        },
        {"key": "pace", "label": _("Pace"), "text": main["pace"], "band": main["pace_band"]},
        {
            "key": "forecast",
            "label": _("Forecast"),
            "value": main["forecast"],
            "note": _("%(ratio)s of target") % {"ratio": main["forecast_ratio"]},
            "band": main["forecast_band"],
        },
    ]
    short_format = pgettext("date format of a month on a chart axis", "M")
    whole = engine.whole_months([row.month for row in figures.months], as_of)
    open_from = whole + (
        1 if whole < len(figures.months) and figures.months[whole].month <= as_of else 0
    )
    actual_series: list[int | None] = [
        row.actual if k < whole else None for k, row in enumerate(figures.months)
    ]
    if open_from > whole:  # the month of as_of: only what was sold up to that day
        actual_series[whole] = figures.actual_to_date - sum(
            row.actual for row in figures.months[:whole]
        )
    # The forecast line starts where the actual line ends, so the two join.
    forecast_series: list[int | None] = [row.forecast for row in figures.months]
    months = [
        {
            "label": date_format(row.month, "YEAR_MONTH_FORMAT"),
            "target": _money(row.target),
            "actual": _money(row.actual),
            "forecast": _money(row.forecast),
        }
        for row in figures.months
    ]
    children = [
        {
            "node": child.node,
            "url": dashboard_url(
                year=year,
                as_of=as_of,
                node=result.node if child.node.kind == NODE_PRODUCT_LINE else child.node,
                product_line=child.node.code
                if child.node.kind == NODE_PRODUCT_LINE
                else product_line,
            ),
            **_row(child.figures),
        }
        for child in result.children
    ]
    crumbs = [
        {"node": node, "url": dashboard_url(year=year, as_of=as_of, node=node)}
        for node in result.breadcrumbs
    ]
    pivot = None
    if result.children_kind == NODE_ORG_UNIT and result.children:
        raw = pivot_get(user=request.user, year=year, resolved=resolved)
        pivot = {
            "columns": raw.columns,
            "rows": [
                {
                    "node": node,
                    "cells": [
                        {"actual": _money(c.actual), "attainment": _percent(c.attainment)}
                        for c in cells
                    ],
                }
                for node, cells in raw.rows
            ],
            "totals": [
                {"actual": _money(c.actual), "attainment": _percent(c.attainment)}
                for c in raw.totals
            ],
        }
    chart = {
        "labels": [date_format(row.month, short_format) for row in figures.months],
        "target": _cumulative([row.target for row in figures.months]) if result.plan else [],
        "actual": _cumulative(actual_series),
        "forecast": _cumulative(
            [
                v if k >= open_from else (actual_series[k] or 0)
                for k, v in enumerate(forecast_series)
            ]
        )
        if forecast_series and all(v is not None for v in forecast_series[open_from:])
        else [],
        "forecast_from": max(open_from - 1, 0),
        "children": [
            {
                "label": f"{row['node'].code} {row['node'].name}",
                "url": row["url"],
                "actual": str(row["actual_to_date"]),
                "expected": None
                if row["expected_to_date"] is None
                else str(row["expected_to_date"]),
            }
            for row in children
        ],
    }
    return render(
        request,
        "performance/dashboard.html",
        {
            "scope": scope,
            "form": form,
            "result": result,
            "main": main,
            "tiles": tiles,
            "months": months,
            "children": children,
            "children_title": children_title(result),
            "crumbs": crumbs,
            "pivot": pivot,
            "chart_data": chart,
            "as_of": as_of,
        },
    )


# --- Variance report -------------------------------------------------------------------------


class VarianceForm(forms.Form):
    year = forms.TypedChoiceField(label=gettext_lazy("Fiscal year"), coerce=int, required=False)
    period = forms.ChoiceField(
        label=gettext_lazy("Period"),
        required=False,
        choices=[
            ("month", gettext_lazy("Month")),
            ("quarter", gettext_lazy("Quarter")),
            ("year", gettext_lazy("Year")),
        ],
    )
    by = forms.ChoiceField(
        label=gettext_lazy("Rows"),
        required=False,
        choices=[
            ("salesperson", gettext_lazy("Salesperson")),
            ("team", gettext_lazy("Team")),
            ("department", gettext_lazy("Department")),
            ("region", gettext_lazy("Region")),
        ],
    )
    org_unit = forms.ChoiceField(label=gettext_lazy("Org unit"), required=False)
    product_line = forms.ChoiceField(label=gettext_lazy("Product line"), required=False)
    split = forms.BooleanField(label=gettext_lazy("Split by product line"), required=False)
    sort = forms.CharField(required=False, max_length=20, widget=forms.HiddenInput)

    def __init__(
        self,
        *args: Any,
        years: list[int],
        units: list[OrgUnit],
        lines: list[ProductLine],
        **kwargs: Any,
    ):
        super().__init__(*args, **kwargs)
        self.fields["year"].choices = [(year, f"FY{year}") for year in years]
        self.fields["org_unit"].choices = [("", _("Everything you can see"))] + [
            (unit.code, ("\u2003" * unit.depth) + f"{unit.code} {unit.name}") for unit in units
        ]
        self.fields["product_line"].choices = [("", _("All product lines"))] + [
            (line.code, ("\u2003" * line.depth) + f"{line.code} {line.name}") for line in lines
        ]


def _variance_columns() -> list[tuple[str, str]]:
    return [
        ("name", _("Name")),
        ("period", _("Period")),
        ("product_line", _("Product line")),
        ("target", _("Target")),
        ("achieved", _("Achieved")),
        ("variance", _("Variance")),
        ("attainment", _("Attainment")),
    ]


@login_required
@use_replica
def variance_report(request: HttpRequest) -> HttpResponse:
    """Target vs achieved by person or unit × period × product line; CSV/XLSX export."""
    from django.core.exceptions import PermissionDenied

    from allocation.selectors import org_unit_list
    from performance.tracking.variance import variance_report_get
    from salesalloc.core.export import export_response

    scope = viewer_scope(user=request.user)
    if scope.role == "none":
        raise PermissionDenied
    today = timezone.localdate()
    years = tracking_years(user=request.user, today=today)
    units = list(org_unit_list(user=request.user).order_by("path")) if scope.can_manage else []
    lines = list(ProductLine.objects.order_by("path"))
    form = VarianceForm(request.GET or None, years=years, units=units, lines=lines)
    data = form.cleaned_data if form.is_bound and form.is_valid() else {}
    year = data.get("year") or today.year
    period = data.get("period") or "month"
    by = data.get("by") or "salesperson"
    sort = data.get("sort") or "name"
    report = variance_report_get(
        user=request.user,
        year=year,
        period=period,
        by=by,
        org_unit=data.get("org_unit") or None,
        product_line=data.get("product_line") or None,
        split_product_lines=bool(data.get("split")),
        sort=sort,
    )
    fmt = request.GET.get("export")
    if fmt in ("csv", "xlsx"):
        header = [label for _key, label in _variance_columns()]
        header[0:1] = [_("Code"), _("Name")]
        return export_response(
            fmt,
            filename=f"variance-FY{year}-{period}",
            header=header,
            rows=(
                [
                    row.code,
                    row.name,
                    row.period,
                    row.product_line,
                    _money(row.target),
                    from_cents(row.achieved),
                    _money(row.variance),
                    None
                    if row.attainment is None
                    else Decimal(row.attainment.numerator) / Decimal(row.attainment.denominator),
                ]
                for row in report.rows
            ),
        )
    params = {k: v for k, v in request.GET.items() if k not in ("sort", "export")}
    columns = []
    for key, label in _variance_columns():
        next_sort = f"-{key}" if sort == key else key
        columns.append(
            {
                "key": key,
                "label": label,
                "url": f"?{urlencode({**params, 'sort': next_sort})}",
                "sorted": "ascending"
                if sort == key
                else ("descending" if sort == f"-{key}" else ""),
                "num": key in ("target", "achieved", "variance", "attainment"),
            }
        )
    rows = [
        {
            "code": row.code,
            "name": row.name,
            "period": row.period,
            "product_line": row.product_line,
            "target": _money(row.target),
            "achieved": from_cents(row.achieved),
            "variance": _money(row.variance),
            "attainment": _percent(row.attainment),
            "band": band(row.attainment),
        }
        for row in report.rows
    ]
    total = report.total
    return render(
        request,
        "performance/variance_report.html",
        {
            "form": form,
            "report": report,
            "columns": columns,
            "rows": rows,
            "total": {
                "target": _money(total.target),
                "achieved": from_cents(total.achieved),
                "variance": _money(total.variance),
                "attainment": _percent(total.attainment),
            },
            "export_csv": f"?{urlencode({**params, 'sort': sort, 'export': 'csv'})}",
            "export_xlsx": f"?{urlencode({**params, 'sort': sort, 'export': 'xlsx'})}",
        },
    )


# --- Ranking ---------------------------------------------------------------------------------


@login_required
@use_replica
def ranking(request: HttpRequest) -> HttpResponse:
    """A leaderboard of the salespeople in a peer group by attainment or pace."""
    from django.core.exceptions import PermissionDenied

    from allocation.selectors import org_unit_list
    from performance.tracking.selectors import ranking_get, tracking_plan_get

    scope = viewer_scope(user=request.user)
    if scope.role == "none":
        raise PermissionDenied
    today = timezone.localdate()
    years = tracking_years(user=request.user, today=today)
    units = list(org_unit_list(user=request.user).order_by("path")) if scope.can_manage else []
    form = RankingForm(request.GET or None, years=years, units=units)
    data = form.cleaned_data if form.is_bound and form.is_valid() else {}
    year = data.get("year") or today.year
    plan = tracking_plan_get(year=year)
    as_of = data.get("as_of") or _default_as_of(year, plan.start_month if plan else 1, today)
    by = data.get("by") or "attainment"
    result = ranking_get(
        user=request.user,
        year=year,
        as_of=as_of,
        org_unit=(data.get("org_unit") or None) if scope.can_manage else None,
        by=by,
    )
    form = RankingForm(
        initial={"year": year, "as_of": as_of, "by": by, "org_unit": result.group.code},
        years=years,
        units=units,
    )
    rows = [
        {
            "rank": row.rank,
            "node": row.node,
            "url": dashboard_url(year=year, as_of=as_of, node=row.node),
            **_row(row.figures),
            "attainment_band": band(row.figures.attainment),
        }
        for row in result.rows
    ]
    return render(
        request,
        "performance/ranking.html",
        {"form": form, "result": result, "rows": rows, "scope": scope, "as_of": as_of},
    )


class RankingForm(forms.Form):
    year = forms.TypedChoiceField(label=gettext_lazy("Fiscal year"), coerce=int, required=False)
    as_of = forms.DateField(
        label=gettext_lazy("As of"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    org_unit = forms.ChoiceField(label=gettext_lazy("Peer group"), required=False)
    by = forms.ChoiceField(
        label=gettext_lazy("Rank by"),
        required=False,
        choices=[("attainment", gettext_lazy("Attainment")), ("pace", gettext_lazy("Pace"))],
    )

    def __init__(self, *args: Any, years: list[int], units: list[OrgUnit], **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["year"].choices = [(year, f"FY{year}") for year in years]
        self.fields["org_unit"].choices = [("", "")] + [
            (unit.code, ("\u2003" * unit.depth) + f"{unit.code} {unit.name}") for unit in units
        ]
