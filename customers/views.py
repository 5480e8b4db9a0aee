"""Browser pages of the customers area: order lines (with export) and order imports.

Each view reads like a checklist: check the role, validate with a form, read through a
scoped selector or write through one service, render.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.http import require_GET, require_http_methods

from allocation.access import viewer_scope
from customers.forms import ImportUploadForm, OrderLineFilterSet
from customers.models import ImportJob, OrderLine
from customers.selectors import column_mapping_list, import_job_list, order_line_list
from customers.services import FileRejected, FileTooLarge, import_job_create
from salesalloc.core.exceptions import ScopeError
from salesalloc.core.export import export_response
from salesalloc.core.money import MoneySum, money_str

ORDERS_PER_PAGE = 50
RECENT_JOBS = 20
# The job page lists this many rejected rows; the full list downloads as CSV.
ERRORS_SHOWN = 200
# An XLSX is built in memory; bigger selections go out as (streamed) CSV.
XLSX_MAX_ROWS = 200_000
EXPORT_FORMATS = ("csv", "xlsx")
FINISHED = (ImportJob.Status.SUCCEEDED, ImportJob.Status.FAILED)


def _require_manager(request: HttpRequest) -> None:
    if not viewer_scope(user=request.user).can_manage:
        raise PermissionDenied


# --- Orders ---------------------------------------------------------------------------------


def _filtered_order_lines(request: HttpRequest) -> tuple[OrderLineFilterSet, QuerySet[OrderLine]]:
    """The viewer's order lines narrowed by the page's filters; nothing if a filter is invalid.

    An invalid filter (e.g. a salesperson outside the viewer's scope) shows its error and an
    empty list rather than silently dropping that filter and showing more than was asked for.
    """
    lines = order_line_list(user=request.user)
    filterset = OrderLineFilterSet(request.GET or None, queryset=lines, request=request)
    if filterset.is_bound and not filterset.is_valid():
        return filterset, lines.none()
    return filterset, filterset.qs.order_by("-order_date", "order_id", "line_no")


@login_required
@require_GET
def order_list(request: HttpRequest) -> HttpResponse:
    """Order lines in the viewer's scope, filtered, 50 a page, with totals of the whole set."""
    filterset, lines = _filtered_order_lines(request)
    totals = lines.order_by().aggregate(count=Count("pk"), amount=MoneySum("amount"))
    paginator = Paginator(lines, ORDERS_PER_PAGE)
    # The aggregate already counted the rows; spare the paginator its own COUNT query.
    paginator.count = totals["count"]
    page = paginator.get_page(request.GET.get("page"))
    return render(
        request,
        "customers/orderline_list.html",
        {
            "filterset": filterset,
            "page": page,
            "totals": totals,
            "page_range": paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1),
        },
    )


def export_header() -> list[str]:
    """Column names of an order export: the import's own headers, so an export re-imports."""
    return [
        pgettext("order file header", "order_id"),
        pgettext("order file header", "line_no"),
        pgettext("order file header", "order_date"),
        pgettext("order file header", "customer_code"),
        pgettext("order file header", "customer_name"),
        pgettext("order file header", "salesperson_code"),
        pgettext("order file header", "product_line"),
        pgettext("order file header", "sku"),
        pgettext("order file header", "product_name"),
        pgettext("order file header", "quantity"),
        pgettext("order file header", "unit_price"),
        pgettext("order file header", "amount"),
        pgettext("order file header", "cost"),
    ]


def _number(value: Decimal | None) -> Decimal | int | None:
    """An exact number for the file: 2 places for money unless more carry information."""
    if value is None:
        return None
    if value == value.to_integral_value():
        return int(value)
    return Decimal(money_str(value) or "0")


def _money(value: Decimal | None) -> Decimal | None:
    return None if value is None else Decimal(money_str(value) or "0")


def _export_rows(lines: QuerySet[OrderLine]) -> Iterator[tuple[Any, ...]]:
    # Customers' personal data (phone, e-mail, address) is deliberately not selected.
    rows = lines.values_list(
        "order__order_no",
        "line_no",
        "order_date",
        "customer__code",
        "customer__name",
        "salesperson__code",
        "product_line__code",
        "product__sku",
        "product__name",
        "quantity",
        "unit_price",
        "amount",
        "cost",
    )
    for row in rows.iterator(chunk_size=2000):
        (order_no, line_no, day, customer, name, seller, line, sku, product, qty, price) = row[:11]
        amount, cost = row[11:]
        yield (
            order_no,
            line_no,
            day,
            customer,
            name,
            seller,
            line,
            sku or "",
            product or "",
            _number(qty),
            _money(price),
            _money(amount),
            _money(cost),
        )


@login_required
@require_GET
def order_export(request: HttpRequest, fmt: str) -> HttpResponseBase:
    """Download the filtered order lines as CSV (streamed) or XLSX, in the viewer's scope."""
    if fmt not in EXPORT_FORMATS:
        raise Http404
    _filterset, lines = _filtered_order_lines(request)
    if fmt == "xlsx" and lines.count() > XLSX_MAX_ROWS:
        messages.warning(
            request,
            _(
                "That selection has more than %(max)s rows, too many for an XLSX file. "
                "Narrow the filters or download CSV."
            )
            % {"max": f"{XLSX_MAX_ROWS:,}"},
        )
        return redirect(
            reverse("order-list") + ("?" + request.GET.urlencode() if request.GET else "")
        )
    return export_response(
        fmt, filename="order-lines", header=export_header(), rows=_export_rows(lines)
    )


# --- Imports --------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def import_list(request: HttpRequest) -> HttpResponse:
    """Upload an order file (admins and managers) and see the viewer's recent imports."""
    _require_manager(request)
    mappings = column_mapping_list(user=request.user).order_by("name")
    form = ImportUploadForm(request.POST or None, request.FILES or None, mappings=mappings)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            job = import_job_create(
                file=upload,
                original_name=upload.name,
                mode=form.cleaned_data["mode"],
                mapping=form.cleaned_data["mapping"],
                actor=request.user,
            )
        except (FileRejected, FileTooLarge) as exc:
            form.add_error("file", getattr(exc, "message", None) or str(exc))
        except ScopeError as exc:
            raise PermissionDenied(exc.message) from exc
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(
                request,
                _("%(name)s was uploaded; the import is running.") % {"name": job.original_name},
            )
            return redirect("import-detail", job_id=job.pk)
    jobs = import_job_list(user=request.user).defer("errors", "affected_cells")[:RECENT_JOBS]
    return render(request, "customers/importjob_list.html", {"form": form, "jobs": jobs})


def _import_job(request: HttpRequest, job_id: int) -> ImportJob:
    _require_manager(request)
    return get_object_or_404(import_job_list(user=request.user).defer("affected_cells"), pk=job_id)


@login_required
@require_GET
def import_detail(request: HttpRequest, job_id: int) -> HttpResponse:
    """One import: a live progress bar while it runs, then its summary and rejected rows."""
    job = _import_job(request, job_id)
    finished = job.status in FINISHED
    percent = 100 if finished else (job.rows_done * 100 // job.rows_total if job.rows_total else 0)
    errors = job.errors[:ERRORS_SHOWN] if isinstance(job.errors, list) else []
    return render(
        request,
        "customers/importjob_detail.html",
        {
            "job": job,
            "finished": finished,
            "percent": min(percent, 100),
            "errors": errors,
            "errors_more": max(job.errors_total, len(job.errors or [])) - len(errors),
            # The public API path is fixed by DESIGN §7; integrations poll the same URL.
            "status_url": f"/api/v1/imports/{job.pk}/",
            "labels": {
                "phase": dict(ImportJob.Phase.choices),
                "status": dict(ImportJob.Status.choices),
                "recompute_status": dict(ImportJob.RecomputeStatus.choices),
            },
        },
    )


@login_required
@require_GET
def import_errors_export(request: HttpRequest, job_id: int) -> HttpResponseBase:
    """The rejected rows of one import as CSV (row, column, message)."""
    job = _import_job(request, job_id)
    header = [
        pgettext("rejected rows header", "row"),
        pgettext("rejected rows header", "column"),
        pgettext("rejected rows header", "message"),
    ]
    rows = (
        (error.get("row"), error.get("column") or "", error.get("message") or "")
        for error in (job.errors or [])
    )
    return export_response(
        "csv", filename=f"import-{job.pk}-rejected-rows", header=header, rows=rows
    )
