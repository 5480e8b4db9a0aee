"""Start Celery work after the current transaction commits.

On a broker the task goes to a worker. In the embedded mode (no broker) it runs in-process:
on one background thread when ``SALESALLOC_BACKGROUND_THREAD`` is set (so web requests return
at once and pages can poll progress), otherwise inline (tests, management commands).

A broker that cannot be reached raises ``BrokerUnavailableError`` (HTTP 503) within a few
seconds (``CELERY_BROKER_CONNECTION_TIMEOUT`` and the publish retry policy in settings);
callers undo what they created for the task (see ``customers.services.imports``).
"""

import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from celery import Task
from django.conf import settings
from django.db import close_old_connections, connections, transaction

from salesalloc.core.outages import BROKER_ERRORS, BrokerUnavailableError

logger = logging.getLogger(__name__)
_executor: ThreadPoolExecutor | None = None


def _guarded(fn: Callable[[], Any]) -> None:
    try:
        fn()
    except Exception:
        logger.exception("background work failed")
    finally:
        close_old_connections()
        connections.close_all()


def run_in_background(fn: Callable[[], Any]) -> None:
    """Embedded mode: run ``fn`` on the single background thread (or inline when disabled)."""
    global _executor
    if not settings.SALESALLOC_BACKGROUND_THREAD:
        fn()
        return
    if _executor is None:
        _executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="salesalloc-bg")
    _executor.submit(_guarded, fn)


def broker_send(send: Callable[[], Any]) -> Any:
    """Call ``send`` (an ``apply_async``); a broker outage becomes ``BrokerUnavailableError``."""
    try:
        return send()
    except BROKER_ERRORS as exc:
        logger.error("could not reach the broker: %s", exc)
        raise BrokerUnavailableError() from exc


def enqueue(task: Task, *args: Any, **kwargs: Any) -> None:
    """Send ``task`` now: to the broker, to the background thread, or inline when eager."""
    if settings.CELERY_TASK_ALWAYS_EAGER and settings.SALESALLOC_BACKGROUND_THREAD:
        run_in_background(lambda: task.apply(args=args, kwargs=kwargs, throw=True))
    elif settings.CELERY_TASK_ALWAYS_EAGER:
        task.apply_async(args=args, kwargs=kwargs)
    else:
        broker_send(lambda: task.apply_async(args=args, kwargs=kwargs))


def enqueue_on_commit(task: Task, *args: Any, **kwargs: Any) -> None:
    """Send ``task`` with JSON-safe arguments once the surrounding transaction commits.

    When the broker is down, ``BrokerUnavailableError`` propagates from the commit.
    """
    transaction.on_commit(lambda: enqueue(task, *args, **kwargs))
