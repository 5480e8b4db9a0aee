from pathlib import Path

from django.apps import AppConfig
from django.conf import settings


def ensure_local_dirs() -> None:
    """Create the SQLite file's folder and STATIC_ROOT if missing (settings create nothing)."""
    database = settings.DATABASES["default"]
    if database["ENGINE"] == "django.db.backends.sqlite3" and str(database["NAME"]) not in (
        "",
        ":memory:",
    ):
        Path(database["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    # whitenoise warns on every request when STATIC_ROOT does not exist.
    Path(settings.STATIC_ROOT).mkdir(parents=True, exist_ok=True)


class CoreConfig(AppConfig):
    """The floor: leaf utilities every app may import. It imports no app."""

    name = "salesalloc.core"
    label = "core"
    verbose_name = "salesalloc core"

    def ready(self) -> None:
        from django.contrib.auth import get_user_model
        from django.db.models.signals import pre_save

        from salesalloc.core import checks, schema  # noqa: F401  (system checks, OpenAPI)
        from salesalloc.core.tokens import revoke_tokens_on_password_change

        pre_save.connect(
            revoke_tokens_on_password_change,
            sender=get_user_model(),
            dispatch_uid="salesalloc.revoke_tokens_on_password_change",
        )
        ensure_local_dirs()
