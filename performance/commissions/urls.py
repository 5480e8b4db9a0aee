"""Commission pages."""

from django.urls import path

from performance.commissions import views

urlpatterns = [
    path("commissions/", views.commission_list, name="commission-list"),
    path(
        "commissions/statements/<int:pk>/",
        views.commission_statement_detail,
        name="commission-statement",
    ),
    path(
        "commissions/statements/<int:pk>/approve/",
        views.commission_statement_approve_view,
        name="commission-statement-approve",
    ),
    path(
        "commissions/statements/<int:pk>/pay/",
        views.commission_statement_pay_view,
        name="commission-statement-pay",
    ),
]
