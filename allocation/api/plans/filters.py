"""Query-string filters of the plans API (targets take the same filters as actuals)."""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from rest_framework.request import Request

from allocation.api.filters import CodeFilter, GridCellFilterSet
from allocation.models import Plan, TargetCell
from allocation.selectors import plan_list


def visible_plans(request: Request | None) -> QuerySet[Plan]:
    if request is None:
        return Plan.objects.none()
    return plan_list(user=request.user)


class PlanIdFilter(CodeFilter):
    """A plan by id among the plans the viewer may open."""

    schema = {"type": "integer", "example": 1}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs["to_field_name"] = "pk"
        super().__init__(*args, **kwargs)


class TargetFilterSet(GridCellFilterSet):
    """The same filters as actuals, plus the plan."""

    plan = PlanIdFilter(
        field_name="plan",
        queryset=visible_plans,
        message=_("No plan with id “%(value)s” is visible to you."),
        help_text=_("Plan id; default: the published plans."),
    )
    measure = django_filters.ChoiceFilter(
        field_name="plan__measure",
        choices=Plan.Measure.choices,
        help_text=_(
            "Without a plan: the published plans of this measure (default revenue); quantity "
            "targets are whole units."
        ),
    )

    class Meta:
        model = TargetCell
        fields = ["plan", "salesperson", "product_line", "org_unit", "month", "year", "measure"]


class PlanFilterSet(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(
        choices=Plan.Status.choices, help_text=_("draft, submitted, approved, published, archived")
    )
    fiscal_year = django_filters.NumberFilter()
    scenario = django_filters.BooleanFilter(
        field_name="scenario_of",
        lookup_expr="isnull",
        exclude=True,
        help_text=_("true: only what-if scenarios; false: only real plans."),
    )

    measure = django_filters.ChoiceFilter(
        choices=Plan.Measure.choices,
        help_text=_("revenue, quantity, gross_margin, new_customer_revenue"),
    )
    measure_of = PlanIdFilter(
        field_name="measure_of",
        queryset=visible_plans,
        message=_("No plan with id “%(value)s” is visible to you."),
        help_text=_("The measure plans of this revenue plan (its id)."),
    )

    class Meta:
        model = Plan
        fields = ["status", "fiscal_year", "scenario", "measure", "measure_of"]
