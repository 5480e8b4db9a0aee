"""What a plan's targets count, and where each measure's actuals are in the actuals grid.

A plan targets one measure (``Plan.measure``): revenue (the company's plan), or a *measure
plan* that belongs to a revenue plan (``Plan.measure_of``) and targets units sold, gross
margin or new-customer revenue. Every measure is allocated, edited, locked and exported by
the same machinery; only two things differ and both are here:

- the **step** the engine splits in: money splits in cents; quantity splits in whole units,
  so its integer amounts are in steps of 100 cents (the stored ``DecimalField`` holds
  ``.00``) and the same largest-remainder rounding gives whole units that sum exactly;
- the **actual column** its attainment, historical shares and seasonality read:
  ``ActualCell.amount`` (revenue), ``quantity``, ``amount - cost`` (gross margin, which may
  be negative in actuals) or ``new_customer_amount``.
"""

from __future__ import annotations

from typing import Any

from django.db.models import BigIntegerField, F, Sum
from django.db.models.functions import Cast, Round

from allocation.models import Plan

Measure = Plan.Measure

MEASURES: tuple[str, ...] = tuple(Measure.values)
# The cents one engine step is worth: whole units for quantity, cents for money.
_STEP_CENTS = {Measure.QUANTITY: 100}


def measure_step(measure: str) -> int:
    """Cents per engine step for ``measure``: 100 for quantity (whole units), else 1."""
    return _STEP_CENTS.get(Measure(measure), 1)


def in_steps(cents: int | None, step: int, *, up: bool) -> int | None:
    """A bound in engine steps: a minimum rounds up to a whole step, a maximum down."""
    if cents is None:
        return None
    return -(-cents // step) if up else cents // step


def is_money(measure: str) -> bool:
    """Whether ``measure`` is an amount of money (printed with the plan's currency)."""
    return Measure(measure) != Measure.QUANTITY


def actual_expression(measure: str) -> Any:
    """The ``ActualCell`` expression holding ``measure``'s actual at grid grain."""
    measure = Measure(measure)
    if measure == Measure.QUANTITY:
        return F("quantity")
    if measure == Measure.GROSS_MARGIN:
        return F("amount") - F("cost")
    if measure == Measure.NEW_CUSTOMER_REVENUE:
        return F("new_customer_amount")
    return F("amount")


def actual_sum(measure: str, *, scale: int = 100) -> Any:
    """``SUM`` of ``measure``'s actual in 1/``scale`` of its unit, as an exact integer."""
    return Cast(Round(Sum(actual_expression(measure)) * scale), BigIntegerField())


def measure_label(measure: str) -> str:
    """The measure's name for people (translated)."""
    return str(Measure(measure).label)
