"""Admin for configuring the company: org tree, people, product lines (read-mostly)."""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from allocation.models import ActualCell, OrgUnit, ProductLine, Salesperson
from allocation.services import salesperson_create, tree_save


class TreeAdmin(admin.ModelAdmin):
    readonly_fields = ("path", "depth")

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        tree_save(node=obj, actor=request.user)


@admin.register(OrgUnit)
class OrgUnitAdmin(TreeAdmin):
    list_display = ("code", "name", "kind", "parent", "depth")
    list_filter = ("kind",)
    search_fields = ("code", "name")
    filter_horizontal = ("managers",)


@admin.register(ProductLine)
class ProductLineAdmin(TreeAdmin):
    list_display = ("code", "name", "parent", "is_active")
    search_fields = ("code", "name")


@admin.register(Salesperson)
class SalespersonAdmin(admin.ModelAdmin):
    list_display = (
        "code",
        "name",
        "org_unit",
        "user",
        "start_date",
        "end_date",
        "fte",
        "is_active",
    )
    list_filter = ("is_active", "org_unit")
    search_fields = ("code", "name")
    raw_id_fields = ("user",)

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        if change:
            obj.full_clean()
            obj.save()
            return
        saved = salesperson_create(
            code=obj.code,
            name=obj.name,
            org_unit=obj.org_unit,
            user=obj.user,
            start_date=obj.start_date,
            end_date=obj.end_date,
            fte=obj.fte,
            is_active=obj.is_active,
            actor=request.user,
        )
        obj.pk = saved.pk


@admin.register(ActualCell)
class ActualCellAdmin(admin.ModelAdmin):
    list_display = ("salesperson", "product_line", "month", "amount", "cost", "lines")
    list_filter = ("month",)
    list_select_related = ("salesperson", "product_line")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
