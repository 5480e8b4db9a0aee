"""Role permission classes shared by every app's API.

Roles come from ``allocation.selectors.viewer_scope`` (DESIGN §1): admin (superuser or
``allocation.manage_all``), manager (manages an org unit), salesperson (linked to a login),
or none. These classes only gate *which operations* a role may call; *which rows* a user sees
is decided by the selectors, so a permission class never replaces a scoped selector.

An anonymous request fails every class here, and DRF answers 401 because token
authentication is listed first.
"""

from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.request import Request

from allocation.selectors import ViewerScope, viewer_scope

NO_ROLE_MESSAGE = _(
    "Your account has no sales role yet (admin, manager or salesperson). Ask an administrator."
)
MANAGER_MESSAGE = _("Only managers and administrators may do this.")
ADMIN_MESSAGE = _("Only administrators may do this.")


def request_scope(request: Request) -> ViewerScope:
    """The viewer's scope, resolved once per request user."""
    return viewer_scope(user=request.user)


class HasRole(BasePermission):
    """Any role at all: admin, manager or salesperson."""

    message = NO_ROLE_MESSAGE

    def has_permission(self, request: Request, view: Any) -> bool:
        return request_scope(request).role != "none"


class IsManagerOrAdmin(BasePermission):
    """Managers (of any org unit) and admins."""

    message = MANAGER_MESSAGE

    def has_permission(self, request: Request, view: Any) -> bool:
        return request_scope(request).can_manage


class IsAdmin(BasePermission):
    """Superusers and holders of ``allocation.manage_all``."""

    message = ADMIN_MESSAGE

    def has_permission(self, request: Request, view: Any) -> bool:
        return request_scope(request).is_admin


class IsManagerOrAdminOrReadOnly(BasePermission):
    """Reads for any role; writes (unsafe methods) only for managers and admins."""

    message = MANAGER_MESSAGE

    def has_permission(self, request: Request, view: Any) -> bool:
        scope = request_scope(request)
        if request.method in SAFE_METHODS:
            self.message = NO_ROLE_MESSAGE
            return scope.role != "none"
        self.message = MANAGER_MESSAGE
        return scope.can_manage
