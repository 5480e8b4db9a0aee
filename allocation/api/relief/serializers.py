"""Quota relief API serializers: the request as the API shows it, and each operation's input."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from allocation.api.plans.serializers.common import choice
from allocation.models import ReliefDistribution, ReliefRequest
from salesalloc.core.api import MoneyField
from salesalloc.core.fields import BoundedDecimalField

MONTHS_HELP = _("Calendar months YYYY-MM of the plan's fiscal year.")


class ReliefLeafSerializer(serializers.Serializer):
    salesperson = serializers.CharField()
    product_line = serializers.CharField()
    month = serializers.CharField()
    old = serializers.CharField(help_text=_("The target before, a decimal string."))
    new = serializers.CharField(help_text=_("The target after, a decimal string."))


class ReliefResultSerializer(serializers.Serializer):
    relieved = ReliefLeafSerializer(many=True, help_text=_("The person's targets that dropped."))
    redistributed = ReliefLeafSerializer(
        many=True, help_text=_("The teammates' targets that took the relief over.")
    )


class ReliefRequestOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    plan = serializers.IntegerField(source="plan_id")
    plan_name = serializers.CharField(source="plan.name")
    fiscal_year = serializers.IntegerField(source="plan.fiscal_year")
    salesperson = serializers.CharField(source="salesperson.code")
    salesperson_name = serializers.CharField(source="salesperson.name")
    reason = choice(choices=ReliefRequest.Reason.choices)
    description = serializers.CharField()
    amount = MoneyField(allow_null=True, help_text=_("The amount asked (or null: a share)."))
    share = serializers.DecimalField(
        max_digits=5,
        decimal_places=2,
        allow_null=True,
        coerce_to_string=True,
        help_text=_("The share of the months' target asked, in percent (or null: an amount)."),
    )
    months = serializers.ListField(child=serializers.CharField(), help_text=MONTHS_HELP)
    product_lines = serializers.SerializerMethodField(
        help_text=_("Leaf product lines covered; empty means all of the plan's lines.")
    )
    status = choice(choices=ReliefRequest.Status.choices)
    requested_by = serializers.CharField(
        source="requested_by.username", allow_null=True, default=None
    )
    requested_as = choice(choices=ReliefRequest.Role.choices)
    requested_at = serializers.DateTimeField(source="created_at")
    target_amount = MoneyField(
        help_text=_("The target of the covered cells when asked (when decided, once approved).")
    )
    relieved_amount = MoneyField(allow_null=True)
    plan_distribution = choice(
        choices=ReliefDistribution.choices,
        source="plan.relief_distribution",
        help_text=_("The plan's rule: the approver's default."),
    )
    distribution = serializers.CharField(
        help_text=_("absorb or redistribute once approved, else empty.")
    )
    decided_by = serializers.CharField(source="decided_by.username", allow_null=True, default=None)
    decided_at = serializers.DateTimeField(allow_null=True)
    decision_comment = serializers.CharField()
    override_four_eyes = serializers.BooleanField()
    result = serializers.SerializerMethodField(
        help_text=_("Once approved: every target that moved, old and new.")
    )
    can_decide = serializers.SerializerMethodField(help_text=_("You may approve or reject it now."))
    needs_override = serializers.SerializerMethodField(
        help_text=_("Only with override_four_eyes (an administrator deciding their own).")
    )

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_product_lines(self, request: ReliefRequest) -> list[str]:
        return sorted(line.code for line in request.product_lines.all())

    @staticmethod
    def _decidable(context: Mapping[str, Any], request: ReliefRequest) -> tuple[bool, bool]:
        return context.get("decidable", {}).get(request.pk, (False, False))

    @extend_schema_field(serializers.BooleanField())
    def get_can_decide(self, request: ReliefRequest) -> bool:
        return self._decidable(self.context, request)[0]

    @extend_schema_field(serializers.BooleanField())
    def get_needs_override(self, request: ReliefRequest) -> bool:
        return self._decidable(self.context, request)[1]

    @extend_schema_field(ReliefResultSerializer)
    def get_result(self, request: ReliefRequest) -> dict[str, Any]:
        result = request.result or {}
        return {
            "relieved": result.get("relieved", []),
            "redistributed": result.get("redistributed", []),
        }


class ReliefRequestCreateInputSerializer(serializers.Serializer):
    plan = serializers.IntegerField(help_text=_("Id of a published plan."))
    salesperson = serializers.CharField(
        help_text=_("Salesperson code: yourself, or someone you manage.")
    )
    reason = choice(choices=ReliefRequest.Reason.choices)
    description = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=2000
    )
    amount = BoundedDecimalField(
        max_digits=14,
        decimal_places=2,
        min_value=Decimal("0.01"),
        required=False,
        allow_null=True,
        help_text=_("An amount of target to relieve (or give share)."),
    )
    share = BoundedDecimalField(
        max_digits=5,
        decimal_places=2,
        min_value=Decimal("0.01"),
        max_value=100,
        required=False,
        allow_null=True,
        help_text=_("A share of the months' target in percent, 0.01 to 100 (or give amount)."),
    )
    months = serializers.ListField(
        child=serializers.CharField(max_length=7),
        min_length=1,
        max_length=12,
        help_text=MONTHS_HELP,
    )
    product_lines = serializers.ListField(
        child=serializers.CharField(max_length=50),
        required=False,
        default=list,
        max_length=500,
        help_text=_("Product line codes (nodes expand to their leaves); default all."),
    )


class ReliefApproveInputSerializer(serializers.Serializer):
    distribution = choice(
        choices=ReliefDistribution.choices,
        required=False,
        help_text=_("absorb or redistribute; default the plan's rule."),
    )
    comment = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)
    override_four_eyes = serializers.BooleanField(
        required=False,
        default=False,
        help_text=_("Administrators only: decide a request they asked for (or their own)."),
    )


class ReliefRejectInputSerializer(serializers.Serializer):
    comment = serializers.CharField(max_length=2000, help_text=_("Why the relief is rejected."))
    override_four_eyes = serializers.BooleanField(required=False, default=False)


class ReliefWithdrawInputSerializer(serializers.Serializer):
    comment = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)


class ReliefRequestFilterSerializer(serializers.Serializer):
    plan = serializers.IntegerField(required=False, min_value=1)
    salesperson = serializers.CharField(required=False, max_length=50)
    status = choice(choices=ReliefRequest.Status.choices, required=False)
    to_decide = serializers.BooleanField(
        required=False,
        default=False,
        help_text=_("true: only the pending requests you may decide now."),
    )
