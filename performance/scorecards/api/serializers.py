"""Shapes of the scorecards API (DESIGN §7 "Scorecards")."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from rest_framework import serializers

from performance.scorecards.models import Scorecard, ScorecardItem, ScorecardTemplate
from salesalloc.core.money import money_str


def scorecard_row(row: Scorecard) -> dict[str, Any]:
    return {
        "salesperson": row.salesperson.code,
        "period": row.period,
        "score": money_str(row.score),
        "rank": row.rank,
        "percentile": f"{row.percentile:.1f}",
        "kpis": [
            {k: item[k] for k in ("kpi", "actual", "target", "weight", "score")}
            for item in row.kpis
        ],
    }


class ScorecardOutputSerializer(serializers.Serializer):
    def to_representation(self, instance: Scorecard) -> dict[str, Any]:
        return scorecard_row(instance)


class _BandSerializer(serializers.Serializer):
    points = serializers.DecimalField(max_digits=7, decimal_places=2, min_value=Decimal(0))

    def get_fields(self) -> dict[str, serializers.Field]:
        fields = super().get_fields()
        fields["from"] = serializers.DecimalField(
            max_digits=9, decimal_places=4, min_value=Decimal(0)
        )
        return fields


class ScorecardItemInputSerializer(serializers.Serializer):
    kpi = serializers.CharField(max_length=50)
    weight = serializers.DecimalField(max_digits=5, decimal_places=2, min_value=Decimal(0))
    rule = serializers.ChoiceField(choices=ScorecardItem.Rule.choices, default="linear")
    target = serializers.DecimalField(
        max_digits=18, decimal_places=4, required=False, allow_null=True
    )
    cap = serializers.DecimalField(
        max_digits=6, decimal_places=4, required=False, allow_null=True, min_value=Decimal(0)
    )
    bands = _BandSerializer(many=True, required=False, default=list)


class ScorecardTemplateInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    year = serializers.IntegerField(min_value=1900, max_value=2999)
    period = serializers.ChoiceField(choices=ScorecardTemplate.Period.choices)
    peer_group = serializers.ChoiceField(
        choices=ScorecardTemplate.PeerGroup.choices, default="company"
    )
    target_plan = serializers.IntegerField(required=False, allow_null=True)
    items = ScorecardItemInputSerializer(many=True, allow_empty=False)


class ScorecardTemplateOutputSerializer(serializers.Serializer):
    def to_representation(self, instance: ScorecardTemplate) -> dict[str, Any]:
        return {
            "id": instance.pk,
            "name": instance.name,
            "year": instance.year,
            "period": instance.period,
            "peer_group": instance.peer_group,
            "target_plan": instance.target_plan_id,
            "items": [
                {
                    "kpi": item.kpi.code,
                    "weight": money_str(item.weight),
                    "rule": item.rule,
                    "target": None if item.target is None else money_str(item.target),
                    "cap": None if item.cap is None else f"{item.cap.normalize():f}",
                    "bands": item.bands,
                }
                for item in instance.items.all()
            ],
        }


class KpiValuesImportInputSerializer(serializers.Serializer):
    file = serializers.FileField()
