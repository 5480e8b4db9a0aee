"""API plumbing shared by every app: one error shape, pagination, money fields.

Every error response is ``{"message": str, "code": str}`` plus ``"fields": {...}`` for
validation errors, so integrations can show the message and highlight the fields.
"""

from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, JsonResponse
from django.utils.translation import gettext as _
from rest_framework import exceptions, serializers
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from salesalloc.core.exceptions import ApplicationError
from salesalloc.core.money import money_str


class StandardPagination(PageNumberPagination):
    """``{"count", "next", "previous", "results"}``; ``page_size`` honoured up to 500."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_query_param:
                parameter["schema"]["minimum"] = 1
            elif parameter["name"] == self.page_size_query_param:
                parameter["schema"].update({"minimum": 1, "maximum": self.max_page_size})
        return parameters


class MoneyField(serializers.DecimalField):
    """A decimal string with at least 2 places and no float anywhere."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_digits", 18)
        kwargs.setdefault("decimal_places", 2)
        super().__init__(**kwargs)

    def to_representation(self, value: Any) -> str | None:
        if value is None:
            return None
        return money_str(Decimal(value))


def _first_message(detail: Any) -> str:
    if isinstance(detail, dict):
        for value in detail.values():
            return _first_message(value)
    if isinstance(detail, list) and detail:
        return _first_message(detail[0])
    return str(detail)


def _django_validation_detail(exc: DjangoValidationError) -> Any:
    if hasattr(exc, "error_dict"):
        return exc.message_dict
    return {"non_field_errors": exc.messages}


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """Map domain and Django errors to one JSON error shape."""
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(_django_validation_detail(exc))
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()

    if isinstance(exc, ApplicationError):
        body: dict[str, Any] = {"message": exc.message, "code": exc.code}
        if exc.extra:
            body.update(exc.extra)
        return Response(body, status=exc.status_code)

    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        detail = exc.detail
        fields = detail if isinstance(detail, dict) else {"non_field_errors": detail}
        non_field = fields.get("non_field_errors")
        message = _first_message(non_field) if non_field else _("Invalid input.")
        if not non_field and len(fields) == 1:
            name, value = next(iter(fields.items()))
            message = f"{name}: {_first_message(value)}"
        response.data = {"message": message, "code": "invalid", "fields": fields}
    else:
        detail = getattr(exc, "detail", str(exc))
        codes = exc.get_codes() if isinstance(exc, exceptions.APIException) else "error"
        response.data = {
            "message": _first_message(detail),
            "code": codes if isinstance(codes, str) else "error",
        }
    return response


def json_server_error(request: HttpRequest, *args: Any, **kwargs: Any) -> JsonResponse:
    """JSON 500 for API paths: the message, never a stack trace."""
    return JsonResponse(
        {"message": _("Internal server error. The error has been logged."), "code": "server_error"},
        status=500,
    )
