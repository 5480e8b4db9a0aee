"""Money helpers. Money is ``Decimal`` (or integer cents) end to end, never float."""

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import DecimalField, Sum

CENT = Decimal("0.01")


def to_cents(amount: Decimal) -> int:
    """Return ``amount`` as integer cents, rounding half up (exact for 2-place amounts)."""
    return int((amount / CENT).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def from_cents(cents: int) -> Decimal:
    """Return integer cents as a 2-place ``Decimal``."""
    return (Decimal(int(cents)) * CENT).quantize(CENT)


def money_str(amount: Decimal | None) -> str | None:
    """Format an exact amount as a decimal string with at least 2 places.

    Order amounts keep the source's precision (up to 4 places) so that sums stay exact;
    they are shown with 2 places unless the extra places carry information.
    """
    if amount is None:
        return None
    amount = Decimal(amount)
    exponent = amount.normalize().as_tuple().exponent
    places = max(2, -exponent) if isinstance(exponent, int) else 2
    return f"{amount:.{places}f}"


def sheet_number_text(value: float) -> str:
    """A spreadsheet's float as the decimal text it shows: 15 significant digits, like Excel.

    Excel keeps doubles, so a typed 589.84 or a formula's result may be stored as
    589.8399999999999; reading 15 digits gives back what the person saw, exactly.
    """
    text = format(value, ".15g")
    return format(Decimal(text), "f") if "e" in text else text


class MoneySum(Sum):
    """``SUM`` of a money column that is exact on every database.

    PostgreSQL sums ``numeric`` exactly. SQLite sums decimals as floating point and hands back
    15 significant digits (609205.598 comes back as 609205.597999999), so the result is
    quantized to the column's decimal places, which restores the exact sum.
    """

    def get_db_converters(self, connection: Any) -> list[Any]:
        return [*super().get_db_converters(connection), self._quantize]

    def _quantize(self, value: Any, expression: Any, connection: Any) -> Decimal | None:
        if value is None:
            return None
        field = self.output_field
        places = field.decimal_places if isinstance(field, DecimalField) else None
        if places is None:
            return Decimal(value)
        return Decimal(value).quantize(Decimal(1).scaleb(-places))
