"""Commissions API routes (mounted under /api/v1/)."""

from django.urls import path

from performance.commissions.api import views

urlpatterns = [
    path(
        "commission-plans/",
        views.CommissionPlanListCreateApi.as_view(),
        name="api-commission-plan-list",
    ),
    path(
        "commission-statements/",
        views.CommissionStatementListApi.as_view(),
        name="api-commission-statement-list",
    ),
    path(
        "commission-statements/<int:pk>/",
        views.CommissionStatementDetailApi.as_view(),
        name="api-commission-statement-detail",
    ),
    path(
        "commission-statements/<int:pk>/approve/",
        views.CommissionStatementApproveApi.as_view(),
        name="api-commission-statement-approve",
    ),
    path(
        "commission-statements/<int:pk>/pay/",
        views.CommissionStatementPayApi.as_view(),
        name="api-commission-statement-pay",
    ),
]
