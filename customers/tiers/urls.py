"""Browser pages of customer tiers."""

from django.urls import path

from customers.tiers import views

urlpatterns = [
    path("customers/", views.customer_tier_page, name="customer-tier-list"),
    path("customers/export.<str:fmt>", views.customer_tier_export, name="customer-tier-export"),
    path("customers/<str:code>/", views.customer_detail, name="customer-detail"),
    path("tiers/migration/", views.tier_migration, name="tier-migration"),
    path("tiers/rules/", views.tier_rule_list_page, name="tier-rule-list"),
    path("tiers/rules/new/", views.tier_rule_edit, name="tier-rule-create"),
    path("tiers/rules/<int:rule_id>/", views.tier_rule_edit, name="tier-rule-edit"),
]
