"""The plan editor's page shell and its method forms (the grid itself works over the API)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.translation import get_language, pgettext
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from allocation.access import plan_scope_get, viewer_scope
from allocation.engine.fiscal import QUARTERS, FiscalYear
from allocation.forms import MeasureAddForm, MethodConfigForm, MethodInputsForm
from allocation.measures import is_money
from allocation.models import Plan, PlanChange
from allocation.selectors import (
    acknowledgement_list,
    org_unit_list,
    plan_actions,
    plan_get,
    plan_list,
    plan_publish_preview,
    plan_structure_get,
    product_line_list,
    salesperson_list,
)
from allocation.services import MethodInputData, plan_method_config_update, plan_method_inputs_set
from allocation.views.common import (
    MAX_INPUT_NODES,
    allocate_with_message,
    editor_url,
    error_text,
    require_admin,
    require_manager,
    split_levels,
)
from salesalloc.core.exceptions import ApplicationError
from salesalloc.core.users import acting_user

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
        "loaded": _("Grid loaded: %(rows)s rows."),
        "empty": _("The plan has no targets yet. An administrator allocates it."),
        "locked_mark": _("locked"),
        "bounds_mark": _("bounds %(min)s – %(max)s"),
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
        "upload_running": _("Sheet received; reading it and working out what it changes…"),
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
        "working": _("Working…"),
        "confirm_allocate": _(
            "Re-allocate the plan with its methods? Every unlocked number is replaced."
        ),
        "reason_required": _("Give a reason."),
        "date_required": _("Give a date."),
        "cell_of": _("%(row)s · %(line)s · %(period)s"),
        "days_of": _("Day-level targets of %(cell)s"),
        **_change_strings(),
    }


def _change_strings() -> dict[str, str]:
    """The result lines of changes (edits, pastes, uploads, undo, locks) plan_editor.js and
    plan_changes.js show."""
    return {
        "saving": _("Saving…"),
        "saved": _(
            "Saved %(cell)s: %(old)s → %(new)s. %(rule)s %(count)s cells in view changed "
            "(highlighted)."
        ),
        "not_saved": _("%(cell)s was not changed; the reason is shown at the cell."),
        "pasted": _(
            "Pasted %(count)s cells as one change. %(rule)s %(changed)s cells in view changed "
            "(highlighted)."
        ),
        "paste_failed": _("Nothing was pasted; the reasons are listed above the grid."),
        "kept_summary": _(
            "Rule “keep %(rule)s”: %(kept)s stayed the same and %(moved)s cells next to it "
            "rebalanced."
        ),
        "followed_up": _("Bottom-up plan: the totals above it followed."),
        "resplit_all": _("The plan total changed: every unlocked cell was re-split in proportion."),
        "keep_row_year": _("the row's year"),
        "keep_period_total": _("the month's total"),
        "keep_chosen": _("From now on a change keeps %(rule)s."),
        "uploaded": _(
            "Sheet applied as one change: %(count)s cells moved, %(changed)s of them in view "
            "(highlighted)."
        ),
        "upload_previewed": _(
            "Sheet read: %(count)s cells would change. Check the preview below, then confirm "
            "or discard it."
        ),
        "upload_failed": _("The sheet was refused; nothing was changed."),
        "upload_confirm_refused": _("The preview could not be applied; nothing was changed."),
        "upload_discarded": _("The upload was discarded; nothing was changed."),
        "preview_summary": _(
            "Cells changed in the sheet: %(edits)s. Cells that will change in all, with “keep "
            "%(rule)s”: %(leaves)s (totals that stay the same: %(kept)s)."
        ),
        "preview_summary_bottom_up": _(
            "Cells changed in the sheet: %(edits)s. Cells that will change in all: %(leaves)s; "
            "the totals above them follow."
        ),
        "preview_total": _("The plan total will be %(total)s."),
        "preview_nothing": _("The sheet changes nothing."),
        "preview_leaves": _("Every cell that will change (%(count)s)"),
        "preview_leaves_truncated": _("Cells that will change: the first %(shown)s of %(count)s"),
        "preview_set": _("set by the sheet"),
        "preview_rebalanced": _("rebalanced"),
        "undo_label": _("Undo your last change (%(cells)s)"),
        "undo_title": _("Made at %(when)s"),
        "undoing": _("Undoing your last change…"),
        "undone": _("Undone: %(cells)s is back as before; %(count)s cells in view changed."),
        "undo_refused": _("Not undone: %(message)s"),
        "locked": _("Locked %(cell)s."),
        "unlocked": _("Unlocked %(cell)s."),
        "lock_failed": _("%(cell)s was not locked."),
        "unlock_failed": _("%(cell)s was not unlocked."),
        "bounds_saved": _("Bounds of %(cell)s saved."),
        "bounds_failed": _("The bounds of %(cell)s were not saved."),
        "line_shown": _("Showing %(line)s."),
        "lock": _("Lock"),
        "unlock": _("Unlock"),
        "lock_cell": _("Lock %(cell)s"),
        "unlock_cell": _("Unlock %(cell)s"),
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
                "Salespeople see their targets and are asked to acknowledge them. Each org "
                "unit has one published plan a year."
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
        pk: int | None
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


def _ack_summary(request: HttpRequest, plan: Plan) -> AckSummary | None:
    """Who acknowledged or disputed a published (or archived) plan; None before that."""
    if plan.status not in {Plan.Status.PUBLISHED, Plan.Status.ARCHIVED}:
        return None
    rows = acknowledgement_list(user=request.user, plan=plan)
    counts = {"pending": 0, "acknowledged": 0, "disputed": 0}
    for row in rows:
        counts[row.status] += 1
    return AckSummary(rows=rows, counts=counts)


def _editor_config(
    plan: Plan, actions: list[str], *, own_submission: bool = False
) -> dict[str, Any]:
    """What ``plan_editor.js`` reads: the plan's state, API addresses, columns, texts."""
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
            "undo",
        )
    }
    api["scenario"] = reverse("api-plan-scenario-create", args=[plan.pk])
    locale = "zh-CN" if (get_language() or "").startswith("zh") else "en"
    return {
        "plan": plan.pk,
        "status": plan.status,
        "revision": plan.revision,
        "allocated": plan.allocated_at is not None,
        "actions": actions,
        "ownSubmission": own_submission,
        "api": api,
        "planUrl": reverse("plan-detail", args=[0]).replace("/0/", "/{id}/"),
        "months": _month_columns(plan),
        "quarters": _quarter_columns(),
        "locale": locale,
        "strings": _editor_strings(),
        "dialogs": _dialog_texts(),
        "measure": plan.measure,
        "wholeUnits": not is_money(plan.measure),
        "changeActions": {str(value): str(label) for value, label in PlanChange.Action.choices},
        "statusLabels": {str(value): str(label) for value, label in Plan.Status.choices},
    }


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
            levels=split_levels(request=request, root=plan.root_org_unit),
        )
    if admin_draft and inputs_form is None:
        nodes = _input_nodes(request, plan, structure)
        if len(nodes) <= MAX_INPUT_NODES:
            inputs_form = MethodInputsForm(initial=_inputs_initial(plan), nodes=nodes)
    acks = _ack_summary(request, plan)
    # An admin who submitted the plan may approve it only by ticking the explicit override.
    actor = acting_user(request.user)
    own_submission = (
        "approve" in actions
        and scope.is_admin
        and actor is not None
        and plan.submitted_by_id == actor.pk
    )
    config = _editor_config(plan, actions, own_submission=own_submission)
    tabs = _measure_tabs(request, plan)  # an admin's: the plan and all its measure plans
    return {
        "publish_check": plan_publish_preview(plan=plan) if "publish" in actions else None,
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
        "own_submission": own_submission,
        "editor_config": config,
        "can_edit": "edit" in actions,
        "can_lock": "lock" in actions,
        "can_upload": "upload" in actions,
        "can_allocate": "allocate" in actions,
        "measure_tabs": tabs,
        "measure_form": MeasureAddForm()
        if admin_draft and plan.measure_of_id is None and len(tabs) < len(Plan.Measure.values)
        else None,
        "is_money": is_money(plan.measure),
    }


def _measure_tabs(request: HttpRequest, plan: Plan) -> list[dict[str, Any]]:
    """The editor's measure switch: the revenue plan and the measure plans the viewer sees."""
    revenue = plan.measure_of if plan.measure_of_id else plan
    assert revenue is not None  # noqa: S101 - a measure plan always has its revenue plan
    family = [revenue, *plan_list(user=request.user).filter(measure_of=revenue).order_by("pk")]
    return [
        {
            "measure": p.measure,
            "label": p.get_measure_display(),
            "current": p.pk == plan.pk,
            "url": reverse("plan-detail", args=[p.pk]),
        }
        for p in family
    ]


def _plan_for_editor(request: HttpRequest, pk: int) -> Plan:
    require_manager(request)
    plan = plan_get(user=request.user, plan_id=pk)
    return (
        Plan.objects.select_related(
            "root_org_unit", "scenario_of", "previous_version", "measure_of"
        )
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
    require_admin(request)
    plan = _plan_for_editor(request, pk)
    form = MethodConfigForm(
        request.POST, levels=split_levels(request=request, root=plan.root_org_unit)
    )
    if form.is_valid():
        try:
            plan = plan_method_config_update(
                plan=plan, config=form.method_config(), actor=acting_user(request.user)
            )
        except ValidationError as error:
            form.add_service_errors(error)
        except ApplicationError as error:
            messages.error(request, error_text(error))
            return redirect(editor_url(plan, "methods"))
    if form.errors:
        context = _editor_context(request, plan, method_form=form)
        return render(request, "allocation/plan_editor.html", context, status=400)
    if request.POST.get("then") == "allocate":
        allocate_with_message(request, plan)
    else:
        messages.success(request, _("Methods saved. Re-allocate to apply them."))
    return redirect(editor_url(plan, "methods"))


@login_required
@require_POST
def plan_inputs_save(request: HttpRequest, pk: int) -> HttpResponse:
    """Admins: replace a draft's per-node method inputs (manual %, growth, potential, FTE)."""
    require_admin(request)
    plan = _plan_for_editor(request, pk)
    structure = plan_structure_get(plan=plan, with_constraints=False)
    form = MethodInputsForm(request.POST, nodes=_input_nodes(request, plan, structure))
    if form.is_valid():
        try:
            plan_method_inputs_set(
                plan=plan,
                inputs=[MethodInputData(**values) for values in form.inputs()],
                actor=acting_user(request.user),
            )
        except ValidationError as error:
            form.add_error(None, error)
        except ApplicationError as error:
            messages.error(request, error_text(error))
            return redirect(editor_url(plan, "inputs"))
    if form.errors:
        context = _editor_context(request, plan, inputs_form=form)
        return render(request, "allocation/plan_editor.html", context, status=400)
    messages.success(request, _("Method inputs saved. Re-allocate to apply them."))
    return redirect(editor_url(plan, "inputs"))
