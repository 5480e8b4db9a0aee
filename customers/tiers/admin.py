"""Admin for tiers: the settings (incl. the segment map, validated), rules, runs (read-only)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest

from customers.tiers import engine
from customers.tiers.models import TierRule, TierRun, TierSettings
from customers.tiers.services import tier_settings_update


class TierSettingsForm(forms.ModelForm):
    class Meta:
        model = TierSettings
        fields = ["window_days", "abc_a", "abc_b", "segment_map"]

    def clean_segment_map(self) -> Any:
        value = self.cleaned_data.get("segment_map") or []
        if not value:
            return []
        try:
            return engine.segment_map_validate(value)
        except engine.ConfigError as exc:
            raise forms.ValidationError(exc.message) from exc


@admin.register(TierSettings)
class TierSettingsAdmin(admin.ModelAdmin):
    form = TierSettingsForm
    list_display = ("__str__", "window_days", "abc_a", "abc_b")

    def save_model(self, request: HttpRequest, obj: TierSettings, form: Any, change: bool) -> None:
        saved = tier_settings_update(
            window_days=obj.window_days,
            abc_a=obj.abc_a,
            abc_b=obj.abc_b,
            segment_map=obj.segment_map or None,
            actor=request.user,
        )
        obj.pk = saved.pk


@admin.register(TierRule)
class TierRuleAdmin(admin.ModelAdmin):
    list_display = ("position", "code", "name", "discount_policy", "visit_frequency")
    ordering = ("position", "id")


@admin.register(TierRun)
class TierRunAdmin(admin.ModelAdmin):
    list_display = ("id", "as_of", "kind", "status", "daily", "customers", "finished_at")
    list_filter = ("kind", "status", "daily")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
