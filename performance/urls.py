"""Browser pages."""

from django.urls import include, path

from performance import views

urlpatterns = [
    path("dashboard/", views.dashboard, name="dashboard"),
    path("", include("performance.commissions.urls")),
    path("", include("performance.costs.urls")),
    path("", include("performance.scorecards.urls")),
]
