"""Browser forms of the customers area: the order-file upload and the order-line filters.

Forms only validate. The upload form hands its cleaned data to
``customers.services.import_job_create``; the filter set narrows a queryset that
``customers.selectors.order_line_list`` has already scoped to the viewer.
"""

from __future__ import annotations

from typing import Any, cast

import django_filters
from django import forms
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from allocation.models import ProductLine, Salesperson
from allocation.selectors import product_line_list, salesperson_list
from customers.models import ColumnMapping, ImportJob, OrderLine
from customers.selectors import order_lines_credited_to

UPLOAD_ACCEPT = (
    ".csv,.xlsx,text/csv,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
)


class ImportUploadForm(forms.Form):
    file = forms.FileField(
        label=_("Order file"),
        help_text=_(
            "CSV or XLSX with one row per order line. Headers in English or Chinese, "
            "e.g. order_id / 订单号, order_date / 日期, amount / 金额."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": UPLOAD_ACCEPT}),
    )
    mapping = forms.ModelChoiceField(
        label=_("Column mapping"),
        queryset=ColumnMapping.objects.none(),
        required=False,
        empty_label=_("Standard headers (no mapping)"),
        help_text=_("A saved mapping lets an ERP export with its own headers import as is."),
    )
    mode = forms.ChoiceField(
        label=_("When some rows are invalid"),
        choices=[
            (ImportJob.Mode.ALL_OR_NOTHING, _("Import nothing (all or nothing)")),
            (ImportJob.Mode.PARTIAL, _("Import the valid rows, report the rest (partial)")),
        ],
        initial=ImportJob.Mode.ALL_OR_NOTHING,
        widget=forms.RadioSelect,
    )

    def __init__(self, *args: Any, mappings: QuerySet[ColumnMapping], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["mapping"]).queryset = mappings


class SalespersonChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Salesperson) -> str:
        return f"{obj.code} · {obj.name}"


class ProductLineChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: ProductLine) -> str:
        return "\u2003" * obj.depth + f"{obj.code} · {obj.name}"


class SalespersonFilter(django_filters.ModelChoiceFilter):
    field_class = SalespersonChoiceField


class ProductLineFilter(django_filters.ModelChoiceFilter):
    field_class = ProductLineChoiceField


def _salespeople(request: HttpRequest | None) -> QuerySet[Salesperson]:
    if request is None:
        return Salesperson.objects.none()
    return salesperson_list(user=request.user).order_by("code")


def _product_lines(request: HttpRequest | None) -> QuerySet[ProductLine]:
    if request is None:
        return ProductLine.objects.none()
    return product_line_list(user=request.user).order_by("path")


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs=attrs, format="%Y-%m-%d")


class OrderLineFilterSet(django_filters.FilterSet):
    """Filters of the Orders page. A choice outside the viewer's scope is invalid."""

    date_from = django_filters.DateFilter(
        field_name="order_date", lookup_expr="gte", label=_("From"), widget=DateInput()
    )
    date_to = django_filters.DateFilter(
        field_name="order_date", lookup_expr="lte", label=_("To"), widget=DateInput()
    )
    salesperson = SalespersonFilter(
        queryset=_salespeople,
        label=_("Salesperson"),
        empty_label=_("All salespeople"),
        method="filter_salesperson",
    )
    product_line = ProductLineFilter(
        queryset=_product_lines,
        label=_("Product line"),
        empty_label=_("All product lines"),
        method="filter_product_line",
    )
    customer = django_filters.CharFilter(
        label=_("Customer"),
        method="filter_customer",
        widget=forms.TextInput(attrs={"placeholder": _("Code or name")}),
    )
    order_no = django_filters.CharFilter(
        field_name="order__order_no", lookup_expr="icontains", label=_("Order number")
    )

    class Meta:
        model = OrderLine
        fields: list[str] = []

    def filter_salesperson(
        self, queryset: QuerySet[OrderLine], name: str, value: Salesperson | None
    ) -> QuerySet[OrderLine]:
        """Lines of the salesperson, and lines split with them (showing their part)."""
        if value is None:
            return queryset
        return order_lines_credited_to(queryset, salesperson_id=value.pk)

    def filter_product_line(
        self, queryset: QuerySet[OrderLine], name: str, value: ProductLine | None
    ) -> QuerySet[OrderLine]:
        """A product line includes its sub-lines."""
        if value is None:
            return queryset
        return queryset.filter(product_line__path__startswith=value.path)

    def filter_customer(
        self, queryset: QuerySet[OrderLine], name: str, value: str
    ) -> QuerySet[OrderLine]:
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(customer__code__istartswith=value) | Q(customer__name__icontains=value)
        )

    @property
    def active_count(self) -> int:
        """How many filters carry a value (shown next to the filter toggle)."""
        if not self.is_bound or not self.is_valid():
            return 0
        return sum(1 for value in self.form.cleaned_data.values() if value not in (None, ""))
