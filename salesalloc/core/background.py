"""Start Celery tasks after the current transaction commits.

On a broker the task goes to a worker. In the embedded mode (no broker) it runs in-process:
on one background thread when ``SALESALLOC_BACKGROUND_THREAD`` is set (so web requests return
at once and pages can poll progress), otherwise inline (tests, commands).
"""

import logging
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from celery import Task
from django.conf import settings
from django.db import close_old_connections, connections, transaction

logger = logging.getLogger(__name__)
_executor: ThreadPoolExecutor | None = None


def _run_in_thread(task: Task, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    try:
        task.apply(args=args, kwargs=kwargs, throw=True)
    except Exception:
        logger.exception("background task %s failed", task.name)
    finally:
        close_old_connections()
        connections.close_all()


def enqueue(task: Task, *args: Any, **kwargs: Any) -> None:
    """Send ``task`` now (no transaction check); see ``enqueue_on_commit``."""
    global _executor
    if settings.SALESALLOC_BACKGROUND_THREAD:
        if _executor is None:
            _executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="salesalloc-bg")
        _executor.submit(_run_in_thread, task, args, kwargs)
    else:
        task.apply_async(args=args, kwargs=kwargs)


def enqueue_on_commit(task: Task, *args: Any, **kwargs: Any) -> None:
    """Send ``task`` with JSON-safe arguments once the surrounding transaction commits."""
    transaction.on_commit(lambda: enqueue(task, *args, **kwargs))
