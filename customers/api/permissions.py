"""Permissions of the customers API beyond the shared roles (``allocation.access``)."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

from salesalloc.core.users import acting_user

PERSONAL_DATA_PERMISSION = "customers.view_personal_data"


def can_view_personal_data(user: AbstractBaseUser | AnonymousUser) -> bool:
    """Phone, e-mail and address are shown and exported only with this permission (§5)."""
    person = acting_user(user)
    return bool(
        person is not None and person.is_active and person.has_perm(PERSONAL_DATA_PERMISSION)
    )
