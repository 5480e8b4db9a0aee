"""Tier routes (mounted under /api/v1/)."""

from django.urls import path

from customers.tiers.api import views

urlpatterns = [
    path("tier-runs/", views.TierRunListCreateApi.as_view(), name="api-tier-run-list"),
    path("tier-runs/migration/", views.TierMigrationApi.as_view(), name="api-tier-migration"),
    path("tier-runs/<int:pk>/", views.TierRunDetailApi.as_view(), name="api-tier-run-detail"),
    path(
        "tier-runs/<int:pk>/customers/",
        views.TierRunCustomerListApi.as_view(),
        name="api-tier-run-customers",
    ),
]
