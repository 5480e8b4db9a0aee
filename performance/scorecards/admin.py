"""Admin for the KPI library (names editable); templates and scorecards read-only."""

from typing import Any

from django.contrib import admin

from performance.scorecards.models import Kpi, Scorecard, ScorecardTemplate


@admin.register(Kpi)
class KpiAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "kind")


@admin.register(ScorecardTemplate)
class ScorecardTemplateAdmin(admin.ModelAdmin):
    list_display = ("name", "year", "period", "peer_group", "target_plan")

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False


@admin.register(Scorecard)
class ScorecardAdmin(admin.ModelAdmin):
    list_display = ("template", "salesperson", "period", "peer_group", "score", "rank")
    list_filter = ("template", "period")

    def has_add_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False
