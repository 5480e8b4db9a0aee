"""Errors under /api/ are JSON in one shape and never carry a stack trace."""

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def test_unexpected_exception_is_a_json_500_without_details(company, monkeypatch):
    def explode(*, user):
        raise RuntimeError("secret internals: password=hunter2")

    monkeypatch.setattr("allocation.api.views.org_unit_list", explode)
    client = Client(raise_request_exception=False)
    client.force_login(company.users["admin"])

    response = client.get("/api/v1/org-units/")

    assert response.status_code == 500
    assert response["Content-Type"] == "application/json"
    assert response.json() == {
        "message": "Something went wrong on our side. The error has been logged.",
        "code": "server_error",
    }
    assert b"hunter2" not in response.content
    assert b"Traceback" not in response.content


def test_unknown_api_url_is_a_json_404(company):
    response = Client().get("/api/v1/no-such-thing/")

    assert response.status_code == 404
    assert response.json() == {"message": "Not found.", "code": "not_found"}


def test_malformed_json_is_a_400_in_the_error_shape(client_as):
    response = client_as("admin").generic(
        "POST", "/api/v1/column-mappings/", "{not json", content_type="application/json"
    )

    assert response.status_code == 400
    assert response.json()["code"] == "parse_error"
    assert set(response.json()) == {"message", "code"}


def test_html_500_page_renders_even_when_the_page_context_fails(rf, monkeypatch):
    from salesalloc import views

    def broken(*args, **kwargs):
        raise RuntimeError("database is down")

    # the normal page needs its context processors (navigation queries the database)
    monkeypatch.setattr(views, "_error", broken)
    request = rf.get("/dashboard/")

    response = views.server_error(request)

    assert response.status_code == 500
    assert b"Traceback" not in response.content
    assert b"The error has been logged" in response.content
