"""Read-only admin for cost pools (they are created split, through the service/API)."""

from typing import Any

from django.contrib import admin

from performance.costs.models import CostPool, CostPoolLine


class CostPoolLineInline(admin.TabularInline):
    model = CostPoolLine
    fields = ("key", "name", "driver_value", "amount")
    readonly_fields = fields
    extra = 0
    can_delete = False


@admin.register(CostPool)
class CostPoolAdmin(admin.ModelAdmin):
    list_display = ("name", "period", "amount", "driver", "dimension")
    inlines = [CostPoolLineInline]

    def has_add_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False
