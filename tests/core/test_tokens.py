"""API tokens expire, can be revoked, are stored hashed, and die with a password change."""

from datetime import timedelta
from io import StringIO

import pytest
import time_machine
from django.conf import settings
from django.contrib.auth.management.commands import changepassword
from django.core.management import call_command
from django.test import Client, override_settings
from django.utils import timezone
from knox.models import AuthToken
from rest_framework.test import APIClient

from salesalloc.core.tokens import auth_token_create

pytestmark = pytest.mark.django_db

URL = "/api/v1/auth/token/"
PASSWORD = "pw-secret-123"
NEW_PASSWORD = "a-new-Pa55word-nobody-guesses"


def _sign_in(username: str, password: str = PASSWORD) -> str:
    response = APIClient().post(URL, {"username": username, "password": password})
    assert response.status_code == 200, response.content
    return response.json()["token"]


def _client(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def _works(key: str) -> bool:
    response = _client(key).get("/api/v1/org-units/")
    assert response.status_code in (200, 401), response.content
    return response.status_code == 200


def test_each_sign_in_issues_another_token_and_all_of_them_work(company):
    first = _sign_in("manager")
    second = _sign_in("manager")

    assert first != second
    assert _works(first)
    assert _works(second)
    assert AuthToken.objects.filter(user=company.users["manager"]).count() == 2


def test_only_a_digest_of_the_key_is_stored(company):
    key = _sign_in("manager")

    (row,) = AuthToken.objects.filter(user=company.users["manager"]).values()
    assert key not in {str(value) for value in row.values()}
    assert len(row["digest"]) == 128  # SHA-512 hex


def test_a_token_expires_after_the_configured_ttl(company):
    key = _sign_in("manager")
    token = AuthToken.objects.get(user=company.users["manager"])
    ttl = settings.REST_KNOX["TOKEN_TTL"]
    assert token.expiry - token.created == pytest.approx(ttl, abs=timedelta(seconds=5))

    with time_machine.travel(timezone.now() + ttl - timedelta(minutes=1), tick=False):
        assert _works(key)
    with time_machine.travel(timezone.now() + ttl + timedelta(minutes=1), tick=False):
        response = _client(key).get("/api/v1/org-units/")

    assert response.status_code == 401
    assert response.json() == {"message": "Invalid token.", "code": "authentication_failed"}
    assert not AuthToken.objects.exists()  # the expired row is gone


def test_the_ttl_comes_from_the_settings(company):
    with override_settings(REST_KNOX={**settings.REST_KNOX, "TOKEN_TTL": timedelta(hours=2)}):
        _sign_in("rep")

    token = AuthToken.objects.get(user=company.users["rep"])
    assert token.expiry - token.created == pytest.approx(
        timedelta(hours=2), abs=timedelta(seconds=5)
    )


def test_delete_revokes_the_callers_token_only(company):
    revoked = _sign_in("manager")
    kept = _sign_in("manager")

    response = _client(revoked).delete(URL)

    assert response.status_code == 204
    assert not _works(revoked)
    assert _works(kept)
    assert _client(revoked).delete(URL).status_code == 401


def test_delete_without_a_token_is_refused(company):
    anonymous = APIClient().delete(URL)
    session = APIClient()
    session.force_login(company.users["manager"])
    with_session = session.delete(URL)

    assert anonymous.status_code == 401
    assert with_session.status_code == 400
    assert with_session.json() == {
        "message": "Only a request authenticated with a token can revoke it.",
        "code": "no_token",
    }


@override_settings(SALESALLOC_TOKENS_PER_USER=3)
def test_a_user_keeps_at_most_the_configured_number_of_tokens(company):
    keys = [_sign_in("rep") for _ in range(4)]

    assert AuthToken.objects.filter(user=company.users["rep"]).count() == 3
    assert [_works(key) for key in keys] == [False, True, True, True]


def test_set_password_and_save_revokes_every_token_of_that_user_only(company):
    user = company.users["manager"]
    keys = [auth_token_create(user=user), auth_token_create(user=user)]
    other = auth_token_create(user=company.users["rep"])

    user.set_password(NEW_PASSWORD)
    user.save()

    assert not any(_works(key) for key in keys)
    assert _works(other)
    assert _works(_sign_in("manager", NEW_PASSWORD))


def test_a_sign_in_or_other_save_keeps_the_tokens(company):
    user = company.users["manager"]
    key = auth_token_create(user=user)

    Client().post("/login/", {"username": "manager", "password": PASSWORD})  # last_login
    _sign_in("manager")
    user.refresh_from_db()
    user.first_name = "Mona"
    user.save()

    assert _works(key)


def test_the_admin_password_change_form_revokes_the_tokens(company):
    user = company.users["manager"]
    key = auth_token_create(user=user)
    admin = Client()
    admin.force_login(company.users["admin"])

    response = admin.post(
        f"/admin/auth/user/{user.pk}/password/",
        {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD, "usable_password": "true"},
    )

    assert response.status_code == 302, response.content
    assert not _works(key)


def test_manage_py_changepassword_revokes_the_tokens(company, monkeypatch):
    key = auth_token_create(user=company.users["rep"])
    monkeypatch.setattr(changepassword.Command, "_get_pass", lambda self, prompt="": NEW_PASSWORD)

    call_command("changepassword", "rep", stdout=StringIO())

    assert not _works(key)
    assert _works(_sign_in("rep", NEW_PASSWORD))
