"""Scorecards API routes (mounted under /api/v1/)."""

from django.urls import path

from performance.scorecards.api import views

urlpatterns = [
    path("scorecards/", views.ScorecardListApi.as_view(), name="api-scorecard-list"),
    path(
        "scorecard-templates/",
        views.ScorecardTemplateListCreateApi.as_view(),
        name="api-scorecard-template-list",
    ),
    path("kpi-values/import/", views.KpiValuesImportApi.as_view(), name="api-kpi-values-import"),
]
