"""Input and output shapes of the plans API (DESIGN §7: money as decimal strings, months
``YYYY-MM``). Input serializers only validate shapes; the services apply the rules."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from allocation.api.serializers import MonthOutputField
from allocation.engine.seasonality import SEASONALITY_METHODS
from allocation.engine.weights import ORG_METHODS, PRODUCT_LINE_METHODS
from allocation.models import Acknowledgement, Plan, PlanChange
from allocation.selectors import PLAN_ROLLUP_GROUPS
from salesalloc.core.api import MoneyField
from salesalloc.core.money import from_cents

PERIOD_HELP = _("“year”, a fiscal quarter “Q1”..“Q4” or a month “YYYY-MM” of the fiscal year.")


def choice(choices: Any, **kwargs: Any) -> serializers.ChoiceField:
    """A choice field documented with an inline enum.

    Field names such as ``status`` and ``mode`` carry other choice sets in other apps; as
    shared enum components their names collide (a schema warning that fails CI), so the
    values are documented as a pattern. (``ENUM_NAME_OVERRIDES`` in the settings would let
    them be proper enums.)
    """
    values = [c[0] if isinstance(c, tuple | list) else c for c in choices]
    schema = {
        "type": "string",
        "pattern": "^(" + "|".join(values) + ")$",
        "description": "One of: " + ", ".join(values),
    }

    @extend_schema_field(schema)
    class InlineChoiceField(serializers.ChoiceField):
        pass

    return InlineChoiceField(choices=choices, **kwargs)


def money(cents: int | None) -> str | None:
    """Integer cents -> the API's decimal string."""
    return None if cents is None else f"{from_cents(int(cents)):.2f}"


def actual_money(units: int | None) -> str | None:
    """1/10000 units (exact actuals) -> a decimal string with 2 or 4 places."""
    if units is None:
        return None
    from decimal import Decimal

    from salesalloc.core.money import money_str

    return money_str(Decimal(int(units)).scaleb(-4))


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
    root_org_unit = serializers.CharField(source="root_org_unit.code")
    total_amount = serializers.SerializerMethodField(
        help_text=_(
            "The plan total for administrators; for everyone else the total of the part of "
            "the plan they see (their subtree, or their own targets)."
        )
    )
    scope = serializers.SerializerMethodField(help_text=_("plan, subtree or own"))
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


class PlanCreateInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    fiscal_year = serializers.IntegerField(min_value=1900, max_value=2999)
    start_month = serializers.IntegerField(min_value=1, max_value=12, default=1)
    currency = serializers.CharField(max_length=3, default="CNY")
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
    manual_percent = serializers.DecimalField(
        max_digits=9, decimal_places=4, required=False, allow_null=True
    )
    growth_rate = serializers.DecimalField(
        max_digits=9, decimal_places=4, required=False, allow_null=True
    )
    potential_index = serializers.DecimalField(
        max_digits=18, decimal_places=4, required=False, allow_null=True
    )
    fte_override = serializers.DecimalField(
        max_digits=4, decimal_places=2, required=False, allow_null=True
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


class RejectInputSerializer(serializers.Serializer):
    reason = serializers.CharField()


class ScenarioInputSerializer(serializers.Serializer):
    name = serializers.CharField(required=False, allow_blank=True, default="", max_length=200)


class VersionInputSerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, default="")


class RespreadInputSerializer(serializers.Serializer):
    as_of = serializers.DateField(help_text=_("Months ended by this date take their actuals."))
    reason = serializers.CharField(required=False, allow_blank=True, default="")


# --- cells ------------------------------------------------------------------------------------


class CellCoordsSerializer(serializers.Serializer):
    org_unit = serializers.CharField(
        required=False, allow_null=True, allow_blank=True, help_text=_("Org unit code")
    )
    salesperson = serializers.CharField(
        required=False, allow_null=True, allow_blank=True, help_text=_("Salesperson code")
    )
    product_line = serializers.CharField(
        required=False,
        allow_null=True,
        allow_blank=True,
        help_text=_("Product line code; empty = all lines"),
    )
    period = serializers.CharField(default="year", help_text=PERIOD_HELP)


class CellEditInputSerializer(CellCoordsSerializer):
    amount = MoneyField(min_value=0, max_digits=14)
    reason = serializers.CharField(required=False, allow_blank=True, default="")
    revision = serializers.IntegerField(
        required=False, help_text=_("The grid revision you edited; a stale one is a 409.")
    )


class PasteCellSerializer(CellCoordsSerializer):
    amount = serializers.CharField(help_text=_("The amount as pasted (validated per cell)."))
    ref = serializers.CharField(
        required=False, allow_blank=True, help_text=_("Your label for the cell, echoed in errors.")
    )


class CellPasteInputSerializer(serializers.Serializer):
    cells = PasteCellSerializer(many=True, allow_empty=False)
    reason = serializers.CharField(required=False, allow_blank=True, default="")
    revision = serializers.IntegerField(required=False)


class CellLockInputSerializer(CellCoordsSerializer):
    locked = serializers.BooleanField(required=False, allow_null=True, default=None)
    min_amount = MoneyField(min_value=0, max_digits=14, required=False, allow_null=True)
    max_amount = MoneyField(min_value=0, max_digits=14, required=False, allow_null=True)
    reason = serializers.CharField(required=False, allow_blank=True, default="")


class CellOutputSerializer(serializers.Serializer):
    org_unit = serializers.CharField(allow_null=True)
    salesperson = serializers.CharField(allow_null=True)
    product_line = serializers.CharField(allow_null=True)
    period = serializers.CharField()
    label = serializers.CharField()


def cell_data(cell: Any) -> dict[str, Any]:
    org = cell.org
    return {
        "org_unit": org.code if org.kind in {"unit", "root"} else None,
        "salesperson": org.code if org.kind == "salesperson" else None,
        "product_line": cell.pl.code if cell.pl is not None else None,
        "period": cell.period,
        "label": cell.label,
    }


class CellChangeOutputSerializer(CellOutputSerializer):
    old_amount = serializers.CharField()
    new_amount = serializers.CharField()


class EditResultOutputSerializer(serializers.Serializer):
    plan = serializers.IntegerField()
    revision = serializers.IntegerField()
    total_amount = serializers.CharField()
    leaf_count = serializers.IntegerField(
        help_text=_("Leaves (salesperson x line x month) changed")
    )
    batch = serializers.UUIDField(allow_null=True)
    changes = CellChangeOutputSerializer(many=True)


def edit_result_data(result: Any) -> dict[str, Any]:
    return {
        "plan": result.plan.pk,
        "revision": result.plan.revision,
        "total_amount": f"{result.plan.total_amount:.2f}",
        "leaf_count": result.leaf_count,
        "batch": str(result.batch) if result.batch else None,
        "changes": [
            {
                **cell_data(change.cell),
                "old_amount": money(change.old_cents),
                "new_amount": money(change.new_cents),
            }
            for change in result.changes
        ],
    }


class ConstraintOutputSerializer(CellOutputSerializer):
    locked = serializers.BooleanField()
    min_amount = serializers.CharField(allow_null=True)
    max_amount = serializers.CharField(allow_null=True)


def constraint_data(info: Any) -> dict[str, Any]:
    return {
        **cell_data(info.cell),
        "locked": info.locked,
        "min_amount": money(info.min_cents),
        "max_amount": money(info.max_cents),
    }


# --- read models ------------------------------------------------------------------------------


class PeriodAmountsSerializer(serializers.Serializer):
    year = serializers.CharField()
    quarters = serializers.ListField(child=serializers.CharField(), help_text=_("Q1..Q4"))
    months = serializers.ListField(child=serializers.CharField(), help_text=_("Fiscal order"))


def period_amounts(months: list[int], fmt: Any = money) -> dict[str, Any]:
    return {
        "year": fmt(sum(months)),
        "quarters": [fmt(sum(months[3 * q : 3 * q + 3])) for q in range(4)],
        "months": [fmt(v) for v in months],
    }


class RowConstraintSerializer(serializers.Serializer):
    period = serializers.CharField()
    locked = serializers.BooleanField()
    min_amount = serializers.CharField(allow_null=True)
    max_amount = serializers.CharField(allow_null=True)


class GridRowOutputSerializer(serializers.Serializer):
    type = choice(choices=["org_unit", "salesperson"])
    id = serializers.IntegerField()
    code = serializers.CharField()
    name = serializers.CharField()
    parent = serializers.CharField(allow_null=True, help_text=_("Code of the parent unit"))
    depth = serializers.IntegerField(help_text=_("0 = the plan's org unit"))
    has_children = serializers.BooleanField()
    amounts = PeriodAmountsSerializer()
    actuals = PeriodAmountsSerializer()
    constraints = RowConstraintSerializer(many=True)
    year_editable = serializers.BooleanField(
        help_text=_("You may edit/lock this row's year cell (its parent is in your subtree)")
    )
    periods_editable = serializers.BooleanField(help_text=_("You may edit its months/quarters"))


class GridTotalSerializer(serializers.Serializer):
    amounts = PeriodAmountsSerializer()
    actuals = PeriodAmountsSerializer()


class GridOutputSerializer(serializers.Serializer):
    plan = serializers.IntegerField()
    revision = serializers.IntegerField()
    status = serializers.CharField()
    mode = serializers.CharField()
    product_line = serializers.CharField(allow_null=True)
    months = serializers.ListField(child=serializers.CharField(), help_text=_("YYYY-MM"))
    quarters = serializers.ListField(child=serializers.CharField())
    editable = serializers.BooleanField()
    rows = GridRowOutputSerializer(many=True)
    total = GridTotalSerializer()


class GridInputSerializer(serializers.Serializer):
    org_unit = serializers.CharField(required=False, help_text=_("Top row (org unit code)"))
    product_line = serializers.CharField(required=False, help_text=_("Product line node code"))
    depth = serializers.IntegerField(required=False, default=1, min_value=0, max_value=20)


class RollupInputSerializer(serializers.Serializer):
    group_by = serializers.ChoiceField(choices=PLAN_ROLLUP_GROUPS, default="org_unit")
    level = serializers.IntegerField(required=False, min_value=1, max_value=20)


class RollupOutputSerializer(serializers.Serializer):
    key = serializers.CharField()
    name = serializers.CharField()
    amount = serializers.CharField()
    actual = serializers.CharField()


class CompareInputSerializer(RollupInputSerializer):
    plans = serializers.CharField(help_text=_("Comma-separated plan ids; the first is the base."))

    def validate_plans(self, value: str) -> list[int]:
        try:
            ids = [int(part) for part in value.split(",") if part.strip()]
        except ValueError:
            raise serializers.ValidationError(_("Give plan ids separated by commas.")) from None
        if not 2 <= len(ids) <= 10:
            raise serializers.ValidationError(_("Compare between 2 and 10 plans."))
        if len(set(ids)) != len(ids):
            raise serializers.ValidationError(_("A plan appears twice."))
        return ids


class ComparedPlanSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    version = serializers.IntegerField()
    status = serializers.CharField()
    scenario_of = serializers.IntegerField(allow_null=True)


class CompareRowSerializer(serializers.Serializer):
    key = serializers.CharField()
    name = serializers.CharField()
    amounts = serializers.ListField(child=serializers.CharField(allow_null=True))
    differences = serializers.ListField(
        child=serializers.CharField(), help_text=_("Each plan minus the first")
    )


class CompareOutputSerializer(serializers.Serializer):
    group_by = serializers.CharField()
    plans = ComparedPlanSerializer(many=True)
    rows = CompareRowSerializer(many=True)


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


class UploadInputSerializer(serializers.Serializer):
    file = serializers.FileField()
    reason = serializers.CharField(required=False, allow_blank=True, default="")
