"""Tracking API routes (mounted under /api/v1/)."""

from django.urls import path

from performance.tracking.api import views

urlpatterns = [
    path("attainment/", views.AttainmentGetApi.as_view(), name="api-attainment"),
]
