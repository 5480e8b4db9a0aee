"""Array types of the engine, with their dtypes spelled out for the type checker."""

from __future__ import annotations

from typing import TypeAlias

import numpy as np
import numpy.typing as npt

Cents: TypeAlias = npt.NDArray[np.int64]
"""Whole cents (or other int64 data: codes, counts, positions)."""

ExactInts: TypeAlias = npt.NDArray[np.int64] | npt.NDArray[np.object_]
"""Integers that stay exact: int64 while they fit, Python ints (object) beyond."""

Flags: TypeAlias = npt.NDArray[np.bool_]
"""One boolean per row or cell (masks)."""

Reals: TypeAlias = npt.NDArray[np.float64]
"""Real-valued tables (fits before rounding); never money."""
