from django.contrib import admin

from performance.models import RecomputeRun


@admin.register(RecomputeRun)
class RecomputeRunAdmin(admin.ModelAdmin):
    list_display = (
        "id",
        "kind",
        "status",
        "steps_done",
        "steps_total",
        "attempts",
        "started_at",
        "heartbeat_at",
        "worker",
        "finished_at",
        "error",
    )
    list_filter = ("kind", "status")

    def has_add_permission(self, request):
        return False


# The admin of each concern lives in its package; importing registers it.
from performance.commissions import admin as commissions_admin  # noqa: E402, F401
from performance.costs import admin as costs_admin  # noqa: E402, F401
from performance.scorecards import admin as scorecards_admin  # noqa: E402, F401
