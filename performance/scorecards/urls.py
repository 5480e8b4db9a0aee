"""Scorecard pages."""

from django.urls import path

from performance.scorecards import views

urlpatterns = [
    path("scorecards/", views.scorecard_ranking, name="scorecard-ranking"),
    path("scorecards/<int:pk>/", views.scorecard_detail, name="scorecard-detail"),
]
