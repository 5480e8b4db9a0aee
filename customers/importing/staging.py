"""Turn a validated order file into the frames the store loads (pure pandas).

The rows without errors become one frame per table, linked by position: ``orders``,
``customers`` and ``products`` have one row per key with an ``idx``; ``lines`` point at them
(``order_idx``, ``product_idx`` = -1 without a SKU) and carry no text, so they are cheap to
send. An order takes its date and customer from its first row (the rows agree); a customer
takes its attributes from its last row and its owner from its latest line (ties: the later
row); a product takes its last row.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from customers.credit.engine import share_percent, split_frame
from customers.importing.fields import CUSTOMER_FIELDS
from customers.importing.validation import CUSTOMER_COLUMNS, NUMBER_FIELDS, ValidatedFile

# The line values a credit carries, split by the same shares (scaled to 4 places).
CREDITED_FIELDS = ("amount", "cost", "quantity")


@dataclass
class Staging:
    """Validated rows ready to store, typed: money as scaled integers, dates as datetime64.

    ``orders`` (``idx, order_no, order_date, customer_idx``), ``customers`` (``idx, code``,
    attributes, ``owner_id, latest_date``) and ``products`` (``idx, sku, name,
    product_line_id``) have one row per key. ``lines`` (``order_idx, line_no,
    salesperson_id, product_line_id, product_idx, split_credit``, and per ``NUMBER_FIELDS``
    the scaled value and ``<name>_null``) point at them by ``idx``. ``credits`` (``order_idx,
    line_no, salesperson_id, weight, share`` and the credited ``amount``, ``cost``,
    ``quantity`` with their ``_null`` flags) has one row per party of each split line.
    ``customer_columns`` are the customer attributes the file has.
    """

    lines: pd.DataFrame
    orders: pd.DataFrame
    customers: pd.DataFrame
    products: pd.DataFrame
    customer_columns: tuple[str, ...]
    cells: list[tuple[int, str]] = field(default_factory=list)  # every line's (sp, month)
    credits: pd.DataFrame = field(default_factory=lambda: _credits_frame(0))
    credit_cells: list[tuple[int, str]] = field(default_factory=list)  # the credits' (sp, month)


def staging_build(validated: ValidatedFile, *, codes: dict[int, str] | None = None) -> Staging:
    """Frames of the rows without errors, linked by position, as the store loads them.

    ``codes`` (salesperson id -> code) order a split's ties: the lower code takes the cent.
    """
    good = validated.frame[~validated.bad_mask()].reset_index(drop=True)
    dates = good["order_date"].to_numpy(dtype="datetime64[D]")
    salespeople = good["salesperson_id"].to_numpy(dtype=np.int64)
    order_codes, order_nos = pd.factorize(good["order_id"].to_numpy(dtype=object))
    customer_codes, customer_keys = pd.factorize(good["customer_code"].to_numpy(dtype=object))
    sku_codes, products = _products(good)
    first_of_order = _first_positions(order_codes, len(order_nos))
    orders = pd.DataFrame(
        {
            "idx": np.arange(len(order_nos), dtype=np.int64),
            "order_no": np.asarray(order_nos, dtype=object),
            "order_date": dates[first_of_order],
            "customer_idx": customer_codes[first_of_order].astype(np.int64),
        }
    )
    credits = _credits(good, validated.credits, order_codes, codes or {})
    credit_cells = _cells(
        credits["salesperson_id"].to_numpy(dtype=np.int64),
        dates[credits["pos"].to_numpy(dtype=np.int64)],
    )
    lines = _lines(good, order_codes, sku_codes)
    split = np.isin(good["row"].to_numpy(), validated.credits["row"].to_numpy())
    lines["split_credit"] = split.astype(np.int64)
    return Staging(
        lines=lines,
        credits=credits,
        orders=orders,
        customers=_customers(good, customer_codes, np.asarray(customer_keys, dtype=object)),
        products=products,
        customer_columns=tuple(
            CUSTOMER_COLUMNS[name] for name in CUSTOMER_FIELDS if validated.plan.has(name)
        ),
        cells=sorted(set(_cells(salespeople, dates)) | set(credit_cells)),
        credit_cells=credit_cells,
    )


def _credits_frame(size: int) -> pd.DataFrame:
    columns = ["pos", "order_idx", "line_no", "salesperson_id", "weight", "share"]
    frame = pd.DataFrame({name: np.zeros(size, dtype=np.int64) for name in columns})
    for name in CREDITED_FIELDS:
        frame[name] = np.zeros(size, dtype=np.int64)
        frame[f"{name}_null"] = np.zeros(size, dtype=bool)
    return frame


def _credits(
    good: pd.DataFrame, parties: pd.DataFrame, order_codes: np.ndarray, codes: dict[int, str]
) -> pd.DataFrame:
    """One row per party of each good split line: its weight, display share and the line's
    amount, cost and quantity split by the weights to the cent (``customers.credit.engine``)."""
    position = pd.Series(np.arange(len(good)), index=good["row"].to_numpy())
    parties = parties[parties["row"].isin(position.index)]
    if parties.empty:
        return _credits_frame(0)
    at = position[parties["row"]].to_numpy()
    weight = parties["weight"].to_numpy(dtype=np.int64)
    keys = parties["salesperson_id"].map(codes).fillna("").to_numpy(dtype=object)
    totals = pd.Series(weight).groupby(at).transform("sum").to_numpy(dtype=np.int64)
    frame = pd.DataFrame(
        {
            "pos": at,  # the line's place among the good rows
            "order_idx": order_codes[at].astype(np.int64),
            "line_no": good["line_no"].to_numpy(dtype=np.int64)[at],
            "salesperson_id": parties["salesperson_id"].to_numpy(dtype=np.int64),
            "weight": weight,
            "share": share_percent(weight, totals),  # percent to 4 places
        }
    )
    for name in CREDITED_FIELDS:
        null = (
            good[f"{name}_null"].to_numpy(dtype=bool)[at]
            if f"{name}_null" in good
            else np.zeros(len(at), dtype=bool)
        )
        values = good[name].to_numpy(dtype=np.int64)[at]
        frame[name] = np.where(
            null, 0, split_frame(group=at, weight=weight, key=keys, total=np.where(null, 0, values))
        )
        frame[f"{name}_null"] = null
    return frame


def _customers(good: pd.DataFrame, codes: np.ndarray, keys: np.ndarray) -> pd.DataFrame:
    """One row per customer: attributes of its last row, the owner of its latest line."""
    size = len(good)
    dates = good["order_date"].to_numpy(dtype="datetime64[D]")
    customers = pd.DataFrame({"idx": np.arange(len(keys), dtype=np.int64), "code": keys})
    last_of_customer = _last_positions(codes, len(keys))
    for name in CUSTOMER_FIELDS:
        customers[CUSTOMER_COLUMNS[name]] = _column(good, name, size)[last_of_customer]
    customers["row"] = good["row"].to_numpy(dtype=np.int64)[last_of_customer]  # for notices
    # The owner is the salesperson of the latest line: order by (customer, date, row).
    latest = np.lexsort((np.arange(size), dates, codes))
    latest = latest[_last_positions(codes[latest], len(keys))]
    customers["owner_id"] = good["salesperson_id"].to_numpy(dtype=np.int64)[latest]
    customers["latest_date"] = dates[latest]
    return customers


def _products(good: pd.DataFrame) -> tuple[np.ndarray, pd.DataFrame]:
    """Each row's product index (-1 without a SKU) and one row per SKU (its last row)."""
    size = len(good)
    skus = _column(good, "sku", size)
    with_sku = skus != ""
    sku_codes = np.full(size, -1, dtype=np.int64)
    product_skus: np.ndarray = np.array([], dtype=object)
    if with_sku.any():
        codes, product_skus = pd.factorize(skus[with_sku])
        sku_codes[with_sku] = codes
    last_of_sku = np.flatnonzero(with_sku)[_last_positions(sku_codes[with_sku], len(product_skus))]
    products = pd.DataFrame(
        {
            "idx": np.arange(len(product_skus), dtype=np.int64),
            "sku": np.asarray(product_skus, dtype=object),
            "name": _column(good, "product_name", size)[last_of_sku],
            "product_line_id": good["product_line_id"].to_numpy(dtype=np.int64)[last_of_sku],
        }
    )
    return sku_codes, products


def _lines(good: pd.DataFrame, order_codes: np.ndarray, sku_codes: np.ndarray) -> pd.DataFrame:
    """One row per order line: keys by index and the scaled numbers with their null flags."""
    lines = pd.DataFrame(
        {
            "order_idx": order_codes.astype(np.int64),
            "line_no": good["line_no"].to_numpy(dtype=np.int64),
            "salesperson_id": good["salesperson_id"].to_numpy(dtype=np.int64),
            "product_line_id": good["product_line_id"].to_numpy(dtype=np.int64),
            "product_idx": sku_codes,
        }
    )
    for name in NUMBER_FIELDS:
        lines[name] = good[name].to_numpy(dtype=np.int64)
        nulls = good[f"{name}_null"] if name != "amount" else np.zeros(len(good), dtype=bool)
        lines[f"{name}_null"] = np.asarray(nulls, dtype=bool)
    return lines


def _cells(salespeople: np.ndarray, dates: np.ndarray) -> list[tuple[int, str]]:
    """The (salesperson, month) cells the lines fall in, sorted."""
    months = dates.astype("datetime64[M]")
    pairs = pd.DataFrame({"sp": salespeople, "month": months}).drop_duplicates()
    return sorted(
        zip(
            pairs["sp"].astype(int).tolist(),
            np.datetime_as_string(pairs["month"].to_numpy(), unit="D").tolist(),
            strict=True,
        )
    )


def _first_positions(codes: np.ndarray, count: int) -> np.ndarray:
    """For codes 0..count-1, the position of each code's first occurrence."""
    first = np.full(count, -1, dtype=np.int64)
    positions = np.arange(len(codes))[::-1]
    first[codes[::-1]] = positions  # later writes win: the first occurrence is written last
    return first


def _last_positions(codes: np.ndarray, count: int) -> np.ndarray:
    """For codes 0..count-1, the position of each code's last occurrence."""
    last = np.full(count, -1, dtype=np.int64)
    last[codes] = np.arange(len(codes))  # later writes win
    return last


def _column(frame: pd.DataFrame, name: str, size: int) -> np.ndarray:
    if name in frame:
        return frame[name].to_numpy(dtype=object)
    return np.full(size, "", dtype=object)
