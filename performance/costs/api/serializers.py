"""Input and output shapes of the cost-allocation API (DESIGN §7 "Cost allocation")."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from performance.costs.models import CostPool
from salesalloc.core.money import money_str


class CostPoolInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    amount = serializers.DecimalField(max_digits=14, decimal_places=2, min_value=Decimal(0))
    period = serializers.CharField(max_length=7, help_text=_("2019, 2019-Q4 or 2019-10."))
    driver = serializers.ChoiceField(choices=CostPool.Driver.choices)
    dimension = serializers.ChoiceField(choices=CostPool.Dimension.choices)
    weights = serializers.DictField(
        child=serializers.DecimalField(max_digits=12, decimal_places=4, min_value=Decimal(0)),
        required=False,
        default=dict,
        help_text=_("Manual driver: weight (e.g. percent) per key."),
    )
    under = serializers.CharField(
        max_length=50,
        required=False,
        help_text=_("Org unit code whose children the pool is split over (default: the top)."),
    )
    description = serializers.CharField(required=False, allow_blank=True, default="")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs["driver"] == CostPool.Driver.MANUAL and not attrs["weights"]:
            raise serializers.ValidationError({"weights": _("The manual driver needs weights.")})
        return attrs


def pool_representation(pool: CostPool) -> dict[str, Any]:
    return {
        "id": pool.pk,
        "name": pool.name,
        "amount": money_str(pool.amount),
        "period": pool.period,
        "driver": pool.driver,
        "dimension": pool.dimension,
        "lines": [
            {"key": line.key, "amount": money_str(line.amount)}
            for line in sorted(pool.lines.all(), key=lambda line: line.key)
        ],
    }


class CostPoolOutputSerializer(serializers.Serializer):
    def to_representation(self, instance: CostPool) -> dict[str, Any]:
        return pool_representation(instance)
