"""The variance report page: target vs achieved by person or unit × period × product line.

Sortable by any column, with totals and a formula-safe CSV/XLSX export of the same rows.
The figures come from ``performance.tracking.variance.variance_report_get``.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, cast
from urllib.parse import urlencode

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from allocation.access import viewer_scope
from allocation.models import OrgUnit, ProductLine
from allocation.selectors import org_unit_list
from performance.tracking.selectors import tracking_years
from performance.tracking.variance import VarianceReport, VarianceRow, variance_report_get
from performance.tracking.views import _money, _percent, band
from salesalloc.core.db import use_replica
from salesalloc.core.export import export_response
from salesalloc.core.money import from_cents
from salesalloc.core.queryparams import warn_query_problems


class VarianceForm(forms.Form):
    year = forms.TypedChoiceField(label=gettext_lazy("Fiscal year"), coerce=int, required=False)
    period = forms.ChoiceField(
        label=gettext_lazy("Period"),
        required=False,
        choices=[
            ("month", gettext_lazy("Month")),
            ("quarter", gettext_lazy("Quarter")),
            ("year", gettext_lazy("Year")),
        ],
    )
    by = forms.ChoiceField(
        label=gettext_lazy("Rows"),
        required=False,
        choices=[
            ("salesperson", gettext_lazy("Salesperson")),
            ("team", gettext_lazy("Team")),
            ("department", gettext_lazy("Department")),
            ("region", gettext_lazy("Region")),
        ],
    )
    org_unit = forms.ChoiceField(label=gettext_lazy("Org unit"), required=False)
    product_line = forms.ChoiceField(label=gettext_lazy("Product line"), required=False)
    split = forms.BooleanField(label=gettext_lazy("Split by product line"), required=False)
    sort = forms.CharField(required=False, max_length=20, widget=forms.HiddenInput)

    def __init__(
        self,
        *args: Any,
        years: list[int],
        units: list[OrgUnit],
        lines: list[ProductLine],
        **kwargs: Any,
    ):
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["year"]).choices = [
            (year, f"FY{year}") for year in years
        ]
        cast(forms.ChoiceField, self.fields["org_unit"]).choices = [
            ("", _("Everything you can see"))
        ] + [(unit.code, ("\u2003" * unit.depth) + f"{unit.code} {unit.name}") for unit in units]
        cast(forms.ChoiceField, self.fields["product_line"]).choices = [
            ("", _("All product lines"))
        ] + [(line.code, ("\u2003" * line.depth) + f"{line.code} {line.name}") for line in lines]


def _variance_columns() -> list[tuple[str, str]]:
    return [
        ("name", _("Name")),
        ("period", _("Period")),
        ("product_line", _("Product line")),
        ("target", _("Target")),
        ("achieved", _("Achieved")),
        ("variance", _("Variance")),
        ("attainment", _("Attainment")),
    ]


@login_required
@use_replica
def variance_report(request: HttpRequest) -> HttpResponse | StreamingHttpResponse:
    """Target vs achieved by person or unit × period × product line; CSV/XLSX export.

    The page is an ``HttpResponse``; a CSV export streams, an XLSX export does not.
    """
    scope = viewer_scope(user=request.user)
    if scope.role == "none":
        raise PermissionDenied
    today = timezone.localdate()
    years = tracking_years(user=request.user, today=today)
    units = list(org_unit_list(user=request.user).order_by("path")) if scope.can_manage else []
    lines = list(ProductLine.objects.order_by("path"))
    form = VarianceForm(request.GET or None, years=years, units=units, lines=lines)
    warn_query_problems(request, form)
    data = form.cleaned_data if form.is_bound and form.is_valid() else {}
    year = data.get("year") or today.year
    period = data.get("period") or "month"
    sort = data.get("sort") or "name"
    report = variance_report_get(
        user=request.user,
        year=year,
        period=period,
        by=data.get("by") or "salesperson",
        org_unit=data.get("org_unit") or None,
        product_line=data.get("product_line") or None,
        split_product_lines=bool(data.get("split")),
        sort=sort,
    )
    fmt = request.GET.get("export")
    if fmt in ("csv", "xlsx"):
        return _variance_export(fmt, report=report, filename=f"variance-FY{year}-{period}")
    params = {k: v for k, v in request.GET.items() if k not in ("sort", "export")}
    total = report.total
    return render(
        request,
        "performance/variance_report.html",
        {
            "form": form,
            "report": report,
            "columns": _column_links(params, sort),
            "rows": [_row_context(row) for row in report.rows],
            "total": {
                "target": _money(total.target),
                "achieved": from_cents(total.achieved),
                "variance": _money(total.variance),
                "attainment": _percent(total.attainment),
            },
            "export_csv": f"?{urlencode({**params, 'sort': sort, 'export': 'csv'})}",
            "export_xlsx": f"?{urlencode({**params, 'sort': sort, 'export': 'xlsx'})}",
        },
    )


def _variance_export(
    fmt: str, *, report: VarianceReport, filename: str
) -> HttpResponse | StreamingHttpResponse:
    """The report's rows as a CSV or XLSX download (code and name in separate columns)."""
    header = [label for _key, label in _variance_columns()]
    header[0:1] = [_("Code"), _("Name")]
    return export_response(
        fmt,
        filename=filename,
        header=header,
        rows=(
            [
                row.code,
                row.name,
                row.period,
                row.product_line,
                _money(row.target),
                from_cents(row.achieved),
                _money(row.variance),
                None
                if row.attainment is None
                else Decimal(row.attainment.numerator) / Decimal(row.attainment.denominator),
            ]
            for row in report.rows
        ),
    )


def _column_links(params: dict[str, Any], sort: str) -> list[dict[str, Any]]:
    """Each column's header: a link sorting by it (again: the other way) and its state."""
    columns = []
    for key, label in _variance_columns():
        next_sort = f"-{key}" if sort == key else key
        columns.append(
            {
                "key": key,
                "label": label,
                "url": f"?{urlencode({**params, 'sort': next_sort})}",
                "sorted": "ascending"
                if sort == key
                else ("descending" if sort == f"-{key}" else ""),
                "num": key in ("target", "achieved", "variance", "attainment"),
            }
        )
    return columns


def _row_context(row: VarianceRow) -> dict[str, Any]:
    return {
        "code": row.code,
        "name": row.name,
        "period": row.period,
        "product_line": row.product_line,
        "target": _money(row.target),
        "achieved": from_cents(row.achieved),
        "variance": _money(row.variance),
        "attainment": _percent(row.attainment),
        "band": band(row.attainment),
    }
