"""API tokens: issue, revoke, and revoke them all when a password changes.

Tokens are django-rest-knox ``AuthToken`` rows: only a SHA-512 digest of the key is stored,
each expires after ``REST_KNOX["TOKEN_TTL"]`` (``SALESALLOC_TOKEN_TTL_HOURS``), and a user may
hold several (one per integration), at most ``SALESALLOC_TOKENS_PER_USER``: issuing one more
drops the oldest.
"""

from typing import Any

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction
from django.utils import timezone
from knox.auth import TokenAuthentication
from knox.models import AuthToken


class ExpiringTokenAuthentication(TokenAuthentication):
    """knox's ``Authorization: Token <key>``, one query per request.

    knox also sweeps the user's other expired tokens on every request (one more query);
    here an expired token is refused and deleted when used, and the rest are swept when
    the user is issued a new token.
    """

    def _cleanup_token(self, auth_token: AuthToken) -> bool:
        if auth_token.expiry is not None and auth_token.expiry < timezone.now():
            auth_token.delete()
            return True
        return False


@transaction.atomic
def auth_token_create(*, user: AbstractBaseUser) -> str:
    """Issue a new token for ``user`` and return its key (shown once, stored hashed).

    Also deletes the user's expired tokens and, beyond ``SALESALLOC_TOKENS_PER_USER``, the
    oldest ones.
    """
    AuthToken.objects.filter(user=user, expiry__lt=timezone.now()).delete()
    _, key = AuthToken.objects.create(user=user)
    keep = settings.SALESALLOC_TOKENS_PER_USER
    stale = AuthToken.objects.filter(user=user).order_by("-created", "-pk")[keep:]
    AuthToken.objects.filter(pk__in=list(stale.values_list("pk", flat=True))).delete()
    return key


def auth_token_revoke(*, token: AuthToken) -> None:
    """Revoke one token (the one a client authenticated with)."""
    token.delete()


def auth_tokens_revoke_all(*, user_id: int) -> int:
    """Revoke every token of one user; return how many there were."""
    deleted, _ = AuthToken.objects.filter(user_id=user_id).delete()
    return deleted


def revoke_tokens_on_password_change(
    sender: type[AbstractBaseUser],
    instance: AbstractBaseUser,
    raw: bool = False,
    update_fields: Any = None,
    **kwargs: Any,
) -> None:
    """``pre_save`` receiver on the user model: a changed password hash revokes all tokens.

    A signal because every path that changes a password (the admin, ``changepassword``,
    ``set_password`` + ``save`` anywhere) is Django's code or the caller's, not ours. Saves
    that name their fields without ``password`` (``last_login`` on every sign-in) cost no
    query. Django re-hashing a password on sign-in after a hasher upgrade also counts as a
    change, once.
    """
    if raw or instance.pk is None:
        return
    if update_fields is not None and "password" not in update_fields:
        return
    stored = sender._default_manager.filter(pk=instance.pk).values_list("password", flat=True)
    previous = stored.first()
    if previous is not None and previous != instance.password:
        auth_tokens_revoke_all(user_id=instance.pk)
