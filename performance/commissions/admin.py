"""Read-only admin for commissions: plans and statements change through the services/API."""

from typing import Any

from django.contrib import admin

from performance.commissions.models import CommissionLine, CommissionPlan, CommissionStatement


class _ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False


class CommissionLineInline(admin.TabularInline):
    model = CommissionLine
    fields = ("position", "kind", "label", "base", "rate", "amount", "reference")
    readonly_fields = fields
    extra = 0
    can_delete = False


@admin.register(CommissionPlan)
class CommissionPlanAdmin(_ReadOnly):
    list_display = ("name", "target_plan", "period", "mode", "cap")


@admin.register(CommissionStatement)
class CommissionStatementAdmin(_ReadOnly):
    list_display = ("plan", "salesperson", "period", "status", "actual", "target", "total")
    list_filter = ("plan", "status", "period")
    search_fields = ("salesperson__code", "salesperson__name")
    inlines = [CommissionLineInline]
