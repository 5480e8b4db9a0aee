"""POST /api/v1/auth/token/ and the two ways to authenticate (token, session + CSRF)."""

import pytest
from django.conf import settings
from django.middleware.csrf import _get_new_csrf_string
from knox.models import AuthToken
from rest_framework.test import APIClient

from salesalloc.core.tokens import auth_token_create

pytestmark = pytest.mark.django_db

URL = "/api/v1/auth/token/"
BAD_CREDENTIALS = {
    "message": "Unable to log in with provided credentials.",
    "code": "invalid",
    "fields": {"non_field_errors": ["Unable to log in with provided credentials."]},
}


def test_good_credentials_give_a_token_that_then_authenticates(company):
    client = APIClient()

    response = client.post(URL, {"username": "manager", "password": "pw-secret-123"})

    assert response.status_code == 200
    assert list(response.json()) == ["token"]
    key = response.json()["token"]
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert client.get("/api/v1/salespeople/").json()["count"] == 2


@pytest.mark.parametrize(
    "payload",
    [
        {"username": "manager", "password": "wrong"},
        {"username": "no-such-user", "password": "pw-secret-123"},
    ],
)
def test_bad_credentials_are_400_with_the_error_shape(company, payload):
    response = APIClient().post(URL, payload)

    assert response.status_code == 400
    assert response.json() == BAD_CREDENTIALS
    assert not AuthToken.objects.exists()


def test_missing_fields_are_named(company):
    response = APIClient().post(URL, {"username": "manager"})

    assert response.status_code == 400
    assert response.json() == {
        "message": "password: This field is required.",
        "code": "invalid",
        "fields": {"password": ["This field is required."]},
    }


def test_inactive_users_get_no_token_and_lose_the_one_they_had(company):
    user = company.users["manager"]
    key = auth_token_create(user=user)
    user.is_active = False
    user.save()

    response = APIClient().post(URL, {"username": "manager", "password": "pw-secret-123"})

    assert response.status_code == 400
    assert response.json() == BAD_CREDENTIALS
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    refused = client.get("/api/v1/salespeople/")
    assert refused.status_code == 401
    assert refused.json() == {
        "message": "User inactive or deleted.",
        "code": "authentication_failed",
    }


def test_an_invalid_token_is_401(company):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")

    response = client.get("/api/v1/org-units/")

    assert response.status_code == 401
    assert response.json() == {"message": "Invalid token.", "code": "authentication_failed"}
    assert response["WWW-Authenticate"] == "Token"


def test_session_auth_reads_without_csrf(company):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(company.users["manager"])

    response = client.get("/api/v1/org-units/")

    assert response.status_code == 200
    assert response.json()["count"] == 2


def test_session_auth_write_without_a_csrf_token_is_refused(company):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(company.users["admin"])

    response = client.post(
        "/api/v1/column-mappings/",
        {"name": "ERP", "columns": {"amount": "Sales"}},
        format="json",
    )

    assert response.status_code == 403
    assert response.json() == {
        "message": "CSRF Failed: CSRF cookie not set.",
        "code": "permission_denied",
    }


def test_session_auth_write_with_the_csrf_token_passes(company):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(company.users["admin"])
    secret = _get_new_csrf_string()
    client.cookies[settings.CSRF_COOKIE_NAME] = secret

    response = client.post(
        "/api/v1/column-mappings/",
        {"name": "ERP", "columns": {"amount": "Sales"}},
        format="json",
        HTTP_X_CSRFTOKEN=secret,
    )

    assert response.status_code == 201


def test_token_auth_needs_no_csrf_token(client_as, company):
    client = client_as("admin")
    client.handler.enforce_csrf_checks = True

    response = client.post(
        "/api/v1/column-mappings/",
        {"name": "ERP", "columns": {"amount": "Sales"}},
        format="json",
    )

    assert response.status_code == 201
