"""Each plan measure as an expression over order lines (the source of the actuals grid).

- revenue: the net amount;
- quantity: the units (a line without a quantity counts none);
- gross margin: amount - cost (a line without a cost counts cost 0, as the actuals grid's
  ``cost`` column does; returns and loss-making lines make it negative);
- new-customer revenue: the amount of lines whose customer's first order over all history
  (``Customer.first_order_date``, whoever sold it) falls in the 12 calendar months up to and
  including the line's month. It depends on the line and its customer only, never on a plan,
  so it is kept at month grain like the rest: a customer whose first order was in March 2018
  is new from March 2018 through February 2019, and each of their lines in those months
  counts for the salesperson credited with it.

``allocation.measures`` reads the same measures back from the actuals grid.
"""

from __future__ import annotations

from typing import Any

from django.db.models import (
    BigIntegerField,
    Case,
    DecimalField,
    ExpressionWrapper,
    F,
    IntegerField,
    Q,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Cast, Coalesce, ExtractMonth, ExtractYear, Round
from django.db.models.lookups import LessThan

from allocation.measures import Measure

NEW_CUSTOMER_MONTHS = 12
_MONEY = DecimalField(max_digits=18, decimal_places=4)


def _month_number(field: str) -> Any:
    return ExtractYear(field) * 12 + ExtractMonth(field)


def new_customer_condition() -> Q:
    """Order lines whose customer is new in the line's month (first order at most 11 months
    before the line's month; never after it, as the first order is the earliest)."""
    gap = ExpressionWrapper(
        _month_number("order_date") - _month_number("customer__first_order_date"),
        output_field=IntegerField(),
    )
    return Q(customer__first_order_date__isnull=False) & Q(LessThan(gap, NEW_CUSTOMER_MONTHS))


def new_customer_amount() -> Any:
    """The line's amount when its customer is new in its month, else 0."""
    return Case(
        When(new_customer_condition(), then=F("amount")),
        default=Value(0),
        output_field=_MONEY,
    )


def order_line_measure(measure: str) -> Any:
    """The order-line expression of ``measure`` (summed by the caller)."""
    measure = Measure(measure)
    if measure == Measure.QUANTITY:
        return Coalesce(F("quantity"), Value(0), output_field=_MONEY)
    if measure == Measure.GROSS_MARGIN:
        return ExpressionWrapper(
            F("amount") - Coalesce(F("cost"), Value(0), output_field=_MONEY), output_field=_MONEY
        )
    if measure == Measure.NEW_CUSTOMER_REVENUE:
        return new_customer_amount()
    return F("amount")


def order_line_measure_cents(measure: str) -> Any:
    """``SUM`` of ``measure`` over order lines in hundredths of its unit, an exact integer."""
    return Cast(Round(Sum(order_line_measure(measure)) * 100), BigIntegerField())
