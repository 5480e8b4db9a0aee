"""The downloadable import template: the order file's columns, an example row and notes.

The headers are the order file's own in the viewer's language (``pgettext`` context "order
file header", the same words the importer recognises), so the template, filled in and saved,
imports as it is. ``template_rows`` is pure; the example codes come from the caller (the
viewer's own salespeople and product lines).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


@dataclass(frozen=True)
class TemplateColumn:
    field: str
    header: Promise
    required: Promise
    note: Promise


REQUIRED = _("required")
OPTIONAL = _("optional")
COLUMNS = (
    TemplateColumn(
        "order_id",
        pgettext_lazy("order file header", "order_id"),
        REQUIRED,
        _(
            "Order number; with the line number it identifies a line, so importing "
            "the same file again changes nothing."
        ),
    ),
    TemplateColumn(
        "line_no",
        pgettext_lazy("order file header", "line_no"),
        OPTIONAL,
        _("Line of the order (1, 2, …); without it, lines are numbered in file order."),
    ),
    TemplateColumn(
        "order_date",
        pgettext_lazy("order file header", "order_date"),
        REQUIRED,
        _("Date of the order: 2019-03-05, 2019/3/5, 2019年3月5日 or 3/5/2019."),
    ),
    TemplateColumn(
        "customer_code",
        pgettext_lazy("order file header", "customer_code"),
        REQUIRED,
        _("Your code for the customer; new codes create customers."),
    ),
    TemplateColumn(
        "customer_name",
        pgettext_lazy("order file header", "customer_name"),
        OPTIONAL,
        _("Customer name (kept when empty)."),
    ),
    TemplateColumn(
        "region",
        pgettext_lazy("order file header", "region"),
        OPTIONAL,
        _("Customer region; territory and credit rules can use it."),
    ),
    TemplateColumn(
        "state",
        pgettext_lazy("order file header", "state"),
        OPTIONAL,
        _("Customer state or province."),
    ),
    TemplateColumn(
        "city",
        pgettext_lazy("order file header", "city"),
        OPTIONAL,
        _("Customer city."),
    ),
    TemplateColumn(
        "salesperson_code",
        pgettext_lazy("order file header", "salesperson_code"),
        REQUIRED,
        _(
            "Salesperson code; may be empty when a territory or credit rule assigns"
            " one, or the credit split names them."
        ),
    ),
    TemplateColumn(
        "product_line",
        pgettext_lazy("order file header", "product_line"),
        REQUIRED,
        _("Product line code (or its name, when no two lines share it)."),
    ),
    TemplateColumn(
        "sku",
        pgettext_lazy("order file header", "sku"),
        OPTIONAL,
        _("Product code; new codes create products."),
    ),
    TemplateColumn(
        "product_name",
        pgettext_lazy("order file header", "product_name"),
        OPTIONAL,
        _("Product name."),
    ),
    TemplateColumn(
        "quantity",
        pgettext_lazy("order file header", "quantity"),
        OPTIONAL,
        _("Quantity, up to 4 decimals; negative for a return."),
    ),
    TemplateColumn(
        "unit_price",
        pgettext_lazy("order file header", "unit_price"),
        OPTIONAL,
        _("Unit price, up to 6 decimals. An amount far from quantity × unit price is a warning."),
    ),
    TemplateColumn(
        "amount",
        pgettext_lazy("order file header", "amount"),
        REQUIRED,
        _(
            "Net amount, up to 4 decimals; negative for a return. May be empty when"
            " quantity and unit price are given."
        ),
    ),
    TemplateColumn(
        "cost",
        pgettext_lazy("order file header", "cost"),
        OPTIONAL,
        _("Cost of goods, for gross margin."),
    ),
    TemplateColumn(
        "credit_split",
        pgettext_lazy("order file header", "credit_split"),
        OPTIONAL,
        _(
            "Split credit: salesperson:share pairs adding up to 100, e.g. "
            "W01:60;W02:40, or W01;W02 for equal shares. Must include the row's "
            "salesperson. Or use the columns salesperson_2 / share_2, salesperson_3"
            " / share_3 … with share for the row's own salesperson."
        ),
    ),
)
NOTES_HEADER = (_("Column"), _("Field"), _("Required"), _("What to write"))


def template_rows(
    *, salespeople: list[str], product_line: str
) -> tuple[list[str], list[object], list[list[str]]]:
    """(header, one example row, notes rows) in the active language.

    ``salespeople`` are codes the example may use (the first is the line's; with a second, the
    example splits the credit 60/40 between them); ``product_line`` a product line code.
    """
    header = [str(column.header) for column in COLUMNS]
    first = salespeople[0] if salespeople else "W01"
    split = f"{first}:60;{salespeople[1]}:40" if len(salespeople) > 1 else ""
    example: dict[str, object] = {
        "order_id": "SO-0001",
        "line_no": 1,
        "order_date": "2019-03-05",
        "customer_code": "C-0001",
        "customer_name": str(_("Example customer")),
        "region": str(_("East")),
        "state": "",
        "city": "",
        "salesperson_code": first,
        "product_line": product_line,
        "sku": "SKU-0001",
        "product_name": str(_("Example product")),
        "quantity": 2,
        "unit_price": Decimal("50.00"),
        "amount": Decimal("100.00"),
        "cost": Decimal("60.00"),
        "credit_split": split,
    }
    notes = [
        [str(column.header), column.field, str(column.required), str(column.note)]
        for column in COLUMNS
    ]
    return header, [example[column.field] for column in COLUMNS], notes
