"""Exact reading of user numbers and money formatting for the engine."""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from decimal import Decimal, InvalidOperation
from fractions import Fraction

import numpy as np
import pandas as pd

from allocation.engine.errors import AllocationError

MAX_FLOAT_DECIMALS = 12


def format_cents(cents: int) -> str:
    """Format integer cents as a money string with thousands separators ("1,234.56")."""
    sign = "-" if cents < 0 else ""
    whole, part = divmod(abs(int(cents)), 100)
    return f"{sign}{whole:,}.{part:02d}"


def fmt_value(value: object) -> str:
    """Render a user-supplied number the way the user would recognise it."""
    if isinstance(value, float | np.floating):
        return repr(float(value))
    if isinstance(value, Fraction):
        return str(float(value)) if value.denominator != 1 else str(value.numerator)
    return str(value)


def is_missing(value: object) -> bool:
    """Tell whether a bound/lock entry means "none" (None, pandas NA, NaN)."""
    if value is None or value is pd.NA:
        return True
    return isinstance(value, float | np.floating) and math.isnan(value)


def _float_to_fraction(value: float) -> Fraction:
    """Read a float as the short decimal it was meant to be (0.1 → 1/10); exact and cheap."""
    for places in range(MAX_FLOAT_DECIMALS + 1):
        scale = 10**places
        scaled = round(value * scale)
        if abs(scaled) < 2**53 and scaled / scale == value:
            return Fraction(scaled, scale)
    return Fraction(Decimal(repr(value)))


def to_fraction(value: object, what: str, child: str | None = None) -> Fraction:
    """Convert a user number to an exact Fraction or raise naming `what` (and the child)."""
    label = f"{what} of {child!r}" if child is not None else what
    if value is None or value is pd.NA:
        raise AllocationError(f"{label} is missing", child=child)
    if isinstance(value, bool | np.bool_):
        raise AllocationError(f"{label} is not a number ({value!r})", child=child)
    if isinstance(value, int | np.integer):
        return Fraction(int(value))
    if isinstance(value, Fraction):
        return value
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise AllocationError(f"{label} is not a finite number ({value})", child=child)
        return Fraction(value)
    if isinstance(value, float | np.floating):
        as_float = float(value)
        if not math.isfinite(as_float):
            raise AllocationError(f"{label} is not a finite number ({as_float!r})", child=child)
        return _float_to_fraction(as_float)
    if isinstance(value, str):
        try:
            parsed = Decimal(value.strip())
        except InvalidOperation:
            raise AllocationError(f"{label} is not a number ({value!r})", child=child) from None
        if not parsed.is_finite():
            raise AllocationError(f"{label} is not a finite number ({value!r})", child=child)
        return Fraction(parsed)
    if isinstance(value, numbers.Rational):
        return Fraction(int(value.numerator), int(value.denominator))
    raise AllocationError(f"{label} is not a number ({value!r})", child=child)


def non_negative(value: object, what: str, child: str | None = None) -> Fraction:
    """Convert exactly and reject negatives: "weight of 'S-N1' is negative (-3)"."""
    exact = to_fraction(value, what, child)
    if exact < 0:
        label = f"{what} of {child!r}" if child is not None else what
        raise AllocationError(f"{label} is negative ({fmt_value(value)})", child=child)
    return exact


def whole_cents(value: object, what: str, child: str | None = None) -> int:
    """Accept whole cents as int/numpy integer only (money is never a float)."""
    if isinstance(value, int | np.integer) and not isinstance(value, bool | np.bool_):
        return int(value)
    raise AllocationError(
        f"{what} must be a whole number of cents (an integer), got {value!r}", child=child
    )


def key_names(keys: Sequence[object]) -> list[str]:
    """Return the keys as strings, rejecting duplicates."""
    names = [key if isinstance(key, str) else str(key) for key in keys]
    seen: set[str] = set()
    for name in names:
        if name in seen:
            raise AllocationError(f"duplicate key {name!r}", child=name)
        seen.add(name)
    return names


def check_length(values: Sequence[object] | None, n: int, what: str) -> None:
    if values is not None and len(values) != n:
        raise AllocationError(f"{what} has {len(values)} entries for {n} children")


def optional_cents(
    values: Sequence[int | None] | None, n: int, what: str, names: list[str]
) -> list[int | None]:
    """Parse an optional per-child list of cents (None = not set); reject negatives."""
    if values is None:
        return [None] * n
    check_length(values, n, what)
    parsed: list[int | None] = []
    for name, value in zip(names, values, strict=True):
        if is_missing(value):
            parsed.append(None)
            continue
        cents = whole_cents(value, f"{what} of {name!r}", name)
        if cents < 0:
            raise AllocationError(
                f"{what} of {name!r} is negative ({format_cents(cents)})", child=name
            )
        parsed.append(cents)
    return parsed
