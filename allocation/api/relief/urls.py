"""Routes of the quota relief API (mounted under /api/v1/ by ``allocation.api.urls``)."""

from django.urls import path

from allocation.api.relief import views

urlpatterns = [
    path(
        "relief-requests/",
        views.ReliefRequestListCreateApi.as_view(),
        name="api-relief-request-list",
    ),
    path(
        "relief-requests/<int:pk>/",
        views.ReliefRequestDetailApi.as_view(),
        name="api-relief-request-detail",
    ),
    path(
        "relief-requests/<int:pk>/approve/",
        views.ReliefApproveApi.as_view(),
        name="api-relief-request-approve",
    ),
    path(
        "relief-requests/<int:pk>/reject/",
        views.ReliefRejectApi.as_view(),
        name="api-relief-request-reject",
    ),
    path(
        "relief-requests/<int:pk>/withdraw/",
        views.ReliefWithdrawApi.as_view(),
        name="api-relief-request-withdraw",
    ),
]
