"""Browser pages."""

from django.urls import path

from performance import views

urlpatterns = [
    path("dashboard/", views.dashboard, name="dashboard"),
]
