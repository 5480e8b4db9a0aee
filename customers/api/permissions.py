"""Permissions of the customers API beyond the shared roles (``allocation.access``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib.auth.models import AnonymousUser

if TYPE_CHECKING:
    from django.contrib.auth.models import User

PERSONAL_DATA_PERMISSION = "customers.view_personal_data"


def can_view_personal_data(user: User | AnonymousUser) -> bool:
    """Phone, e-mail and address are shown and exported only with this permission (§5)."""
    return bool(
        user.is_authenticated and user.is_active and user.has_perm(PERSONAL_DATA_PERMISSION)
    )
