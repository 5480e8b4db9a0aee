"""Whole dashboard fragments and attainment API bodies cached per viewer scope.

A hit costs authentication and the viewer's scope only; a manager never gets the figures
cached for the company (or another manager); the recompute, a published plan and a change
of the org tree start a new generation; the page around the cached fragment (user menu,
CSRF token) stays per request.
"""

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from allocation.models import Plan
from performance.tracking.selectors import CACHE_VERSION_KEY
from salesalloc.pipeline import recompute_all
from tests.performance.tracking.conftest import line, publish_plan

pytestmark = pytest.mark.django_db

API = "/api/v1/attainment/"
Q = {"year": "2019", "as_of": "2019-03-15"}


@pytest.fixture
def caching(settings):
    settings.SALESALLOC_TRACKING_CACHE_SECONDS = 60
    cache.clear()
    yield
    cache.clear()


def _page(company, username: str) -> Client:
    client = Client()
    client.force_login(company.users[username])
    return client


def _kpi(html: str, name: str) -> str:
    return re.search(rf'data-kpi="{name}">([^<]*)<', html).group(1)


def _sql(client, url, params) -> tuple[object, list[str]]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, params)
    assert response.status_code == 200
    return response, [q["sql"].lower() for q in queries]


def test_a_hit_reads_no_figures_from_the_database(tracked, client_as, caching):
    api = client_as("manager")
    params = {"as_of": "2019-03-15", "org_unit": "N-T1"}
    first, miss = _sql(api, API, params)
    second, hit = _sql(api, API, params)
    assert second.json() == first.json()
    assert second["Content-Type"] == "application/json"
    assert len(hit) < len(miss)
    # only the token and the viewer's scope (permissions, managed units, own salesperson)
    assert len(hit) <= 5, hit
    assert not [sql for sql in hit if "targetcell" in sql or "actual" in sql or "_plan" in sql]

    page = _page(tracked, "manager")
    html_miss, miss = _sql(page, "/dashboard/", {**Q, "org_unit": "N-T1"})
    html_hit, hit = _sql(page, "/dashboard/", {**Q, "org_unit": "N-T1"})
    assert _kpi(html_hit.content.decode(), "target") == _kpi(html_miss.content.decode(), "target")
    assert len(hit) <= 6, hit  # session, user and the scope
    assert not [sql for sql in hit if "targetcell" in sql or "actual" in sql or "_plan" in sql]


def test_a_manager_never_gets_the_figures_cached_for_the_company(tracked, client_as, caching):
    director = client_as("director")
    company = director.get(API, {"as_of": "2019-03-15"}).json()
    assert company["node"]["code"] == "ACME"
    assert director.get(API, {"as_of": "2019-03-15", "org_unit": "ACME"}).status_code == 200

    manager = client_as("manager")
    own = manager.get(API, {"as_of": "2019-03-15"}).json()
    assert own["node"]["code"] == "NORTH"
    assert own["target"] != company["target"]
    assert manager.get(API, {"as_of": "2019-03-15", "org_unit": "ACME"}).status_code == 404
    # the other region's manager, after the first manager's figures are cached
    south = client_as("other_manager").get(API, {"as_of": "2019-03-15"}).json()
    assert south["node"]["code"] == "SOUTH"
    assert client_as("rep").get(API, {"as_of": "2019-03-15"}).json()["node"]["code"] == "S-N1"

    director_html = _page(tracked, "director").get("/dashboard/", Q).content.decode()
    assert _kpi(director_html, "target") == "42,000.00"
    manager_page = _page(tracked, "manager")
    manager_html = manager_page.get("/dashboard/", Q).content.decode()
    assert _kpi(manager_html, "target") == "18,000.00"  # North: (1,000 + 500) x 12
    assert "SOUTH" not in manager_html
    assert manager_page.get("/dashboard/", {**Q, "org_unit": "ACME"}).status_code == 404


def test_the_page_around_the_cached_figures_is_per_request(tracked, caching):
    second_admin = tracked.users["admin"]
    first = _page(tracked, "director").get("/dashboard/", Q).content.decode()
    # the same scope (an administrator), so the same cached figures, but their own page
    assert second_admin.is_superuser
    other = _page(tracked, "admin").get("/dashboard/", Q).content.decode()
    assert _kpi(other, "target") == _kpi(first, "target") == "42,000.00"
    assert ">director<" in first
    assert ">director<" not in other
    assert ">admin<" in other
    assert 'name="csrfmiddlewaretoken"' in other
    # the language is part of the key
    zh = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    zh.force_login(tracked.users["director"])
    zh.cookies["django_language"] = "zh-hans"
    zh_html = zh.get("/dashboard/", Q).content.decode()
    assert "Cumulative target, actual and forecast" in first
    assert "Cumulative target, actual and forecast" not in zh_html


def test_the_recompute_invalidates_page_and_api(tracked, client_as, caching):
    director = client_as("director")
    page = _page(tracked, "director")
    params = {"as_of": "2019-03-15", "salesperson": "S-S1"}
    assert director.get(API, params).json()["actual"] == "3000.00"
    assert (
        _kpi(
            page.get("/dashboard/", {**Q, "salesperson": "S-S1"}).content.decode(), "actual_to_date"
        )
        == "3,000.00"
    )

    line(dt.date(2019, 2, 2), tracked.south_rep, tracked.chairs, "5.00")
    assert director.get(API, params).json()["actual"] == "3000.00"  # still cached

    recompute_all(inline=True)
    assert director.get(API, params).json()["actual"] == "3005.00"
    html = page.get("/dashboard/", {**Q, "salesperson": "S-S1"}).content.decode()
    assert _kpi(html, "actual_to_date") == "3,005.00"


def test_a_published_plan_invalidates_but_a_draft_does_not(
    tracked, client_as, caching, django_capture_on_commit_callbacks
):
    director = client_as("director")
    page = _page(tracked, "director")
    assert director.get(API, {"as_of": "2019-03-15"}).json()["target"] == "42000.00"
    assert _kpi(page.get("/dashboard/", Q).content.decode(), "target") == "42,000.00"
    version = cache.get(CACHE_VERSION_KEY)

    with django_capture_on_commit_callbacks(execute=True):
        Plan.objects.create(
            name="FY2019 draft",
            fiscal_year=2019,
            root_org_unit=tracked.root,
            status=Plan.Status.DRAFT,
            total_amount=Decimal("1.00"),
        )
    assert cache.get(CACHE_VERSION_KEY) == version

    # One published plan a year per org unit: the old one leaves first (that alone starts
    # a new generation too), then publishing the new one starts another.
    with django_capture_on_commit_callbacks(execute=True):
        old = Plan.objects.get(name="FY2019", status=Plan.Status.PUBLISHED)
        old.status = Plan.Status.ARCHIVED
        old.save(update_fields=["status"])
    assert cache.get(CACHE_VERSION_KEY) != version
    version = cache.get(CACHE_VERSION_KEY)
    with django_capture_on_commit_callbacks(execute=True):
        publish_plan(tracked, monthly=[(tracked.rep, tracked.chairs, "100.00")])
    assert cache.get(CACHE_VERSION_KEY) != version
    assert director.get(API, {"as_of": "2019-03-15"}).json()["target"] == "1200.00"
    assert _kpi(page.get("/dashboard/", Q).content.decode(), "target") == "1,200.00"


def test_renaming_an_org_unit_invalidates(
    tracked, client_as, caching, django_capture_on_commit_callbacks
):
    director = client_as("director")
    params = {"as_of": "2019-03-15", "org_unit": "NORTH"}
    assert director.get(API, params).json()["node"]["name"] == "North"
    with django_capture_on_commit_callbacks(execute=True):
        tracked.north.name = "Northern region"
        tracked.north.save()
    assert director.get(API, params).json()["node"]["name"] == "Northern region"
