"""Whole responses of the dashboard and the attainment API, cached per viewer scope.

A cache hit costs one or two cache reads and no database query beyond authentication and
the viewer's scope (which is resolved afresh on every request, so a changed role takes
effect at once). The key holds everything the response depends on:

- the cache generation (``CACHE_VERSION_KEY``), which the recompute and every change of a
  published plan, an org unit, a salesperson or a product line start anew
  (``performance.tracking.receivers``);
- the viewer's scope (admin, managed subtrees, own salesperson): two viewers share an entry
  only when they may see exactly the same figures;
- the request's parameters, the language and today's date (the defaults of year and
  ``as_of`` follow it).

Only what is the same for everyone with that scope is cached: the dashboard caches its
figures fragment, never the page around it (navigation, user menu, CSRF token).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Mapping

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone
from django.utils.translation import get_language

from allocation.access import ViewerScope
from performance.tracking.selectors import CACHE_VERSION_KEY


def response_cache_key(
    *, kind: str, scope: ViewerScope, params: Mapping[str, object], today: dt.date | None = None
) -> str | None:
    """The cache key of one response, or None when tracking caching is off."""
    if not settings.SALESALLOC_TRACKING_CACHE_SECONDS:
        return None
    version = cache.get_or_set(CACHE_VERSION_KEY, 1, None)
    raw = repr(
        (
            kind,
            scope.is_admin,
            scope.managed_paths,
            scope.salesperson_id,
            get_language(),
            (today or timezone.localdate()).isoformat(),
            sorted((str(name), str(value)) for name, value in params.items()),
        )
    )
    return f"tracking:response:{version}:{hashlib.sha256(raw.encode()).hexdigest()}"


def response_cache_get(key: str | None) -> str | bytes | None:
    return None if key is None else cache.get(key)


def response_cache_set(key: str | None, value: str | bytes) -> None:
    if key is not None:
        cache.set(key, value, settings.SALESALLOC_TRACKING_CACHE_SECONDS)
