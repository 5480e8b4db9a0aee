"""Browser pages of the import settings: column mappings, territory rules, credit rules, and
the downloadable import template.

Admins and managers only (a salesperson gets 403). Admins see and change everything; a
manager sees the mappings (shared configuration) and the rules of salespeople in their
subtrees, and may assign only those. Each view: check the role, validate with a form, write
through one service, redirect with a message.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from allocation.access import viewer_scope
from allocation.selectors import managed_salesperson_list
from customers.config_forms import ColumnMappingForm, CreditRuleForm, TerritoryRuleForm
from customers.credit.selectors import credit_rule_list
from customers.credit.services import credit_rule_create, credit_rule_delete, credit_rule_update
from customers.models import ColumnMapping, CreditRule, TerritoryRule
from customers.selectors import column_mapping_list, import_template, territory_rule_list
from customers.services import (
    column_mapping_create,
    column_mapping_delete,
    column_mapping_update,
    territory_rule_create,
    territory_rule_delete,
    territory_rule_update,
)
from salesalloc.core.exceptions import ScopeError
from salesalloc.core.export import CSV_CONTENT_TYPE, XLSX_CONTENT_TYPE
from salesalloc.core.users import acting_user

TEMPLATE_FORMATS = ("csv", "xlsx")


def _require_manager(request: HttpRequest) -> None:
    if not viewer_scope(user=request.user).can_manage:
        raise PermissionDenied


def _save(request: HttpRequest, form: Any, write: Callable[[], Any]) -> bool:
    """Run ``write``; its validation errors go back onto ``form``; scope errors are 403."""
    try:
        write()
    except ValidationError as exc:
        if hasattr(exc, "error_dict"):
            _field_errors(form, exc)
        else:
            form.add_error(None, exc)
        return False
    except ScopeError as exc:
        raise PermissionDenied(exc.message) from exc
    return True


def _field_errors(form: Any, exc: ValidationError) -> None:
    for name, errors in exc.message_dict.items():
        form.add_error(name if name in form.fields else None, errors)


# --- column mappings ------------------------------------------------------------------------


@login_required
@require_GET
def mapping_list(request: HttpRequest) -> HttpResponse:
    _require_manager(request)
    mappings = column_mapping_list(user=request.user).order_by("name")
    return render(request, "customers/settings/mapping_list.html", {"mappings": mappings})


@login_required
@require_http_methods(["GET", "POST"])
def mapping_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    """Create (``pk`` None) or change a saved column mapping."""
    _require_manager(request)
    mapping = get_object_or_404(column_mapping_list(user=request.user), pk=pk) if pk else None
    initial = ColumnMappingForm.initial_of(mapping) if mapping else None
    form = ColumnMappingForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        fields = {
            "name": data["name"],
            "description": data["description"],
            "columns": form.columns(),
            "date_order": data["date_order"],
            "actor": acting_user(request.user),
        }
        if _save(
            request,
            form,
            lambda: (
                column_mapping_update(mapping=mapping, **fields)
                if mapping
                else column_mapping_create(**fields)
            ),
        ):
            messages.success(
                request, _("Column mapping “%(name)s” saved.") % {"name": data["name"]}
            )
            return redirect("mapping-list")
    return render(
        request,
        "customers/settings/mapping_form.html",
        {"form": form, "mapping": mapping},
        status=400 if form.is_bound and form.errors else 200,
    )


@login_required
@require_POST
def mapping_delete(request: HttpRequest, pk: int) -> HttpResponse:
    _require_manager(request)
    mapping: ColumnMapping = get_object_or_404(column_mapping_list(user=request.user), pk=pk)
    column_mapping_delete(mapping=mapping, actor=acting_user(request.user))
    messages.success(request, _("Column mapping “%(name)s” deleted.") % {"name": mapping.name})
    return redirect("mapping-list")


# --- territory rules ------------------------------------------------------------------------


@login_required
@require_GET
def territory_list(request: HttpRequest) -> HttpResponse:
    _require_manager(request)
    rules = territory_rule_list(user=request.user).order_by("attribute", "value")
    return render(request, "customers/settings/territory_list.html", {"rules": rules})


@login_required
@require_http_methods(["GET", "POST"])
def territory_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    """Create (``pk`` None) or change a territory rule (of the viewer's salespeople)."""
    _require_manager(request)
    rule = get_object_or_404(territory_rule_list(user=request.user), pk=pk) if pk else None
    initial = (
        {"attribute": rule.attribute, "value": rule.value, "salesperson": rule.salesperson_id}
        if rule
        else None
    )
    people = managed_salesperson_list(user=request.user).order_by("code")
    form = TerritoryRuleForm(request.POST or None, initial=initial, salespeople=people)
    if request.method == "POST" and form.is_valid():
        fields = {**form.cleaned_data, "actor": request.user}
        if _save(
            request,
            form,
            lambda: (
                territory_rule_update(rule=rule, **fields)
                if rule
                else territory_rule_create(**fields)
            ),
        ):
            messages.success(request, _("Territory rule saved."))
            return redirect("territory-list")
    return render(
        request,
        "customers/settings/territory_form.html",
        {"form": form, "rule": rule},
        status=400 if form.is_bound and form.errors else 200,
    )


@login_required
@require_POST
def territory_delete(request: HttpRequest, pk: int) -> HttpResponse:
    _require_manager(request)
    rule: TerritoryRule = get_object_or_404(territory_rule_list(user=request.user), pk=pk)
    try:
        territory_rule_delete(rule=rule, actor=acting_user(request.user))
    except ScopeError as exc:
        raise PermissionDenied(exc.message) from exc
    messages.success(request, _("Territory rule deleted."))
    return redirect("territory-list")


# --- credit rules ---------------------------------------------------------------------------


@login_required
@require_GET
def credit_rule_page(request: HttpRequest) -> HttpResponse:
    _require_manager(request)
    rules = credit_rule_list(user=request.user).order_by("attribute", "value")
    return render(request, "customers/settings/credit_rule_list.html", {"rules": rules})


@login_required
@require_http_methods(["GET", "POST"])
def credit_rule_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    """Create (``pk`` None) or change a credit rule (all of whose salespeople are the
    viewer's to assign)."""
    _require_manager(request)
    rule: CreditRule | None = (
        get_object_or_404(credit_rule_list(user=request.user), pk=pk) if pk else None
    )
    people = managed_salesperson_list(user=request.user).order_by("code")
    initial = CreditRuleForm.initial_of(rule) if rule else None
    form = CreditRuleForm(request.POST or None, initial=initial, salespeople=people)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        fields = {
            "attribute": data["attribute"],
            "value": data["value"],
            "description": data["description"],
            "parties": form.parties(),
            "actor": acting_user(request.user),
        }
        if _save(
            request,
            form,
            lambda: (
                credit_rule_update(rule=rule, **fields) if rule else credit_rule_create(**fields)
            ),
        ):
            messages.success(request, _("Credit rule saved."))
            return redirect("credit-rule-list")
    return render(
        request,
        "customers/settings/credit_rule_form.html",
        {"form": form, "rule": rule},
        status=400 if form.is_bound and form.errors else 200,
    )


@login_required
@require_POST
def credit_rule_remove(request: HttpRequest, pk: int) -> HttpResponse:
    _require_manager(request)
    rule: CreditRule = get_object_or_404(credit_rule_list(user=request.user), pk=pk)
    try:
        credit_rule_delete(rule=rule, actor=acting_user(request.user))
    except ScopeError as exc:
        raise PermissionDenied(exc.message) from exc
    messages.success(request, _("Credit rule deleted."))
    return redirect("credit-rule-list")


# --- the import template --------------------------------------------------------------------


@login_required
@require_GET
def template_download(request: HttpRequest, fmt: str) -> HttpResponse:
    """The import template, headers in the viewer's language: CSV (header and an example
    row) or XLSX (the same, and a sheet of notes on every column)."""
    _require_manager(request)
    if fmt not in TEMPLATE_FORMATS:
        raise Http404
    content = import_template(user=request.user, fmt=fmt)
    response = HttpResponse(
        content, content_type=XLSX_CONTENT_TYPE if fmt == "xlsx" else CSV_CONTENT_TYPE
    )
    response["Content-Disposition"] = f'attachment; filename="order-import-template.{fmt}"'
    return response
