"""Read replica routing: dashboards and reports may read from ``DATABASE_REPLICA_URL``.

``replica_reads()`` (a context manager) or ``@use_replica`` (for a view) marks the reads
inside it; ``ReplicaRouter`` then sends them to the ``replica`` alias when one is
configured (``SALESALLOC_REPLICA_ALIAS``), and to ``default`` otherwise. Writes always go
to ``default``, and nothing outside a marked block is ever routed, so a page that reads and
then writes never sees the replica's lag on its own write.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS

_REPLICA = ContextVar("salesalloc_replica_reads", default=False)


@contextmanager
def replica_reads() -> Iterator[None]:
    """Send the reads inside this block to the replica, when there is one."""
    token = _REPLICA.set(True)
    try:
        yield
    finally:
        _REPLICA.reset(token)


def use_replica(view: Callable[..., Any]) -> Callable[..., Any]:
    """Run a read-only view's queries on the replica (see ``replica_reads``)."""

    @functools.wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        with replica_reads():
            return view(*args, **kwargs)

    return wrapped


def replica_alias() -> str | None:
    alias = getattr(settings, "SALESALLOC_REPLICA_ALIAS", "") or ""
    return alias if alias and alias in settings.DATABASES else None


class ReplicaRouter:
    """Reads inside ``replica_reads`` go to the replica; everything else to ``default``."""

    def db_for_read(self, model: Any, **hints: Any) -> str | None:
        if _REPLICA.get():
            return replica_alias()
        return None

    def db_for_write(self, model: Any, **hints: Any) -> str | None:
        return None

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool | None:
        return True  # the replica holds the same rows as the primary

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool | None:
        # Only the primary is migrated; a replica follows it (and a test mirror is it).
        return False if db != DEFAULT_DB_ALIAS else None
