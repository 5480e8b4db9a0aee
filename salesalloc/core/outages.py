"""Outages of the database or the broker, mapped in one place to a clean HTTP 503.

``outage_error(exc)`` recognises the errors a dead database (Django's ``OperationalError``/
``InterfaceError``) or a dead broker/Redis (kombu's ``OperationalError``, redis-py's
connection errors) raise, and answers the ``ServiceUnavailableError`` to show instead. The API's
exception handler (``salesalloc.core.api``) and ``OutageMiddleware`` (browser pages) both
use it, so every surface answers 503 with the same message instead of a 500.
"""

from __future__ import annotations

import logging

from django import db
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from kombu.exceptions import OperationalError as BrokerOperationalError
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from salesalloc.core.exceptions import ServiceUnavailableError

logger = logging.getLogger(__name__)

BROKER_ERRORS: tuple[type[BaseException], ...] = (
    BrokerOperationalError,
    RedisConnectionError,
    RedisTimeoutError,
)
DATABASE_ERRORS: tuple[type[BaseException], ...] = (db.OperationalError, db.InterfaceError)


class BrokerUnavailableError(ServiceUnavailableError):
    code = "broker_unavailable"

    def __init__(self, message: str | None = None) -> None:
        super().__init__(
            message
            or _(
                "Background processing is unavailable right now (the task queue cannot be "
                "reached); nothing was queued. Please try again in a few minutes."
            )
        )


class DatabaseUnavailableError(ServiceUnavailableError):
    code = "database_unavailable"

    def __init__(self, message: str | None = None) -> None:
        super().__init__(
            message
            or _("The database cannot be reached right now. Please try again in a few minutes.")
        )


def outage_error(exc: BaseException) -> ServiceUnavailableError | None:
    """The 503 to answer for ``exc``, or ``None`` when it is not an outage."""
    if isinstance(exc, ServiceUnavailableError):
        return exc
    if isinstance(exc, DATABASE_ERRORS):
        logger.error("database unavailable: %s", exc)
        return DatabaseUnavailableError()
    if isinstance(exc, BROKER_ERRORS):
        logger.error("broker unavailable: %s", exc)
        return BrokerUnavailableError()
    return None


def service_unavailable(request: HttpRequest, error: ServiceUnavailableError) -> HttpResponse:
    """503 for an outage: JSON under /api/, else the error page (without the navigation's
    database queries when the page's context cannot be built)."""
    if request.path.startswith("/api/"):
        response: HttpResponse = JsonResponse(
            {"message": error.message, "code": error.code}, status=503
        )
    else:
        context = {"status": 503, "message": error.message}
        try:
            response = render(request, "core/error.html", context, status=503)
        except Exception:  # the navigation needs the database, which may be what is down
            response = HttpResponse(render_to_string("core/error.html", context), status=503)
    response["Retry-After"] = "60"
    return response


class OutageMiddleware:
    """Browser pages (and any API error DRF left unhandled) answer 503 during an outage."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        error = outage_error(exception)
        if error is None:
            return None
        return service_unavailable(request, error)
