"""Sign-in, sign-out, the base layout's navigation, the language switch and error pages."""

from decimal import Decimal

import pytest
from django.test import Client, RequestFactory

from salesalloc import views as core_views
from salesalloc.core.templatetags import ui

pytestmark = pytest.mark.django_db

NAV_START = '<nav class="nav-links"'


def _nav(html: str) -> str:
    return html.split(NAV_START, 1)[1].split("</nav>", 1)[0]


def _as(company, username: str) -> Client:
    client = Client()
    client.force_login(company.users[username])
    return client


def test_sign_in_page_renders_with_csrf_and_labels():
    response = Client().get("/login/")
    html = response.content.decode()
    assert response.status_code == 200
    assert 'name="csrfmiddlewaretoken"' in html
    assert '<label for="id_username">Username</label>' in html
    assert 'autocomplete="current-password"' in html
    assert NAV_START not in html


def test_sign_in_redirects_to_the_dashboard(company):
    client = Client()
    response = client.post("/login/", {"username": "manager", "password": "pw-secret-123"})
    assert response.status_code == 302
    assert response["Location"] == "/dashboard/"


def test_wrong_password_shows_an_error(company):
    response = Client().post("/login/", {"username": "manager", "password": "nope"})
    assert response.status_code == 200
    assert "alert--error" in response.content.decode()


def test_sign_in_without_csrf_token_is_refused(company):
    client = Client(enforce_csrf_checks=True)
    response = client.post("/login/", {"username": "manager", "password": "pw-secret-123"})
    assert response.status_code == 403
    assert "security token" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_sign_out_is_a_post_with_csrf(company):
    client = Client(enforce_csrf_checks=True)
    client.force_login(company.users["manager"])
    assert client.post("/logout/").status_code == 403
    assert client.get("/dashboard/").status_code == 200

    page = client.get("/dashboard/").content.decode()
    token = page.split('name="csrfmiddlewaretoken" value="', 1)[1].split('"', 1)[0]
    response = client.post("/logout/", {"csrfmiddlewaretoken": token})
    assert response.status_code == 302
    assert client.get("/dashboard/").status_code == 302


@pytest.mark.parametrize(
    ("username", "links", "role"),
    [
        ("admin", ["Dashboard", "Orders", "Imports", "API docs", "Admin"], "Administrator"),
        ("director", ["Dashboard", "Orders", "Imports", "API docs"], "Administrator"),
        ("manager", ["Dashboard", "Orders", "Imports", "API docs"], "Manager"),
        ("rep", ["Dashboard", "Orders", "API docs"], "Salesperson"),
        ("nobody", ["Dashboard", "API docs"], "No role"),
    ],
)
def test_navigation_shows_only_the_pages_the_viewer_may_open(company, username, links, role):
    html = _as(company, username).get("/dashboard/").content.decode()
    nav = _nav(html)
    shown = [
        label
        for label in ("Dashboard", "Orders", "Imports", "API docs", "Admin")
        if f">{label}</a>" in nav
    ]
    assert shown == links
    assert f">{username}<" in html
    assert role in html
    assert 'action="/logout/"' in html


def test_language_switch_sets_chinese_and_returns_to_the_page(company):
    client = _as(company, "manager")
    response = client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/orders/"})
    assert response.status_code == 302
    assert response["Location"] == "/orders/"

    html = client.get("/dashboard/").content.decode()
    nav = _nav(html)
    assert ">仪表盘</a>" in nav
    assert ">订单</a>" in nav
    assert ">导入</a>" in nav
    assert "退出登录" in html
    assert 'lang="zh-hans"' in html


def test_language_follows_accept_language_on_the_sign_in_page():
    html = Client().get("/login/", HTTP_ACCEPT_LANGUAGE="zh-CN,zh;q=0.9").content.decode()
    assert "登录" in html
    assert '<html lang="zh-hans"' in html


def test_not_found_page_is_friendly_and_has_no_stack_trace(company):
    response = _as(company, "manager").get("/no-such-page/")
    html = response.content.decode()
    assert response.status_code == 404
    assert "Page not found" in html
    assert "Traceback" not in html
    assert NAV_START in html


def test_api_errors_stay_json():
    response = Client().get("/api/v1/no-such-endpoint/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")


@pytest.mark.parametrize(
    ("handler", "status", "title"),
    [
        (core_views.bad_request, 400, "Bad request"),
        (core_views.permission_denied, 403, "Access denied"),
        (core_views.server_error, 500, "Server error"),
    ],
)
def test_error_pages_render_without_details(handler, status, title):
    request = RequestFactory().get("/somewhere/")
    response = handler(request, Exception("secret detail"))
    html = response.content.decode()
    assert response.status_code == status
    assert title in html
    assert "secret detail" not in html
    assert "Traceback" not in html


def test_static_assets_are_served_locally(client):
    for path in (
        "/static/css/app.css",
        "/static/js/app.js",
        "/static/js/dashboard.js",
        "/static/js/import_progress.js",
        "/static/vendor/chartjs/chart.umd.min.js",
    ):
        response = client.get(path)
        assert response.status_code == 200, path
        b"".join(response.streaming_content if response.streaming else [response.content])


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (Decimal("1234567.005"), "1,234,567.01"),
        (Decimal("-0.005"), "-0.01"),
        (Decimal("0"), "0.00"),
        (Decimal("12.3456"), "12.35"),
        ("99.5", "99.50"),
        (None, ""),
    ],
)
def test_money_filter_is_exact_with_two_places_and_separators(value, expected):
    assert ui.money(value) == expected


def test_share_and_quantity_helpers():
    assert ui.share(Decimal("1"), Decimal("3")) == "33.3%"
    assert ui.share(Decimal("1"), Decimal("0")) == "–"
    assert ui.quantity(Decimal("3.0000")) == "3"
    assert ui.quantity(Decimal("2.5000")) == "2.5"
    assert ui.quantity(Decimal("1000")) == "1,000"
    assert ui.number(1234567) == "1,234,567"
