"""Plans API serializers: plans, their method configuration and inputs, lifecycle inputs."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from allocation.api.plans.serializers.common import choice
from allocation.engine.seasonality import SEASONALITY_METHODS
from allocation.engine.weights import ORG_METHODS, PRODUCT_LINE_METHODS
from allocation.models import Plan, ReliefDistribution
from salesalloc.core.api import MoneyField
from salesalloc.core.fields import BoundedDecimalField

# --- plans ------------------------------------------------------------------------------------


class PlanOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    fiscal_year = serializers.IntegerField(help_text=_("The year in which the fiscal year starts."))
    start_month = serializers.IntegerField(help_text=_("Calendar month the fiscal year starts."))
    currency = serializers.CharField()
    status = choice(choices=Plan.Status.choices)
    mode = choice(choices=Plan.Mode.choices)
    version = serializers.IntegerField()
    previous_version = serializers.IntegerField(source="previous_version_id", allow_null=True)
    scenario_of = serializers.IntegerField(source="scenario_of_id", allow_null=True)
    measure = choice(
        choices=Plan.Measure.choices,
        help_text=_("What the targets count; quantity is in whole units, the rest in money."),
    )
    measure_of = serializers.IntegerField(
        source="measure_of_id",
        allow_null=True,
        help_text=_("The revenue plan this measure plan belongs to (null for a revenue plan)."),
    )
    root_org_unit = serializers.CharField(source="root_org_unit.code")
    total_amount = serializers.SerializerMethodField(
        help_text=_(
            "The plan total for administrators; for everyone else the total of the part of "
            "the plan they see (their subtree, or their own targets)."
        )
    )
    scope = serializers.SerializerMethodField(help_text=_("plan, subtree or own"))
    relief_distribution = choice(
        choices=ReliefDistribution.choices,
        help_text=_("What approved quota relief does by default: absorb or redistribute."),
    )
    revision = serializers.IntegerField()
    allocated_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()

    def get_total_amount(self, plan: Plan) -> str:
        totals = self.context.get("scope_totals")
        if totals is None:
            return f"{plan.total_amount:.2f}"
        return f"{totals.get(plan.pk, 0):.2f}"

    def get_scope(self, plan: Plan) -> str:
        return self.context.get("scope_name", "plan")


class PlanRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    version = serializers.IntegerField()
    root_org_unit = serializers.CharField()


class PublishCheckSerializer(serializers.Serializer):
    replaces = PlanRefSerializer(allow_null=True)
    overlaps = PlanRefSerializer(many=True)


class PlanDetailOutputSerializer(PlanOutputSerializer):
    method_config = serializers.JSONField()
    product_lines = serializers.SerializerMethodField()
    salespeople_count = serializers.SerializerMethodField()
    created_by = serializers.SerializerMethodField()
    submitted_by = serializers.SerializerMethodField()
    submitted_at = serializers.DateTimeField(allow_null=True)
    approved_by = serializers.SerializerMethodField()
    approved_at = serializers.DateTimeField(allow_null=True)
    published_by = serializers.SerializerMethodField()
    published_at = serializers.DateTimeField(allow_null=True)
    archived_by = serializers.SerializerMethodField()
    archived_at = serializers.DateTimeField(allow_null=True)
    actions = serializers.SerializerMethodField(
        help_text=_("What you may do with the plan now (edit, submit, approve, ...).")
    )
    publish_check = serializers.SerializerMethodField(
        help_text=_(
            "For an approved plan: the published plan its publishing archives (same fiscal "
            "year and org unit) and the published plans that refuse it (nested org units)."
        )
    )

    def get_product_lines(self, plan: Plan) -> list[str]:
        return sorted(line.code for line in plan.product_lines.all())

    def get_salespeople_count(self, plan: Plan) -> int:
        return plan.salespeople.count()

    @staticmethod
    def _name(user: Any) -> str | None:
        return user.get_username() if user is not None else None

    def get_created_by(self, plan: Plan) -> str | None:
        return self._name(plan.created_by)

    def get_submitted_by(self, plan: Plan) -> str | None:
        return self._name(plan.submitted_by)

    def get_approved_by(self, plan: Plan) -> str | None:
        return self._name(plan.approved_by)

    def get_published_by(self, plan: Plan) -> str | None:
        return self._name(plan.published_by)

    def get_archived_by(self, plan: Plan) -> str | None:
        return self._name(plan.archived_by)

    def get_actions(self, plan: Plan) -> list[str]:
        return self.context.get("actions", [])

    @extend_schema_field(PublishCheckSerializer(allow_null=True))
    def get_publish_check(self, plan: Plan) -> dict[str, Any] | None:
        check = self.context.get("publish_check")
        if check is None:
            return None
        return {
            "replaces": _plan_ref(check.replaces) if check.replaces is not None else None,
            "overlaps": [_plan_ref(other) for other in check.overlaps],
        }


def _plan_ref(plan: Plan) -> dict[str, Any]:
    return {
        "id": plan.pk,
        "name": plan.name,
        "version": plan.version,
        "root_org_unit": plan.root_org_unit.code,
    }


class PlanCreateInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    fiscal_year = serializers.IntegerField(min_value=1900, max_value=2999)
    start_month = serializers.IntegerField(min_value=1, max_value=12, default=1)
    currency = serializers.CharField(
        max_length=3,
        required=False,
        help_text=_("Default: the company's currency (SALESALLOC_CURRENCY unless set on it)."),
    )
    total_amount = MoneyField(min_value=0, max_digits=14)
    mode = choice(choices=Plan.Mode.choices, default=Plan.Mode.TOP_DOWN)
    root_org_unit = serializers.CharField(
        required=False, help_text=_("Org unit code; default the company.")
    )
    product_lines = serializers.ListField(
        child=serializers.CharField(),
        required=False,
        help_text=_("Product line codes (nodes expand to their active leaves); default all."),
    )
    method_config = serializers.JSONField(
        required=False, help_text=_("See PUT /plans/{id}/methods/.")
    )
    relief_distribution = choice(
        choices=ReliefDistribution.choices, default=ReliefDistribution.ABSORB
    )


class MeasurePlanCreateInputSerializer(serializers.Serializer):
    measure = choice(
        choices=[c for c in Plan.Measure.choices if c[0] != Plan.Measure.REVENUE],
        help_text=_("quantity, gross_margin or new_customer_revenue"),
    )
    total_amount = MoneyField(
        min_value=0, max_digits=14, help_text=_("The measure's total (whole units for quantity).")
    )
    method_config = serializers.JSONField(
        required=False, help_text=_("Default: the revenue plan's methods.")
    )


class PlanUpdateInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200, required=False)
    currency = serializers.CharField(max_length=3, required=False)
    mode = choice(choices=Plan.Mode.choices, required=False)
    fiscal_year = serializers.IntegerField(min_value=1900, max_value=2999, required=False)
    start_month = serializers.IntegerField(min_value=1, max_value=12, required=False)
    root_org_unit = serializers.CharField(required=False)
    product_lines = serializers.ListField(child=serializers.CharField(), required=False)
    total_amount = MoneyField(
        min_value=0,
        max_digits=14,
        required=False,
        help_text=_("On an allocated plan this rescales every unlocked cell (locks kept)."),
    )
    relief_distribution = choice(
        choices=ReliefDistribution.choices,
        required=False,
        help_text=_("Also on a submitted, approved or published plan (a policy, not the grid)."),
    )
    reason = serializers.CharField(required=False, allow_blank=True, default="")


class MethodSpecSerializer(serializers.Serializer):
    method = serializers.ChoiceField(choices=ORG_METHODS)
    base_from = serializers.CharField(required=False, help_text=_("YYYY-MM (historical, growth)"))
    base_to = serializers.CharField(required=False, help_text=_("YYYY-MM (historical, growth)"))
    smoothing = serializers.CharField(required=False, help_text=_("0..1 toward equal shares"))
    floor_share = serializers.CharField(required=False, help_text=_("Floor for new entities"))
    growth = serializers.CharField(required=False, help_text=_("Default growth, 0.1 = +10 %"))
    ramp = serializers.ListField(child=serializers.CharField(), required=False)
    alpha = serializers.CharField(required=False, help_text=_("Blend: weight of a"))
    a = serializers.JSONField(required=False, help_text=_("Blend: first method"))
    b = serializers.JSONField(required=False, help_text=_("Blend: second method"))


class ProductLineMethodSerializer(serializers.Serializer):
    method = serializers.ChoiceField(choices=PRODUCT_LINE_METHODS)
    base_from = serializers.CharField(required=False)
    base_to = serializers.CharField(required=False)


class SeasonalitySerializer(serializers.Serializer):
    method = serializers.ChoiceField(choices=SEASONALITY_METHODS)
    base_years = serializers.IntegerField(required=False, min_value=1, max_value=10)
    curve = serializers.ListField(child=serializers.CharField(), required=False)


class MethodConfigInputSerializer(serializers.Serializer):
    org = MethodSpecSerializer(required=False)
    org_levels = serializers.DictField(
        child=MethodSpecSerializer(),
        required=False,
        help_text=_("Per split level: 1 = the split of the plan's root, 2 = the next, ..."),
    )
    product_line = ProductLineMethodSerializer(required=False)
    seasonality = SeasonalitySerializer(required=False)
    country = serializers.CharField(required=False, help_text=_("Calendar country, default CN"))


class MethodInputItemSerializer(serializers.Serializer):
    org_unit = serializers.CharField(required=False, allow_null=True)
    salesperson = serializers.CharField(required=False, allow_null=True)
    product_line = serializers.CharField(required=False, allow_null=True)
    manual_percent = BoundedDecimalField(
        max_digits=9, decimal_places=4, min_value=0, max_value=100, required=False, allow_null=True
    )
    growth_rate = BoundedDecimalField(
        max_digits=9, decimal_places=4, min_value=-1, required=False, allow_null=True
    )
    potential_index = BoundedDecimalField(
        max_digits=18, decimal_places=4, min_value=0, required=False, allow_null=True
    )
    fte_override = BoundedDecimalField(
        max_digits=4, decimal_places=2, min_value=0, max_value=10, required=False, allow_null=True
    )


class MethodInputsInputSerializer(serializers.Serializer):
    inputs = MethodInputItemSerializer(many=True)


class ProductLineTotalItemSerializer(serializers.Serializer):
    product_line = serializers.CharField()
    amount = MoneyField(min_value=0, max_digits=14)


class ProductLineTotalsInputSerializer(serializers.Serializer):
    totals = ProductLineTotalItemSerializer(many=True)


class CommentInputSerializer(serializers.Serializer):
    comment = serializers.CharField(required=False, allow_blank=True, default="")
    # Approve only: an admin approves a plan they submitted themselves (four-eyes override).
    override_four_eyes = serializers.BooleanField(required=False, default=False)


class PublishInputSerializer(serializers.Serializer):
    comment = serializers.CharField(required=False, allow_blank=True, default="")
    replace = serializers.BooleanField(
        required=False,
        default=True,
        help_text=_(
            "Archive the published plan of the same fiscal year and org unit (default). "
            "false: refuse (409, naming it) instead."
        ),
    )


class RejectInputSerializer(serializers.Serializer):
    reason = serializers.CharField()


class ScenarioInputSerializer(serializers.Serializer):
    name = serializers.CharField(required=False, allow_blank=True, default="", max_length=200)


class VersionInputSerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, default="")


class RespreadInputSerializer(serializers.Serializer):
    as_of = serializers.DateField(help_text=_("Months ended by this date take their actuals."))
    reason = serializers.CharField(required=False, allow_blank=True, default="")
