"""Filters of a run's customer rows (``abc``, ``segment``, ``tier``, ``customer``)."""

import django_filters
from django.utils.translation import gettext_lazy as _

from customers.tiers.models import CustomerTier


class CustomerTierFilterSet(django_filters.FilterSet):
    abc = django_filters.ChoiceFilter(
        choices=[("A", "A"), ("B", "B"), ("C", "C")], help_text=_("ABC class.")
    )
    segment = django_filters.CharFilter(help_text=_("Segment key, e.g. champions."))
    tier = django_filters.CharFilter(help_text=_("Tier code."))
    customer = django_filters.CharFilter(field_name="customer__code", help_text=_("Customer code."))

    class Meta:
        model = CustomerTier
        fields = ["abc", "segment", "tier", "customer"]
