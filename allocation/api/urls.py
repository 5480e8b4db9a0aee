"""REST API routes (mounted under /api/v1/)."""

from django.urls import include, path

from allocation.api import views

urlpatterns = [
    path("org-units/", views.OrgUnitListApi.as_view(), name="api-org-unit-list"),
    path("org-units/<int:pk>/", views.OrgUnitDetailApi.as_view(), name="api-org-unit-detail"),
    path("salespeople/", views.SalespersonListApi.as_view(), name="api-salesperson-list"),
    path(
        "salespeople/<int:pk>/",
        views.SalespersonDetailApi.as_view(),
        name="api-salesperson-detail",
    ),
    path("product-lines/", views.ProductLineListApi.as_view(), name="api-product-line-list"),
    path(
        "product-lines/<int:pk>/",
        views.ProductLineDetailApi.as_view(),
        name="api-product-line-detail",
    ),
    path("actuals/", views.ActualListApi.as_view(), name="api-actual-list"),
    path("actuals/totals/", views.ActualTotalListApi.as_view(), name="api-actual-totals"),
    path("", include("allocation.api.plans.urls")),
    path("", include("allocation.api.relief.urls")),
]
