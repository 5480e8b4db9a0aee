"""System checks of the task settings (run by ``manage.py check`` and at worker start)."""

from typing import Any

from celery import current_app
from django.conf import settings
from django.core.checks import Error, register


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
