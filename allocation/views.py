"""Browser pages of plans: the list, a new plan, the editor, comparisons and "My targets".

The editor is a page shell rendered here; ``static/js/plan_editor.js`` works the grid over
the plans JSON API (grid, cells, locks, paste, lifecycle, files). Everything else renders on
the server through the same scoped selectors and services the API uses: a form validates, a
service writes, a selector reads. Roles as in the API: salespeople only have "My targets";
managers see the plans overlapping their subtree and edit inside it; admins see everything.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Max
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import get_language, pgettext
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from allocation.access import ViewerScope, plan_scope_get, viewer_scope
from allocation.engine.fiscal import QUARTERS, FiscalYear
from allocation.forms import (
    AcknowledgeForm,
    MethodConfigForm,
    MethodInputsForm,
    PlanCompareForm,
    PlanCreateForm,
)
from allocation.models import Acknowledgement, OrgUnit, Plan, PlanChange
from allocation.selectors import (
    acknowledgement_list,
    actual_cell_list,
    actual_total_list,
    my_target_list,
    org_unit_list,
    plan_actions,
    plan_compare,
    plan_get,
    plan_list,
    plan_scope_totals,
    plan_structure_get,
    product_line_list,
    salesperson_list,
)
from allocation.services import (
    MethodInputData,
    acknowledgement_record,
    plan_allocate,
    plan_create,
    plan_method_config_update,
    plan_method_inputs_set,
)
from salesalloc.core.exceptions import ApplicationError
from salesalloc.core.money import from_cents

PLANS_PER_PAGE = 50
# Per-node method inputs are edited in one table; past this many nodes use the API instead.
MAX_INPUT_NODES = 400
PERCENT = Decimal("0.1")
# Product-line roll-ups at this depth stop at each line itself (trees are never this deep).
LEAF_LEVEL = 99


def _require_manager(request: HttpRequest) -> ViewerScope:
    scope = viewer_scope(user=request.user)
    if not scope.can_manage:
        raise PermissionDenied
    return scope


def _require_admin(request: HttpRequest) -> ViewerScope:
    scope = viewer_scope(user=request.user)
    if not scope.is_admin:
        raise PermissionDenied
    return scope


def _error_text(error: Exception) -> str:
    if isinstance(error, ApplicationError):
        return error.message
    if isinstance(error, ValidationError):
        return " ".join(str(message) for message in error.messages)
    return str(error)


def _editor_url(plan: Plan, anchor: str = "") -> str:
    return reverse("plan-detail", args=[plan.pk]) + (f"#{anchor}" if anchor else "")


def _split_levels(*, request: HttpRequest, root: OrgUnit | None) -> int:
    """How many org split levels a plan on ``root`` has (the last splits teams into people)."""
    units = org_unit_list(user=request.user)
    base = 0
    if root is not None:
        units = units.filter(path__startswith=root.path)
        base = root.depth
    deepest = units.aggregate(deepest=Max("depth"))["deepest"]
    return 1 if deepest is None else deepest - base + 1


def _percent(part: Decimal, whole: Decimal) -> Decimal | None:
    if not whole:
        return None
    return (part * 100 / whole).quantize(PERCENT, ROUND_HALF_UP)


# --- the list -------------------------------------------------------------------------------


@dataclass
class PlanRow:
    plan: Plan
    total: Decimal


@login_required
@require_GET
def plans_page(request: HttpRequest) -> HttpResponse:
    """Plans in the viewer's scope: year, version, status, (their part of the) total."""
    scope = _require_manager(request)
    plans = (
        plan_list(user=request.user)
        .select_related("scenario_of")
        .order_by("-fiscal_year", "name", "-version", "pk")
    )
    paginator = Paginator(plans, PLANS_PER_PAGE)
    page = paginator.get_page(request.GET.get("page"))
    items = list(page.object_list)
    totals = plan_scope_totals(user=request.user, plan_ids=[p.pk for p in items])
    rows = [
        PlanRow(
            plan=p,
            total=p.total_amount if totals is None else from_cents(totals.get(p.pk, 0)),
        )
        for p in items
    ]
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
    _require_admin(request)
    units = org_unit_list(user=request.user).order_by("path")
    levels = _split_levels(request=request, root=None)
    form = PlanCreateForm(request.POST or None, org_units=units, levels=levels)
    if request.method == "POST" and form.is_valid():
        try:
            plan = plan_create(actor=request.user, **form.plan_values())
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            if request.POST.get("then") == "allocate":
                _allocate(request, plan)
            else:
                messages.success(
                    request, _("Plan created. Allocate it to fill the grid with targets.")
                )
            return redirect(_editor_url(plan))
    status = 400 if form.is_bound else 200
    return render(request, "allocation/plan_form.html", {"form": form}, status=status)


def _allocate(request: HttpRequest, plan: Plan) -> bool:
    try:
        plan = plan_allocate(plan=plan, actor=request.user)
    except (ValidationError, ApplicationError) as error:
        messages.error(request, _error_text(error))
        return False
    messages.success(
        request,
        _("Allocated %(name)s: %(people)s salespeople, total %(total)s.")
        % {
            "name": plan.name,
            "people": plan.salespeople.count(),
            "total": f"{plan.total_amount:,.2f}",
        },
    )
    return True


@login_required
@require_POST
def plan_allocate_action(request: HttpRequest, pk: int) -> HttpResponse:
    """Admins: allocate (or re-allocate) a draft with its methods; locks are kept."""
    _require_admin(request)
    plan = plan_get(user=request.user, plan_id=pk)
    _allocate(request, plan)
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = _editor_url(plan)
    return redirect(target)


# --- the editor -----------------------------------------------------------------------------

LIFECYCLE = (
    # action, what its dialog asks for
    ("submit", "comment"),
    ("approve", "comment"),
    ("reject", "reason"),
    ("publish", "comment"),
    ("new_version", "reason_optional"),
    ("respread", "respread"),
    ("scenario", "name"),
    ("archive", "comment"),
)


def _lifecycle_buttons(actions: list[str]) -> list[dict[str, str]]:
    labels = {
        "submit": _("Submit for approval"),
        "approve": _("Approve"),
        "reject": _("Reject…"),
        "publish": _("Publish"),
        "new_version": _("New version"),
        "respread": _("Re-spread…"),
        "scenario": _("Scenario…"),
        "archive": _("Archive"),
    }
    return [
        {"action": action, "label": labels[action], "asks": asks}
        for action, asks in LIFECYCLE
        if action in actions
    ]


def _month_columns(plan: Plan) -> list[dict[str, str]]:
    fiscal = FiscalYear(plan.fiscal_year, plan.start_month)
    short_format = pgettext("date format of a month on a chart axis", "M")
    return [
        {
            "period": label,
            "short": date_format(month, short_format),
            "long": date_format(month, "YEAR_MONTH_FORMAT"),
        }
        for label, month in zip(fiscal.month_labels(), fiscal.months, strict=True)
    ]


def _quarter_columns() -> list[dict[str, str]]:
    return [
        {
            "period": quarter,
            "short": pgettext("fiscal quarter", "Q%(number)s") % {"number": index + 1},
            "long": pgettext("fiscal quarter, long", "Quarter %(number)s") % {"number": index + 1},
        }
        for index, quarter in enumerate(QUARTERS)
    ]


def _editor_strings() -> dict[str, str]:
    """Every text plan_editor.js shows, translated here (the JS has no catalogue)."""
    return {
        "expand": _("Expand %(name)s"),
        "collapse": _("Collapse %(name)s"),
        "loading": _("Loading the grid…"),
        "loaded": _("Grid loaded: %(rows)s rows."),
        "empty": _("The plan has no targets yet. An administrator allocates it."),
        "saving": _("Saving…"),
        "saved": _("Saved %(cell)s: %(old)s → %(new)s. %(count)s cells in view changed."),
        "pasted": _("Pasted %(count)s cells as one change. %(changed)s cells in view changed."),
        "uploaded": _("Sheet applied as one change: %(count)s cells."),
        "locked": _("Locked %(cell)s."),
        "unlocked": _("Unlocked %(cell)s."),
        "bounds_saved": _("Bounds of %(cell)s saved."),
        "lock": _("Lock"),
        "unlock": _("Unlock"),
        "locked_mark": _("locked"),
        "bounds_mark": _("bounds %(min)s – %(max)s"),
        "read_only": _("read-only"),
        "edit_label": _("New amount for %(cell)s"),
        "no_edit": _("You can't change this cell."),
        "not_a_number": _("Enter an amount such as 1,234.50 or 12万."),
        "stale": _("The plan changed meanwhile; the grid was reloaded. Try again."),
        "paste_rejected": _("Nothing was pasted:"),
        "paste_too_big": _("The pasted block doesn't fit: it runs past the last row or column."),
        "paste_nothing": _("Nothing to paste."),
        "paste_select": _("Select the cell where the pasted block should start."),
        "upload_rejected": _("The sheet was refused; nothing was changed:"),
        "upload_choose": _("Choose an XLSX file first."),
        "network": _("The server could not be reached. Nothing was changed."),
        "all_lines": _("all lines"),
        "year": pgettext("plan grid column", "Year"),
        "total": _("Total"),
        "target": _("Target"),
        "actual": _("Actual"),
        "no_cell": _("Select a cell in the grid."),
        "curve_title": _("Monthly curve: %(name)s"),
        "history_empty": _("No changes yet."),
        "days_pick": _("Select a month cell of a salesperson to see day-level targets."),
        "days_none": _("No working days in this month."),
        "load_more": _("Load more"),
        "working": _("Working…"),
        "confirm_allocate": _(
            "Re-allocate the plan with its methods? Every unlocked number is replaced."
        ),
        "reason_required": _("Give a reason."),
        "date_required": _("Give a date."),
        "cell_of": _("%(row)s · %(line)s · %(period)s"),
        "history_of": _("History of %(cell)s"),
        "days_of": _("Day-level targets of %(cell)s"),
    }


def _dialog_texts() -> dict[str, dict[str, str]]:
    return {
        "submit": {
            "title": _("Submit the plan for approval?"),
            "text": _(
                "It can't be edited while it waits; an administrator approves or rejects it."
            ),
            "confirm": _("Submit"),
        },
        "approve": {
            "title": _("Approve the plan?"),
            "text": _("An approved plan can then be published to the salespeople."),
            "confirm": _("Approve"),
        },
        "reject": {
            "title": _("Reject the plan?"),
            "text": _("It goes back to draft; say why so the editors know what to change."),
            "confirm": _("Reject"),
        },
        "publish": {
            "title": _("Publish the plan?"),
            "text": _(
                "Salespeople see their targets and are asked to acknowledge them. The version "
                "it replaces is archived."
            ),
            "confirm": _("Publish"),
        },
        "new_version": {
            "title": _("Open a new version?"),
            "text": _(
                "A draft copy of this published plan opens; publishing it replaces this one."
            ),
            "confirm": _("Open the new version"),
        },
        "respread": {
            "title": _("Re-spread what remains?"),
            "text": _(
                "A new draft version: months ended by the date keep their actuals, and what "
                "remains of each annual target is spread over the open months."
            ),
            "confirm": _("Re-spread"),
        },
        "scenario": {
            "title": _("Create a what-if scenario?"),
            "text": _("A draft copy to try changes on and compare; scenarios are never published."),
            "confirm": _("Create the scenario"),
        },
        "archive": {
            "title": _("Archive the plan?"),
            "text": _("An archived plan is read-only and no longer current."),
            "confirm": _("Archive"),
        },
    }


def _input_nodes(request: HttpRequest, plan: Plan, structure: Any) -> list[tuple[str, Any, int]]:
    """Org units and salespeople below the plan's org unit, then its product lines."""
    root = plan.root_org_unit
    units = list(
        org_unit_list(user=request.user)
        .filter(path__startswith=root.path)
        .exclude(pk=root.pk)
        .order_by("path")
    )
    people = list(
        salesperson_list(user=request.user)
        .filter(org_unit__path__startswith=root.path, is_active=True)
        .order_by("org_unit__path", "code")
    )
    by_unit: dict[int, list[Any]] = {}
    for person in people:
        by_unit.setdefault(person.org_unit_id, []).append(person)
    nodes: list[tuple[str, Any, int]] = [
        ("salesperson", person, 1) for person in by_unit.get(root.pk, [])
    ]
    for unit in units:
        depth = unit.depth - root.depth
        nodes.append(("org_unit", unit, depth))
        nodes.extend(("salesperson", person, depth + 1) for person in by_unit.get(unit.pk, []))
    lines = sorted(structure.pl_nodes.values(), key=lambda node: node.path)
    line_objects = {
        line.pk: line
        for line in product_line_list(user=request.user).filter(pk__in=[n.id for n in lines])
    }
    nodes.extend(("product_line", line_objects[node.id], node.depth) for node in lines)
    return nodes


def _inputs_initial(plan: Plan) -> dict[str, Any]:
    initial: dict[str, Any] = {}
    for row in plan.method_inputs.all():
        if row.org_unit_id:
            kind, pk = "org_unit", row.org_unit_id
        elif row.salesperson_id:
            kind, pk = "salesperson", row.salesperson_id
        else:
            kind, pk = "product_line", row.product_line_id
        for attr in ("manual_percent", "growth_rate", "potential_index", "fte_override"):
            value = getattr(row, attr)
            if value is not None:
                initial[f"{kind}-{pk}-{attr}"] = value.normalize()
    return initial


@dataclass
class AckSummary:
    rows: list[Any]
    counts: dict[str, int] = field(default_factory=dict)


def _editor_context(
    request: HttpRequest,
    plan: Plan,
    *,
    method_form: MethodConfigForm | None = None,
    inputs_form: MethodInputsForm | None = None,
) -> dict[str, Any]:
    scope = viewer_scope(user=request.user)
    actions = plan_actions(user=request.user, plan=plan)
    structure = plan_structure_get(plan=plan, with_constraints=False)
    window = plan_scope_get(user=request.user, structure=structure)
    tops = [structure.by_opath[p] for p in window.visible if p in structure.by_opath]
    lines = sorted(structure.pl_nodes.values(), key=lambda node: node.path)
    admin_draft = scope.is_admin and plan.status == Plan.Status.DRAFT
    if admin_draft and method_form is None:
        method_form = MethodConfigForm(
            initial=MethodConfigForm.initial_from_config(plan.method_config or {}),
            levels=_split_levels(request=request, root=plan.root_org_unit),
        )
    if admin_draft and inputs_form is None:
        nodes = _input_nodes(request, plan, structure)
        if len(nodes) <= MAX_INPUT_NODES:
            inputs_form = MethodInputsForm(initial=_inputs_initial(plan), nodes=nodes)
    acks = None
    if plan.status in {Plan.Status.PUBLISHED, Plan.Status.ARCHIVED}:
        rows = acknowledgement_list(user=request.user, plan=plan)
        counts = {"pending": 0, "acknowledged": 0, "disputed": 0}
        for row in rows:
            counts[row.status] += 1
        acks = AckSummary(rows=rows, counts=counts)
    api = {
        name: reverse(f"api-plan-{name}", args=[plan.pk])
        for name in (
            "detail",
            "grid",
            "cell-edit",
            "cell-paste",
            "cell-lock",
            "changes",
            "days",
            "upload",
            "allocate",
            "submit",
            "approve",
            "reject",
            "publish",
            "archive",
            "new-version",
            "respread",
        )
    }
    api["scenario"] = reverse("api-plan-scenario-create", args=[plan.pk])
    locale = "zh-CN" if (get_language() or "").startswith("zh") else "en"
    config = {
        "plan": plan.pk,
        "status": plan.status,
        "revision": plan.revision,
        "allocated": plan.allocated_at is not None,
        "actions": actions,
        "api": api,
        "planUrl": reverse("plan-detail", args=[0]).replace("/0/", "/{id}/"),
        "months": _month_columns(plan),
        "quarters": _quarter_columns(),
        "locale": locale,
        "strings": _editor_strings(),
        "dialogs": _dialog_texts(),
        "changeActions": {str(value): str(label) for value, label in PlanChange.Action.choices},
        "statusLabels": {str(value): str(label) for value, label in Plan.Status.choices},
    }
    return {
        "plan": plan,
        "scope": scope,
        "actions": actions,
        "lifecycle": _lifecycle_buttons(actions),
        "tops": tops,
        "product_lines": [
            {"code": node.code, "label": "\u2003" * (node.depth - 1) + f"{node.code} {node.name}"}
            for node in lines
        ],
        "months": config["months"],
        "quarters": config["quarters"],
        "method_form": method_form,
        "inputs_form": inputs_form,
        "acks": acks,
        "editor_config": config,
        "can_edit": "edit" in actions,
        "can_lock": "lock" in actions,
        "can_upload": "upload" in actions,
        "can_allocate": "allocate" in actions,
    }


def _plan_for_editor(request: HttpRequest, pk: int) -> Plan:
    _require_manager(request)
    plan = plan_get(user=request.user, plan_id=pk)
    return (
        Plan.objects.select_related("root_org_unit", "scenario_of", "previous_version")
        .filter(pk=plan.pk)
        .get()
    )


@login_required
@require_GET
def plan_editor(request: HttpRequest, pk: int) -> HttpResponse:
    """The plan editor: tree x months grid (loaded by plan_editor.js), status, methods."""
    plan = _plan_for_editor(request, pk)
    return render(request, "allocation/plan_editor.html", _editor_context(request, plan))


@login_required
@require_POST
def plan_methods_save(request: HttpRequest, pk: int) -> HttpResponse:
    """Admins: replace a draft's methods, and re-allocate with them if asked."""
    _require_admin(request)
    plan = _plan_for_editor(request, pk)
    form = MethodConfigForm(
        request.POST, levels=_split_levels(request=request, root=plan.root_org_unit)
    )
    if form.is_valid():
        try:
            plan = plan_method_config_update(
                plan=plan, config=form.method_config(), actor=request.user
            )
        except ValidationError as error:
            form.add_service_errors(error)
        except ApplicationError as error:
            messages.error(request, _error_text(error))
            return redirect(_editor_url(plan, "methods"))
    if form.errors:
        context = _editor_context(request, plan, method_form=form)
        return render(request, "allocation/plan_editor.html", context, status=400)
    if request.POST.get("then") == "allocate":
        _allocate(request, plan)
    else:
        messages.success(request, _("Methods saved. Re-allocate to apply them."))
    return redirect(_editor_url(plan, "methods"))


@login_required
@require_POST
def plan_inputs_save(request: HttpRequest, pk: int) -> HttpResponse:
    """Admins: replace a draft's per-node method inputs (manual %, growth, potential, FTE)."""
    _require_admin(request)
    plan = _plan_for_editor(request, pk)
    structure = plan_structure_get(plan=plan, with_constraints=False)
    form = MethodInputsForm(request.POST, nodes=_input_nodes(request, plan, structure))
    if form.is_valid():
        try:
            plan_method_inputs_set(
                plan=plan,
                inputs=[MethodInputData(**values) for values in form.inputs()],
                actor=request.user,
            )
        except ValidationError as error:
            form.add_error(None, error)
        except ApplicationError as error:
            messages.error(request, _error_text(error))
            return redirect(_editor_url(plan, "inputs"))
    if form.errors:
        context = _editor_context(request, plan, inputs_form=form)
        return render(request, "allocation/plan_editor.html", context, status=400)
    messages.success(request, _("Method inputs saved. Re-allocate to apply them."))
    return redirect(_editor_url(plan, "inputs"))


# --- compare --------------------------------------------------------------------------------


def _plan_label(plan: Plan) -> str:
    label = _("%(name)s v%(version)s") % {"name": plan.name, "version": plan.version}
    if plan.scenario_of_id is not None:
        label += " · " + _("scenario")
    return label


@login_required
@require_GET
def plan_compare_page(request: HttpRequest) -> HttpResponse:
    """Plans and scenarios side by side per org unit, person, product line, month or quarter."""
    _require_manager(request)
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
                        "percent": _percent(Decimal(diff), Decimal(row.amounts_cents[0] or 0)),
                    }
                    for amount, diff in zip(row.amounts_cents, row.differences_cents, strict=True)
                ],
            }
            for row in rows
        ]
        totals = [
            from_cents(sum(row.amounts_cents[i] or 0 for row in rows)) for i in range(len(chosen))
        ]
        group_label = dict(form.fields["group_by"].choices)[group_by]
        result = {
            "plans": chosen,
            "labels": [_plan_label(p) for p in chosen],
            "rows": table,
            "group_label": group_label,
            "totals": [
                {
                    "amount": total,
                    "difference": total - totals[0],
                    "percent": _percent(total - totals[0], totals[0]),
                }
                for total in totals
            ],
            "show_key": group_by not in {"month", "quarter"},
            "chart": {
                "labels": [
                    row.name if group_by in {"month", "quarter"} else row.key for row in rows
                ],
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
    return render(
        request,
        "allocation/plan_compare.html",
        {
            "form": form,
            "plans": plans,
            "selected": {str(v) for v in (form.data.getlist("plans") if form.is_bound else [])},
            "result": result,
            "locale": "zh-CN" if (get_language() or "").startswith("zh") else "en",
        },
        status=400 if form.is_bound and not form.is_valid() else 200,
    )


# --- my targets -----------------------------------------------------------------------------


@dataclass
class Figure:
    label: str
    target: Decimal
    actual: Decimal

    @property
    def attainment(self) -> Decimal | None:
        return _percent(self.actual, self.target)

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
                _error_text(error),
            )
        except ApplicationError as error:
            messages.error(request, _error_text(error))
            return redirect(reverse("my-targets") + f"#plan-{plan.pk}")
        else:
            if row.status == Acknowledgement.Status.ACKNOWLEDGED:
                text = _("You acknowledged your targets in %(plan)s.")
            else:
                text = _("Your dispute of %(plan)s was sent to your manager.")
            messages.success(request, text % {"plan": plan.name})
            return redirect(reverse("my-targets") + f"#plan-{plan.pk}")
    return _render_my_targets(request, form_plan=plan.pk, form=form, status=400)
