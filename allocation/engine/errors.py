"""Errors of the allocation engine."""

from __future__ import annotations


class AllocationError(ValueError):
    """Infeasible or invalid allocation input. `.child` names the offending child key (or None)."""

    def __init__(self, message: str, *, child: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.child = child
