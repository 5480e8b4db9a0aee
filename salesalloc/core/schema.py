"""OpenAPI: the token scheme's name and the error responses every operation can give.

Views document their success responses; this module adds the shared error shape
(``{"message", "code", "fields"?}``, see ``salesalloc.core.api``) to every operation for
the statuses any endpoint can answer, so clients and schema-driven tests know them.
"""

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.plumbing import build_bearer_security_scheme_object

ERROR_COMPONENT = "Error"
ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "Every error: a human-readable message, a machine code and, for invalid "
    "input, the fields with their messages.",
    "properties": {
        "message": {"type": "string"},
        "code": {"type": "string"},
        "fields": {
            "type": "object",
            "description": "Field name -> messages (nested for nested input).",
            "additionalProperties": True,
        },
    },
    "required": ["message", "code"],
}
ERROR_DESCRIPTIONS = {
    "400": "Invalid input: `fields` names each field and its messages.",
    "401": "Missing, invalid or expired credentials.",
    "403": "Authenticated, but not allowed to do this (or outside the caller's scope).",
    "404": "No such object in the caller's scope (or a page past the end of a list).",
    "409": "The object's state does not allow the operation.",
    "429": "Too many requests, or sign-in locked out after failed attempts (`Retry-After`).",
    "503": "A backing service (database, task queue) is unavailable; retry later.",
}
ALWAYS = ("400", "401", "403", "404", "503")
METHODS = {"get", "put", "post", "patch", "delete"}


class TokenScheme(OpenApiAuthenticationExtension):
    """``Authorization: Token <key>`` (django-rest-knox), under the scheme name clients know."""

    target_class = "salesalloc.core.tokens.ExpiringTokenAuthentication"
    name = "tokenAuth"
    priority = 1

    def get_security_definition(self, auto_schema: Any) -> dict[str, Any]:
        return build_bearer_security_scheme_object(
            header_name="Authorization", token_prefix=self.target.authenticate_header(None)
        )


def _error_response(status: str) -> dict[str, Any]:
    return {
        "description": ERROR_DESCRIPTIONS[status],
        "content": {
            "application/json": {"schema": {"$ref": f"#/components/schemas/{ERROR_COMPONENT}"}}
        },
    }


def add_error_responses(result: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    """drf-spectacular postprocessing hook: document the error responses of every operation.

    Every operation can answer 400/401/403/404/503 (401 for a bad token even where anonymous
    callers are allowed; 404 also for a list page past the end); operations open to
    anonymous callers are rate limited, so they can answer 429 too. A status a view
    documents itself is left as the view wrote it.
    """
    result.setdefault("components", {}).setdefault("schemas", {})[ERROR_COMPONENT] = ERROR_SCHEMA
    for item in result.get("paths", {}).values():
        for method, operation in item.items():
            if method not in METHODS:
                continue
            statuses = list(ALWAYS)
            security = operation.get("security")
            if security is None or security == [] or {} in security:
                statuses.append("429")
            responses = operation.setdefault("responses", {})
            for status in statuses:
                responses.setdefault(status, _error_response(status))
    return result
