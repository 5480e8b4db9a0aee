"""Alerts API routes (mounted under /api/v1/)."""

from django.urls import path

from performance.alerts.api import views

urlpatterns = [
    path("alerts/", views.AlertListApi.as_view(), name="api-alert-list"),
    path(
        "alerts/<int:alert_id>/acknowledge/",
        views.AlertAcknowledgeApi.as_view(),
        name="api-alert-acknowledge",
    ),
    path(
        "alerts/<int:alert_id>/resolve/", views.AlertResolveApi.as_view(), name="api-alert-resolve"
    ),
]
