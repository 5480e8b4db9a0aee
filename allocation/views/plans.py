"""The plans list, a new plan and the allocate button."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from allocation.forms import MeasureAddForm, PlanCreateForm
from allocation.models import Plan
from allocation.selectors import (
    company_currency,
    org_unit_list,
    org_unit_tree_order,
    plan_get,
    plan_list,
    plan_scope_totals,
)
from allocation.services import measure_plan_create, plan_create
from allocation.views.common import (
    PLANS_PER_PAGE,
    allocate_with_message,
    editor_url,
    require_admin,
    require_manager,
    split_levels,
)
from salesalloc.core.exceptions import ApplicationError
from salesalloc.core.money import from_cents
from salesalloc.core.queryparams import page_of
from salesalloc.core.users import acting_user

# --- the list -------------------------------------------------------------------------------


@dataclass
class PlanRow:
    plan: Plan
    total: Decimal
    measures: list[PlanRow] = field(default_factory=list)


@login_required
@require_GET
def plans_page(request: HttpRequest) -> HttpResponse:
    """Plans in the viewer's scope: year, version, status, (their part of the) total; each
    revenue plan lists its measure plans (quantity, gross margin ...) under it."""
    scope = require_manager(request)
    visible = plan_list(user=request.user)
    plans = (
        visible.filter(measure_of__isnull=True)
        .select_related("scenario_of")
        .order_by("-fiscal_year", "name", "-version", "pk")
    )
    paginator = Paginator(plans, PLANS_PER_PAGE)
    page = page_of(request, paginator)
    items = list(page.object_list)
    children = list(visible.filter(measure_of__in=[p.pk for p in items]).order_by("pk"))
    totals = plan_scope_totals(user=request.user, plan_ids=[p.pk for p in items + children])

    def row(p: Plan) -> PlanRow:
        return PlanRow(
            plan=p, total=p.total_amount if totals is None else from_cents(totals.get(p.pk, 0))
        )

    rows = [row(p) for p in items]
    by_pk = {r.plan.pk: r for r in rows}
    for child in children:
        by_pk[int(child.measure_of_id or 0)].measures.append(row(child))
    return render(
        request,
        "allocation/plan_list.html",
        {
            "rows": rows,
            "page": page,
            "page_range": paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1),
            "scope": scope,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def plan_new(request: HttpRequest) -> HttpResponse:
    """Admins: a new draft plan with its methods; optionally allocated right away."""
    require_admin(request)
    units = org_unit_tree_order(org_unit_list(user=request.user))
    levels = split_levels(request=request, root=None)
    form = PlanCreateForm(
        request.POST or None, org_units=units, levels=levels, currency=company_currency()
    )
    if request.method == "POST" and form.is_valid():
        try:
            plan = plan_create(actor=acting_user(request.user), **form.plan_values())
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            if request.POST.get("then") == "allocate":
                allocate_with_message(request, plan)
            else:
                messages.success(
                    request, _("Plan created. Allocate it to fill the grid with targets.")
                )
            return redirect(editor_url(plan))
    status = 400 if form.is_bound else 200
    return render(request, "allocation/plan_form.html", {"form": form}, status=status)


@login_required
@require_POST
def plan_measure_add(request: HttpRequest, pk: int) -> HttpResponse:
    """Admins: add a measure plan (quantity, gross margin ...) to a draft revenue plan and
    open it in the editor; a refusal comes back as a message on the revenue plan."""
    require_admin(request)
    plan = plan_get(user=request.user, plan_id=pk)
    form = MeasureAddForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, str(error))
        return redirect(editor_url(plan))
    try:
        child = measure_plan_create(
            plan=plan,
            measure=form.cleaned_data["measure"],
            total_amount=form.cleaned_data["total_amount"],
            actor=acting_user(request.user),
        )
    except ValidationError as error:
        for text in error.messages:
            messages.error(request, text)
        return redirect(editor_url(plan))
    except ApplicationError as error:
        messages.error(request, error.message)
        return redirect(editor_url(plan))
    messages.success(request, _("Measure added. Allocate it to fill its grid."))
    return redirect(editor_url(child))


@login_required
@require_POST
def plan_allocate_action(request: HttpRequest, pk: int) -> HttpResponse:
    """Admins: allocate (or re-allocate) a draft with its methods; locks are kept."""
    require_admin(request)
    plan = plan_get(user=request.user, plan_id=pk)
    allocate_with_message(request, plan)
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = editor_url(plan)
    return redirect(target)
