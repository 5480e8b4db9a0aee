"""Account target routes (mounted under /api/v1/)."""

from django.urls import path

from customers.accounts.api import views

urlpatterns = [
    path("account-plans/", views.AccountPlanListSetApi.as_view(), name="api-account-plan-list"),
    path(
        "account-plans/<int:pk>/",
        views.AccountPlanDetailApi.as_view(),
        name="api-account-plan-detail",
    ),
]
