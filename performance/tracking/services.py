"""Writes for tracking: invalidating the cached attainment figures after a recompute."""

from __future__ import annotations

from django.core.cache import cache

from performance.tracking.selectors import CACHE_VERSION_KEY


def tracking_cache_invalidate() -> int:
    """Start a new cache generation so every cached attainment figure is read afresh.

    Idempotent in effect (any bump invalidates everything cached before it); returns the
    new generation.
    """
    try:
        return cache.incr(CACHE_VERSION_KEY)
    except ValueError:  # no generation yet: start one past the default
        cache.set(CACHE_VERSION_KEY, 2, None)
        return 2
