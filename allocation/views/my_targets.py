""" "My targets": salespeople check and acknowledge their published targets."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.http import require_GET, require_POST

from allocation.access import viewer_scope
from allocation.engine.fiscal import FiscalYear
from allocation.forms import AcknowledgeForm
from allocation.models import Acknowledgement, Plan
from allocation.selectors import actual_cell_list, actual_total_list, my_target_list, plan_get
from allocation.services import acknowledgement_record
from allocation.views.common import LEAF_LEVEL, error_text, percent
from salesalloc.core.exceptions import ApplicationError
from salesalloc.core.money import from_cents

# --- my targets -----------------------------------------------------------------------------


@dataclass
class Figure:
    label: str
    target: Decimal
    actual: Decimal

    @property
    def attainment(self) -> Decimal | None:
        return percent(self.actual, self.target)

    @property
    def bar(self) -> int:
        """Width of the attainment bar in percent (0-100)."""
        value = self.attainment
        return 0 if value is None else max(0, min(100, int(value)))


@dataclass
class TargetCard:
    plan: Plan
    year: Figure
    quarters: list[Figure]
    months: list[Figure]
    lines: list[Figure]
    acknowledgement: Acknowledgement | None
    form: AcknowledgeForm


def _target_card(request: HttpRequest, item: Any, form: AcknowledgeForm | None) -> TargetCard:
    """One published plan's targets for the signed-in salesperson, with their actuals.

    Actuals are the person's own cells in the plan's fiscal months: one query by month and
    one by product line (the leaves), whatever the size of the plan.
    """
    plan = item.plan
    fiscal = FiscalYear(plan.fiscal_year, plan.start_month)
    own = actual_cell_list(user=request.user).filter(
        salesperson_id=item.salesperson.pk,
        month__gte=fiscal.months[0],
        month__lte=fiscal.months[-1],
    )
    month_actuals = {
        row.key: row.amount
        for row in actual_total_list(user=request.user, group_by="month", cells=own)
    }
    line_actuals = {
        row.key: row.amount
        for row in actual_total_list(
            user=request.user, group_by="product_line", cells=own, level=LEAF_LEVEL
        )
    }
    months = [
        Figure(
            label=date_format(month, "YEAR_MONTH_FORMAT"),
            target=from_cents(cents),
            actual=month_actuals.get(label, Decimal(0)),
        )
        for label, month, cents in zip(item.month_labels, fiscal.months, item.months, strict=True)
    ]
    quarters = [
        Figure(
            label=pgettext("fiscal quarter", "Q%(number)s") % {"number": q + 1},
            target=sum((m.target for m in months[3 * q : 3 * q + 3]), Decimal(0)),
            actual=sum((m.actual for m in months[3 * q : 3 * q + 3]), Decimal(0)),
        )
        for q in range(4)
    ]
    lines = [
        Figure(
            label=f"{line.code} {line.name}",
            target=from_cents(sum(values)),
            actual=line_actuals.get(line.code, Decimal(0)),
        )
        for line, values in item.product_lines
    ]
    year = Figure(
        label=_("Year"),
        target=from_cents(sum(item.months)),
        actual=sum((m.actual for m in months), Decimal(0)),
    )
    ack = item.acknowledgement
    if form is None:
        form = AcknowledgeForm(initial={"comment": ack.comment if ack else ""})
    return TargetCard(
        plan=plan,
        year=year,
        quarters=quarters,
        months=months,
        lines=lines,
        acknowledgement=ack,
        form=form,
    )


def _render_my_targets(
    request: HttpRequest,
    *,
    form_plan: int | None = None,
    form: AcknowledgeForm | None = None,
    status: int = 200,
) -> HttpResponse:
    scope = viewer_scope(user=request.user)
    cards = [
        _target_card(request, item, form if item.plan.pk == form_plan else None)
        for item in my_target_list(user=request.user)
    ]
    return render(
        request, "allocation/my_targets.html", {"cards": cards, "scope": scope}, status=status
    )


@login_required
@require_GET
def my_targets_page(request: HttpRequest) -> HttpResponse:
    """The signed-in salesperson's published targets, attainment so far, acknowledgement."""
    return _render_my_targets(request)


@login_required
@require_POST
def my_target_acknowledge(request: HttpRequest, pk: int) -> HttpResponse:
    """A salesperson acknowledges a published plan's targets, or disputes them with a comment."""
    if not viewer_scope(user=request.user).is_salesperson:
        raise PermissionDenied
    plan = plan_get(user=request.user, plan_id=pk)
    form = AcknowledgeForm(request.POST)
    if form.is_valid():
        try:
            row = acknowledgement_record(
                plan=plan,
                status=form.cleaned_data["status"],
                comment=form.cleaned_data["comment"],
                actor=request.user,
            )
        except ValidationError as error:
            form.add_error(
                "comment" if "comment" in getattr(error, "error_dict", {}) else None,
                error_text(error),
            )
        except ApplicationError as error:
            messages.error(request, error_text(error))
            return redirect(reverse("my-targets") + f"#plan-{plan.pk}")
        else:
            if row.status == Acknowledgement.Status.ACKNOWLEDGED:
                text = _("You acknowledged your targets in %(plan)s.")
            else:
                text = _("Your dispute of %(plan)s was sent to your manager.")
            messages.success(request, text % {"plan": plan.name})
            return redirect(reverse("my-targets") + f"#plan-{plan.pk}")
    return _render_my_targets(request, form_plan=plan.pk, form=form, status=400)
