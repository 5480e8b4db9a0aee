"""Cost-allocation API routes (mounted under /api/v1/)."""

from django.urls import path

from performance.costs.api import views

urlpatterns = [
    path("cost-pools/", views.CostPoolListCreateApi.as_view(), name="api-cost-pool-list"),
    path(
        "contribution-margin/",
        views.ContributionMarginApi.as_view(),
        name="api-contribution-margin",
    ),
]
