"""Order imports through the REST API, run by a real Celery worker on Redis + PostgreSQL."""

from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from allocation.models import ActualCell
from customers.models import ImportJob, OrderLine
from salesalloc.core.tokens import auth_token_create
from tests.integration.conftest import wait_for

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

FILE = (
    "订单号,日期,客户编码,业务员,产品线,金额\n"
    'SO-1,2019-03-05,C-1,S-N1,FUR-CH,"1,200.50"\n'
    "SO-1,2019-03-05,C-1,S-N2,TEC-PH,99.5\n"
    "SO-2,2019-04-01,C-2,S-N1,Tables,-5.25\n"
).encode("gb18030")


def _client(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {auth_token_create(user=user)}")
    return client


def _post(client: APIClient) -> dict:
    response = client.post(
        "/api/v1/imports/",
        {"file": SimpleUploadedFile("订单.csv", FILE)},
        format="multipart",
    )
    assert response.status_code == 202, response.json()
    return response.json()


def _done(job_id: int) -> ImportJob | None:
    job = ImportJob.objects.get(pk=job_id)
    finished = job.status in ("succeeded", "failed") and job.recompute_status != "pending"
    return job if finished and job.recompute_status != "running" else None


def test_import_over_the_api_runs_on_the_worker_and_refreshes_actuals(company, on_worker):
    client = _client(company.users["manager"])

    queued = _post(client)

    assert queued["status"] == "queued"
    job = wait_for(lambda: _done(queued["id"]))
    assert (job.status, job.rows_imported, job.recompute_status) == ("succeeded", 3, "succeeded")
    body = client.get(f"/api/v1/imports/{job.pk}/").json()
    assert (body["rows_done"], body["rows_total"], body["errors"]) == (3, 3, [])
    amounts = dict(ActualCell.objects.values_list("salesperson__code", "amount").order_by())
    assert sum(ActualCell.objects.values_list("amount", flat=True)) == Decimal("1294.75")
    assert set(amounts) == {"S-N1", "S-N2"}


def test_two_concurrent_imports_of_one_file_on_two_worker_processes_store_it_once(
    company, on_worker
):
    client = _client(company.users["admin"])

    with ThreadPoolExecutor(max_workers=2) as pool:
        jobs = list(pool.map(lambda _: _post(client), range(2)))

    finished = [wait_for(lambda job=job: _done(job["id"])) for job in jobs]
    assert [job.status for job in finished] == ["succeeded", "succeeded"]
    assert sorted(job.rows_inserted for job in finished) == [0, 3]
    assert OrderLine.objects.count() == 3
    assert sum(ActualCell.objects.values_list("amount", flat=True)) == Decimal("1294.75")
