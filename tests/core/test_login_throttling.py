"""Sign-in throttling (django-axes) per account and per address, on the browser login and the
token endpoint alike; client addresses come from trusted proxies only; Redis down is no 500."""

from datetime import timedelta

import pytest
import time_machine
from django.core.cache import cache
from django.test import Client, RequestFactory, override_settings
from django.utils import timezone
from rest_framework.test import APIClient

from salesalloc.core.security import client_ip

pytestmark = pytest.mark.django_db

URL = "/api/v1/auth/token/"
PASSWORD = "pw-secret-123"
LIMIT = 3
LOCKED_MESSAGE = "Too many failed sign-in attempts. Try again in 15 minutes."
LOCKED = {"message": LOCKED_MESSAGE, "code": "locked_out"}


@pytest.fixture(autouse=True)
def _small_limit(settings):
    settings.AXES_FAILURE_LIMIT = LIMIT
    settings.AXES_COOLOFF_TIME = timedelta(minutes=15)


def _token(username: str, password: str, ip: str = "10.0.0.1", **headers: str):
    return APIClient().post(
        URL, {"username": username, "password": password}, REMOTE_ADDR=ip, **headers
    )


def _browser(username: str, password: str, ip: str = "10.0.0.1", **headers: str):
    return Client().post(
        "/login/", {"username": username, "password": password}, REMOTE_ADDR=ip, **headers
    )


def test_token_endpoint_locks_an_account_after_the_limit_even_with_the_right_password(company):
    answers = [_token("manager", "wrong", ip=f"10.0.1.{n}").status_code for n in range(LIMIT)]

    locked = _token("manager", PASSWORD, ip="10.0.2.1")

    assert answers[: LIMIT - 1] == [400] * (LIMIT - 1)
    assert answers[-1] == 429  # the failure that reaches the limit already locks
    assert locked.status_code == 429
    assert locked.json() == LOCKED
    assert locked["Retry-After"] == "900"
    assert _token("rep", PASSWORD, ip="10.0.2.1").status_code == 200  # other accounts unaffected


def test_the_lock_ends_after_the_cool_off(company):
    for _ in range(LIMIT):
        _token("manager", "wrong")

    with time_machine.travel(timezone.now() + timedelta(minutes=16), tick=False):
        response = _token("manager", PASSWORD)

    assert response.status_code == 200
    assert "token" in response.json()


def test_one_address_trying_many_accounts_is_locked_out(company):
    for name in ["admin", "director", "nobody"][:LIMIT]:
        _token(name, "wrong", ip="10.0.0.9")

    from_that_address = _token("rep", PASSWORD, ip="10.0.0.9")
    from_elsewhere = _token("rep", PASSWORD, ip="10.0.0.10")

    assert from_that_address.status_code == 429
    assert from_elsewhere.status_code == 200


def test_the_browser_login_is_limited_and_says_so(company):
    answers = [_browser("manager", "wrong").status_code for _ in range(LIMIT - 1)]

    locked = _browser("manager", "wrong")
    right_password = _browser("manager", PASSWORD, ip="10.9.9.9")

    assert answers == [200] * (LIMIT - 1)  # the form again, with its error
    assert locked.status_code == 429
    assert right_password.status_code == 429
    html = right_password.content.decode()
    assert LOCKED_MESSAGE in html
    assert 'name="csrfmiddlewaretoken"' in html
    assert right_password["Retry-After"] == "900"


def test_browser_and_token_failures_count_together(company):
    _browser("manager", "wrong")
    _token("manager", "wrong")
    _browser("manager", "wrong")

    assert _token("manager", PASSWORD).status_code == 429


def test_rotating_x_forwarded_for_does_not_reset_the_per_address_limit(company):
    for n, name in enumerate(["admin", "director", "nobody"][:LIMIT]):
        _token(name, "wrong", HTTP_X_FORWARDED_FOR=f"203.0.113.{n}")

    response = _token("rep", PASSWORD, HTTP_X_FORWARDED_FOR="203.0.113.200")

    assert response.status_code == 429


@override_settings(SALESALLOC_TRUSTED_PROXIES=1)
def test_behind_one_trusted_proxy_the_proxy_written_address_counts(company):
    # The proxy at 10.0.0.1 appends the address it saw; whatever the client wrote before
    # that (the left part) changes with every request and must not matter.
    for n, name in enumerate(["admin", "director", "nobody"][:LIMIT]):
        _token(name, "wrong", HTTP_X_FORWARDED_FOR=f"198.51.100.{n}, 192.0.2.7")

    same_client = _token("rep", PASSWORD, HTTP_X_FORWARDED_FOR="198.51.100.99, 192.0.2.7")
    other_client = _token("rep", PASSWORD, HTTP_X_FORWARDED_FOR="192.0.2.8")

    assert same_client.status_code == 429
    assert other_client.status_code == 200


@pytest.mark.parametrize(
    ("proxies", "forwarded", "expected"),
    [
        (0, "", "10.0.0.1"),
        (0, "203.0.113.5", "10.0.0.1"),
        (1, "203.0.113.5", "203.0.113.5"),
        (1, "6.6.6.6, 203.0.113.5", "203.0.113.5"),
        (2, "6.6.6.6, 203.0.113.5, 10.1.1.1", "203.0.113.5"),
        (2, "203.0.113.5", "203.0.113.5"),
        (1, "not-an-address", "10.0.0.1"),
        (1, " 2001:db8::1 ", "2001:db8::1"),
    ],
)
def test_client_ip_trusts_only_the_configured_proxies(settings, proxies, forwarded, expected):
    settings.SALESALLOC_TRUSTED_PROXIES = proxies
    headers = {"HTTP_X_FORWARDED_FOR": forwarded} if forwarded else {}
    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.1", **headers)

    assert client_ip(request) == expected


def test_the_anonymous_throttle_ignores_a_rotating_x_forwarded_for(company, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"anon": "3/minute"},
    }
    cache.clear()

    answers = [
        _token("rep", PASSWORD, HTTP_X_FORWARDED_FOR=f"203.0.113.{n}").status_code for n in range(4)
    ]

    cache.clear()
    assert answers == [200, 200, 200, 429]


REDIS_DOWN = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens on port 1
    }
}


@override_settings(CACHES=REDIS_DOWN)
def test_with_redis_down_the_token_endpoint_still_answers(company):
    good = _token("manager", PASSWORD)
    bad = _token("manager", "wrong")

    assert good.status_code == 200
    assert "token" in good.json()
    assert bad.status_code == 400


@override_settings(CACHES=REDIS_DOWN)
def test_with_redis_down_the_browser_login_still_works_and_still_locks(company):
    page = Client().get("/login/")
    signed_in = _browser("manager", PASSWORD)
    for _ in range(LIMIT):
        _browser("rep", "wrong")
    locked = _browser("rep", PASSWORD)

    assert page.status_code == 200
    assert signed_in.status_code == 302
    assert locked.status_code == 429


def test_the_lockout_message_is_translated(company):
    for _ in range(LIMIT):
        _token("manager", "wrong")

    response = APIClient().post(
        URL,
        {"username": "manager", "password": PASSWORD},
        REMOTE_ADDR="10.0.0.1",
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    )

    assert response.status_code == 429
    assert response.json()["message"] == "登录失败次数过多，请 15 分钟后再试。"
