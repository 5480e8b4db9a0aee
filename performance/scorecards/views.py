"""The Scorecards page: a group's ranking with a chart, and one person's KPIs."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext as _

from allocation.access import viewer_scope
from performance.scorecards.selectors import group_rows, scorecard_list, scorecard_template_list
from salesalloc.core.money import money_str
from salesalloc.core.queryparams import warn_bad_param


@login_required
def scorecard_ranking(request: HttpRequest) -> HttpResponse:
    """Ranking tables per peer group for one template and period."""
    scope = viewer_scope(user=request.user)
    if scope.role == "none":
        raise PermissionDenied
    templates = list(scorecard_template_list(user=request.user))
    template_id = request.GET.get("template", "")
    template = next((t for t in templates if str(t.pk) == template_id), None)
    if template is None and template_id:
        warn_bad_param(request, "template", _("no such scorecard template"))
    if template is None and templates:
        template = templates[0]
    rows = scorecard_list(user=request.user)
    rows = rows.filter(template=template) if template else rows.none()
    periods = list(dict.fromkeys(rows.order_by("position").values_list("period", flat=True)))
    period = request.GET.get("period") or ""
    if period and period not in periods:
        warn_bad_param(request, "period", _("no scorecards for that period"))
        period = ""
    period = period or (periods[-1] if periods else "")
    cards = list(rows.filter(period=period))
    groups = group_rows(cards)
    chart = {
        "labels": [card.salesperson.code for card in cards],
        "series": [{"label": _("Score"), "values": [money_str(card.score) for card in cards]}],
    }
    return render(
        request,
        "performance/scorecard_ranking.html",
        {
            "templates": templates,
            "template": template,
            "periods": periods,
            "period": period,
            "groups": sorted(groups.items()),
            "chart": chart,
            "scope": scope,
        },
    )


@login_required
def scorecard_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One person's scorecard: each KPI's actual, target, weight and points."""
    card = get_object_or_404(scorecard_list(user=request.user), pk=pk)
    history = list(
        scorecard_list(user=request.user)
        .filter(template_id=card.template_id, salesperson_id=card.salesperson_id)
        .order_by("position")
    )
    chart = {
        "labels": [row.period for row in history],
        "series": [{"label": _("Score"), "values": [money_str(row.score) for row in history]}],
    }
    return render(
        request,
        "performance/scorecard_detail.html",
        {"card": card, "history": history, "chart": chart},
    )
