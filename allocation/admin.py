"""Admin for configuring the company: org tree, people, product lines (read-mostly)."""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from allocation.models import (
    Acknowledgement,
    ActualCell,
    CellConstraint,
    OrgUnit,
    Plan,
    PlanChange,
    ProductLine,
    ReliefRequest,
    Salesperson,
)
from allocation.services import plan_allocate, salesperson_create, tree_save
from salesalloc.core.users import acting_user


class TreeAdmin(admin.ModelAdmin):
    readonly_fields = ("path", "depth")

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        tree_save(node=obj, actor=acting_user(request.user))


@admin.register(OrgUnit)
class OrgUnitAdmin(TreeAdmin):
    list_display = ("code", "name", "kind", "parent", "depth", "currency")
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
            actor=acting_user(request.user),
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


# --- Plans: read-only here; plans change through the API and its services ------------------


class _ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class CellConstraintInline(admin.TabularInline):
    model = CellConstraint
    fields = (
        "org_unit",
        "salesperson",
        "product_line",
        "period",
        "locked",
        "min_amount",
        "max_amount",
    )
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Plan)
class PlanAdmin(_ReadOnlyAdmin):
    list_display = (
        "name",
        "fiscal_year",
        "version",
        "status",
        "mode",
        "total_amount",
        "root_org_unit",
        "scenario_of",
        "allocated_at",
    )
    list_filter = ("status", "fiscal_year", "mode")
    search_fields = ("name",)
    list_select_related = ("root_org_unit", "scenario_of")
    inlines = [CellConstraintInline]
    actions = ["allocate_drafts"]

    @admin.action(description="Allocate the selected drafts again")
    def allocate_drafts(self, request: HttpRequest, queryset: Any) -> None:
        done = 0
        for plan in queryset.filter(status=Plan.Status.DRAFT).order_by("pk"):
            plan_allocate(plan=plan, actor=acting_user(request.user))
            done += 1
        self.message_user(request, f"Allocated {done} draft(s).")


@admin.register(PlanChange)
class PlanChangeAdmin(_ReadOnlyAdmin):
    list_display = (
        "created_at",
        "plan",
        "actor",
        "action",
        "cell",
        "old_amount",
        "new_amount",
        "reason",
    )
    list_filter = ("action",)
    list_select_related = ("plan", "actor")
    search_fields = ("cell", "reason")


@admin.register(Acknowledgement)
class AcknowledgementAdmin(_ReadOnlyAdmin):
    list_display = ("plan", "salesperson", "status", "comment", "acted_at")
    list_filter = ("status",)
    list_select_related = ("plan", "salesperson")


@admin.register(ReliefRequest)
class ReliefRequestAdmin(_ReadOnlyAdmin):
    """Relief is asked and decided on its pages and the API (four-eyes, exact cents)."""

    list_display = (
        "pk",
        "plan",
        "salesperson",
        "reason",
        "amount",
        "share",
        "status",
        "requested_by",
        "decided_by",
        "relieved_amount",
        "distribution",
    )
    list_filter = ("status", "reason", "distribution")
    list_select_related = ("plan", "salesperson", "requested_by", "decided_by")
    search_fields = ("salesperson__code", "description")
