"""System checks of our own (``manage.py check``; the deploy ones with ``--deploy``)."""

from typing import Any

from celery import current_app
from django.conf import STATICFILES_STORAGE_ALIAS, settings
from django.contrib.staticfiles.storage import ManifestFilesMixin
from django.core.checks import CheckMessage, Error, Tags, register
from django.core.files.storage import storages


@register()
def visibility_timeout_check(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    """Redis must not redeliver a task that is still running: visibility > every time limit.

    Looks at the tasks registered so far (the apps' tasks modules are imported by then).
    """
    visibility = settings.CELERY_BROKER_TRANSPORT_OPTIONS.get("visibility_timeout")
    if visibility is None:
        return [
            Error(
                "CELERY_BROKER_TRANSPORT_OPTIONS has no visibility_timeout.",
                hint="Set CELERY_BROKER_VISIBILITY_TIMEOUT.",
                id="core.E001",
            )
        ]
    limits = {"CELERY_TASK_TIME_LIMIT": settings.CELERY_TASK_TIME_LIMIT}
    for name, task in current_app.tasks.items():
        if getattr(task, "time_limit", None):
            limits[name] = task.time_limit
    return [
        Error(
            f"The broker's visibility timeout ({visibility}s) is not above the time limit of "
            f"{name} ({limit}s): a long task would be delivered twice.",
            hint="Raise CELERY_BROKER_VISIBILITY_TIMEOUT or lower the time limit.",
            id="core.E001",
        )
        for name, limit in limits.items()
        if limit >= visibility
    ]


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
