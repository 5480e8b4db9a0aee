"""Browser pages."""

from django.urls import include, path

from performance.alerts import views as alert_views
from performance.notifications import views as notification_views
from performance.tracking import variance_views
from performance.tracking import views as tracking_views

urlpatterns = [
    path("dashboard/", tracking_views.dashboard, name="dashboard"),
    path("reports/variance/", variance_views.variance_report, name="variance-report"),
    path("ranking/", tracking_views.ranking, name="ranking"),
    path("alerts/", alert_views.alert_list_page, name="alert-list"),
    path(
        "alerts/<int:alert_id>/<str:action>/",
        alert_views.alert_action,
        name="alert-action",
    ),
    path("inbox/", notification_views.inbox, name="inbox"),
    path("inbox/read/", notification_views.inbox_mark_read, name="inbox-read"),
    path("badges/", notification_views.nav_badges, name="nav-badges"),
    path("", include("performance.commissions.urls")),
    path("", include("performance.costs.urls")),
    path("", include("performance.scorecards.urls")),
]
