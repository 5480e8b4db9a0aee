"""Hostile files on the real stack: a worker that reads them fails the job naming the limit
and stays up for the next job (on old code a hidden far cell aborted the worker process)."""

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from allocation.models import PlanUpload
from customers.models import ImportJob, OrderLine
from salesalloc.core.tokens import auth_token_create
from tests.allocation.test_plan_support import make_plan
from tests.hostile_files import far_cell_xlsx, inline_row, sheet_xlsx, sheet_xml
from tests.integration.conftest import wait_for

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

HEADER = ["order_id", "order_date", "customer_code", "salesperson_code", "product_line", "amount"]


def _client(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {auth_token_create(user=user)}")
    return client


def _import(client: APIClient, name: str, data: bytes) -> ImportJob:
    response = client.post("/api/v1/imports/", {"file": SimpleUploadedFile(name, data)})
    assert response.status_code == 202, response.json()
    job_id = response.json()["id"]
    # Finished, and so is the recompute it started (the test's teardown empties the tables).
    return wait_for(
        lambda: (
            ImportJob.objects.filter(pk=job_id, status__in=["succeeded", "failed"])
            .exclude(recompute_status__in=["pending", "running"])
            .first()
        )
    )


def test_a_hidden_far_cell_fails_the_job_and_the_worker_imports_the_next_file(company, on_worker):
    client = _client(company.users["manager"])
    header = inline_row(1, {chr(65 + i): name for i, name in enumerate(HEADER)})
    values = ["SO-1", "2019-03-05", "C-1", "S-N1", "FUR-CH", 10]
    row = inline_row(2, dict(zip("ABCDEF", values, strict=True)))
    hostile = sheet_xlsx(sheet_xml(header + row + inline_row(1048576, {"XFD": "x"})))

    failed = _import(client, "orders.xlsx", hostile)

    assert failed.status == "failed"
    assert "SALESALLOC_SHEET_MAX_COLUMNS" in failed.message
    assert not OrderLine.objects.exists()
    good = _import(client, "orders.xlsx", sheet_xlsx(sheet_xml(header + row)))
    assert (good.status, good.rows_imported) == ("succeeded", 1)
    assert OrderLine.objects.get().amount == Decimal(10)


def test_a_csv_with_a_row_of_trailing_commas_imports_on_the_worker(company, on_worker):
    client = _client(company.users["manager"])
    rows = [f"SO-{n},2019-03-05,C-1,S-N1,FUR-CH,10" for n in range(5000)]
    rows[17] += "," * 30_000
    data = ("\n".join([",".join(HEADER), *rows]) + "\n").encode()

    job = _import(client, "orders.csv", data)

    assert (job.status, job.rows_imported) == ("succeeded", 5000)


def test_a_plan_sheet_upload_is_applied_by_the_worker(company, on_worker):
    plan = make_plan(company)
    client = _client(company.users["manager"])
    response = client.post(
        f"/api/v1/plans/{plan.pk}/upload/",
        {"file": SimpleUploadedFile("plan.xlsx", far_cell_xlsx(dimension="A1"))},
    )
    assert response.status_code == 202, response.json()

    upload = wait_for(
        lambda: PlanUpload.objects.filter(
            pk=response.json()["id"], status__in=["succeeded", "failed"]
        ).first()
    )

    assert upload.status == "failed"
    assert "SALESALLOC_SHEET_MAX_COLUMNS" in upload.errors[0]["message"]
    body = client.get(response.json()["url"]).json()
    assert (body["status"], body["code"]) == ("failed", "cells_rejected")
