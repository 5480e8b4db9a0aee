"""Heartbeats of background work, and the staleness rule the sweepers apply.

A task running a job or run wraps its work in ``heartbeat(Model, pk)``: the row's
``heartbeat_at`` and ``worker`` are refreshed at once and then every
``SALESALLOC_HEARTBEAT_SECONDS`` from a daemon thread, so even one long step (a big write
transaction) keeps the row alive. When the worker process dies, so does the thread: after
``SALESALLOC_STALE_SECONDS`` without a beat the row is stale and the app's sweeper resumes
it (at most ``SALESALLOC_RECOVERY_MAX_ATTEMPTS`` starts) or fails it with a message.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings
from django.db import connections, models
from django.db.models import Q
from django.utils import timezone

logger = logging.getLogger(__name__)


def worker_name() -> str:
    """``host:pid`` of this process (a Celery worker child, or the web process)."""
    return f"{socket.gethostname()}:{os.getpid()}"[:200]


def heartbeat_touch(model: type[models.Model], pk: int) -> None:
    """Record a sign of life for one row (an UPDATE outside any transaction of the caller)."""
    model._default_manager.filter(pk=pk).update(heartbeat_at=timezone.now(), worker=worker_name())


def stale_cutoff(now: dt.datetime | None = None) -> dt.datetime:
    """Rows whose last sign of life is older than this belong to a worker that is gone."""
    return (now or timezone.now()) - dt.timedelta(seconds=settings.SALESALLOC_STALE_SECONDS)


def stale_q(now: dt.datetime | None = None) -> Q:
    """Heartbeat older than the cutoff (or none at all and not touched since the cutoff)."""
    cutoff = stale_cutoff(now)
    return Q(heartbeat_at__lt=cutoff) | Q(heartbeat_at__isnull=True, updated_at__lt=cutoff)


def worker_gone(name: str) -> bool:
    """``True`` when ``name`` (``host:pid``) is a process of this host that no longer exists.

    Lets a sweeper on the same machine (the embedded web process after a restart, or a
    worker beside a dead one) recover at once instead of waiting for the heartbeat to age.
    """
    host, _sep, pid = name.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # alive, another user's
        return False
    return False


def is_stale(heartbeat_at: dt.datetime | None, updated_at: dt.datetime, worker: str) -> bool:
    """The Python twin of ``stale_q`` plus ``worker_gone``, for rows already fetched."""
    cutoff = stale_cutoff()
    last = heartbeat_at or updated_at
    return last < cutoff or (bool(worker) and worker_gone(worker))


class _Beater(threading.Thread):
    def __init__(self, model: type[models.Model], pk: int, interval: float) -> None:
        super().__init__(name=f"heartbeat-{model._meta.label_lower}-{pk}", daemon=True)
        self.model, self.pk, self.interval = model, pk, interval
        self.stopped = threading.Event()

    def run(self) -> None:
        try:
            while not self.stopped.wait(self.interval):
                try:
                    heartbeat_touch(self.model, self.pk)
                except Exception:  # a missed beat is harmless; the next one may work
                    logger.warning("heartbeat of %s %s failed", self.model.__name__, self.pk)
        finally:
            connections.close_all()


@contextmanager
def heartbeat(model: type[models.Model], pk: int) -> Iterator[None]:
    """Keep ``model(pk)`` alive while the block runs (see the module docstring).

    ``SALESALLOC_HEARTBEAT_SECONDS = 0`` turns the thread off (single beat at the start),
    which the unit tests use: their data lives in a transaction no other thread sees.
    """
    heartbeat_touch(model, pk)
    interval = float(settings.SALESALLOC_HEARTBEAT_SECONDS)
    if interval <= 0:
        yield
        return
    beater = _Beater(model, pk, interval)
    beater.start()
    try:
        yield
    finally:
        beater.stopped.set()
        beater.join(timeout=interval + 5)


def pause_for_crash_tests() -> None:
    """Testing only: sleep ``SALESALLOC_TEST_PAUSE_SECONDS`` so crash tests can kill a worker.

    Called inside each import's write transaction and in each recompute step; 0 (the
    default, and the only sensible value outside the crash tests) does nothing.
    """
    if settings.SALESALLOC_TEST_PAUSE_SECONDS > 0:
        time.sleep(settings.SALESALLOC_TEST_PAUSE_SECONDS)
