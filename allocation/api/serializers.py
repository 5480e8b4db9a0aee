"""Input and output shapes of the plan grid's API (DESIGN §7: money as decimal strings)."""

from __future__ import annotations

import datetime as dt

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from allocation.models import OrgUnit
from allocation.selectors import ACTUAL_TOTAL_GROUPS
from salesalloc.core.api import MoneyField

# Order amounts keep 4 places (allocation.models.ActualCell), so the schema allows 4.
AMOUNT_PLACES = 4


@extend_schema_field({"type": "string", "pattern": r"^\d{4}-\d{2}$", "example": "2024-03"})
class MonthOutputField(serializers.Field):
    """A first-of-month date written as ``YYYY-MM``."""

    def to_representation(self, value: dt.date) -> str:
        return f"{value:%Y-%m}"


class OrgUnitOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    name = serializers.CharField()
    kind = serializers.ChoiceField(choices=OrgUnit.Kind.choices)
    # An API field named like Field.parent: DRF moves declared fields off the class.
    parent = serializers.CharField(  # type: ignore[assignment]
        source="parent.code", allow_null=True, help_text=_("Code of the parent unit.")
    )
    depth = serializers.IntegerField(help_text=_("0 for the company (root)."))


class SalespersonOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    name = serializers.CharField()
    org_unit = serializers.CharField(source="org_unit.code", help_text=_("Org unit code."))
    start_date = serializers.DateField(allow_null=True)
    end_date = serializers.DateField(allow_null=True)
    fte = serializers.DecimalField(max_digits=4, decimal_places=2)
    is_active = serializers.BooleanField()
    username = serializers.CharField(
        source="user.username", allow_null=True, help_text=_("Login, if the person has one.")
    )


class ProductLineOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    name = serializers.CharField()
    # An API field named like Field.parent: DRF moves declared fields off the class.
    parent = serializers.CharField(  # type: ignore[assignment]
        source="parent.code", allow_null=True, help_text=_("Code of the parent product line.")
    )
    depth = serializers.IntegerField()
    is_active = serializers.BooleanField()


class ActualOutputSerializer(serializers.Serializer):
    salesperson = serializers.CharField(source="salesperson.code")
    salesperson_name = serializers.CharField(source="salesperson.name")
    org_unit = serializers.CharField(
        source="salesperson.org_unit.code", help_text=_("The salesperson's current org unit.")
    )
    product_line = serializers.CharField(source="product_line.code")
    month = MonthOutputField()
    amount = MoneyField(decimal_places=AMOUNT_PLACES, help_text=_("Net order amount."))
    cost = MoneyField(decimal_places=AMOUNT_PLACES)
    quantity = MoneyField(decimal_places=AMOUNT_PLACES, help_text=_("Units sold (net)."))
    new_customer_amount = MoneyField(
        decimal_places=AMOUNT_PLACES,
        help_text=_(
            "Net amount from customers whose first order is in the 12 months up to and "
            "including this month; gross margin is amount - cost."
        ),
    )
    lines = serializers.IntegerField(help_text=_("Number of order lines."))


class ActualTotalInputSerializer(serializers.Serializer):
    group_by = serializers.ChoiceField(choices=ACTUAL_TOTAL_GROUPS, default="month")
    level = serializers.IntegerField(
        required=False,
        min_value=0,
        max_value=50,
        help_text=_(
            "Tree depth for org_unit/product_line grouping (0 = root). Default: the level "
            "below the org_unit/product_line filter, else below your top visible org unit, "
            "else the top product lines."
        ),
    )


class ActualTotalOutputSerializer(serializers.Serializer):
    key = serializers.CharField(help_text=_("YYYY-MM, YYYY or a code, by group_by."))
    name = serializers.CharField()
    amount = MoneyField(decimal_places=AMOUNT_PLACES)
    cost = MoneyField(decimal_places=AMOUNT_PLACES)
    lines = serializers.IntegerField()
