"""Browser pages of customer tiers: the Customers page (filters, chart, heat map, export),
a customer's page, the migration matrix and the rule editor (admins).

Views read like checklists: role check, form validation, scoped selectors, one service.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from allocation.access import viewer_scope
from allocation.selectors import salesperson_list
from customers.models import Customer, OrderLine
from customers.selectors import customer_list, order_line_list
from customers.tiers import engine
from customers.tiers.display import rule_previews, tier_rows, tier_timeline
from customers.tiers.forms import (
    SORTS,
    CustomerTierFilterForm,
    MigrationForm,
    TierRuleForm,
    TierRunStartForm,
    TierSettingsForm,
)
from customers.tiers.labels import segment_label
from customers.tiers.models import CustomerTier, TierRule, TierRun
from customers.tiers.selectors import (
    can_see_personal_columns,
    customer_tier_history,
    customer_tier_list,
    decimal_from_units,
    may_see_personal_data,
    personal_data_customer_ids,
    tier_distribution,
    tier_heatmap,
    tier_migration_frame,
    tier_rule_list,
    tier_rule_specs,
    tier_run_list,
    tier_settings_get,
    tier_snapshot_frame,
)
from customers.tiers.services import (
    tier_rule_create,
    tier_rule_delete,
    tier_rule_move,
    tier_rule_update,
    tier_run_create,
    tier_settings_update,
)
from salesalloc.core.export import export_response
from salesalloc.core.queryparams import page_of, warn_query_problems

CUSTOMERS_PER_PAGE = 50
ORDERS_SHOWN = 50
EXPORT_FORMATS = ("csv", "xlsx")
XLSX_MAX_ROWS = 200_000


def _require_role(request: HttpRequest) -> None:
    if viewer_scope(user=request.user).role == "none":
        raise PermissionDenied


def _require_admin(request: HttpRequest) -> None:
    if not viewer_scope(user=request.user).is_admin:
        raise PermissionDenied


def _rules_by_code() -> dict[str, TierRule]:
    return {rule.code: rule for rule in tier_rule_list()}


def _succeeded_runs(request: HttpRequest) -> list[TierRun]:
    return list(tier_run_list(user=request.user).filter(status=TierRun.Status.SUCCEEDED)[:200])


# --- the Customers page ---------------------------------------------------------------------


def _customer_rows(
    request: HttpRequest,
) -> tuple[CustomerTierFilterForm, TierRun | None, QuerySet[CustomerTier]]:
    """The filter form, the chosen run (latest by default) and its filtered, sorted rows."""
    runs = _succeeded_runs(request)
    rules = _rules_by_code()
    people = list(salesperson_list(user=request.user).order_by("code").values_list("code", "name"))
    regions = sorted(
        {r for r in customer_list(user=request.user).values_list("region", flat=True) if r}
    )
    form = CustomerTierFilterForm(
        request.GET or None,
        runs=runs,
        tiers=[(code, rule.name) for code, rule in rules.items()],
        salespeople=[(code, f"{code} {name}") for code, name in people],
        regions=regions,
    )
    # A filter the address can't use is named in a message; the list shows the defaults.
    problems = warn_query_problems(request, form)
    data = form.cleaned_data if form.is_bound and not problems else {}
    run = next((r for r in runs if r.pk == data.get("run")), runs[0] if runs else None)
    if run is None:
        return form, None, CustomerTier.objects.none()
    rows = customer_tier_list(user=request.user, run=run)
    for name in ("tier", "segment", "abc", "r", "f"):
        if data.get(name) not in (None, ""):
            rows = rows.filter(**{name: data[name]})
    if data.get("region"):
        rows = rows.filter(customer__region=data["region"])
    if data.get("q"):
        rows = rows.filter(
            Q(customer__code__icontains=data["q"]) | Q(customer__name__icontains=data["q"])
        )
    if data.get("salesperson"):
        sold = OrderLine.objects.filter(
            customer_id=OuterRef("customer_id"), salesperson__code=data["salesperson"]
        )
        rows = rows.filter(Q(customer__owner__code=data["salesperson"]) | Q(Exists(sold)))
    sort = data.get("sort") or "-monetary"
    field = SORTS[sort.lstrip("-")]
    rows = rows.order_by(f"-{field}" if sort.startswith("-") else field, "customer__code")
    return form, run, rows


def _sort_links(request: HttpRequest) -> dict[str, str]:
    current = request.GET.get("sort") or "-monetary"
    links = {}
    for key in SORTS:
        target = f"-{key}" if current == key else key
        query = request.GET.copy()
        query["sort"] = target
        query.pop("page", None)
        links[key] = "?" + query.urlencode()
    links["current"] = current
    return links


@login_required
@require_GET
def customer_tier_page(request: HttpRequest) -> HttpResponse:
    """Customers with their RFM scores, segment, ABC class and tier, filterable and sortable."""
    _require_role(request)
    form, run, rows = _customer_rows(request)
    rules = _rules_by_code()
    all_rows = (
        customer_tier_list(user=request.user, run=run) if run else CustomerTier.objects.none()
    )
    distribution = tier_distribution(rows=all_rows, by="tier")
    for item in distribution:
        rule = rules.get(item["key"])
        item["label"] = rule.name if rule else (item["key"] or _("No tier"))
    paginator = Paginator(rows, CUSTOMERS_PER_PAGE)
    page = page_of(request, paginator)
    chart = {
        "labels": [item["label"] for item in distribution],
        "customers": [item["customers"] for item in distribution],
        "revenue": [str(item["monetary"] or 0) for item in distribution],
    }
    base_query = request.GET.copy()
    for key in ("r", "f", "page"):
        base_query.pop(key, None)
    return render(
        request,
        "customers/customertier_list.html",
        {
            "form": form,
            "run": run,
            "page": page,
            "rows": tier_rows(page.object_list, rules),
            "page_range": paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1),
            "distribution": distribution,
            "chart": chart,
            "heatmap": tier_heatmap(rows=all_rows),
            "heat_query": base_query.urlencode(),
            "sort": _sort_links(request),
            "filtered_rf": (request.GET.get("r"), request.GET.get("f")),
        },
    )


def _export_rows(request: HttpRequest, rows: QuerySet[CustomerTier]) -> tuple[list[str], Iterator]:
    rules = _rules_by_code()
    personal = can_see_personal_columns(user=request.user)
    header = [
        _("customer_code"), _("customer_name"), _("region"), _("state"), _("account_owner"),
        _("last_order_date"), _("recency_days"), _("frequency"), _("monetary"), "r", "f", "m",
        _("segment"), "abc", _("tier"), _("tier_name"), _("discount_policy"),
        _("visit_frequency"), _("service_owner"),
    ]  # fmt: skip
    if personal:
        header += [_("phone"), _("email"), _("address")]
    selected = rows.select_related("customer", "customer__owner")

    def generate() -> Iterator[list[Any]]:
        batch: list[CustomerTier] = []
        for row in selected.iterator(chunk_size=2000):
            batch.append(row)
            if len(batch) == 2000:
                yield from _export_batch(request, batch, rules, personal)
                batch = []
        yield from _export_batch(request, batch, rules, personal)

    return header, generate()


def _export_batch(
    request: HttpRequest, batch: list[CustomerTier], rules: dict[str, TierRule], personal: bool
) -> Iterator[list[Any]]:
    allowed = (
        personal_data_customer_ids(user=request.user, customer_ids=[r.customer_id for r in batch])
        if personal
        else set()
    )
    for row in batch:
        customer = row.customer
        rule = rules.get(row.tier)
        line: list[Any] = [
            customer.code, customer.name, customer.region, customer.state,
            customer.owner.code if customer.owner else "", row.last_order_date,
            row.recency_days, row.frequency, row.monetary.normalize() + 0, row.r, row.f, row.m,
            row.segment, row.abc, row.tier, rule.name if rule else "",
            rule.discount_policy if rule else "", rule.visit_frequency if rule else "",
            rule.service_owner if rule else "",
        ]  # fmt: skip
        if personal:
            if customer.pk in allowed:
                line += [customer.phone, customer.email, customer.address]
            else:
                line += ["", "", ""]
        yield line


@login_required
@require_GET
def customer_tier_export(request: HttpRequest, fmt: str) -> HttpResponseBase:
    """The filtered Customers list as CSV or XLSX (formula-safe); personal data as allowed."""
    _require_role(request)
    if fmt not in EXPORT_FORMATS:
        raise Http404
    _form, run, rows = _customer_rows(request)
    if fmt == "xlsx" and rows.count() > XLSX_MAX_ROWS:
        messages.warning(request, _("Too many rows for an XLSX file: narrow the filters."))
        return redirect(reverse("customer-tier-list") + "?" + request.GET.urlencode())
    header, data = _export_rows(request, rows)
    name = f"customers-{run.as_of:%Y-%m-%d}" if run else "customers"
    return export_response(fmt, filename=name, header=header, rows=data)


# --- one customer ---------------------------------------------------------------------------


@login_required
@require_GET
def customer_detail(request: HttpRequest, code: str) -> HttpResponse:
    """One customer: details, service plan, RFM history, tier timeline and recent orders."""
    _require_role(request)
    customer = get_object_or_404(customer_list(user=request.user), code=code)
    rules = _rules_by_code()
    history = tier_rows(customer_tier_history(user=request.user, customer=customer), rules)
    latest = history[-1] if history else None
    lines = (
        order_line_list(user=request.user)
        .filter(customer=customer)
        .select_related("order", "salesperson", "product_line")
        .order_by("-order_date", "order_id", "line_no")[:ORDERS_SHOWN]
    )
    return render(
        request,
        "customers/customer_detail.html",
        {
            "customer": customer,
            "personal": may_see_personal_data(user=request.user, customer=customer),
            "latest": latest,
            "plan": latest.rule if latest else None,
            "history": history,
            "timeline": tier_timeline(history),
            "lines": lines,
            "orders_shown": ORDERS_SHOWN,
        },
    )


# --- migration matrix -----------------------------------------------------------------------

NONE_KEY = "-"


def _class_label(by: str, key: str | None, rules: dict[str, TierRule]) -> str:
    if key is None:
        return _("(not in run)")
    if by == "segment":
        return segment_label(key)
    if by == "tier":
        return rules[key].name if key in rules else (key or _("No tier"))
    return key


@login_required
@require_GET
def tier_migration(request: HttpRequest) -> HttpResponse:
    """The migration matrix between two runs, with drill-down into a cell's customers."""
    _require_role(request)
    runs = _succeeded_runs(request)
    rules = _rules_by_code()
    initial: dict[str, Any] = {}
    if len(runs) >= 2:
        initial = {"from_run": runs[1].pk, "to_run": runs[0].pk, "by": "abc"}
    form = MigrationForm(request.GET or None, runs=runs, initial=initial)
    context: dict[str, Any] = {"form": form, "runs": runs}
    data: dict[str, Any] = form.cleaned_data if form.is_bound and form.is_valid() else initial
    if not data:
        return render(request, "customers/tierrun_migration.html", context)
    by_run = {run.pk: run for run in runs}
    from_run, to_run, by = by_run[data["from_run"]], by_run[data["to_run"]], data["by"]
    cells = tier_migration_frame(user=request.user, from_run=from_run, to_run=to_run, by=by)
    known = {"abc": engine.ABC_CLASSES, "segment": engine.SEGMENTS, "tier": list(rules)}[by]
    order = {key: i for i, key in enumerate(known)}

    def key_order(key: str | None) -> tuple[int, int, str]:
        return (key is None, order.get(key, len(order)) if key is not None else 0, key or "")

    sources = sorted(set(cells["from"].tolist()), key=key_order)
    targets = sorted(set(cells["to"].tolist()), key=key_order)
    lookup = {(row["from"], row["to"]): row for row in cells.to_dict("records")}
    base = request.GET.copy()
    base["from_run"], base["to_run"], base["by"] = str(from_run.pk), str(to_run.pk), by
    matrix = []
    for source in sources:
        line = []
        for target in targets:
            row = lookup.get((source, target))
            query = base.copy()
            query["cell_from"] = source if source is not None else NONE_KEY
            query["cell_to"] = target if target is not None else NONE_KEY
            line.append(
                {
                    "customers": int(row["customers"]) if row else 0,
                    "monetary": decimal_from_units(int(row["monetary_units"])) if row else None,
                    "stay": source == target,
                    "url": "?" + query.urlencode() + "#drill-down",
                }
            )
        matrix.append({"label": _class_label(by, source, rules), "cells": line})
    context.update(
        {
            "from_run": from_run,
            "to_run": to_run,
            "by": by,
            "targets": [_class_label(by, t, rules) for t in targets],
            "matrix": matrix,
            "total": int(cells["customers"].sum()) if len(cells) else 0,
        }
    )
    cell_from, cell_to = data.get("cell_from"), data.get("cell_to")
    if cell_from and cell_to:
        context["drill"] = _drill_down(request, from_run, to_run, by, cell_from, cell_to)
        context["drill_from"] = _class_label(
            by, None if cell_from == NONE_KEY else cell_from, rules
        )
        context["drill_to"] = _class_label(by, None if cell_to == NONE_KEY else cell_to, rules)
    return render(request, "customers/tierrun_migration.html", context)


def _drill_down(
    request: HttpRequest, from_run: TierRun, to_run: TierRun, by: str, cell_from: str, cell_to: str
) -> list[dict[str, Any]]:
    before = {
        row["customer_id"]: row
        for row in customer_tier_list(user=request.user, run=from_run).values(
            "customer_id", by, "monetary"
        )
    }
    after = {
        row["customer_id"]: row
        for row in customer_tier_list(user=request.user, run=to_run).values(
            "customer_id", by, "monetary"
        )
    }
    wanted_from = None if cell_from == NONE_KEY else cell_from
    wanted_to = None if cell_to == NONE_KEY else cell_to
    ids = [
        cid
        for cid in before.keys() | after.keys()
        if (before[cid][by] if cid in before else None) == wanted_from
        and (after[cid][by] if cid in after else None) == wanted_to
    ]
    customers = Customer.objects.filter(pk__in=ids).only("code", "name").order_by("code")[:500]
    return [
        {
            "customer": c,
            "before": before[c.pk]["monetary"] if c.pk in before else None,
            "after": after[c.pk]["monetary"] if c.pk in after else None,
        }
        for c in customers
    ]


# --- rules and settings (admins) ------------------------------------------------------------


def _preview_counts(
    request: HttpRequest, rules: list[TierRule]
) -> tuple[TierRun | None, dict[str, int]]:
    """How many customers each rule takes, on the latest run's figures (first match wins)."""
    run = tier_run_list(user=request.user).filter(status=TierRun.Status.SUCCEEDED).first()
    if run is None:
        return None, {}
    frame = tier_snapshot_frame(rows=CustomerTier.objects.filter(run=run))
    return run, engine.rule_match_counts(frame, tier_rule_specs(rules))


@login_required
@require_http_methods(["GET", "POST"])
def tier_rule_list_page(request: HttpRequest) -> HttpResponse:
    """Rule tiers in order with preview counts; settings; start a run. Admins only."""
    _require_admin(request)
    current = tier_settings_get()
    settings_form = TierSettingsForm(
        request.POST if request.POST.get("action") == "settings" else None,
        initial={
            "window_days": current.window_days,
            "abc_a": current.abc_a,
            "abc_b": current.abc_b,
        },
    )
    run_form = TierRunStartForm(
        request.POST if request.POST.get("action") == "run" else None,
        initial={"as_of": timezone.localdate(), "window_days": current.window_days},
    )
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "settings" and settings_form.is_valid():
            try:
                tier_settings_update(
                    **settings_form.cleaned_data,
                    segment_map=current.segment_map or None,
                    actor=request.user,
                )
            except ValidationError as exc:
                for field, errors in exc.message_dict.items():
                    settings_form.add_error(
                        field if field in settings_form.fields else None, errors
                    )
            else:
                messages.success(request, _("Tier settings saved."))
                return redirect("tier-rule-list")
        elif action == "run" and run_form.is_valid():
            try:
                run = tier_run_create(
                    as_of=run_form.cleaned_data["as_of"],
                    window_days=run_form.cleaned_data["window_days"],
                    actor=request.user,
                )
            except ValidationError as exc:
                run_form.add_error(None, exc)
            else:
                messages.success(request, _("Tier run #%(id)s started.") % {"id": run.pk})
                return redirect("tier-rule-list")
        elif action in ("up", "down", "delete"):
            rule = get_object_or_404(TierRule, pk=request.POST.get("rule"))
            if action == "delete":
                tier_rule_delete(rule=rule, actor=request.user)
                messages.success(request, _("Rule “%(name)s” deleted.") % {"name": rule.name})
            else:
                tier_rule_move(rule=rule, up=action == "up", actor=request.user)
            return redirect("tier-rule-list")
    rules = list(tier_rule_list())
    preview_run, counts = _preview_counts(request, rules)
    return render(
        request,
        "customers/tierrule_list.html",
        {
            "rules": rule_previews(rules, counts),
            "preview_run": preview_run,
            "unmatched": (preview_run.customers - sum(counts.values())) if preview_run else None,
            "settings_form": settings_form,
            "run_form": run_form,
            "runs": list(tier_run_list(user=request.user)[:20]),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def tier_rule_edit(request: HttpRequest, rule_id: int | None = None) -> HttpResponse:
    """Add or change a rule tier; "Preview" shows the counts without saving. Admins only."""
    _require_admin(request)
    rule = get_object_or_404(TierRule, pk=rule_id) if rule_id is not None else None
    form = TierRuleForm(request.POST or None, instance=rule)
    preview = None
    if request.method == "POST" and form.is_valid():
        fields = {name: form.cleaned_data[name] for name in form.Meta.fields}
        if request.POST.get("action") == "preview":
            candidate = TierRule(**fields, position=rule.position if rule else 10**6)
            rules = [r for r in tier_rule_list() if rule is None or r.pk != rule.pk]
            rules.append(candidate)
            rules.sort(key=lambda r: (r.position, r.pk or 10**9))
            run, counts = _preview_counts(request, rules)
            preview = {
                "run": run,
                "rows": [(r.name, r.code, counts.get(r.code, 0), r is candidate) for r in rules],
            }
        else:
            try:
                if rule is None:
                    rule = tier_rule_create(**fields, actor=request.user)
                else:
                    rule = tier_rule_update(rule=rule, **fields, actor=request.user)
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                messages.success(request, _("Rule “%(name)s” saved.") % {"name": rule.name})
                return redirect("tier-rule-list")
    return render(
        request,
        "customers/tierrule_form.html",
        {"form": form, "rule": rule, "preview": preview},
    )
