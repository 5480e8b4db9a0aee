"""Account target pages."""

from django.urls import path

from customers.accounts import views

urlpatterns = [
    path("accounts/", views.account_index, name="account-index"),
    path("accounts/<str:code>/", views.account_plan_page, name="account-plan"),
]
