"""Query-string filters for the plan grid's API, reused by the other apps' APIs.

Codes that pick a person or a subtree (``salesperson``, ``org_unit``, ``product_line``) are
resolved among the rows the viewer may see. A code that does not exist and a code outside the
viewer's scope get the same 400 answer naming the field, so the API never tells anyone which
codes exist elsewhere in the company. Plain attribute filters (``code``, ``parent``, ``kind``)
only narrow an already scoped list and may return an empty page.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from drf_spectacular.drainage import set_override
from rest_framework.request import Request

from allocation.models import ActualCell, OrgUnit, ProductLine, Salesperson
from allocation.selectors import org_unit_list, product_line_list, salesperson_list

_MONTH_RE = re.compile(r"(\d{4})-(\d{2})")


class MonthFormField(forms.CharField):
    """``YYYY-MM`` -> the first day of that month."""

    def to_python(self, value: Any) -> dt.date | None:  # type: ignore[override]
        text = super().to_python(value)
        if not text:
            return None
        match = _MONTH_RE.fullmatch(text.strip())
        if match is None or not 1 <= int(match.group(2)) <= 12:
            raise ValidationError(
                _("Enter a month as YYYY-MM, for example 2024-03."), code="invalid"
            )
        return dt.date(int(match.group(1)), int(match.group(2)), 1)


class _DocumentedFilter(django_filters.Filter):
    """Gives the OpenAPI schema this filter's type (``schema``) and its ``help_text``."""

    schema: dict[str, Any] = {"type": "string"}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        schema = dict(self.schema)
        if self.extra.get("help_text"):
            schema["description"] = str(self.extra["help_text"])
        set_override(self, "field", schema)


class MonthFilter(_DocumentedFilter):
    """A calendar month, ``YYYY-MM``; matches a first-of-month date field."""

    field_class = MonthFormField
    schema = {"type": "string", "pattern": r"^\d{4}-\d{2}$", "example": "2024-03"}


class YearFilter(_DocumentedFilter):
    field_class = forms.IntegerField
    schema = {"type": "integer", "example": 2024, "minimum": 1900, "maximum": 2999}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("min_value", 1900)
        kwargs.setdefault("max_value", 2999)
        super().__init__(*args, **kwargs)


class CodeFilter(_DocumentedFilter, django_filters.ModelChoiceFilter):
    """A code among ``queryset(request)``; unknown and out-of-scope codes are one 400 answer."""

    def __init__(self, *args: Any, message: str | Promise, **kwargs: Any) -> None:
        kwargs.setdefault("to_field_name", "code")
        kwargs["error_messages"] = {"invalid_choice": message}
        super().__init__(*args, **kwargs)


class SubtreeCodeFilter(CodeFilter):
    """A tree node by code; keeps rows whose ``path_field`` lies in that node's subtree."""

    def __init__(self, *args: Any, path_field: str, **kwargs: Any) -> None:
        self.path_field = path_field
        super().__init__(*args, **kwargs)

    def filter(self, qs: QuerySet, value: OrgUnit | ProductLine | None) -> QuerySet:
        if value is None:
            return qs
        return qs.filter(**{f"{self.path_field}__startswith": value.path})


def visible_salespeople(request: Request | None) -> QuerySet[Salesperson]:
    if request is None:
        return Salesperson.objects.none()
    return salesperson_list(user=request.user)


def visible_org_units(request: Request | None) -> QuerySet[OrgUnit]:
    if request is None:
        return OrgUnit.objects.none()
    return org_unit_list(user=request.user)


def visible_product_lines(request: Request | None) -> QuerySet[ProductLine]:
    if request is None:
        return ProductLine.objects.none()
    return product_line_list(user=request.user)


SALESPERSON_UNKNOWN = _("No salesperson with code “%(value)s” is visible to you.")
ORG_UNIT_UNKNOWN = _("No org unit with code “%(value)s” is visible to you.")
PRODUCT_LINE_UNKNOWN = _("No product line with code “%(value)s”.")


def salesperson_filter(field_name: str = "salesperson", **kwargs: Any) -> CodeFilter:
    """Rows of one salesperson (by code) whom the viewer may see."""
    kwargs.setdefault(
        "help_text", _("Salesperson code; one you cannot see is a 400, like an unknown code.")
    )
    return CodeFilter(
        field_name=field_name, queryset=visible_salespeople, message=SALESPERSON_UNKNOWN, **kwargs
    )


def org_unit_subtree_filter(path_field: str, **kwargs: Any) -> SubtreeCodeFilter:
    """Rows in an org unit's whole subtree (by code) that the viewer may see."""
    kwargs.setdefault(
        "help_text",
        _("Org unit code; includes the whole subtree. One you cannot see is a 400."),
    )
    return SubtreeCodeFilter(
        path_field=path_field, queryset=visible_org_units, message=ORG_UNIT_UNKNOWN, **kwargs
    )


def product_line_subtree_filter(path_field: str, **kwargs: Any) -> SubtreeCodeFilter:
    """Rows in a product line's whole subtree (by code)."""
    kwargs.setdefault("help_text", _("Product line code; includes the whole subtree."))
    return SubtreeCodeFilter(
        path_field=path_field,
        queryset=visible_product_lines,
        message=PRODUCT_LINE_UNKNOWN,
        **kwargs,
    )


class OrgUnitFilterSet(django_filters.FilterSet):
    code = django_filters.CharFilter(help_text=_("Exact code."))
    kind = django_filters.ChoiceFilter(choices=OrgUnit.Kind.choices)
    parent = django_filters.CharFilter(
        field_name="parent__code", help_text=_("Code of the parent unit.")
    )

    class Meta:
        model = OrgUnit
        fields = ["code", "kind", "parent"]


class SalespersonFilterSet(django_filters.FilterSet):
    code = django_filters.CharFilter(help_text=_("Exact code."))
    org_unit = org_unit_subtree_filter("org_unit__path")
    is_active = django_filters.BooleanFilter()

    class Meta:
        model = Salesperson
        fields = ["code", "org_unit", "is_active"]


class ProductLineFilterSet(django_filters.FilterSet):
    code = django_filters.CharFilter(help_text=_("Exact code."))
    parent = django_filters.CharFilter(
        field_name="parent__code", help_text=_("Code of the parent product line.")
    )

    class Meta:
        model = ProductLine
        fields = ["code", "parent"]


class GridCellFilterSet(django_filters.FilterSet):
    """The filters of every grid-grain list (actuals, targets): codes, month, year."""

    salesperson = salesperson_filter()
    product_line = product_line_subtree_filter("product_line__path")
    org_unit = org_unit_subtree_filter("salesperson__org_unit__path")
    month = MonthFilter(field_name="month", help_text=_("Calendar month, YYYY-MM."))
    year = YearFilter(field_name="month__year", help_text=_("Calendar year, YYYY."))


class ActualFilterSet(GridCellFilterSet):
    class Meta:
        model = ActualCell
        fields = ["salesperson", "product_line", "org_unit", "month", "year"]
