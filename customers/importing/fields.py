"""The order file's fields and how a file's header row maps onto them.

Headers match case-insensitively, ignoring surrounding spaces and ``_``/``-``/space
differences, in English or Chinese. A saved ``ColumnMapping`` (``{field: header}``) overrides
and extends the aliases so that any ERP export imports.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

# Field -> aliases (as people write them; normalised by ``header_key``). The first alias is
# the field's own name, used in messages when the column is absent.
FIELD_ALIASES: dict[str, tuple[str, ...]] = {
    "order_id": ("order_id", "order_no", "order_number", "订单号", "订单编号", "单号"),
    "line_no": ("line_no", "line", "line_number", "行号"),
    "order_date": ("order_date", "date", "日期", "订单日期", "单据日期"),
    "customer_code": (
        "customer_code",
        "customer_id",
        "customer_no",
        "客户编码",
        "客户代码",
        "客户编号",
    ),
    "customer_name": ("customer_name", "customer", "客户名称", "客户"),
    "salesperson_code": (
        "salesperson_code",
        "salesperson",
        "sales_rep",
        "salesperson_1",
        "业务员",
        "销售员",
        "业务员编码",
        "业务员1",
    ),
    # Split credit: ``W01:60;W02:40`` in one cell, or the main salesperson's ``share`` with
    # ``salesperson_2``/``share_2``... (see ``EXTRA_PARTY``).
    "credit_split": ("credit_split", "sales_credit", "分成", "业绩分成"),
    "share": ("share", "share_1", "credit_share", "比例", "比例1", "分成比例", "分成比例1"),
    "product_line": ("product_line", "产品线", "产品类别"),
    "sku": ("sku", "product_code", "商品编码", "产品编码", "物料编码"),
    "product_name": ("product_name", "商品名称", "产品名称"),
    "quantity": ("quantity", "qty", "数量"),
    "unit_price": ("unit_price", "price", "单价"),
    "amount": ("amount", "net_amount", "金额", "销售额"),
    "cost": ("cost", "成本"),
    # Exports that carry the margin instead of the cost (Superstore's "Profit"): cost is then
    # amount - profit, so gross margin = amount - cost gives the profit back exactly.
    "profit": ("profit", "gross_profit", "毛利", "利润"),
    "region": ("region", "区域", "地区"),
    "state": ("state", "province", "省份", "省"),
    "city": ("city", "城市"),
    "country": ("country", "国家"),
    "segment": ("segment", "客户类型"),
    "phone": ("phone", "电话"),
    "email": ("email", "e-mail", "邮箱"),
    "address": ("address", "地址"),
}
FIELDS: tuple[str, ...] = tuple(FIELD_ALIASES)
# The further salesperson/share columns of a split: ``salesperson_2``/``业务员2`` and
# ``share_2``/``比例2``, ``salesperson_3``... (any number; more than MAX_CREDIT_PARTIES filled in
# on one row is a row error). Their field names are ``salesperson_<n>`` and ``share_<n>``.
EXTRA_PARTY = re.compile(
    r"(?P<kind>salesperson|salesrep|业务员|销售员|share|creditshare|比例|分成比例)(?P<n>\d{1,2})"
)
_EXTRA_KIND = {"salesrep": "salesperson", "业务员": "salesperson", "销售员": "salesperson"}
_EXTRA_KIND |= {"creditshare": "share", "比例": "share", "分成比例": "share"}


def extra_party_field(key: str) -> str | None:
    """``salesperson_<n>`` or ``share_<n>`` (n >= 2) for a normalised header, else None."""
    match = EXTRA_PARTY.fullmatch(key)
    if match is None or int(match["n"]) < 2:
        return None
    kind = _EXTRA_KIND.get(match["kind"], match["kind"])
    return f"{kind}_{int(match['n'])}"


def is_field(name: str) -> bool:
    """A field a column (or a saved mapping) may feed: ``FIELDS`` and the extra parties."""
    return name in FIELD_ALIASES or extra_party_field(name.replace("_", "")) == name


ALWAYS_REQUIRED: tuple[str, ...] = ("order_id", "order_date", "customer_code", "product_line")
CUSTOMER_FIELDS: tuple[str, ...] = (
    "customer_name",
    "region",
    "state",
    "city",
    "country",
    "segment",
    "phone",
    "email",
    "address",
)
# Territory rules apply most specific first.
TERRITORY_ATTRIBUTES: tuple[str, ...] = ("customer_code", "city", "state", "region", "country")

# The public "Sample - Superstore" export (salesalloc/demo/superstore.csv).
SUPERSTORE_MAPPING_NAME = "Superstore"
SUPERSTORE_DATE_ORDER = "mdy"
_SUPERSTORE_COLUMNS = {
    "order_id": "Order ID",
    "line_no": "Row ID",
    "order_date": "Order Date",
    "customer_code": "Customer ID",
    "customer_name": "Customer Name",
    "segment": "Segment",
    "country": "Country",
    "city": "City",
    "state": "State",
    "region": "Region",
    "sku": "Product ID",
    "product_name": "Product Name",
    "product_line": "Sub-Category",
    "amount": "Sales",
    "quantity": "Quantity",
    "profit": "Profit",
}


def superstore_mapping_columns() -> dict[str, str]:
    """The ``ColumnMapping.columns`` that imports the Superstore file (dates are M/D/Y)."""
    return dict(_SUPERSTORE_COLUMNS)


# The whole saved mapping, as ColumnMapping fields: ColumnMapping(name=..., **SUPERSTORE_MAPPING).
SUPERSTORE_MAPPING = {"columns": superstore_mapping_columns(), "date_order": SUPERSTORE_DATE_ORDER}


_SEPARATORS = re.compile(r"[\s_\-]+")


def header_key(header: object) -> str:
    """Normalise a header for matching: NFKC, lower case, no spaces, ``_`` or ``-``."""
    text = unicodedata.normalize("NFKC", str(header)).replace("\ufeff", "")
    return _SEPARATORS.sub("", text.strip().lower())


def _is_extra(name: str) -> bool:
    return name.startswith(("salesperson_", "share_")) and name.rsplit("_", 1)[1].isdigit()


_ALIAS_TO_FIELD: dict[str, str] = {
    header_key(alias): name for name, aliases in FIELD_ALIASES.items() for alias in aliases
}


@dataclass(frozen=True)
class ColumnPlan:
    """Which column of the file feeds which field.

    ``columns`` maps a field to the column's position; ``headers`` are the file's headers as
    written. ``unknown`` lists headers that feed no field (they are ignored).
    """

    headers: tuple[str, ...]
    columns: dict[str, int]
    unknown: tuple[str, ...] = ()
    mapping_unmatched: dict[str, str] = field(default_factory=dict)

    def has(self, name: str) -> bool:
        return name in self.columns

    def label(self, name: str) -> str:
        """The header as written in the file, or the field name when the column is absent."""
        index = self.columns.get(name)
        return self.headers[index] if index is not None else name

    def extra_parties(self) -> list[int]:
        """The ``n`` of the file's ``salesperson_<n>``/``share_<n>`` columns, ascending."""
        found = {int(name.rsplit("_", 1)[1]) for name in self.columns if _is_extra(name)}
        return sorted(found)

    def has_split(self) -> bool:
        """Can a row of this file name several salespeople?"""
        return "credit_split" in self.columns or bool(self.extra_parties())

    def missing_required(self, *, has_territory_rules: bool) -> list[str]:
        """Required fields the file has no column for (in field order).

        ``has_territory_rules``: territory or credit rules exist, so a row may name no
        salesperson; a file with a credit split names them in the split.
        """
        missing = [name for name in ALWAYS_REQUIRED if name not in self.columns]
        if "amount" not in self.columns and not (
            "quantity" in self.columns and "unit_price" in self.columns
        ):
            missing.append("amount")
        if "salesperson_code" not in self.columns and not (has_territory_rules or self.has_split()):
            missing.append("salesperson_code")
        return missing


def column_plan(headers: Sequence[str], mapping: Mapping[str, str] | None = None) -> ColumnPlan:
    """Match a header row to the order fields, the saved ``mapping`` winning over aliases.

    A mapping entry names the header in the file for a field; it matches the same lenient
    way as the aliases. The first column wins when two feed the same field.
    """
    keys = [header_key(h) for h in headers]
    columns: dict[str, int] = {}
    taken: set[int] = set()
    unmatched: dict[str, str] = {}
    for name, header in (mapping or {}).items():
        if not is_field(name) or not str(header).strip():
            continue
        wanted = header_key(header)
        index = next((i for i, key in enumerate(keys) if key == wanted and i not in taken), None)
        if index is None:
            unmatched[name] = str(header)
            continue
        columns[name] = index
        taken.add(index)
    for index, key in enumerate(keys):
        alias_of = _ALIAS_TO_FIELD.get(key) or extra_party_field(key)
        if index in taken or alias_of is None or alias_of in columns:
            continue
        columns[alias_of] = index
        taken.add(index)
    unknown = tuple(h for i, h in enumerate(headers) if i not in taken and str(h).strip())
    return ColumnPlan(
        headers=tuple(str(h) for h in headers),
        columns=columns,
        unknown=unknown,
        mapping_unmatched=unmatched,
    )
