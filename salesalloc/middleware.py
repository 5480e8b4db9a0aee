"""Middleware of the composition layer (it may reach every app)."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import MiddlewareNotUsed
from django.http import HttpRequest, HttpResponse

from salesalloc.pipeline import sweep_stale_work

logger = logging.getLogger(__name__)


class EmbeddedSweepMiddleware:
    """Embedded mode only: sweep stale jobs and runs on requests, at most every sweep period.

    Without a broker there is no beat, and a restart of the web process kills the background
    thread mid-way, leaving work ``running``. The first request after a start and then one
    request per ``SALESALLOC_SWEEP_SECONDS`` apply the same staleness rule as the beat task.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        if not (settings.CELERY_TASK_ALWAYS_EAGER and settings.SALESALLOC_BACKGROUND_THREAD):
            raise MiddlewareNotUsed
        self.get_response = get_response
        self.lock = threading.Lock()
        self.next_sweep = 0.0

    def __call__(self, request: HttpRequest) -> HttpResponse:
        now = time.monotonic()
        if now >= self.next_sweep and self.lock.acquire(blocking=False):
            try:
                self.next_sweep = now + settings.SALESALLOC_SWEEP_SECONDS
                sweep_stale_work()
            except Exception:  # the page itself reports a database outage
                logger.exception("sweeping stale work failed")
            finally:
                self.lock.release()
        return self.get_response(request)
