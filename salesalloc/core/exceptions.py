"""Domain exceptions. Services raise these (or Django's ValidationError), never HTTP objects."""

from typing import Any


class ApplicationError(Exception):
    """A request that breaks a business rule. Mapped to HTTP 400 (or ``status_code``)."""

    status_code = 400
    code = "application_error"

    def __init__(self, message: str, *, extra: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.extra = extra or {}


class ConflictError(ApplicationError):
    """The object is in a state that does not allow the operation (HTTP 409)."""

    status_code = 409
    code = "conflict"


class ScopeError(ApplicationError):
    """The actor tried to act outside the part of the company they may touch (HTTP 403)."""

    status_code = 403
    code = "permission_denied"


class ServiceUnavailableError(ApplicationError):
    """A service the request needs is down; nothing was changed. Try again later (HTTP 503)."""

    status_code = 503
    code = "service_unavailable"
