"""REST API routes (mounted under /api/v1/)."""

from django.urls import include, path

from customers.api import credit_views, views

urlpatterns = [
    path("", include("customers.tiers.api.urls")),
    path("", include("customers.accounts.api.urls")),
    path("customers/", views.CustomerListApi.as_view(), name="api-customer-list"),
    path("customers/export/", views.CustomerExportApi.as_view(), name="api-customer-export"),
    path("customers/<int:pk>/", views.CustomerDetailApi.as_view(), name="api-customer-detail"),
    path("orders/", views.OrderLineListApi.as_view(), name="api-order-line-list"),
    path("orders/<int:pk>/", views.OrderLineDetailApi.as_view(), name="api-order-line-detail"),
    path("orders/export/", views.OrderLineExportApi.as_view(), name="api-order-line-export"),
    path("imports/", views.ImportJobListCreateApi.as_view(), name="api-import-list"),
    path("imports/<int:pk>/", views.ImportJobDetailApi.as_view(), name="api-import-detail"),
    path(
        "imports/template/",
        credit_views.ImportTemplateApi.as_view(),
        name="api-import-template",
    ),
    path(
        "credit-rules/",
        credit_views.CreditRuleListCreateApi.as_view(),
        name="api-credit-rule-list",
    ),
    path(
        "credit-rules/<int:pk>/",
        credit_views.CreditRuleDetailApi.as_view(),
        name="api-credit-rule-detail",
    ),
    path("imports/<int:pk>/retry/", views.ImportJobRetryApi.as_view(), name="api-import-retry"),
    path(
        "column-mappings/",
        views.ColumnMappingListCreateApi.as_view(),
        name="api-column-mapping-list",
    ),
    path(
        "column-mappings/<int:pk>/",
        views.ColumnMappingDetailApi.as_view(),
        name="api-column-mapping-detail",
    ),
    path(
        "territory-rules/",
        views.TerritoryRuleListCreateApi.as_view(),
        name="api-territory-rule-list",
    ),
    path(
        "territory-rules/<int:pk>/",
        views.TerritoryRuleDeleteApi.as_view(),
        name="api-territory-rule-detail",
    ),
]
