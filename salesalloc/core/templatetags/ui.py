"""Template helpers for the browser pages: exact money, one date format, navigation state."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django import template
from django.http import HttpRequest
from django.utils.safestring import SafeString, mark_safe

from salesalloc.core.dates import local_date, local_datetime
from salesalloc.core.money import CENT

register = template.Library()


@register.filter
def money(value: Any) -> str:
    """Format an amount with 2 places and thousands separators ("1,234,567.80").

    Exact: the ``Decimal`` is rounded half up to the cent, never passed through float. The
    same separators serve English and Chinese readers, so the output does not vary by locale.
    """
    if value is None or value == "":
        return ""
    try:
        amount = Decimal(str(value)) if not isinstance(value, Decimal) else value
    except (InvalidOperation, ValueError):
        return str(value)
    return f"{amount.quantize(CENT, rounding=ROUND_HALF_UP):,.2f}"


@register.filter
def measured(value: Any, measure: str = "revenue") -> str:
    """Format a figure of a plan measure: quantity as units ("1,234", or "1,234.5" when the
    orders carry part units), every other measure as money (see :func:`money`)."""
    if measure != "quantity" or value is None or value == "":
        return money(value)
    try:
        amount = Decimal(str(value)) if not isinstance(value, Decimal) else value
    except (InvalidOperation, ValueError):
        return str(value)
    amount = amount.quantize(CENT, rounding=ROUND_HALF_UP)
    if amount == amount.to_integral_value():
        return f"{amount:,.0f}"
    return f"{amount.normalize():,f}"


@register.filter
def cents(value: Any, scale: Any = 100) -> Decimal | str:
    """Integer cents (or 1/``scale`` units) as an exact ``Decimal``; ``|money`` formats it."""
    if value is None or value == "":
        return ""
    return Decimal(int(value)) / Decimal(int(scale))


@register.filter
def percent(value: Any) -> str:
    """A ratio (``Fraction`` or ``Decimal``; 1.05 = 105 %) as "105.0 %", or "–" without one."""
    if value is None or value == "":
        return "–"
    ratio = (
        Decimal(value.numerator) / Decimal(value.denominator)
        if hasattr(value, "denominator")
        else Decimal(str(value))
    )
    return f"{(ratio * 100).quantize(Decimal('0.1'), rounding=ROUND_HALF_UP)} %"


@register.filter
def number(value: Any) -> str:
    """Format an integer count with thousands separators ("12,345")."""
    if value is None or value == "":
        return ""
    try:
        return f"{int(value):,}"
    except (TypeError, ValueError):
        return str(value)


@register.filter
def quantity(value: Any) -> str:
    """Format a quantity without trailing zeros ("3", "2.5")."""
    if value is None or value == "":
        return ""
    amount = Decimal(str(value))
    if amount == amount.to_integral_value():
        return f"{amount.to_integral_value():,}"
    return f"{amount.normalize():,f}"


@register.filter
def when(value: Any) -> str:
    """A moment in the configured time zone, ``2019-03-31 14:05`` (``salesalloc.core.dates``)."""
    return local_datetime(value) if value else ""


@register.filter
def day(value: Any) -> str:
    """A day as ``2019-03-31`` (``salesalloc.core.dates``)."""
    return local_date(value) if value else ""


@register.simple_tag(takes_context=True)
def nav_current(context: dict[str, Any], *url_names: str) -> SafeString | str:
    """``aria-current="page"`` when the current URL's name is one of ``url_names``."""
    request: HttpRequest | None = context.get("request")
    match = getattr(request, "resolver_match", None)
    if match is not None and match.url_name in url_names:
        return mark_safe('aria-current="page"')
    return ""


@register.simple_tag
def share(part: Decimal | None, whole: Decimal | None) -> str:
    """``part`` as a percentage of ``whole`` with one decimal ("37.5%"); "–" when undefined."""
    if part is None or not whole:
        return "–"
    percent = (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"), ROUND_HALF_UP)
    return f"{percent}%"
