"""A row's amount from its numbers, and the check that quantity × unit price matches it.

All exact: quantity (4 places) × unit price (6 places) is a 10-place product, computed in
Python integers on the rows that need it. A row without an amount takes the product (which
must fit 4 places). A row with all three is compared: a difference beyond the tolerance
(``SALESALLOC_IMPORT_AMOUNT_TOLERANCE``, absolute, or ``..._TOLERANCE_PERCENT`` of the
product, whichever is larger) is a warning, or a row error when
``SALESALLOC_IMPORT_AMOUNT_MISMATCH=error``. Real ERP exports carry discounts, so a file whose
amount is the discounted one warns on every discounted line: raise the tolerance or leave the
unit price out of the mapping.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

import numpy as np

from customers.importing.parsing import BLANK, OK, Column, Decimals

Report = Callable[..., None]  # (mask, field, code, **params) -> None
_PRODUCT_SCALE = 10  # quantity (4) + unit price (6) decimal places
_TO_AMOUNT = 10**6  # product scale -> amount scale (4)


@dataclass(frozen=True)
class AmountCheck:
    """How closely an amount must match quantity × unit price, and what a miss is."""

    tolerance: Decimal = Decimal("0.01")
    tolerance_percent: Decimal = Decimal(0)
    as_error: bool = False


def _products(quantity: np.ndarray, price: np.ndarray) -> np.ndarray:
    return quantity.astype(object) * price.astype(object)


def amount_compute(
    *, parsed: dict[str, Decimals], cols: dict[str, Column], ok: np.ndarray, report: Report
) -> tuple[np.ndarray, np.ndarray]:
    """Each row's amount (scaled to 4 places) and whether it is known, from ``amount`` or
    else quantity × unit price; errors for a product with more than 4 places or too large,
    and for a row with neither."""
    quantity, price, amount = parsed["quantity"], parsed["unit_price"], parsed["amount"]
    size = len(ok)
    amount_scaled = amount.scaled.copy()
    amount_ok = amount.status == OK
    need = amount.status == BLANK
    can = need & (quantity.status == OK) & (price.status == OK) & (price.scaled >= 0)
    if can.any():
        product = _products(quantity.scaled[can], price.scaled[can])
        exact = np.array([value % _TO_AMOUNT == 0 for value in product], dtype=bool)
        value = np.array([value // _TO_AMOUNT for value in product], dtype=object)
        fits = np.array([abs(v) < 10**18 for v in value], dtype=bool)
        subset = np.flatnonzero(can)
        good = exact & fits
        amount_scaled[subset[good]] = value[good].astype(np.int64)
        amount_ok[subset[good]] = True
        for mask, code in ((~exact, "computed_decimals"), (exact & ~fits, "computed_too_large")):
            full = np.zeros(size, dtype=bool)
            full[subset[mask]] = True
            report(ok & full, "amount", code, quantity=cols["quantity"], price=cols["unit_price"])
    number_bad = (price.status == OK) & (price.scaled < 0)  # reported as a negative price
    for name in ("quantity", "unit_price"):
        number_bad |= ~np.isin(parsed[name].status, (OK, BLANK))
    report(ok & need & ~can & ~number_bad, "amount", "no_amount")
    return amount_scaled, amount_ok


def _text(scaled: int, scale: int) -> str:
    return format(Decimal(int(scaled)).scaleb(-scale).normalize(), "f")


def amounts_check(
    *,
    parsed: dict[str, Decimals],
    cols: dict[str, Column],
    ok: np.ndarray,
    check: AmountCheck,
    report: Report,
) -> None:
    """Report rows whose given amount differs from quantity × unit price beyond the
    tolerance (only rows that have all three, a valid price and no other number error)."""
    quantity, price, amount = parsed["quantity"], parsed["unit_price"], parsed["amount"]
    both = ok & (quantity.status == OK) & (price.status == OK) & (amount.status == OK)
    both &= price.scaled >= 0
    if not both.any():
        return
    subset = np.flatnonzero(both)
    product = _products(quantity.scaled[subset], price.scaled[subset])
    stated = amount.scaled[subset].astype(object) * _TO_AMOUNT
    difference = np.abs(product - stated)
    absolute = int(check.tolerance.scaleb(_PRODUCT_SCALE).to_integral_value())
    relative = check.tolerance_percent / 100
    allowed = np.array(
        [max(absolute, int((abs(p) * relative).to_integral_value())) for p in product.tolist()]
        if relative
        else [absolute] * len(subset),
        dtype=object,
    )
    off = np.array([d > a for d, a in zip(difference, allowed, strict=True)], dtype=bool)
    if not off.any():
        return
    mask = np.zeros(len(ok), dtype=bool)
    mask[subset[off]] = True

    def full(values: np.ndarray) -> np.ndarray:
        """Texts of the rows that are off, at their place in the chunk."""
        column = np.full(len(ok), "", dtype=object)
        column[subset[off]] = [_text(v, _PRODUCT_SCALE) for v in values[off]]
        return column

    report(
        mask,
        "amount",
        "amount_mismatch",
        quantity=cols["quantity"],
        price=cols["unit_price"],
        value=cols["amount"],
        expected=full(product),
        difference=full(difference),
        tolerance=full(allowed),
    )
