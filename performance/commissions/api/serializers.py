"""Input and output shapes of the commissions API (DESIGN §7 "Commissions")."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from performance.commissions.models import CommissionPlan, CommissionSpif, CommissionStatement
from salesalloc.core.money import money_str


def _rate() -> serializers.DecimalField:
    return serializers.DecimalField(max_digits=9, decimal_places=6, min_value=Decimal(0))


def _ratio() -> serializers.DecimalField:
    return serializers.DecimalField(max_digits=9, decimal_places=4, min_value=Decimal(0))


def _money(*, required: bool = True) -> serializers.DecimalField:
    return serializers.DecimalField(
        max_digits=14,
        decimal_places=2,
        min_value=Decimal(0),
        required=required,
        allow_null=not required,
    )


def rate_str(value: Decimal) -> str:
    """A rate without trailing zeros: ``0.020000`` → ``"0.02"``, ``1`` → ``"1"``."""
    text = f"{Decimal(value).normalize():f}"
    return text


class _FromRateSerializer(serializers.Serializer):
    """``{"from": "0.5", "rate": "0.04"}``; ``from`` is a Python keyword, hence get_fields."""

    rate = _rate()

    def get_fields(self) -> dict[str, serializers.Field]:
        fields = super().get_fields()
        fields["from"] = _ratio()
        return fields


class SpifInputSerializer(serializers.Serializer):
    product_line = serializers.CharField(max_length=50, help_text=_("Product line code."))
    kind = serializers.ChoiceField(choices=CommissionSpif.Kind.choices)
    value = serializers.DecimalField(max_digits=14, decimal_places=6, min_value=Decimal(0))
    start_date = serializers.DateField()
    end_date = serializers.DateField()


class AwardInputSerializer(serializers.Serializer):
    amount = _money()
    org_unit = serializers.CharField(max_length=50, help_text=_("Org unit code of the group."))


class CommissionPlanInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    target_plan = serializers.IntegerField(help_text=_("Id of the target plan."))
    period = serializers.ChoiceField(choices=CommissionPlan.Period.choices)
    mode = serializers.ChoiceField(choices=CommissionPlan.Mode.choices)
    brackets = _FromRateSerializer(many=True, allow_empty=False)
    cap = _money(required=False)
    salespeople = serializers.ListField(
        child=serializers.CharField(max_length=50), required=False, default=list
    )
    org_units = serializers.ListField(
        child=serializers.CharField(max_length=50), required=False, default=list
    )
    decelerator = _FromRateSerializer(required=False, allow_null=True)
    spifs = SpifInputSerializer(many=True, required=False, default=list)
    award = AwardInputSerializer(required=False, allow_null=True)
    start_date = serializers.DateField(required=False, allow_null=True)
    end_date = serializers.DateField(required=False, allow_null=True)
    clawback = serializers.BooleanField(required=False, default=True)


class CommissionPlanOutputSerializer(serializers.ModelSerializer):
    cap = serializers.SerializerMethodField()
    salespeople = serializers.SerializerMethodField()
    statements = serializers.SerializerMethodField()

    class Meta:
        model = CommissionPlan
        fields = ["id", "name", "target_plan", "period", "mode", "brackets", "cap"]
        fields += ["salespeople", "statements"]

    def get_cap(self, plan: CommissionPlan) -> str | None:
        return money_str(plan.cap)

    def get_salespeople(self, plan: CommissionPlan) -> list[str]:
        return sorted(person.code for person in plan.salespeople.all())

    def get_statements(self, plan: CommissionPlan) -> int:
        return plan.statements.count()


def statement_row(row: CommissionStatement) -> dict[str, Any]:
    """The fixed §7 row: salesperson, period, actual, target, attainment, total, lines."""
    return {
        "salesperson": row.salesperson.code,
        "period": row.period,
        "actual": money_str(row.actual),
        "target": money_str(row.target),
        "attainment": None if row.attainment is None else f"{row.attainment:.4f}",
        "total": money_str(row.total),
        "lines": [
            {
                "label": line.label,
                "base": money_str(line.base),
                "rate": rate_str(line.rate),
                "amount": money_str(line.amount),
            }
            for line in row.lines.all()
        ],
    }


class CommissionStatementOutputSerializer(serializers.Serializer):
    """Rows of ``GET /api/v1/commission-statements/`` (DESIGN §7)."""

    def to_representation(self, instance: CommissionStatement) -> dict[str, Any]:
        return statement_row(instance)


class CommissionStatementDetailOutputSerializer(serializers.Serializer):
    """One statement with its id, plan, status and the sum before the cap."""

    def to_representation(self, instance: CommissionStatement) -> dict[str, Any]:
        return {
            "id": instance.pk,
            "plan": instance.plan_id,
            "status": instance.status,
            **statement_row(instance),
            "subtotal": money_str(instance.subtotal),
            "cap": money_str(instance.cap),
        }
