"""REST API routes (mounted under /api/v1/): each concern's own routes."""

from django.urls import include, path

urlpatterns = [
    path("", include("performance.tracking.api.urls")),
    path("", include("performance.alerts.api.urls")),
]
