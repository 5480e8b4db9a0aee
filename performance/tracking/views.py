"""The dashboard: attainment, pace and forecast of one node, drilled down by clicking.

The URL names the node (``?org_unit=`` or ``?salesperson=``), the fiscal year, the as-of
date and an optional product line, so every drill-down step can be bookmarked and shared.
All figures come from ``performance.tracking.selectors.attainment_get`` (the same as the API).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from fractions import Fraction
from typing import Any, cast
from urllib.parse import urlencode

from django import forms
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext

from allocation.access import ViewerScope, viewer_scope
from allocation.models import OrgUnit, Plan, ProductLine
from performance.tracking import engine
from performance.tracking.engine import Figures
from performance.tracking.pivot import Pivot, pivot_get
from performance.tracking.responses import (
    response_cache_get,
    response_cache_key,
    response_cache_set,
)
from performance.tracking.selectors import (
    NODE_ORG_UNIT,
    NODE_PRODUCT_LINE,
    NODE_SALESPERSON,
    Attainment,
    Node,
    attainment_get,
    tracking_years,
)
from salesalloc.core.db import use_replica
from salesalloc.core.money import from_cents
from salesalloc.core.queryparams import query_problems, warn_query_problems


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
    measure = forms.ChoiceField(
        choices=Plan.Measure.choices, required=False, widget=forms.HiddenInput
    )

    def __init__(self, *args: Any, years: list[int], lines: list[ProductLine], **kwargs: Any):
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["year"]).choices = [
            (year, f"FY{year}") for year in years
        ]
        cast(forms.ChoiceField, self.fields["product_line"]).choices = [
            ("", _("All product lines"))
        ] + [(line.code, ("\u2003" * line.depth) + f"{line.code} {line.name}") for line in lines]


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


def dashboard_url(
    *,
    year: int,
    as_of: dt.date,
    node: Node | None,
    product_line: str = "",
    measure: str = Plan.Measure.REVENUE,
) -> str:
    """The dashboard URL of a node (None: the viewer's default node), for ``measure``."""
    query: dict[str, Any] = {"year": year, "as_of": as_of.isoformat()}
    if node is not None:
        query.update(node.query)
    if product_line:
        query["product_line"] = product_line
    if measure != Plan.Measure.REVENUE:
        query["measure"] = measure
    return f"{reverse('dashboard')}?{urlencode(query)}"


def measure_tabs(
    *, revenue: Plan | None, year: int, as_of: dt.date, node: Node, product_line: str, measure: str
) -> list[dict[str, Any]]:
    """The dashboard's measure switch: revenue and each measure the year's plan targets."""
    measures = [Plan.Measure.REVENUE.value]
    if revenue is not None:
        measures += list(revenue.measures.order_by("pk").values_list("measure", flat=True))
    return [
        {
            "measure": m,
            "label": Plan.Measure(m).label,
            "current": m == measure,
            "url": dashboard_url(
                year=year, as_of=as_of, node=node, product_line=product_line, measure=m
            ),
        }
        for m in measures
    ]


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
        titles: dict[str, str] = {
            OrgUnit.Kind.REGION: _("By region"),
            OrgUnit.Kind.DEPARTMENT: _("By department"),
            OrgUnit.Kind.TEAM: _("By team"),
        }
        return titles.get(kind, _("By org unit"))
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
    # The figures fragment is cached whole per viewer scope and query; the page around it
    # (navigation, user menu) is rendered for this request.
    key = response_cache_key(
        kind="dashboard",
        scope=scope,
        params={name: request.GET.getlist(name) for name in DashboardForm.base_fields},
        today=today,
    )
    cached = response_cache_get(key)
    body = cached if isinstance(cached, str) else None
    if body is None:
        body = render_to_string(
            "performance/_dashboard_body.html",
            _dashboard_context(request, scope=scope, today=today),
            request=request,
        )
        response_cache_set(key, body)
    # ``body`` is our own template's output, autoescaped when it was rendered.
    page = {"scope": scope, "body": mark_safe(body)}  # noqa: S308
    return render(request, "performance/dashboard.html", page)


def _dashboard_context(
    request: HttpRequest, *, scope: ViewerScope, today: dt.date
) -> dict[str, Any]:
    """The figures fragment's context: the node's attainment, children, pivot and chart."""
    years = tracking_years(user=request.user, today=today)
    lines = list(ProductLine.objects.order_by("path"))
    form = DashboardForm(request.GET or None, years=years, lines=lines)
    problems = query_problems(form)  # shown in the (cached) fragment itself
    data = form.cleaned_data if form.is_bound and form.is_valid() else {}
    year = data.get("year") or today.year
    from performance.tracking.selectors import Resolved, tracking_node_get, tracking_plan_get

    target = tracking_node_get(
        user=request.user,
        org_unit=data.get("org_unit") or None,
        salesperson=data.get("salesperson") or None,
    )
    measure = data.get("measure") or Plan.Measure.REVENUE
    plan = tracking_plan_get(year=year, target=target, measure=measure)
    as_of = data.get("as_of") or _default_as_of(year, plan.start_month if plan else 1, today)
    product_line = data.get("product_line") or ""
    resolved = Resolved(target=target, plan=plan)
    result = attainment_get(
        user=request.user,
        year=year,
        as_of=as_of,
        product_line=product_line or None,
        resolved=resolved,
        measure=measure,
    )
    form = DashboardForm(
        initial={
            "year": year,
            "as_of": as_of,
            "product_line": product_line,
            "measure": measure,
            **result.node.query,
        },
        years=years,
        lines=lines,
    )
    main = _row(result.figures)
    children = _children_rows(result, year=year, as_of=as_of, product_line=product_line)
    crumbs = [
        {"node": node, "url": dashboard_url(year=year, as_of=as_of, node=node, measure=measure)}
        for node in result.breadcrumbs
    ]
    pivot = None  # the product-line pivot is of revenue
    if result.children_kind == NODE_ORG_UNIT and result.children and measure == "revenue":
        pivot = _pivot_context(pivot_get(user=request.user, year=year, resolved=resolved))
    return {
        "scope": scope,
        "form": form,
        "query_problems": problems,
        "result": result,
        "main": main,
        "tiles": _tiles(main),
        "months": _month_rows(result),
        "children": children,
        "children_title": children_title(result),
        "crumbs": crumbs,
        "pivot": pivot,
        "chart_data": _chart(result, as_of=as_of, children=children),
        "as_of": as_of,
        "measure": measure,
        "measure_tabs": measure_tabs(
            revenue=plan if measure == "revenue" else tracking_plan_get(year=year, target=target),
            year=year,
            as_of=as_of,
            node=result.node,
            product_line=product_line,
            measure=measure,
        ),
    }


def _month_rows(result: Attainment) -> list[dict[str, Any]]:
    return [
        {
            "label": date_format(row.month, "YEAR_MONTH_FORMAT"),
            "target": _money(row.target),
            "actual": _money(row.actual),
            "forecast": _money(row.forecast),
        }
        for row in result.figures.months
    ]


def _tiles(main: dict[str, Any]) -> list[dict[str, Any]]:
    """The dashboard's headline tiles from the node's formatted figures."""
    return [
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


def _children_rows(
    result: Attainment, *, year: int, as_of: dt.date, product_line: str
) -> list[dict[str, Any]]:
    """The children table: each child's figures and the dashboard URL that drills into it
    (a product line narrows the same node; an org unit or salesperson becomes the node)."""
    return [
        {
            "node": child.node,
            "url": dashboard_url(
                year=year,
                as_of=as_of,
                node=result.node if child.node.kind == NODE_PRODUCT_LINE else child.node,
                product_line=child.node.code
                if child.node.kind == NODE_PRODUCT_LINE
                else product_line,
                measure=result.measure,
            ),
            **_row(child.figures),
        }
        for child in result.children
    ]


def _pivot_context(raw: Pivot) -> dict[str, Any]:
    """The product-line pivot as the template shows it: actual and attainment per cell."""
    return {
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
            {"actual": _money(c.actual), "attainment": _percent(c.attainment)} for c in raw.totals
        ],
    }


def _chart(result: Attainment, *, as_of: dt.date, children: list[dict[str, Any]]) -> dict[str, Any]:
    """The chart's data: cumulative target, actual to ``as_of`` and the forecast joining it,
    and the children's actual vs expected bars."""
    figures = result.figures
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
    return {
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


# --- Ranking ---------------------------------------------------------------------------------


@login_required
@use_replica
def ranking(request: HttpRequest) -> HttpResponse:
    """A leaderboard of the salespeople in a peer group by attainment or pace."""
    from django.core.exceptions import PermissionDenied

    from allocation.selectors import org_unit_list
    from performance.tracking.ranking import ranking_get
    from performance.tracking.selectors import tracking_node_get, tracking_plan_get

    scope = viewer_scope(user=request.user)
    if scope.role == "none":
        raise PermissionDenied
    today = timezone.localdate()
    years = tracking_years(user=request.user, today=today)
    units = list(org_unit_list(user=request.user).order_by("path")) if scope.can_manage else []
    form = RankingForm(request.GET or None, years=years, units=units)
    warn_query_problems(request, form)
    data = form.cleaned_data if form.is_bound and form.is_valid() else {}
    year = data.get("year") or today.year
    org_unit = (data.get("org_unit") or None) if scope.can_manage else None
    plan = tracking_plan_get(
        year=year, target=tracking_node_get(user=request.user, org_unit=org_unit)
    )
    as_of = data.get("as_of") or _default_as_of(year, plan.start_month if plan else 1, today)
    by = data.get("by") or "attainment"
    measure = data.get("measure") or Plan.Measure.REVENUE
    result = ranking_get(
        user=request.user, year=year, as_of=as_of, org_unit=org_unit, by=by, measure=measure
    )
    form = RankingForm(
        initial={
            "year": year,
            "as_of": as_of,
            "by": by,
            "org_unit": result.group.code,
            "measure": measure,
        },
        years=years,
        units=units,
    )
    rows = [
        {
            "rank": row.rank,
            "node": row.node,
            "url": dashboard_url(year=year, as_of=as_of, node=row.node, measure=measure),
            **_row(row.figures),
            "attainment_band": band(row.figures.attainment),
        }
        for row in result.rows
    ]
    return render(
        request,
        "performance/ranking.html",
        {
            "form": form,
            "result": result,
            "rows": rows,
            "scope": scope,
            "as_of": as_of,
            "measure": measure,
        },
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
    measure = forms.ChoiceField(
        label=gettext_lazy("Measure"), required=False, choices=Plan.Measure.choices
    )

    def __init__(self, *args: Any, years: list[int], units: list[OrgUnit], **kwargs: Any):
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["year"]).choices = [
            (year, f"FY{year}") for year in years
        ]
        cast(forms.ChoiceField, self.fields["org_unit"]).choices = [("", "")] + [
            (unit.code, ("\u2003" * unit.depth) + f"{unit.code} {unit.name}") for unit in units
        ]
