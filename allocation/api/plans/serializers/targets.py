"""Plans API serializers: audit, acknowledgements, own targets, day targets and exports."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from allocation.api.plans.serializers.cells import CellCoordsSerializer
from allocation.api.plans.serializers.common import PERIOD_HELP, choice, money
from allocation.api.serializers import MonthOutputField
from allocation.models import Acknowledgement, PlanChange
from salesalloc.core.api import MoneyField


class PlanChangeOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    at = serializers.DateTimeField(source="created_at")
    actor = serializers.CharField(source="actor.username", allow_null=True, default=None)
    action = choice(choices=PlanChange.Action.choices)
    batch = serializers.UUIDField(allow_null=True)
    org_unit = serializers.CharField(source="org_unit.code", allow_null=True, default=None)
    salesperson = serializers.CharField(source="salesperson.code", allow_null=True, default=None)
    product_line = serializers.CharField(source="product_line.code", allow_null=True, default=None)
    period = serializers.CharField()
    cell = serializers.CharField()
    old_amount = MoneyField(allow_null=True)
    new_amount = MoneyField(allow_null=True)
    reason = serializers.CharField()
    leaf_count = serializers.IntegerField()
    details = serializers.JSONField()


class PlanChangeFilterSerializer(CellCoordsSerializer):
    period = serializers.CharField(required=False, help_text=PERIOD_HELP)
    action = choice(choices=PlanChange.Action.choices, required=False)
    batch = serializers.UUIDField(required=False)


class AcknowledgementOutputSerializer(serializers.Serializer):
    salesperson = serializers.CharField()
    salesperson_name = serializers.CharField()
    org_unit = serializers.CharField()
    status = choice(choices=["pending", "acknowledged", "disputed"])
    comment = serializers.CharField()
    acted_by = serializers.CharField(allow_null=True)
    acted_at = serializers.DateTimeField(allow_null=True)


class AcknowledgementFilterSerializer(serializers.Serializer):
    status = choice(choices=["pending", "acknowledged", "disputed"], required=False)


class AcknowledgeInputSerializer(serializers.Serializer):
    status = choice(choices=Acknowledgement.Status.choices)
    comment = serializers.CharField(required=False, allow_blank=True, default="")


class AcknowledgeOutputSerializer(serializers.Serializer):
    plan = serializers.IntegerField(source="plan_id")
    salesperson = serializers.CharField(source="salesperson.code")
    status = serializers.CharField()
    comment = serializers.CharField()
    acted_at = serializers.DateTimeField()


class MonthAmountSerializer(serializers.Serializer):
    month = serializers.CharField(help_text=_("YYYY-MM"))
    amount = serializers.CharField()


class QuarterAmountSerializer(serializers.Serializer):
    quarter = serializers.CharField()
    amount = serializers.CharField()


class TargetBreakdownSerializer(serializers.Serializer):
    year = serializers.CharField()
    quarters = QuarterAmountSerializer(many=True)
    months = MonthAmountSerializer(many=True)


class ProductLineTargetSerializer(TargetBreakdownSerializer):
    code = serializers.CharField()
    name = serializers.CharField()


class MyPlanSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    fiscal_year = serializers.IntegerField()
    version = serializers.IntegerField()
    currency = serializers.CharField()


class MyAcknowledgementSerializer(serializers.Serializer):
    status = serializers.CharField()
    comment = serializers.CharField()
    acted_at = serializers.DateTimeField()


class MyTargetsOutputSerializer(TargetBreakdownSerializer):
    plan = MyPlanSerializer()
    salesperson = serializers.CharField()
    product_lines = ProductLineTargetSerializer(many=True)
    acknowledgement = MyAcknowledgementSerializer(allow_null=True)


def breakdown(labels: list[str], months: list[int]) -> dict[str, Any]:
    return {
        "year": money(sum(months)),
        "quarters": [
            {"quarter": f"Q{q + 1}", "amount": money(sum(months[3 * q : 3 * q + 3]))}
            for q in range(4)
        ],
        "months": [
            {"month": label, "amount": money(v)} for label, v in zip(labels, months, strict=True)
        ],
    }


class TargetOutputSerializer(serializers.Serializer):
    plan = serializers.IntegerField(source="plan_id")
    salesperson = serializers.CharField(source="salesperson.code")
    salesperson_name = serializers.CharField(source="salesperson.name")
    org_unit = serializers.CharField(
        source="salesperson.org_unit.code", help_text=_("The salesperson's current org unit.")
    )
    product_line = serializers.CharField(source="product_line.code")
    month = MonthOutputField()
    amount = MoneyField(help_text=_("Target."))


class DayAmountSerializer(serializers.Serializer):
    date = serializers.DateField()
    amount = serializers.CharField()


class DayTargetsOutputSerializer(serializers.Serializer):
    salesperson = serializers.CharField()
    salesperson_name = serializers.CharField()
    month = serializers.CharField()
    product_line = serializers.CharField(allow_null=True)
    amount = serializers.CharField()
    days = DayAmountSerializer(many=True)


class DayInputSerializer(serializers.Serializer):
    month = serializers.CharField(help_text=_("YYYY-MM"))
    salesperson = serializers.CharField(required=False)
    product_line = serializers.CharField(required=False)


class DayExportInputSerializer(DayInputSerializer):
    format = serializers.ChoiceField(choices=["csv", "xlsx"], default="csv")


class ExportInputSerializer(serializers.Serializer):
    format = serializers.ChoiceField(choices=["xlsx", "csv"], default="xlsx")
