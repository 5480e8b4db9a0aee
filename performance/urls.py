"""Browser pages."""

from django.urls import path

from performance.tracking import views as tracking_views

urlpatterns = [
    path("dashboard/", tracking_views.dashboard, name="dashboard"),
]
