"""Strict decimal input: one parser for every number a person or an integration types in.

``parse_decimal`` reads a string, an int, a JSON float or a ``Decimal`` exactly and refuses,
with a message, what the database or the engine could not hold: ``NaN``, ``Infinity``,
``1e400``, 30-digit numbers and more decimal places than the column keeps. Nothing on the way
raises ``decimal.InvalidOperation`` (the cause of 500s on such inputs), because the size is
checked from the digits before anything is quantized.

``BoundedDecimalField`` (DRF) and ``BoundedDecimalFormField`` (Django forms) wrap it, so API
serializers and browser forms refuse the same values with the same messages, naming the field.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation, localcontext
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework import serializers

from salesalloc.core.money import sheet_number_text

# Longer text is not a number anyone typed; refuse it before parsing.
MAX_NUMBER_TEXT = 100
_NUMBER_RE = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d{1,6})?")


class DecimalInputError(ValueError):
    """Why a value is not an acceptable number: ``code`` and a translated ``message``."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def _invalid(value: Any) -> DecimalInputError:
    text = str(value)
    if len(text) > 40:
        text = text[:37] + "..."
    return DecimalInputError("invalid", _("“%(value)s” is not a number.") % {"value": text})


def _as_decimal(value: Any, *, separators: bool) -> Decimal:
    if isinstance(value, bool):
        raise _invalid(value)
    if isinstance(value, Decimal):
        number = value
    elif isinstance(value, int):
        number = Decimal(value)
    elif isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise _invalid(value)
        # A binary float shows the decimal people saw with 15 significant digits.
        number = Decimal(sheet_number_text(value))
    elif isinstance(value, str):
        text = value.strip()
        if separators:
            text = text.replace(",", "")
        if len(text) > MAX_NUMBER_TEXT or not _NUMBER_RE.fullmatch(text):
            raise _invalid(value)
        try:
            number = Decimal(text)
        except InvalidOperation:  # pragma: no cover - the pattern only lets numbers through
            raise _invalid(value) from None
    else:
        raise _invalid(value)
    if not number.is_finite():
        raise _invalid(value)
    return number


def _digits(number: Decimal) -> tuple[int, int]:
    """(whole digits, decimal places) of ``number``, trailing fractional zeros ignored."""
    _sign, digits, exponent = number.as_tuple()
    assert isinstance(exponent, int)  # finite: checked by the caller  # noqa: S101
    digits = tuple(digits)
    while exponent < 0 and len(digits) > 1 and digits[-1] == 0:
        digits = digits[:-1]
        exponent += 1
    if digits == (0,):
        return 0, 0
    if exponent >= 0:
        return len(digits) + exponent, 0
    return max(len(digits) + exponent, 0), -exponent


def parse_decimal(
    value: Any,
    *,
    max_digits: int,
    decimal_places: int,
    min_value: Decimal | None = None,
    max_value: Decimal | None = None,
    separators: bool = False,
    quantize: bool = True,
) -> Decimal:
    """Read ``value`` as an exact ``Decimal`` quantized to ``decimal_places``, or raise.

    Raises ``DecimalInputError`` (codes ``invalid``, ``max_whole_digits``,
    ``max_decimal_places``, ``min_value``, ``max_value``). ``separators`` drops thousands
    commas (``1,234.50``). At most ``max_digits - decimal_places`` digits before the point.
    ``quantize=False`` returns the number as written (``0.5``, not ``0.5000``), like
    Django's form ``DecimalField``.
    """
    number = _as_decimal(value, separators=separators)
    whole, places = _digits(number)
    max_whole = max_digits - decimal_places
    if whole > max_whole:
        raise DecimalInputError(
            "max_whole_digits",
            _("Ensure that there are no more than %(limit)s digits before the decimal point.")
            % {"limit": max_whole},
        )
    if places > decimal_places:
        raise DecimalInputError(
            "max_decimal_places",
            _("Ensure that there are no more than %(limit)s decimal places.")
            % {"limit": decimal_places},
        )
    if quantize:
        with localcontext() as context:
            context.prec = max_digits + 2
            number = number.quantize(Decimal(1).scaleb(-decimal_places))
    if min_value is not None and number < min_value:
        raise DecimalInputError(
            "min_value",
            _("Ensure this value is greater than or equal to %(limit)s.") % {"limit": min_value},
        )
    if max_value is not None and number > max_value:
        raise DecimalInputError(
            "max_value",
            _("Ensure this value is less than or equal to %(limit)s.") % {"limit": max_value},
        )
    return number


class BoundedDecimalField(serializers.DecimalField):
    """A DRF decimal input read by ``parse_decimal``: any hostile number is a 400 on the field.

    ``max_digits`` and ``decimal_places`` are required (they bound what is accepted).
    """

    def __init__(self, *, max_digits: int, decimal_places: int, **kwargs: Any) -> None:
        super().__init__(max_digits=max_digits, decimal_places=decimal_places, **kwargs)
        # parse_decimal checks the bounds itself, with messages that name the limit.
        self.validators = [
            v for v in self.validators if not isinstance(v, MinValueValidator | MaxValueValidator)
        ]

    def to_internal_value(self, data: Any) -> Decimal:
        try:
            return parse_decimal(
                data,
                max_digits=self.max_digits or 0,
                decimal_places=self.decimal_places or 0,
                min_value=self._bound(self.min_value),
                max_value=self._bound(self.max_value),
            )
        except DecimalInputError as error:
            raise serializers.ValidationError(error.message, code=error.code) from None

    @staticmethod
    def _bound(value: Any) -> Decimal | None:
        return None if value is None else Decimal(str(value))


class BoundedDecimalFormField(forms.DecimalField):
    """The browser forms' counterpart of ``BoundedDecimalField`` (same parser, same messages)."""

    default_error_messages = {"invalid": gettext_lazy("Enter a number.")}

    def __init__(self, *, max_digits: int, decimal_places: int, **kwargs: Any) -> None:
        super().__init__(max_digits=max_digits, decimal_places=decimal_places, **kwargs)
        self.validators = []

    def to_python(self, value: Any) -> Decimal | None:  # type: ignore[override]
        if value in self.empty_values or (isinstance(value, str) and not value.strip()):
            return None
        try:
            return parse_decimal(
                value,
                max_digits=self.max_digits,  # type: ignore[arg-type]
                decimal_places=self.decimal_places,  # type: ignore[arg-type]
                min_value=None if self.min_value is None else Decimal(str(self.min_value)),
                max_value=None if self.max_value is None else Decimal(str(self.max_value)),
                quantize=False,
            )
        except DecimalInputError as error:
            raise ValidationError(error.message, code=error.code) from None

    def validate(self, value: Any) -> None:
        forms.Field.validate(self, value)
