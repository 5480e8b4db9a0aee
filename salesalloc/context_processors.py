"""Template context shared by every page."""

from typing import Any

from django.http import HttpRequest

from allocation.access import viewer_scope


def navigation(request: HttpRequest) -> dict[str, Any]:
    """Expose the viewer's role so the base layout shows only the pages they may open."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"viewer": viewer_scope(user=user)}
