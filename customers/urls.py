"""Browser pages."""

from django.urls import include, path

from customers import views

urlpatterns = [
    path("", include("customers.tiers.urls")),
    path("", include("customers.accounts.urls")),
    path("orders/", views.order_list, name="order-list"),
    path("orders/export.<str:fmt>", views.order_export, name="order-export"),
    path("imports/", views.import_list, name="import-list"),
    path("imports/<int:job_id>/", views.import_detail, name="import-detail"),
    path("imports/<int:job_id>/retry/", views.import_retry, name="import-retry"),
    path(
        "imports/<int:job_id>/rejected-rows.csv",
        views.import_errors_export,
        name="import-errors-export",
    ),
]
