"""One level of many groups split at once, with locks and bounds."""

from __future__ import annotations

import re
from collections.abc import Hashable, Mapping, Sequence
from typing import TypeVar

import numpy as np
import pandas as pd

from allocation.engine.errors import AllocationError
from allocation.engine.grouped import split_frame
from allocation.engine.split import split

Bounds = tuple[int | None, int | None]
K = TypeVar("K", bound=Hashable)


def nullable(values: object, present: object) -> pd.arrays.IntegerArray:
    """An Int64 array of ``values`` that is missing (NA) where ``present`` is False."""
    data = np.asarray(values, dtype=np.int64)
    mask = ~np.asarray(present, dtype=bool)
    return pd.arrays.IntegerArray(data.copy(), mask.copy())


def nullable_max(first: pd.arrays.IntegerArray, second: pd.arrays.IntegerArray) -> object:
    """Element-wise max of two Int64 arrays where NA means "no value"."""
    a = np.asarray(first.fillna(-1), dtype=np.int64)
    b = np.asarray(second.fillna(-1), dtype=np.int64)
    top = np.maximum(a, b)
    return nullable(top, top >= 0)


def missing_ints(n: int) -> pd.arrays.IntegerArray:
    return nullable(np.zeros(n, np.int64), np.zeros(n, bool))


def bounds_arrays(
    keys: Sequence[K], bounds: Mapping[K, Bounds]
) -> tuple[pd.arrays.IntegerArray, pd.arrays.IntegerArray]:
    n = len(keys)
    if not bounds:
        return missing_ints(n), missing_ints(n)
    pairs = [bounds.get(key, (None, None)) for key in keys]
    lows = [low if low is not None else 0 for low, _ in pairs]
    highs = [high if high is not None else 0 for _, high in pairs]
    return (
        nullable(lows, [low is not None for low, _ in pairs]),
        nullable(highs, [high is not None for _, high in pairs]),
    )


def split_level(
    rows: pd.DataFrame,
    totals: pd.Series,
    *,
    describe: dict[int, str] | None = None,
) -> pd.Series:
    """Split ``totals[group]`` among the ``rows`` of each group; Σ per group exact.

    ``rows`` columns: ``group`` (an index label of ``totals``), ``key`` (str, tie order),
    ``weight``, ``locked`` (Int64: keeps that amount), ``min``/``max`` (Int64 bounds). Groups
    without bounds go through one vectorised :func:`split_frame`; the few with bounds
    are split one by one by :func:`split` (clip-and-resplit). Errors are prefixed with
    ``describe[group]`` (the parent's name).
    """
    if rows.empty:
        return pd.Series([], dtype=np.int64, index=rows.index)
    bounded = rows["min"].notna().to_numpy() | rows["max"].notna().to_numpy()
    bounded_groups = pd.unique(rows["group"].to_numpy()[bounded])
    in_bounded = rows["group"].isin(bounded_groups).to_numpy()
    result = np.zeros(len(rows), dtype=np.int64)
    plain = rows.loc[~in_bounded]
    if not plain.empty:
        plain_totals = totals.loc[pd.Index(plain["group"]).unique()]
        try:
            result[~in_bounded] = split_frame(
                plain,
                group="group",
                weight="weight",
                key="key",
                totals=plain_totals,
                locked="locked",
            ).to_numpy()
        except AllocationError as error:
            raise _located(error, plain, describe) from error
    positions = np.arange(len(rows))
    for group_id in bounded_groups:
        where = positions[(rows["group"] == group_id).to_numpy()]
        group = rows.iloc[where]
        try:
            amounts = split(
                int(totals.loc[group_id]),
                group["weight"].tolist(),
                group["key"].astype(str).tolist(),
                locked=_optional_list(group["locked"]),
                mins=_optional_list(group["min"]),
                maxs=_optional_list(group["max"]),
            )
        except AllocationError as error:
            label = (describe or {}).get(int(group_id), f"group {group_id}")
            raise AllocationError(f"{label}: {error.message}", child=error.child) from error
        result[where] = amounts
    return pd.Series(result, index=rows.index)


def _optional_list(values: pd.Series) -> list[int | None]:
    return [None if pd.isna(v) else int(v) for v in values.tolist()]


def _located(
    error: AllocationError, rows: pd.DataFrame, describe: dict[int, str] | None
) -> AllocationError:
    """Replace the engine's "group 7" by the parent's name, when we can tell which it was."""
    if not describe:
        return error
    match = re.search(r"group (\d+)", error.message)
    group_id: int | None = int(match.group(1)) if match else None
    if group_id is None and error.child is not None:
        hit = rows.loc[rows["key"].astype(str) == error.child, "group"]
        group_id = int(hit.iloc[0]) if len(hit) else None
    if group_id is None or group_id not in describe:
        return error
    message = re.sub(r"\s*(in |of )?group \d+", "", error.message).strip()
    return AllocationError(f"{describe[group_id]}: {message}", child=error.child)
