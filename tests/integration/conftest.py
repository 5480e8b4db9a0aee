"""A real Celery worker on Redis and PostgreSQL for the tests marked ``integration``.

The worker is a separate process (``celery -A salesalloc worker``) pointed at the test
database, listening on a queue unique to this test session, so stray workers on the same
Redis never take our tasks. Tests using it must commit their data (``transaction=True``).
"""

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from salesalloc.celery import app as celery_app

ROOT = Path(__file__).resolve().parents[2]


def _require_real_stack() -> None:
    if connection.vendor != "postgresql" or not settings.CELERY_BROKER_URL:
        message = "integration tests need DATABASE_URL (PostgreSQL) and REDIS_URL set"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)


@pytest.fixture(scope="session")
def celery_worker_process(django_db_setup, django_db_blocker, tmp_path_factory):
    """Start one real worker for the session; yields its queue name."""
    _require_real_stack()
    queue = f"salesalloc-test-{uuid.uuid4().hex[:8]}"
    db = connection.settings_dict
    database_url = (
        f"postgres://{db['USER'] or 'postgres'}:{db['PASSWORD'] or ''}@{db['HOST'] or '127.0.0.1'}"
        f":{db['PORT'] or 5432}/{db['NAME']}"
    )
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "salesalloc.settings.base",
        "DATABASE_URL": database_url,
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        "CELERY_TASK_DEFAULT_QUEUE": queue,
        "SALESALLOC_BACKGROUND_THREAD": "false",
        "DJANGO_CONN_MAX_AGE": "0",
        "SALESALLOC_VAR_DIR": str(tmp_path_factory.mktemp("worker-var")),
        "DJANGO_MEDIA_ROOT": settings.MEDIA_ROOT,
    }
    log_path = tmp_path_factory.mktemp("worker") / "worker.log"
    name = f"{queue}@localhost"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "salesalloc",
                "worker",
                "-Q",
                queue,
                "-n",
                name,
                "-c",
                "2",
                "--pool",
                "prefork",
                "--loglevel",
                "INFO",
                "--without-gossip",
                "--without-mingle",
            ],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                pytest.fail(f"celery worker exited: {log_path.read_text()[-3000:]}")
            if celery_app.control.ping(destination=[name], timeout=0.5):
                break
        else:
            pytest.fail(f"celery worker did not start: {log_path.read_text()[-3000:]}")
        yield queue
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.fixture
def on_worker(celery_worker_process, settings):
    """Route this test's tasks to the real worker instead of running them in-process."""
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.SALESALLOC_BACKGROUND_THREAD = False
    conf = celery_app.conf
    saved = (conf.task_always_eager, conf.task_default_queue)
    conf.task_always_eager = False
    conf.task_default_queue = celery_worker_process
    yield celery_worker_process
    conf.task_always_eager, conf.task_default_queue = saved


def wait_for(predicate, *, timeout: float = 60, interval: float = 0.2):
    """Poll ``predicate`` until it returns something truthy (then return it) or time out."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"condition not met within {timeout}s")
