"""Who is asking, and how often: the client address, the anonymous throttle, the lockout page.

The client address comes from ``X-Forwarded-For`` only through the configured number of
trusted reverse proxies (``SALESALLOC_TRUSTED_PROXIES``); django-axes, the DRF throttle and
anything else that needs an address all use :func:`client_ip`, so a client that rotates the
header gets no fresh allowance.
"""

import ipaddress
import logging
import math
from typing import Any

from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import ngettext
from redis.exceptions import RedisError
from rest_framework import exceptions
from rest_framework.request import Request
from rest_framework.settings import api_settings
from rest_framework.throttling import AnonRateThrottle
from rest_framework.views import APIView

logger = logging.getLogger(__name__)


def _valid_ip(value: str) -> str | None:
    try:
        return str(ipaddress.ip_address(value.strip()))
    except ValueError:
        return None


def client_ip(request: HttpRequest | Request) -> str:
    """Return the client's address, trusting ``X-Forwarded-For`` only as far as configured.

    With ``SALESALLOC_TRUSTED_PROXIES = 0`` the header is ignored and the connection's
    ``REMOTE_ADDR`` is the client. With N trusted proxies, each appends the address it was
    connected from, so the client is the N-th address from the right; anything further left
    was written by the client itself and is never used. A malformed entry falls back to
    ``REMOTE_ADDR`` (axes stores the address in an IP column).
    """
    remote_addr = request.META.get("REMOTE_ADDR", "") or ""
    proxies = settings.SALESALLOC_TRUSTED_PROXIES
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if proxies > 0 and forwarded:
        hops = [hop for hop in (part.strip() for part in forwarded.split(",")) if hop]
        if hops:
            address = _valid_ip(hops[-min(proxies, len(hops))])
            if address is not None:
                return address
    return _valid_ip(remote_addr) or remote_addr


class ClientAddressAnonThrottle(AnonRateThrottle):
    """The anonymous rate limit, keyed by :func:`client_ip`; lets requests through if the
    cache is down (sign-in throttling by django-axes lives in the database and still holds)."""

    def get_rate(self) -> str | None:
        # Read at request time (DRF binds THROTTLE_RATES at import), so settings apply.
        rate = api_settings.DEFAULT_THROTTLE_RATES.get(self.scope or "")
        return None if rate is None else str(rate)

    def get_ident(self, request: Request) -> str:
        return client_ip(request)

    def allow_request(self, request: Request, view: APIView) -> bool:
        try:
            return super().allow_request(request, view)
        except (RedisError, OSError):
            logger.warning("Cache unavailable: the anonymous rate limit is not applied.")
            return True


def cool_off_minutes() -> int:
    """The lockout period in whole minutes (rounded up), for messages."""
    cool_off = settings.AXES_COOLOFF_TIME
    return max(1, math.ceil(cool_off.total_seconds() / 60)) if cool_off else 0


def lockout_message() -> str:
    minutes = cool_off_minutes()
    return ngettext(
        "Too many failed sign-in attempts. Try again in %(minutes)d minute.",
        "Too many failed sign-in attempts. Try again in %(minutes)d minutes.",
        minutes,
    ) % {"minutes": minutes}


class LockedOutError(exceptions.Throttled):
    """Sign-in refused while the account or the address is locked out (HTTP 429)."""

    default_code = "locked_out"

    def __init__(self) -> None:
        super().__init__(detail=lockout_message())
        self.wait = cool_off_minutes() * 60  # Retry-After, without DRF's "Expected ..." text


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None, credentials: Any
) -> HttpResponse:
    """django-axes' answer to a locked-out sign-in: JSON 429 under /api/, else the login page
    with the message (HTTP 429)."""
    message = lockout_message()
    retry_after = str(cool_off_minutes() * 60)
    if request.path.startswith("/api/"):
        response: HttpResponse = JsonResponse({"message": message, "code": "locked_out"})
    else:
        response = render(
            request,
            "core/login.html",
            {"form": AuthenticationForm(request), "lockout_message": message},
        )
    response.status_code = 429
    response["Retry-After"] = retry_after
    return response
