"""Input and output of the attainment API (DESIGN §7, "Attainment")."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from allocation.models import Plan
from performance.tracking.engine import Figures
from performance.tracking.selectors import Attainment, Node
from salesalloc.core.money import from_cents

RATIO_PLACES = Decimal("0.0001")


class AttainmentInputSerializer(serializers.Serializer):
    year = serializers.IntegerField(required=False, min_value=1900, max_value=2999)
    as_of = serializers.DateField(required=False)
    org_unit = serializers.CharField(required=False, max_length=50)
    salesperson = serializers.CharField(required=False, max_length=50)
    product_line = serializers.CharField(required=False, max_length=50)
    measure = serializers.ChoiceField(
        choices=Plan.Measure.choices,
        default=Plan.Measure.REVENUE,
        help_text=_(
            "revenue (default), quantity, gross_margin or new_customer_revenue: the published "
            "measure plan of the year against that measure's actuals (quantity in units)."
        ),
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs.get("org_unit") and attrs.get("salesperson"):
            raise serializers.ValidationError(
                {"salesperson": _("Give either an org unit or a salesperson, not both.")}
            )
        as_of = attrs.get("as_of") or timezone.localdate()
        attrs["as_of"] = as_of
        attrs.setdefault("year", as_of.year)
        return attrs


def money(cents: int | None) -> str | None:
    return None if cents is None else str(from_cents(cents))


def ratio(value: Fraction | None) -> str | None:
    """A ratio as a decimal string with 4 places (1.05 = 105 %), or None."""
    if value is None:
        return None
    exact = Decimal(value.numerator) / Decimal(value.denominator)
    return str(exact.quantize(RATIO_PLACES, rounding=ROUND_HALF_UP))


def figures_data(figures: Figures) -> dict[str, Any]:
    return {
        "target": money(figures.target),
        "actual": money(figures.actual),
        "attainment": ratio(figures.attainment),
        "expected_to_date": money(figures.expected_to_date),
        "actual_to_date": money(figures.actual_to_date),
        "pace": ratio(figures.pace),
        "forecast_run_rate": money(figures.forecast_run_rate),
        "forecast_statistical": money(figures.forecast_statistical),
        "forecast_method": figures.forecast_method,
    }


def months_data(figures: Figures) -> list[dict[str, Any]]:
    return [
        {
            "month": f"{row.month:%Y-%m}",
            "target": money(row.target),
            "actual": money(row.actual),
            "forecast": money(row.forecast),
        }
        for row in figures.months
    ]


def node_data(node: Node) -> dict[str, str]:
    return {"kind": node.kind, "code": node.code, "name": node.name}


def attainment_data(result: Attainment) -> dict[str, Any]:
    """The §7 shape; ``year``, ``as_of``, ``measure``, ``node``, ``plan`` and ``breadcrumbs``
    added."""
    figures = result.figures
    return {
        "year": result.year,
        "measure": result.measure,
        "as_of": result.as_of.isoformat(),
        "plan": None
        if result.plan is None
        else {"id": result.plan.pk, "name": result.plan.name, "version": result.plan.version},
        "node": node_data(result.node),
        "product_line": result.product_line.code if result.product_line else None,
        "breadcrumbs": [node_data(node) for node in result.breadcrumbs],
        **figures_data(figures),
        "months": months_data(figures),
        # Each child carries the parent's figures, its months included (computed in the same
        # grouped queries as the parent, so no query per child).
        "children": [
            {
                **node_data(child.node),
                **figures_data(child.figures),
                "months": months_data(child.figures),
            }
            for child in result.children
        ],
    }
