"""The user an operation acts for, as the audit columns store it."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

if TYPE_CHECKING:
    # The project's user model (``AUTH_USER_MODEL`` is Django's default): what foreign keys
    # to users hold. Imported for type checking only, so nothing here depends on which.
    from django.contrib.auth.models import User


def acting_user(actor: AbstractBaseUser | AnonymousUser | None) -> User | None:
    """The signed-in user behind ``actor``; None for nobody or an anonymous visitor."""
    if actor is None or not actor.is_authenticated:
        return None
    return cast("User", actor)
