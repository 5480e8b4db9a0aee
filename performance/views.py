"""Browser pages of the performance area: the dashboard."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy, pgettext

from allocation.access import viewer_scope
from performance.selectors import BREAKDOWN_REGION, Bucket, dashboard_get, dashboard_years
from salesalloc.core.money import money_str


class DashboardYearForm(forms.Form):
    year = forms.TypedChoiceField(label=gettext_lazy("Year"), coerce=int)

    def __init__(self, *args: Any, years: list[int], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["year"].choices = [(year, str(year)) for year in years]


def _chart_rows(buckets: list[Bucket]) -> list[dict[str, str]]:
    """Chart data for ``json_script``: exact decimal strings, converted by the browser."""
    return [
        {
            "key": bucket.key,
            "label": bucket.label,
            "amount": money_str(bucket.amount) or "0.00",
            "target": money_str(bucket.target),
        }
        for bucket in buckets
    ]


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    """The viewer's totals, actuals by month and by region (or product line) for one year."""
    years = dashboard_years(user=request.user)
    form = DashboardYearForm(request.GET or None, years=years)
    year = form.cleaned_data["year"] if form.is_bound and form.is_valid() else None
    data = dashboard_get(user=request.user, year=year)
    if not form.is_bound and data.year is not None:
        form = DashboardYearForm(initial={"year": data.year}, years=years)

    months = [
        Bucket(
            key=bucket.key,
            label=date_format(dt.date.fromisoformat(bucket.key + "-01"), "YEAR_MONTH_FORMAT"),
            amount=bucket.amount,
            lines=bucket.lines,
            target=bucket.target,
        )
        for bucket in data.by_month
    ]
    # A date format per language: "Jan" in English, "1月" in Chinese.
    short_format = pgettext("date format of a month on a chart axis", "M")
    short_months = [
        date_format(dt.date.fromisoformat(bucket.key + "-01"), short_format)
        for bucket in data.by_month
    ]
    breakdown = data.breakdown
    month_chart = [
        {**row, "label": label}
        for row, label in zip(_chart_rows(months), short_months, strict=True)
    ]
    return render(
        request,
        "performance/dashboard.html",
        {
            "form": form,
            "data": data,
            "scope": viewer_scope(user=request.user),
            "months": months,
            "breakdown": breakdown,
            "breakdown_is_region": data.breakdown_kind == BREAKDOWN_REGION,
            "chart_data": {
                "months": month_chart,
                "breakdown": _chart_rows(breakdown),
            },
        },
    )
