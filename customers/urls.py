"""Browser pages."""

from django.urls import include, path

from customers import config_views, views

urlpatterns = [
    path("", include("customers.tiers.urls")),
    path("", include("customers.accounts.urls")),
    path("orders/", views.order_list, name="order-list"),
    path("orders/export.<str:fmt>", views.order_export, name="order-export"),
    path("imports/", views.import_list, name="import-list"),
    path("imports/<int:job_id>/", views.import_detail, name="import-detail"),
    path("imports/template.<str:fmt>", config_views.template_download, name="import-template"),
    path("imports/mappings/", config_views.mapping_list, name="mapping-list"),
    path("imports/mappings/new/", config_views.mapping_edit, name="mapping-create"),
    path("imports/mappings/<int:pk>/", config_views.mapping_edit, name="mapping-edit"),
    path("imports/mappings/<int:pk>/delete/", config_views.mapping_delete, name="mapping-delete"),
    path("imports/territories/", config_views.territory_list, name="territory-list"),
    path("imports/territories/new/", config_views.territory_edit, name="territory-create"),
    path("imports/territories/<int:pk>/", config_views.territory_edit, name="territory-edit"),
    path(
        "imports/territories/<int:pk>/delete/",
        config_views.territory_delete,
        name="territory-delete",
    ),
    path("imports/credit-rules/", config_views.credit_rule_page, name="credit-rule-list"),
    path("imports/credit-rules/new/", config_views.credit_rule_edit, name="credit-rule-create"),
    path("imports/credit-rules/<int:pk>/", config_views.credit_rule_edit, name="credit-rule-edit"),
    path(
        "imports/credit-rules/<int:pk>/delete/",
        config_views.credit_rule_remove,
        name="credit-rule-delete",
    ),
    path("imports/<int:job_id>/retry/", views.import_retry, name="import-retry"),
    path(
        "imports/<int:job_id>/rejected-rows.csv",
        views.import_errors_export,
        name="import-errors-export",
    ),
]
