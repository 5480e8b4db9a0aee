"""Browser pages."""

from django.urls import path

from performance.tracking import views as tracking_views

urlpatterns = [
    path("dashboard/", tracking_views.dashboard, name="dashboard"),
    path("reports/variance/", tracking_views.variance_report, name="variance-report"),
    path("ranking/", tracking_views.ranking, name="ranking"),
]
