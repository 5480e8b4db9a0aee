"""Cost-allocation pages."""

from django.urls import path

from performance.costs import views

urlpatterns = [
    path("costs/", views.contribution_margin_page, name="contribution-margin"),
]
