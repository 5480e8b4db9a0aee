"""HTTP shapes of the tiers API (DESIGN §7 "Analytics API", tiers): fixed, do not add keys."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from customers.tiers.engine import DIMENSIONS
from customers.tiers.models import CustomerTier, TierRun
from salesalloc.core.api import MoneyField
from salesalloc.core.money import money_str


class ThresholdField(serializers.DecimalField):
    """An ABC threshold such as ``"0.80"`` (at most 4 places), written with 2+ places."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(max_digits=5, decimal_places=4, **kwargs)

    def to_representation(self, value: Any) -> str:
        # A None value never gets here: serializers write null for it themselves.
        return money_str(Decimal(value)) or ""


class TierRunCreateInputSerializer(serializers.Serializer):
    as_of = serializers.DateField(help_text=_("Orders dated before this day count."))
    window_days = serializers.IntegerField(
        required=False,
        allow_null=True,
        min_value=1,
        max_value=36_500,
        help_text=_("Only orders of the last N days before as_of count (default: settings)."),
    )
    abc_a = ThresholdField(required=False, help_text=_('Share that closes class A, e.g. "0.80".'))
    abc_b = ThresholdField(required=False, help_text=_('Share that closes class B, e.g. "0.95".'))


class TierRunOutputSerializer(serializers.ModelSerializer):
    """A run as every role sees it: ``customers`` counts the whole run; the run's revenue
    total is left out, since salespeople may not see the company's figures."""

    abc_a = ThresholdField(read_only=True)
    abc_b = ThresholdField(read_only=True)

    class Meta:
        model = TierRun
        fields = [
            "id",
            "status",
            "as_of",
            "customers",
            "window_days",
            "abc_a",
            "abc_b",
            "kind",
            "daily",
            "created_at",
            "started_at",
            "finished_at",
            "error",
        ]
        read_only_fields = fields


class CustomerTierOutputSerializer(serializers.ModelSerializer):
    customer = serializers.CharField(source="customer.code", read_only=True)
    monetary = MoneyField(max_digits=18, decimal_places=4, read_only=True)

    class Meta:
        model = CustomerTier
        fields = [
            "customer",
            "recency_days",
            "frequency",
            "monetary",
            "r",
            "f",
            "m",
            "segment",
            "abc",
            "tier",
        ]
        read_only_fields = fields


class MigrationInputSerializer(serializers.Serializer):
    # ``from`` is a Python keyword: declared below under its wire name.
    to = serializers.IntegerField(min_value=1, help_text=_("The later run's id."))
    by = serializers.ChoiceField(choices=list(DIMENSIONS), default="abc")

    def get_fields(self) -> dict[str, serializers.Field]:
        fields = super().get_fields()
        fields["from"] = serializers.IntegerField(min_value=1, help_text=_("The earlier run's id."))
        return fields


class MigrationRowOutputSerializer(serializers.Serializer):
    to = serializers.CharField(allow_null=True)
    customers = serializers.IntegerField()
    monetary = MoneyField(max_digits=18, decimal_places=4)

    def get_fields(self) -> dict[str, serializers.Field]:
        fields = super().get_fields()
        return {"from": serializers.CharField(allow_null=True), **fields}
