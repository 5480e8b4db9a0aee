"""How the order lines sort: ``?sort=amount`` (ascending) or ``?sort=-amount`` (descending),
on the Orders page and ``GET /api/v1/orders/`` alike; ties break by order and line.

A key outside ``ORDER_SORTS`` is never an error page: the page ignores it with a message, the
API answers 400 naming the keys it knows.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.http import QueryDict
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

DEFAULT_SORT = "-date"
# Sort key -> the fields it orders by (then ``order_id``, ``line_no`` break ties).
ORDER_SORTS: dict[str, tuple[str, ...]] = {
    "date": ("order_date",),
    "order": ("order__order_no",),
    "line": ("line_no",),
    "customer": ("customer__code",),
    "salesperson": ("salesperson__code",),
    "product_line": ("product_line__code",),
    "sku": ("product__sku",),
    "quantity": ("quantity",),
    "amount": ("amount",),
}
_TIES = ("order_id", "line_no")
# The Orders page's columns: (sort key, header, numeric).
ORDER_COLUMNS: tuple[tuple[str, Promise, bool], ...] = (
    ("date", _("Date"), False),
    ("order", _("Order number"), False),
    ("line", _("Line"), True),
    ("customer", _("Customer"), False),
    ("salesperson", _("Salesperson"), False),
    ("product_line", _("Product line"), False),
    ("sku", _("SKU"), False),
    ("quantity", _("Quantity"), True),
    ("amount", _("Net amount"), True),
)


@dataclass(frozen=True)
class OrderSort:
    key: str  # a key of ORDER_SORTS
    descending: bool
    invalid: str = ""  # what was asked for, when it is not a key (then the default applies)

    @property
    def value(self) -> str:
        return f"-{self.key}" if self.descending else self.key

    @property
    def ordering(self) -> tuple[str, ...]:
        """``order_by`` arguments: the key's fields in its direction, then the tie-breakers."""
        sign = "-" if self.descending else ""
        fields = tuple(f"{sign}{name}" for name in ORDER_SORTS[self.key])
        return fields + tuple(name for name in _TIES if name not in ORDER_SORTS[self.key])


def order_sort_parse(raw: str | None) -> OrderSort:
    """The sort a request asks for; the default (newest first) for none or an unknown key."""
    text = (raw or "").strip()
    key = text.removeprefix("-")
    if key in ORDER_SORTS:
        return OrderSort(key=key, descending=text.startswith("-"))
    default = DEFAULT_SORT.removeprefix("-")
    return OrderSort(key=default, descending=DEFAULT_SORT.startswith("-"), invalid=text[:50])


def order_sort_headers(query: QueryDict, sort: OrderSort) -> list[dict[str, object]]:
    """The page's column headers: label, whether numeric, the link that sorts by the column
    (the other direction when it is the current one) and ``aria-sort`` (ascending,
    descending or none), which the header also shows."""
    links = _links(query, sort)
    return [
        {"key": key, "label": label, "num": num, **links[key]} for key, label, num in ORDER_COLUMNS
    ]


def _links(query: QueryDict, sort: OrderSort) -> dict[str, dict[str, str]]:
    links: dict[str, dict[str, str]] = {}
    for key in ORDER_SORTS:
        current = key == sort.key
        wanted = key if not (current and not sort.descending) else f"-{key}"
        if not current and key in ("date", "amount", "quantity"):
            wanted = f"-{key}"  # newest, largest first on a first click
        params = query.copy()
        params["sort"] = wanted
        params.pop("page", None)
        links[key] = {
            "url": "?" + params.urlencode(),
            "aria": ("descending" if sort.descending else "ascending") if current else "none",
        }
    return links
