"""Browser pages of the customers area: order lines (with export) and order imports.

Each view reads like a checklist: check the role, validate with a form, read through a
scoped selector or write through one service, render.
"""

from __future__ import annotations

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
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from allocation.access import viewer_scope
from customers.forms import ImportUploadForm, OrderLineFilterSet
from customers.models import ImportJob, OrderLine
from customers.selectors import (
    ORDER_EXPORT_FILENAME,
    column_mapping_list,
    import_job_list,
    order_line_export,
    order_line_list,
)
from customers.services import (
    FileRejected,
    FileTooLarge,
    import_job_can_retry,
    import_job_create,
    import_job_retry,
)
from salesalloc.core.exceptions import ConflictError, ScopeError
from salesalloc.core.export import export_response
from salesalloc.core.money import MoneySum
from salesalloc.core.outages import BrokerUnavailableError
from salesalloc.core.queryparams import page_of
from salesalloc.core.users import acting_user

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
    page = page_of(request, paginator)
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
    header, rows = order_line_export(lines=lines)
    return export_response(fmt, filename=ORDER_EXPORT_FILENAME, header=header, rows=rows)


# --- Imports --------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def import_list(request: HttpRequest) -> HttpResponse:
    """Upload an order file (admins and managers) and see the viewer's recent imports."""
    _require_manager(request)
    mappings = column_mapping_list(user=request.user).order_by("name")
    form = ImportUploadForm(request.POST or None, request.FILES or None, mappings=mappings)
    status = 200
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            job = import_job_create(
                file=upload,
                original_name=upload.name,
                mode=form.cleaned_data["mode"],
                mapping=form.cleaned_data["mapping"],
                actor=acting_user(request.user),
            )
        except (FileRejected, FileTooLarge) as exc:
            form.add_error("file", getattr(exc, "message", None) or str(exc))
        except ScopeError as exc:
            raise PermissionDenied(exc.message) from exc
        except ValidationError as exc:
            form.add_error(None, exc)
        except BrokerUnavailableError as exc:
            # Nothing was queued and the upload was not kept: say so on the form, as a 503.
            form.add_error(None, exc.message)
            status = 503
        else:
            messages.success(
                request,
                _("%(name)s was uploaded; the import is running.") % {"name": job.original_name},
            )
            return redirect("import-detail", job_id=job.pk)
    jobs = list(
        import_job_list(user=request.user).defer("errors", "notices", "affected_cells")[
            :RECENT_JOBS
        ]
    )
    retryable = {job.pk for job in jobs if import_job_can_retry(job=job, user=request.user)}
    return render(
        request,
        "customers/importjob_list.html",
        {"form": form, "jobs": jobs, "retryable": retryable},
        status=status,
    )


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
            "notices": (job.notices or [])[:ERRORS_SHOWN],
            # The public API path is fixed by DESIGN §7; integrations poll the same URL.
            "status_url": f"/api/v1/imports/{job.pk}/",
            "can_retry": import_job_can_retry(job=job, user=request.user),
            "labels": {
                "phase": dict(ImportJob.Phase.choices),
                "status": dict(ImportJob.Status.choices),
                "recompute_status": dict(ImportJob.RecomputeStatus.choices),
            },
        },
    )


@login_required
@require_POST
def import_retry(request: HttpRequest, job_id: int) -> HttpResponse:
    """Run a failed import again (admins and the uploader), then show its progress."""
    job = _import_job(request, job_id)
    try:
        import_job_retry(job=job, actor=request.user)
    except ScopeError as exc:
        raise PermissionDenied(exc.message) from exc
    except ConflictError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The import was queued again."))
    return redirect("import-detail", job_id=job.pk)


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
