"""Admin for customers, mappings and territory rules; orders and imports are read-only."""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from customers.models import (
    ColumnMapping,
    CreditRule,
    CreditRuleShare,
    Customer,
    ImportJob,
    Order,
    OrderLine,
    OrderLineCredit,
    Product,
    TerritoryRule,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "region", "state", "owner")
    list_filter = ("region",)
    search_fields = ("code", "name")
    raw_id_fields = ("owner",)


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = ("sku", "name", "product_line")
    search_fields = ("sku", "name")


@admin.register(Order)
class OrderAdmin(ReadOnlyAdmin):
    list_display = ("order_no", "order_date", "customer")
    search_fields = ("order_no",)
    list_select_related = ("customer",)


@admin.register(OrderLine)
class OrderLineAdmin(ReadOnlyAdmin):
    list_display = ("order", "line_no", "order_date", "salesperson", "product_line", "amount")
    list_select_related = ("order", "salesperson", "product_line")
    search_fields = ("order__order_no",)


@admin.register(ColumnMapping)
class ColumnMappingAdmin(admin.ModelAdmin):
    list_display = ("name", "description", "date_order")


@admin.register(TerritoryRule)
class TerritoryRuleAdmin(admin.ModelAdmin):
    list_display = ("attribute", "value", "salesperson")
    list_filter = ("attribute",)
    search_fields = ("value",)


class CreditRuleShareInline(admin.TabularInline):
    model = CreditRuleShare
    extra = 0
    can_delete = False
    readonly_fields = ("position", "salesperson", "share")

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(CreditRule)
class CreditRuleAdmin(ReadOnlyAdmin):
    """Read-only: rules are written on the Credit rules page, which checks the shares."""

    list_display = ("attribute", "value", "description")
    list_filter = ("attribute",)
    search_fields = ("value",)
    inlines = [CreditRuleShareInline]


@admin.register(OrderLineCredit)
class OrderLineCreditAdmin(ReadOnlyAdmin):
    list_display = ("line", "salesperson", "share", "amount", "order_date")
    list_select_related = ("line", "salesperson")
    search_fields = ("order__order_no",)


@admin.register(ImportJob)
class ImportJobAdmin(ReadOnlyAdmin):
    list_display = (
        "id",
        "original_name",
        "status",
        "rows_total",
        "rows_imported",
        "rows_rejected",
        "created_by",
        "created_at",
    )
    list_filter = ("status",)


# The tiers package's admin registers here (its models live under this app's label).
import customers.tiers.admin  # noqa: E402, F401
