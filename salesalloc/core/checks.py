"""System checks of our own (``manage.py check``)."""

from typing import Any

from django.conf import STATICFILES_STORAGE_ALIAS, settings
from django.contrib.staticfiles.storage import ManifestFilesMixin
from django.core.checks import CheckMessage, Error, Tags, register
from django.core.files.storage import storages


@register(Tags.staticfiles, deploy=True)
def static_files_collected(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """With a manifest storage (production), every page needs ``collectstatic`` to have run:
    say so at deploy time instead of answering 500 for each page."""
    storage = storages[STATICFILES_STORAGE_ALIAS]
    if not isinstance(storage, ManifestFilesMixin) or storage.exists(storage.manifest_name):
        return []
    return [
        Error(
            f"Static files are not collected: {storage.manifest_name} is missing in "
            f"STATIC_ROOT ({settings.STATIC_ROOT}), so every page would fail.",
            hint="Run `manage.py collectstatic --noinput` as part of each deploy.",
            id="core.E002",
        )
    ]
