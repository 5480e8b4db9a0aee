"""Account target pages: the salespeople you may see, and one salesperson's accounts.

Phone-first: a salesperson opens their own page (``/accounts/`` takes them there) and sees
each key account's target, actual and attainment as cards; on a wide screen the same rows
are a table. The salesperson, their manager or an admin may change the accounts.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from allocation.access import viewer_scope
from allocation.engine.fiscal import FiscalYear
from allocation.models import Plan
from allocation.selectors import salesperson_list
from customers.accounts.forms import BLANK_ROWS, TIER_PREFIX, AccountPlanForm, period_choices
from customers.accounts.selectors import (
    account_customer_choices,
    account_plan_list,
    account_plans_for,
    account_report,
    account_salesperson_get,
    period_target_cents,
    tier_choices_get,
)
from customers.accounts.services import MAX_ACCOUNTS, account_plan_set
from salesalloc.core.exceptions import ApplicationError
from salesalloc.core.money import from_cents
from salesalloc.core.users import acting_user


@login_required
@require_GET
def account_index(request: HttpRequest) -> HttpResponse:
    """A salesperson goes to their own page; managers and admins pick one of their people."""
    scope = viewer_scope(user=request.user)
    if scope.role == "none":
        raise PermissionDenied(_("Your account has no role yet."))
    people = list(salesperson_list(user=request.user).order_by("code"))
    if scope.salesperson_id is not None and not scope.can_manage:
        own = next(p for p in people if p.pk == scope.salesperson_id)
        return redirect("account-plan", code=own.code)
    counts: dict[int, int] = {}
    for person_id in account_plan_list(user=request.user).values_list("salesperson_id", flat=True):
        counts[person_id] = counts.get(person_id, 0) + 1
    rows = [{"person": p, "plans": counts.get(p.pk, 0)} for p in people]
    return render(request, "customers/account_index.html", {"rows": rows})


def _choose(request: HttpRequest, plans: list[Plan]) -> tuple[Plan | None, str]:
    wanted = request.GET.get("plan", "")
    plan = next((p for p in plans if str(p.pk) == wanted), plans[0] if plans else None)
    if plan is None:
        return None, "year"
    try:
        period = FiscalYear(plan.fiscal_year, plan.start_month).parse_period(
            request.GET.get("period") or "year"
        )
    except ValueError:
        messages.error(request, _("Unknown period: showing the year."))
        period = "year"
    return plan, period


@login_required
@require_http_methods(["GET", "POST"])
def account_plan_page(request: HttpRequest, code: str) -> HttpResponse:
    """One salesperson's account targets and attainment for a plan and period."""
    person = account_salesperson_get(user=request.user, code=code)
    plans = list(account_plans_for(salesperson=person))
    plan, period = _choose(request, plans)
    existing = (
        account_plan_list(user=request.user)
        .filter(plan=plan, salesperson=person, period=period)
        .first()
        if plan is not None
        else None
    )
    report = account_report(account_plan=existing) if existing is not None else None
    initial = [
        (row.code if row.kind == "customer" else f"{TIER_PREFIX}{row.code}", _amount_text(row))
        for row in (report.rows if report else [])
        if row.kind != "other"
    ]
    rows = len(initial) + BLANK_ROWS
    posted = request.POST.get("rows", "")
    if posted.isdigit():
        rows = min(int(posted), MAX_ACCOUNTS + BLANK_ROWS)
    form = AccountPlanForm(request.POST or None, rows=rows, initial_rows=initial)
    status = 200
    if request.method == "POST" and plan is not None:
        if form.is_valid():
            try:
                account_plan_set(
                    plan=plan,
                    salesperson=person,
                    period=period,
                    accounts=form.accounts(),
                    actor=acting_user(request.user),
                )
            except ValidationError as error:
                for text in error.messages:
                    form.add_error(None, text)
            except ApplicationError as error:
                form.add_error(None, error.message)
            else:
                messages.success(request, _("Account targets saved."))
                return redirect(_page_url(person.code, plan, period))
        status = 400
    return render(
        request,
        "customers/account_plan.html",
        _context(person, plan, period, report, form),
        status=status,
    )


def _amount_text(row: Any) -> str:
    return f"{from_cents(row.target)}" if row.method == "amount" else ""


def _page_url(code: str, plan: Plan, period: str) -> str:
    query = urlencode({"plan": str(plan.pk), "period": period})
    return f"{reverse('account-plan', args=[code])}?{query}"


def _context(
    person: Any, plan: Plan | None, period: str, report: Any, form: AccountPlanForm
) -> dict[str, Any]:
    tiers = tier_choices_get()
    target = period_target_cents(plan=plan, salesperson=person, period=period) if plan else 0
    return {
        "person": person,
        "plan": plan,
        "plans": list(account_plans_for(salesperson=person)),
        "period": period,
        "periods": period_choices(plan) if plan else [],
        "report": report,
        "target": from_cents(target),
        "form": form,
        "customers": account_customer_choices(salesperson=person),
        "tiers": sorted(tiers.names.items()),
        "tier_prefix": TIER_PREFIX,
    }
