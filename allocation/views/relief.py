"""Quota relief pages: ask for it, the requests waiting for you, decide, history per plan."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from allocation.access import viewer_scope
from allocation.models import Plan, ReliefRequest
from allocation.relief_forms import (
    ReliefDecisionForm,
    ReliefRequestForm,
    ReliefRuleForm,
    ReliefWithdrawForm,
)
from allocation.selectors import (
    plan_get,
    plan_list,
    relief_may_decide,
    relief_request_get,
    relief_request_list,
    relief_requestable_people,
    relief_to_decide_list,
)
from allocation.services import (
    ReliefInput,
    relief_approve,
    relief_request_create,
    relief_request_reject,
    relief_request_withdraw,
)
from allocation.services.plans import plan_update
from allocation.views.common import error_text
from salesalloc.core.exceptions import ApplicationError
from salesalloc.core.users import acting_user

LIST_LIMIT = 200


def _require_role(request: HttpRequest) -> None:
    if viewer_scope(user=request.user).role == "none":
        raise PermissionDenied


def _rows(request: HttpRequest, rows: Any) -> list[dict[str, Any]]:
    return [
        {"request": row, "decide": relief_may_decide(user=request.user, request=row)[0]}
        for row in rows[:LIST_LIMIT]
    ]


@login_required
@require_GET
def relief_list_page(request: HttpRequest) -> HttpResponse:
    """What waits for the viewer's decision, and every request they may see."""
    _require_role(request)
    to_decide = list(relief_to_decide_list(user=request.user)[:LIST_LIMIT])
    waiting = {row.pk for row in to_decide}
    others = relief_request_list(user=request.user).exclude(pk__in=waiting)
    return render(
        request,
        "allocation/relief_list.html",
        {"to_decide": _rows(request, to_decide), "rows": _rows(request, others), "plan": None},
    )


@login_required
@require_GET
def plan_relief_page(request: HttpRequest, pk: int) -> HttpResponse:
    """The relief history of one plan (the part of it the viewer may see)."""
    _require_role(request)
    plan = plan_get(user=request.user, plan_id=pk)
    rows = relief_request_list(user=request.user).filter(plan=plan)
    can_ask = relief_requestable_people(user=request.user, plan=plan).exists()
    rule_form = None
    if viewer_scope(user=request.user).is_admin and plan.status != Plan.Status.ARCHIVED:
        rule_form = ReliefRuleForm(initial={"relief_distribution": plan.relief_distribution})
    return render(
        request,
        "allocation/relief_list.html",
        {
            "to_decide": [],
            "rows": _rows(request, rows),
            "plan": plan,
            "can_ask": can_ask,
            "rule_form": rule_form,
        },
    )


@login_required
@require_POST
def plan_relief_rule(request: HttpRequest, pk: int) -> HttpResponse:
    """Admins: what approved relief does by default on this plan (also once published)."""
    if not viewer_scope(user=request.user).is_admin:
        raise PermissionDenied
    plan = plan_get(user=request.user, plan_id=pk)
    form = ReliefRuleForm(request.POST)
    if form.is_valid():
        try:
            plan_update(
                plan=plan,
                relief_distribution=form.cleaned_data["relief_distribution"],
                actor=acting_user(request.user),
            )
        except (ValidationError, ApplicationError) as error:
            messages.error(request, error_text(error))
        else:
            messages.success(request, _("The plan's relief rule was saved."))
    else:
        messages.error(request, _("Choose absorb or redistribute."))
    return redirect("plan-relief", pk=plan.pk)


def _form_plan(request: HttpRequest) -> Plan:
    raw = request.GET.get("plan") or request.POST.get("plan") or ""
    if not raw.isdigit():
        published = plan_list(user=request.user).filter(
            status=Plan.Status.PUBLISHED, scenario_of__isnull=True, measure_of__isnull=True
        )
        plan = published.order_by("-fiscal_year", "-published_at").first()
        if plan is None:
            raise Http404(_("There is no published plan to ask relief on."))
        return plan
    return plan_get(user=request.user, plan_id=int(raw))


def _request_form(request: HttpRequest, plan: Plan) -> ReliefRequestForm:
    people = list(relief_requestable_people(user=request.user, plan=plan))
    if not people:
        raise PermissionDenied
    lines = list(plan.product_lines.order_by("path"))
    data = request.POST if request.method == "POST" else None
    return ReliefRequestForm(data, plan=plan, people=people, lines=lines)


def _create(request: HttpRequest, plan: Plan, form: ReliefRequestForm) -> ReliefRequest | None:
    amount, share = form.size_values()
    try:
        return relief_request_create(
            plan=plan,
            data=ReliefInput(
                salesperson=form.person(),
                reason=form.cleaned_data["reason"],
                description=form.cleaned_data["description"],
                amount=amount,
                share=share,
                months=form.cleaned_data["months"],
                product_lines=form.product_line_objects(),
            ),
            actor=request.user,
        )
    except ValidationError as error:
        problems = error.error_dict if hasattr(error, "error_dict") else {None: error.error_list}
        for name, errors in problems.items():
            field = name if name in form.fields else None
            for problem in errors:
                form.add_error(field, problem)
    except ApplicationError as error:
        form.add_error(None, error_text(error))
    return None


@login_required
@require_http_methods(["GET", "POST"])
def relief_create_page(request: HttpRequest) -> HttpResponse:
    """Ask for relief on a published plan (``?plan=``): for yourself, or someone you manage."""
    _require_role(request)
    plan = _form_plan(request)
    form = _request_form(request, plan)
    if request.method == "POST" and form.is_valid():
        row = _create(request, plan, form)
        if row is not None:
            messages.success(
                request,
                _("Your relief request #%(id)s was sent for a decision.") % {"id": row.pk},
            )
            return redirect("relief-detail", pk=row.pk)
    status = 400 if form.is_bound else 200
    return render(
        request, "allocation/relief_form.html", {"plan": plan, "form": form}, status=status
    )


def _detail_context(
    request: HttpRequest, row: ReliefRequest, form: ReliefDecisionForm | None = None
) -> dict[str, Any]:
    may, needs_override = relief_may_decide(user=request.user, request=row)
    if form is None:
        form = ReliefDecisionForm(initial={"distribution": row.plan.relief_distribution})
    user_id = request.user.pk
    return {
        "row": row,
        "form": form,
        "may_decide": may,
        "needs_override": needs_override,
        "may_withdraw": row.is_pending and row.requested_by_id == user_id,
        "lines": sorted(row.product_lines.all(), key=lambda line: line.code),
        "result": row.result or {},
    }


@login_required
@require_GET
def relief_detail_page(request: HttpRequest, pk: int) -> HttpResponse:
    """One request: what was asked, the decision (or the decision form) and what changed."""
    _require_role(request)
    row = relief_request_get(user=request.user, request_id=pk)
    return render(request, "allocation/relief_detail.html", _detail_context(request, row))


@login_required
@require_POST
def relief_decide(request: HttpRequest, pk: int) -> HttpResponse:
    """Approve or reject a request (the service checks who may)."""
    _require_role(request)
    row = relief_request_get(user=request.user, request_id=pk)
    form = ReliefDecisionForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            if data["decision"] == "approve":
                row = relief_approve(
                    request=row,
                    actor=request.user,
                    distribution=data.get("distribution") or None,
                    comment=data.get("comment") or "",
                    override_four_eyes=data.get("override_four_eyes", False),
                )
                text = _("Relief #%(id)s approved: %(amount)s relieved; the targets changed.")
            else:
                row = relief_request_reject(
                    request=row,
                    actor=request.user,
                    comment=data.get("comment") or "",
                    override_four_eyes=data.get("override_four_eyes", False),
                )
                text = _("Relief #%(id)s rejected.")
        except ValidationError as error:
            form.add_error(None, error_text(error))
        except ApplicationError as error:
            form.add_error(None, error_text(error))
        else:
            amount = f"{row.relieved_amount:,.2f}" if row.relieved_amount is not None else ""
            messages.success(request, text % {"id": row.pk, "amount": amount})
            return redirect("relief-detail", pk=row.pk)
    context = _detail_context(request, row, form)
    return render(request, "allocation/relief_detail.html", context, status=400)


@login_required
@require_POST
def relief_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    """The requester takes a pending request back."""
    _require_role(request)
    row = relief_request_get(user=request.user, request_id=pk)
    form = ReliefWithdrawForm(request.POST)
    comment = form.cleaned_data["comment"] if form.is_valid() else ""
    try:
        relief_request_withdraw(request=row, actor=request.user, comment=comment)
    except ApplicationError as error:
        messages.error(request, error_text(error))
    else:
        messages.success(request, _("Relief request #%(id)s withdrawn.") % {"id": row.pk})
    return redirect(reverse("relief-detail", args=[row.pk]))
