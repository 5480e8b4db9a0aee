"""A dead broker or database answers a clean 503 (JSON under /api/, a page elsewhere).

The broker is "down" by pointing Celery at a closed local port; the database by pointing
the connection at one (PostgreSQL) or, on the embedded SQLite (an in-memory test database
that cannot be disconnected), by refusing every query through Django's execute wrapper.
Uploads use transactional tests, so the after-commit enqueue really runs.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import OperationalError, connection
from django.test import Client
from rest_framework.test import APIClient

from customers.models import ImportJob
from salesalloc.celery import app as celery_app
from tests.customers.import_support import csv_text, job_create

FILE = csv_text("SO-1,2019-03-05,C-1,S-N1,FUR-CH,10").encode()


@pytest.fixture
def broker_down(settings) -> Iterator[None]:
    """Celery publishes to a closed port (as when Redis is down)."""
    conf = celery_app.conf
    saved = (conf.broker_url, conf.task_always_eager)  # read before settings change below
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.SALESALLOC_BACKGROUND_THREAD = False
    conf.broker_url = "redis://127.0.0.1:1/0"
    conf.task_always_eager = False
    celery_app._after_fork()  # drop pooled connections to the real broker
    yield
    conf.broker_url, conf.task_always_eager = saved
    celery_app._after_fork()


@contextmanager
def database_down() -> Iterator[None]:
    if connection.vendor == "postgresql":
        connection.close()
        port = connection.settings_dict["PORT"]
        connection.settings_dict["PORT"] = 1
        try:
            yield
        finally:
            connection.close()
            connection.settings_dict["PORT"] = port
        return

    def refuse(execute, sql, params, many, context):
        raise OperationalError("unable to open database file")

    with connection.execute_wrapper(refuse):
        yield


def _stored_uploads() -> list[Path]:
    root = Path(django_settings.MEDIA_ROOT) / "imports"
    return [path for path in root.rglob("*") if path.is_file()] if root.exists() else []


@pytest.mark.django_db(transaction=True)
def test_api_upload_with_the_broker_down_is_a_quick_503_leaving_no_job(company, broker_down):
    client = APIClient()
    client.force_authenticate(company.users["manager"])
    files_before = _stored_uploads()

    started = time.monotonic()
    response = client.post(
        "/api/v1/imports/", {"file": SimpleUploadedFile("o.csv", FILE)}, format="multipart"
    )
    elapsed = time.monotonic() - started

    assert response.status_code == 503
    assert response.json()["code"] == "broker_unavailable"
    assert "nothing was queued" in response.json()["message"]
    assert response["Retry-After"] == "60"
    assert elapsed < 3
    assert not ImportJob.objects.exists()
    assert _stored_uploads() == files_before


@pytest.mark.django_db(transaction=True)
def test_page_upload_with_the_broker_down_is_a_503_form_leaving_no_job(company, broker_down):
    client = Client()
    client.force_login(company.users["manager"])
    files_before = _stored_uploads()

    response = client.post(
        "/imports/", {"file": SimpleUploadedFile("o.csv", FILE), "mode": "all_or_nothing"}
    )

    assert response.status_code == 503
    assert "nothing was queued" in response.content.decode()
    assert not ImportJob.objects.exists()
    assert _stored_uploads() == files_before


@pytest.mark.django_db(transaction=True)
def test_retry_with_the_broker_down_is_a_503_and_the_job_stays_failed(company, broker_down):
    job = job_create(FILE.decode(), actor=company.users["manager"])
    ImportJob.objects.filter(pk=job.pk).update(status="failed", message="The worker died.")
    client = APIClient()
    client.force_authenticate(company.users["manager"])

    response = client.post(f"/api/v1/imports/{job.pk}/retry/")

    assert response.status_code == 503
    job.refresh_from_db()
    assert (job.status, job.message) == ("failed", "The worker died.")

    page = Client()
    page.force_login(company.users["manager"])
    response = page.post(f"/imports/{job.pk}/retry/")
    assert response.status_code == 503
    assert "Temporarily unavailable" in response.content.decode()
    assert ImportJob.objects.get(pk=job.pk).status == "failed"


@pytest.mark.django_db(transaction=True)
def test_api_with_the_database_down_is_a_json_503(company):
    client = APIClient()
    client.force_authenticate(company.users["admin"])

    with database_down():
        response = client.get("/api/v1/imports/")

    assert response.status_code == 503
    assert response.json() == {
        "message": "The database cannot be reached right now. Please try again in a few minutes.",
        "code": "database_unavailable",
    }


@pytest.mark.django_db(transaction=True)
def test_page_with_the_database_down_is_a_503_page(company):
    client = Client(raise_request_exception=False)
    client.force_login(company.users["admin"])

    with database_down():
        response = client.get("/imports/")

    assert response.status_code == 503
    body = response.content.decode()
    assert "The database cannot be reached right now." in body
    assert "Traceback" not in body
