"""Shared fields and formatters of the plans API's serializers (money as decimal strings)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from salesalloc.core.money import from_cents, money_str

PERIOD_HELP = _("“year”, a fiscal quarter “Q1”..“Q4” or a month “YYYY-MM” of the fiscal year.")


def choice(choices: Any, **kwargs: Any) -> serializers.ChoiceField:
    """A choice field documented with an inline enum.

    Field names such as ``status`` and ``mode`` carry other choice sets in other apps; as
    shared enum components their names collide (a schema warning that fails CI), so the
    values are documented as a pattern. (``ENUM_NAME_OVERRIDES`` in the settings would let
    them be proper enums.)
    """
    values = [c[0] if isinstance(c, tuple | list) else c for c in choices]
    schema: dict[str, Any] = {
        "type": "string",
        "pattern": "^(" + "|".join(values) + ")$",
        "description": "One of: " + ", ".join(values),
    }
    if kwargs.get("allow_null"):
        schema["nullable"] = True

    @extend_schema_field(schema)
    class InlineChoiceField(serializers.ChoiceField):
        pass

    return InlineChoiceField(choices=choices, **kwargs)


def money(cents: int | None) -> str | None:
    """Integer cents -> the API's decimal string."""
    return None if cents is None else f"{from_cents(int(cents)):.2f}"


def actual_money(units: int | None) -> str | None:
    """1/10000 units (exact actuals) -> a decimal string with 2 or 4 places."""
    if units is None:
        return None
    return money_str(Decimal(int(units)).scaleb(-4))
