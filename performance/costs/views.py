"""The cost-allocation page: the contribution-margin report with a chart, export, pools."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponseBase
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from allocation.access import viewer_scope
from performance.costs.models import CostPool
from performance.costs.selectors import NoTierSnapshotError, contribution_report, cost_pool_list
from performance.costs.services import NO_TIERS
from performance.periods import parse_period
from salesalloc.core.export import export_response
from salesalloc.core.money import CENT, money_str
from salesalloc.core.queryparams import warn_bad_param


@login_required
def contribution_margin_page(request: HttpRequest) -> HttpResponseBase:
    """Revenue − cost of goods − allocated cost per region or product line for a period."""
    scope = viewer_scope(user=request.user)
    if not scope.can_manage:
        raise PermissionDenied
    default = f"{timezone.localdate().year}"
    latest = CostPool.objects.order_by("-period_start").values_list("period", flat=True).first()
    label = request.GET.get("period") or latest or default
    try:
        period = parse_period(label)
    except ValueError:
        warn_bad_param(request, "period", _("give a period as 2019, 2019-Q1 or 2019-03"))
        period = parse_period(latest or default)
    dimension = request.GET.get("dimension", CostPool.Dimension.ORG_UNIT)
    if dimension not in CostPool.Dimension.values:
        warn_bad_param(request, "dimension", _("not a dimension of cost pools"))
        dimension = CostPool.Dimension.ORG_UNIT
    if dimension != CostPool.Dimension.ORG_UNIT and not scope.is_admin:
        raise PermissionDenied
    try:
        report = contribution_report(user=request.user, period=period, dimension=dimension)
    except NoTierSnapshotError:
        messages.warning(request, NO_TIERS)
        dimension = CostPool.Dimension.ORG_UNIT
        report = contribution_report(user=request.user, period=period, dimension=dimension)
    fmt = request.GET.get("format")
    if fmt in ("csv", "xlsx"):
        header = [_("Key"), _("Name"), _("Revenue"), _("Cost of goods"), _("Allocated cost")]
        header += [_("Contribution"), _("Margin %")]
        rows = [
            [
                row.key,
                report.names.get(row.key, ""),
                row.revenue.quantize(CENT),
                row.cost_of_goods.quantize(CENT),
                row.allocated_cost.quantize(CENT),
                row.contribution.quantize(CENT),
                None if row.margin is None else (row.margin * 100).quantize(CENT),
            ]
            for row in report.rows
        ]
        return export_response(
            fmt, filename=f"contribution-{period.label}-{dimension}", header=header, rows=rows
        )
    chart = {
        "labels": [report.names.get(row.key, row.key) for row in report.rows],
        "series": [
            {"label": _("Revenue"), "values": [money_str(r.revenue) for r in report.rows]},
            {
                "label": _("Allocated cost"),
                "values": [money_str(r.allocated_cost) for r in report.rows],
            },
            {
                "label": _("Contribution"),
                "values": [money_str(r.contribution) for r in report.rows],
            },
        ],
    }
    return render(
        request,
        "performance/contribution_margin.html",
        {
            "report": report,
            "rows": [(row, report.names.get(row.key, "")) for row in report.rows],
            "period_label": period.label,
            "dimension": dimension,
            "scope": scope,
            "pools": list(
                cost_pool_list(user=request.user).filter(
                    dimension=dimension, period_start__gte=period.start, period_end__lte=period.end
                )
            ),
            "chart": chart,
        },
    )
