"""Query-string filters of the customers API; person and subtree codes are scope-checked."""

import django_filters
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils.translation import gettext_lazy as _

from allocation.api.filters import (
    org_unit_subtree_filter,
    product_line_subtree_filter,
    salesperson_filter,
)
from allocation.models import OrgUnit, Salesperson
from customers.models import Customer, OrderLine, OrderLineCredit
from customers.selectors import order_lines_credited_to


class OrderLineFilterSet(django_filters.FilterSet):
    date_from = django_filters.DateFilter(
        field_name="order_date", lookup_expr="gte", help_text=_("Order date on or after.")
    )
    date_to = django_filters.DateFilter(
        field_name="order_date", lookup_expr="lte", help_text=_("Order date on or before.")
    )
    salesperson = salesperson_filter(method="filter_salesperson")
    product_line = product_line_subtree_filter("product_line__path")
    org_unit = org_unit_subtree_filter("salesperson__org_unit__path", method="filter_org_unit")
    customer = django_filters.CharFilter(field_name="customer__code", help_text=_("Customer code."))
    order_no = django_filters.CharFilter(field_name="order__order_no", help_text=_("Order number."))

    class Meta:
        model = OrderLine
        fields = [
            "date_from",
            "date_to",
            "salesperson",
            "product_line",
            "org_unit",
            "customer",
            "order_no",
        ]

    def filter_org_unit(
        self, queryset: QuerySet[OrderLine], name: str, value: OrgUnit | None
    ) -> QuerySet[OrderLine]:
        """Lines of salespeople in the subtree, and lines split with one of them."""
        if value is None:
            return queryset
        inside = Q(salesperson__org_unit__path__startswith=value.path)
        credited = OrderLineCredit.objects.filter(inside, line_id=OuterRef("pk"))
        return queryset.filter(inside | Q(Exists(credited)))

    def filter_salesperson(
        self, queryset: QuerySet[OrderLine], name: str, value: Salesperson | None
    ) -> QuerySet[OrderLine]:
        """Lines of the salesperson, and lines split with them."""
        if value is None:
            return queryset
        return order_lines_credited_to(queryset, salesperson_id=value.pk)


class CustomerFilterSet(django_filters.FilterSet):
    code = django_filters.CharFilter(help_text=_("Exact customer code."))
    region = django_filters.CharFilter(lookup_expr="iexact")
    state = django_filters.CharFilter(lookup_expr="iexact")
    owner = salesperson_filter(
        "owner", help_text=_("Account owner's salesperson code; one you cannot see is a 400.")
    )

    class Meta:
        model = Customer
        fields = ["code", "region", "state", "owner"]
