"""Browser pages of plans (the plans API lives in ``allocation.api``)."""

from django.urls import path

from allocation.views import compare, editor, my_targets, plans, relief

urlpatterns = [
    path("plans/", plans.plans_page, name="plan-list"),
    path("plans/new/", plans.plan_new, name="plan-create"),
    path("plans/compare/", compare.plan_compare_page, name="plan-compare"),
    path("plans/<int:pk>/", editor.plan_editor, name="plan-detail"),
    path("plans/<int:pk>/allocate/", plans.plan_allocate_action, name="plan-allocate"),
    path("plans/<int:pk>/measures/", plans.plan_measure_add, name="plan-measure-add"),
    path("plans/<int:pk>/methods/", editor.plan_methods_save, name="plan-methods"),
    path("plans/<int:pk>/method-inputs/", editor.plan_inputs_save, name="plan-method-inputs"),
    path("plans/<int:pk>/relief/", relief.plan_relief_page, name="plan-relief"),
    path("plans/<int:pk>/relief/rule/", relief.plan_relief_rule, name="plan-relief-rule"),
    path("relief/", relief.relief_list_page, name="relief-list"),
    path("relief/new/", relief.relief_create_page, name="relief-create"),
    path("relief/<int:pk>/", relief.relief_detail_page, name="relief-detail"),
    path("relief/<int:pk>/decide/", relief.relief_decide, name="relief-decide"),
    path("relief/<int:pk>/withdraw/", relief.relief_withdraw, name="relief-withdraw"),
    path("my-targets/", my_targets.my_targets_page, name="my-targets"),
    path(
        "my-targets/<int:pk>/acknowledge/",
        my_targets.my_target_acknowledge,
        name="my-target-acknowledge",
    ),
]
