"""Error pages: JSON under /api/, a friendly HTML page elsewhere; never a stack trace."""

from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils.translation import gettext as _


def method_not_allowed(request: HttpRequest, *, back: str | None = None) -> HttpResponse:
    """The 405 page: an action's address (a form posts to it) was opened as a page."""
    message = _(
        "This address carries out an action when a form or button sends it; it is not a page "
        "to open. Go back to the page and use the button there."
    )
    return render(
        request,
        "core/error.html",
        {"status": 405, "message": message, "back": back},
        status=405,
    )


def _error(request: HttpRequest, status: int, message: str, code: str) -> HttpResponse:
    if request.path.startswith("/api/"):
        return JsonResponse({"message": message, "code": code}, status=status)
    return render(request, "core/error.html", {"status": status, "message": message}, status=status)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _error(request, 400, _("The request could not be understood."), "bad_request")


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _error(
        request, 403, _("You do not have permission to open this page."), "permission_denied"
    )


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _error(request, 404, _("Not found."), "not_found")


def server_error(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    message = _("Something went wrong on our side. The error has been logged.")
    try:
        return _error(request, 500, message, "server_error")
    except Exception:
        # The page's context (the navigation) needs the database, which may be what failed:
        # fall back to the same page without the request's context.
        body = render_to_string("core/error.html", {"status": 500, "message": message})
        return HttpResponse(body, status=500)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    return _error(
        request,
        403,
        _(
            "The form expired or was sent without its security token. "
            "Reload the page and try again."
        ),
        "csrf_failed",
    )
