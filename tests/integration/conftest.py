"""A real Celery worker on Redis and PostgreSQL for the tests marked ``integration``.

The worker is a separate process (``celery -A salesalloc worker``) pointed at the test
database, listening on a queue unique to this test session, so stray workers on the same
Redis never take our tasks. Tests using it must commit their data (``transaction=True``).
"""

import os
import signal
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
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


@dataclass
class Worker:
    """A worker process started by ``worker_start`` (its own process group)."""

    proc: subprocess.Popen
    name: str
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-4000:]

    def stop(self) -> None:
        if self.proc.poll() is not None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)


def worker_start(
    queue: str,
    log_dir: Path,
    *,
    env: dict[str, str] | None = None,
    concurrency: int = 2,
    beat: bool = False,
) -> Worker:
    """Start ``celery worker`` on the test database and ``queue``; wait until it answers.

    The worker leads a new process group (``os.killpg(worker.proc.pid, …)`` kills it with
    its pool children); ``env`` adds settings; ``beat`` embeds the beat scheduler.
    """
    db = connection.settings_dict
    database_url = (
        f"postgres://{db['USER'] or 'postgres'}:{db['PASSWORD'] or ''}@{db['HOST'] or '127.0.0.1'}"
        f":{db['PORT'] or 5432}/{db['NAME']}"
    )
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "salesalloc.settings.base",
        "DATABASE_URL": database_url,
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        "CELERY_TASK_DEFAULT_QUEUE": queue,
        "SALESALLOC_BACKGROUND_THREAD": "false",
        "DJANGO_CONN_MAX_AGE": "0",
        "SALESALLOC_VAR_DIR": str(log_dir / "var"),
        "DJANGO_MEDIA_ROOT": settings.MEDIA_ROOT,
        **(env or {}),
    }
    name = f"{queue}-{uuid.uuid4().hex[:4]}@localhost"
    log_path = log_dir / f"{name}.log"
    command = [
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
        str(concurrency),
        "--pool",
        "prefork",
        "--loglevel",
        "INFO",
        "--without-gossip",
        "--without-mingle",
    ]
    if beat:
        command += ["--beat", "--schedule", str(log_dir / f"beat-{name}")]
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
            command,
            cwd=ROOT,
            env=environment,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    worker = Worker(proc=proc, name=name, log_path=log_path)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"celery worker exited: {worker.log()}")
        if celery_app.control.ping(destination=[name], timeout=0.5):
            return worker
    worker.stop()
    pytest.fail(f"celery worker did not start: {worker.log()}")


@pytest.fixture(scope="session")
def celery_worker_process(django_db_setup, django_db_blocker, tmp_path_factory):
    """Start one real worker for the session; yields its queue name."""
    _require_real_stack()
    queue = f"salesalloc-test-{uuid.uuid4().hex[:8]}"
    worker = worker_start(queue, tmp_path_factory.mktemp("worker"))
    try:
        yield queue
    finally:
        worker.stop()


@pytest.fixture
def own_queue(django_db_setup, settings):
    """Route this test's tasks to a queue of its own (for workers the test starts itself)."""
    _require_real_stack()
    queue = f"salesalloc-crash-{uuid.uuid4().hex[:8]}"
    conf = celery_app.conf
    saved = (conf.task_always_eager, conf.task_default_queue)  # before the settings change
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.SALESALLOC_BACKGROUND_THREAD = False
    conf.task_always_eager = False
    conf.task_default_queue = queue
    yield queue
    conf.task_always_eager, conf.task_default_queue = saved


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
