"""Text already stored with control characters never breaks a download (API and page)."""

import io

import pytest
from django.test import Client
from openpyxl import load_workbook

pytestmark = pytest.mark.django_db

DOWNLOADS = [
    ("api", "/api/v1/orders/export/", {"format": "xlsx"}),
    ("api", "/api/v1/orders/export/", {"format": "csv"}),
    ("api", "/api/v1/customers/export/", {"format": "xlsx"}),
    ("api", "/api/v1/customers/export/", {"format": "csv"}),
    ("page", "/orders/export.xlsx", {}),
    ("page", "/orders/export.csv", {}),
]


@pytest.mark.parametrize(("door", "url", "params"), DOWNLOADS)
def test_a_stored_name_with_a_control_character_downloads(
    client_as, company, sales, door, url, params
):
    sales.south_customer.name = "South\x0bwind\x01"
    sales.south_customer.save(update_fields=["name"])
    if door == "api":
        client = client_as("admin")
    else:
        client = Client()
        client.force_login(company.users["admin"])

    response = client.get(url, params)

    assert response.status_code == 200
    body = response.content if hasattr(response, "content") else b""
    if url.endswith("xlsx") or params.get("format") == "xlsx":
        sheet = load_workbook(io.BytesIO(body)).active
        values = {cell for row in sheet.iter_rows(values_only=True) for cell in row}
        assert "Southwind" in values
    else:
        text = b"".join(response.streaming_content).decode("utf-8-sig")
        assert "South\x0bwind\x01" in text
