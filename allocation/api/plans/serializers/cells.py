"""Plans API serializers: cells, edits, constraints, the grid, roll-ups and comparisons."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from allocation.api.plans.serializers.common import PERIOD_HELP, choice, money
from allocation.engine.rebalance import KEEP_ROW_YEAR, KEEP_RULES
from allocation.selectors import PLAN_ROLLUP_GROUPS
from salesalloc.core.api import MoneyField

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


KEEP_HELP = _(
    "What stays the same in a top-down plan when a cell changes. “row_year” (the default, "
    "as before this field existed): a month or quarter keeps its row's year, the row's other "
    "months rebalance; a year cell keeps its parent's year, its siblings rebalance. "
    "“period_total”: the parent unit's total of the same month (quarter, year) and line "
    "stays, the sibling rows in that period rebalance and their years move; at the top of "
    "the tree the parent line's total stays. Ignored in bottom-up plans."
)


def keep_field() -> serializers.ChoiceField:
    return choice(choices=list(KEEP_RULES), default=KEEP_ROW_YEAR, help_text=KEEP_HELP)


class CellEditInputSerializer(CellCoordsSerializer):
    amount = MoneyField(min_value=0, max_digits=14)
    reason = serializers.CharField(required=False, allow_blank=True, default="")
    revision = serializers.IntegerField(
        required=False, help_text=_("The grid revision you edited; a stale one is a 409.")
    )
    keep = keep_field()


class PasteCellSerializer(CellCoordsSerializer):
    amount = serializers.CharField(help_text=_("The amount as pasted (validated per cell)."))
    ref = serializers.CharField(
        required=False, allow_blank=True, help_text=_("Your label for the cell, echoed in errors.")
    )


class CellPasteInputSerializer(serializers.Serializer):
    cells = PasteCellSerializer(many=True, allow_empty=False)
    reason = serializers.CharField(required=False, allow_blank=True, default="")
    revision = serializers.IntegerField(required=False)
    keep = keep_field()


class UndoInputSerializer(serializers.Serializer):
    batch = serializers.UUIDField(
        required=False,
        help_text=_("The change you mean to undo (a stale one is refused); default: your last."),
    )
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
    label = serializers.CharField()  # type: ignore[assignment]  # API name, as Field.label


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
    batch = serializers.UUIDField(
        allow_null=True, help_text=_("The change's id (audit trail; undo takes it)")
    )
    keep = choice(
        choices=list(KEEP_RULES),
        allow_null=True,
        help_text=_("The keep rule that applied (null in a bottom-up plan)"),
    )
    changes = CellChangeOutputSerializer(many=True)
    kept = CellOutputSerializer(
        many=True, help_text=_("The cells that stayed the same (the parents the rule kept)")
    )
    rebalanced = CellChangeOutputSerializer(
        many=True, help_text=_("The kept parents' other children that moved")
    )


def _change_data(change: Any) -> dict[str, Any]:
    return {
        **cell_data(change.cell),
        "old_amount": money(change.old_cents),
        "new_amount": money(change.new_cents),
    }


def edit_result_data(result: Any) -> dict[str, Any]:
    return {
        "plan": result.plan.pk,
        "revision": result.plan.revision,
        "total_amount": f"{result.plan.total_amount:.2f}",
        "leaf_count": result.leaf_count,
        "batch": str(result.batch) if result.batch else None,
        "keep": result.keep,
        "changes": [_change_data(change) for change in result.changes],
        "kept": [cell_data(cell) for cell in result.kept],
        "rebalanced": [_change_data(change) for change in result.rebalanced],
    }


class UndoStateOutputSerializer(serializers.Serializer):
    available = serializers.BooleanField()
    batch = serializers.UUIDField(allow_null=True)
    action = serializers.CharField(allow_null=True)
    keep = serializers.CharField(allow_null=True)
    at = serializers.DateTimeField(allow_null=True)
    leaf_count = serializers.IntegerField()
    cells = serializers.ListField(
        child=serializers.CharField(), help_text=_("The cells the change set")
    )


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
    # An API field named like Field.parent: DRF moves declared fields off the class.
    parent = serializers.CharField(  # type: ignore[assignment]
        allow_null=True, help_text=_("Code of the parent unit")
    )
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
