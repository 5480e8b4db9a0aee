"""Middleware of the composition layer (it may reach every app)."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import MiddlewareNotUsed
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.urls import Resolver404, resolve

from salesalloc.pipeline import sweep_stale_work
from salesalloc.views import method_not_allowed

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


class MethodNotAllowedPageMiddleware:
    """A page address opened with the wrong method gets the app's 405 page, not Django's
    bare response: e.g. ``/plans/7/allocate/`` (a form's action, POST only) typed in or
    reloaded. The ``Allow`` header stays; the page links to the page the action belongs to
    when its parent address is one. The API keeps its JSON errors."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if not isinstance(response, HttpResponseNotAllowed) or request.path.startswith("/api/"):
            return response
        page = method_not_allowed(request, back=_parent_page(request.path))
        page["Allow"] = response["Allow"]
        return page


def _parent_page(path: str) -> str | None:
    """``/plans/7/allocate/`` -> ``/plans/7/`` when that is an address of the app."""
    parent = path.rstrip("/").rsplit("/", 1)[0] + "/"
    if parent in {"", "/"}:
        return None
    try:
        resolve(parent)
    except Resolver404:
        return None
    return parent
