"""API plumbing shared by every app: one error shape, pagination, money fields.

Every error response is ``{"message": str, "code": str}`` plus ``"fields": {...}`` for
validation errors, so integrations can show the message and highlight the fields.
"""

from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from salesalloc.core.exceptions import ApplicationError
from salesalloc.core.fields import BoundedDecimalField
from salesalloc.core.money import money_str
from salesalloc.core.outages import outage_error


class StandardPagination(PageNumberPagination):
    """``{"count", "next", "previous", "results"}``; ``page_size`` honoured up to 500.

    A ``page`` or ``page_size`` that is not a whole number from 1 is a 400 naming it (a
    page past the end stays DRF's 404 "Invalid page.").
    """

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500

    def get_page_number(self, request: Any, paginator: Any) -> Any:
        number = super().get_page_number(request, paginator)
        if number not in self.last_page_strings and not _positive_int(number):
            raise exceptions.ValidationError(
                {self.page_query_param: [_("A page is a whole number from 1.")]}
            )
        return number

    def get_page_size(self, request: Any) -> int | None:
        raw = request.query_params.get(self.page_size_query_param)
        if raw not in (None, "") and not _positive_int(raw):
            raise exceptions.ValidationError(
                {
                    self.page_size_query_param: [
                        _("A page size is a whole number from 1 to %(max)s.")
                        % {"max": self.max_page_size}
                    ]
                }
            )
        return super().get_page_size(request)

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_query_param:
                parameter["schema"]["minimum"] = 1
            elif parameter["name"] == self.page_size_query_param:
                parameter["schema"].update({"minimum": 1, "maximum": self.max_page_size})
        return parameters


def _positive_int(value: Any) -> bool:
    text = str(value).strip()
    return text.isdigit() and int(text) >= 1


class MoneyField(BoundedDecimalField):
    """A decimal string with at least 2 places and no float anywhere.

    As an input it is strict (``salesalloc.core.fields.parse_decimal``): ``NaN``, ``1e400``,
    30-digit or over-precise amounts are a 400 naming the field.
    """

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_digits", 18)
        kwargs.setdefault("decimal_places", 2)
        super().__init__(**kwargs)

    def to_representation(self, value: Any) -> str:
        # A None value never gets here: serializers write null for it themselves.
        return money_str(Decimal(value)) or ""


def _first_message(detail: Any) -> str:
    if isinstance(detail, dict):
        for value in detail.values():
            return _first_message(value)
    if isinstance(detail, list) and detail:
        return _first_message(detail[0])
    return str(detail)


def _first_error(detail: Any, path: tuple[str, ...] = ()) -> tuple[tuple[str, ...], str] | None:
    """The first message in nested DRF errors and the path to it (keys and list indexes)."""
    if isinstance(detail, dict):
        for key, value in detail.items():
            found = _first_error(value, (*path, str(key)))
            if found is not None:
                return found
        return None
    if isinstance(detail, list):
        if detail and not isinstance(detail[0], dict | list):
            return path, str(detail[0])
        for index, value in enumerate(detail):  # a list serializer's errors per item
            found = _first_error(value, (*path, str(index)))
            if found is not None:
                return found
        return None
    return path, str(detail)


def _field_name(path: tuple[str, ...]) -> str:
    """``("totals", "0", "amount")`` -> ``totals[0].amount``."""
    name = path[0] if path else ""
    for part in path[1:]:
        name += f"[{part}]" if part.isdigit() else f".{part}"
    return name


def _django_validation_detail(exc: DjangoValidationError) -> Any:
    if hasattr(exc, "error_dict"):
        return exc.message_dict
    return {"non_field_errors": exc.messages}


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """Map domain and Django errors to one JSON error shape (outages to a 503)."""
    outage = outage_error(exc)
    if outage is not None:
        unavailable = Response({"message": outage.message, "code": outage.code}, status=503)
        unavailable["Retry-After"] = "60"
        return unavailable
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
            found = _first_error(fields)
            if found is not None:  # nested errors name the item: totals[0].amount
                message = f"{_field_name(found[0])}: {found[1]}"
        response.data = {"message": message, "code": "invalid", "fields": fields}
    else:
        error_detail = exc.detail if isinstance(exc, exceptions.APIException) else str(exc)
        codes = exc.get_codes() if isinstance(exc, exceptions.APIException) else "error"
        response.data = {
            "message": _first_message(error_detail),
            "code": codes if isinstance(codes, str) else "error",
        }
    return response
