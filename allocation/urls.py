"""Browser pages of plans (the plans API lives in ``allocation.api``)."""

from django.urls import path

from allocation import views

urlpatterns = [
    path("plans/", views.plans_page, name="plan-list"),
    path("plans/new/", views.plan_new, name="plan-create"),
    path("plans/compare/", views.plan_compare_page, name="plan-compare"),
    path("plans/<int:pk>/", views.plan_editor, name="plan-detail"),
    path("plans/<int:pk>/allocate/", views.plan_allocate_action, name="plan-allocate"),
    path("plans/<int:pk>/methods/", views.plan_methods_save, name="plan-methods"),
    path("plans/<int:pk>/method-inputs/", views.plan_inputs_save, name="plan-method-inputs"),
    path("my-targets/", views.my_targets_page, name="my-targets"),
    path(
        "my-targets/<int:pk>/acknowledge/",
        views.my_target_acknowledge,
        name="my-target-acknowledge",
    ),
]
