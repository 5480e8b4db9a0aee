"""Side-by-side comparison of plan versions and scenarios."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from allocation.forms import GROUP_BY_CHOICES, PlanCompareForm
from allocation.models import Plan
from allocation.selectors import plan_compare, plan_list
from allocation.views.common import percent, require_manager
from salesalloc.core.money import from_cents

# --- compare --------------------------------------------------------------------------------


def _plan_label(plan: Plan) -> str:
    label = _("%(name)s v%(version)s") % {"name": plan.name, "version": plan.version}
    if plan.scenario_of_id is not None:
        label += " · " + _("scenario")
    return label


def _compare_result(
    request: HttpRequest, form: PlanCompareForm, plans: list[Plan]
) -> dict[str, Any]:
    """The comparison table, totals and chart data of the chosen plans."""
    by_id = {p.pk: p for p in plans}
    chosen = [by_id[pk] for pk in form.cleaned_data["plans"]]
    group_by = form.cleaned_data["group_by"]
    rows = plan_compare(
        user=request.user,
        plans=chosen,
        group_by=group_by,
        level=form.cleaned_data.get("level"),
    )
    table = [
        {
            "key": row.key,
            "name": row.name,
            "cells": [
                {
                    "amount": from_cents(amount) if amount is not None else None,
                    "difference": from_cents(diff),
                    "percent": percent(Decimal(diff), Decimal(row.amounts_cents[0] or 0)),
                }
                for amount, diff in zip(row.amounts_cents, row.differences_cents, strict=True)
            ],
        }
        for row in rows
    ]
    totals = [
        from_cents(sum(row.amounts_cents[i] or 0 for row in rows)) for i in range(len(chosen))
    ]
    group_label = dict(GROUP_BY_CHOICES)[group_by]
    return {
        "plans": chosen,
        "labels": [_plan_label(p) for p in chosen],
        "columns": [
            {"label": _plan_label(p), "rebase_query": _rebase_query(request, p.pk)} for p in chosen
        ],
        "rows": table,
        "group_label": group_label,
        "totals": [
            {
                "amount": total,
                "difference": total - totals[0],
                "percent": percent(total - totals[0], totals[0]),
            }
            for total in totals
        ],
        "show_key": group_by not in {"month", "quarter"},
        "chart": {
            "labels": [row.name if group_by in {"month", "quarter"} else row.key for row in rows],
            "names": [row.name for row in rows],
            "datasets": [
                {
                    "label": _plan_label(p),
                    "data": [f"{from_cents(row.amounts_cents[i] or 0):.2f}" for row in rows],
                }
                for i, p in enumerate(chosen)
            ],
        },
    }


def _rebase_query(request: HttpRequest, plan_id: int) -> str:
    """The page's query with ``plan_id`` as the baseline."""
    query = request.GET.copy()
    query["baseline"] = str(plan_id)
    return query.urlencode()


@login_required
@require_GET
def plan_compare_page(request: HttpRequest) -> HttpResponse:
    """Plans and scenarios side by side per org unit, person, product line, month or quarter."""
    require_manager(request)
    plans = list(
        plan_list(user=request.user)
        .select_related("scenario_of")
        .order_by("-fiscal_year", "name", "-version", "pk")
    )
    data = request.GET.copy()
    if "plans" in data:
        ids = [part for value in data.getlist("plans") for part in value.split(",") if part.strip()]
        data.setlist("plans", [part.strip() for part in ids])
    form = PlanCompareForm(data if "plans" in data else None, plans=plans)
    result = None
    if form.is_bound and form.is_valid():
        result = _compare_result(request, form, plans)
    return render(
        request,
        "allocation/plan_compare.html",
        {
            "form": form,
            "plans": plans,
            "selected": set(data.getlist("plans")) if form.is_bound else set(),
            "result": result,
            "locale": "zh-CN" if (get_language() or "").startswith("zh") else "en",
        },
        status=400 if form.is_bound and not form.is_valid() else 200,
    )
