"""Commission pages: the statement list, one printable statement, exports, approve and pay."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from allocation.access import viewer_scope
from allocation.selectors import managed_salesperson_list
from performance.commissions.models import CommissionStatement
from performance.commissions.selectors import commission_plan_list, commission_statement_list
from performance.commissions.services import commission_statement_approve, commission_statement_pay
from salesalloc.core.exceptions import ApplicationError
from salesalloc.core.export import export_response
from salesalloc.core.queryparams import warn_bad_param

LIST_LIMIT = 500


@login_required
def commission_list(request: HttpRequest) -> HttpResponse:
    """Statements the viewer may see, filtered by plan and period."""
    scope = viewer_scope(user=request.user)
    if scope.role == "none":
        raise PermissionDenied
    plans = list(commission_plan_list(user=request.user))
    rows = commission_statement_list(user=request.user)
    plan_id = request.GET.get("plan", "")
    period = request.GET.get("period", "")
    if plan_id and not any(str(p.pk) == plan_id for p in plans):
        warn_bad_param(request, "plan", _("no such commission plan"))
        plan_id = ""
    if plan_id:
        rows = rows.filter(plan_id=int(plan_id))
    elif plans:
        plan_id = str(plans[0].pk)
        rows = rows.filter(plan_id=plans[0].pk)
    periods = sorted(set(rows.values_list("period", flat=True)))
    if period and period not in periods:
        warn_bad_param(request, "period", _("no statements for that period"))
        period = ""
    if period:
        rows = rows.filter(period=period)
    return render(
        request,
        "performance/commission_list.html",
        {
            "plans": plans,
            "plan_id": plan_id,
            "periods": periods,
            "period": period,
            "statements": list(rows[:LIST_LIMIT]),
            "scope": scope,
        },
    )


def _export_rows(statement: CommissionStatement) -> list[list[object]]:
    rows: list[list[object]] = [
        [line.label, line.base, line.rate.normalize(), line.amount]
        for line in statement.lines.all()
    ]
    rows.append([_("Sum of lines"), None, None, statement.subtotal])
    if statement.cap is not None:
        rows.append([_("Cap"), None, None, statement.cap])
    rows.append([_("Total"), None, None, statement.total])
    return rows


@login_required
def commission_statement_detail(request: HttpRequest, pk: int) -> HttpResponseBase:
    """One statement whose lines explain every amount; ``?format=csv|xlsx`` downloads it."""
    statement = get_object_or_404(commission_statement_list(user=request.user), pk=pk)
    fmt = request.GET.get("format")
    if fmt in ("csv", "xlsx"):
        name = f"commission-{statement.salesperson.code}-{statement.period}"
        header = [_("Line"), _("Base"), _("Rate"), _("Amount")]
        return export_response(fmt, filename=name, header=header, rows=_export_rows(statement))
    managed = managed_salesperson_list(user=request.user).filter(pk=statement.salesperson_id)
    scope = viewer_scope(user=request.user)
    return render(
        request,
        "performance/commission_statement.html",
        {
            "statement": statement,
            "lines": list(statement.lines.all()),
            "can_approve": statement.status == "draft" and managed.exists(),
            "can_pay": statement.status == "approved" and scope.is_admin,
        },
    )


def _transition(request: HttpRequest, pk: int, *, pay: bool) -> HttpResponse:
    scope = viewer_scope(user=request.user)
    rows = commission_statement_list(user=request.user)
    if pay and not scope.is_admin:
        raise PermissionDenied
    if not pay:
        rows = rows.filter(salesperson__in=managed_salesperson_list(user=request.user))
    statement = get_object_or_404(rows, pk=pk)
    try:
        if pay:
            commission_statement_pay(statement=statement, actor=request.user)
            messages.success(request, _("The statement is marked paid."))
        else:
            commission_statement_approve(statement=statement, actor=request.user)
            messages.success(request, _("The statement is approved and frozen."))
    except ApplicationError as exc:
        messages.error(request, exc.message)
    return redirect("commission-statement", pk=pk)


@login_required
@require_POST
def commission_statement_approve_view(request: HttpRequest, pk: int) -> HttpResponse:
    return _transition(request, pk, pay=False)


@login_required
@require_POST
def commission_statement_pay_view(request: HttpRequest, pk: int) -> HttpResponse:
    return _transition(request, pk, pay=True)
