"""The tiers API (DESIGN §7): shapes, permissions, scoping, 400s naming the field."""

from __future__ import annotations

from decimal import Decimal

import pytest

from customers.tiers.models import TierRun

pytestmark = pytest.mark.django_db

ROLES = ["admin", "director", "manager", "other_manager", "rep", "south_rep"]


def test_admin_starts_a_run_and_gets_202_with_the_run(
    tier_world, client_as, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = client_as("admin").post(
            "/api/v1/tier-runs/",
            {"as_of": "2019-07-01", "window_days": 120, "abc_a": "0.7", "abc_b": "0.9"},
            format="json",
        )

    assert response.status_code == 202
    body = response.json()
    run = TierRun.objects.get(pk=body["id"])
    assert body == {
        "id": run.pk,
        "status": "queued",  # computed after commit, by a worker
        "as_of": "2019-07-01",
        "customers": 0,
        "window_days": 120,
        "abc_a": "0.70",
        "abc_b": "0.90",
        "kind": "manual",
        "daily": False,
        "created_at": body["created_at"],
        "started_at": None,
        "finished_at": None,
        "error": "",
    }
    assert len(callbacks) == 1
    assert run.requested_by.username == "admin"
    # then the task ran: 120 days before 2019-07-01 = 2019-03-03, so CP (Feb 1) is out
    detail = client_as("admin").get(f"/api/v1/tier-runs/{run.pk}/").json()
    assert (detail["status"], detail["customers"]) == ("succeeded", 3)
    run.refresh_from_db()
    assert run.monetary_total == Decimal("850")  # CN 100 (N1 on Mar 1 is out), CS 50, CX 700


@pytest.mark.parametrize("username", ["manager", "other_manager", "rep", "nobody"])
def test_only_admins_start_runs(tier_world, client_as, username):
    response = client_as(username).post("/api/v1/tier-runs/", {"as_of": "2019-07-01"})
    assert response.status_code == 403
    assert TierRun.objects.count() == 2


def test_anonymous_gets_401_everywhere(tier_world, api_client):
    run = tier_world.summer.pk
    for url in [
        "/api/v1/tier-runs/",
        f"/api/v1/tier-runs/{run}/",
        f"/api/v1/tier-runs/{run}/customers/",
        f"/api/v1/tier-runs/migration/?from={run}&to={run}",
    ]:
        assert api_client.get(url).status_code == 401, url
    assert api_client.post("/api/v1/tier-runs/", {"as_of": "2019-01-01"}).status_code == 401


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({}, "as_of"),
        ({"as_of": "2019-13-01"}, "as_of"),
        ({"as_of": "yesterday"}, "as_of"),
        ({"as_of": "2019-07-01", "window_days": 0}, "window_days"),
        ({"as_of": "2019-07-01", "window_days": "ten"}, "window_days"),
        ({"as_of": "2019-07-01", "window_days": 99999}, "window_days"),
        ({"as_of": "2019-07-01", "abc_a": "0.96"}, "abc_b"),
        ({"as_of": "2019-07-01", "abc_a": "0"}, "abc_a"),
        ({"as_of": "2019-07-01", "abc_a": "NaN"}, "abc_a"),
        ({"as_of": "2019-07-01", "abc_a": "0.5", "abc_b": "1.5"}, "abc_b"),
        ({"as_of": "2019-07-01", "abc_b": "0.123456"}, "abc_b"),
    ],
)
def test_bad_input_is_a_400_naming_the_field(tier_world, client_as, payload, field):
    response = client_as("admin").post("/api/v1/tier-runs/", payload, format="json")
    assert response.status_code == 400, response.json()
    assert list(response.json()["fields"]) == [field]
    assert TierRun.objects.count() == 2


@pytest.mark.parametrize("username", ROLES)
def test_every_role_reads_runs(tier_world, client_as, username):
    listing = client_as(username).get("/api/v1/tier-runs/")
    assert listing.status_code == 200
    assert [r["id"] for r in listing.json()["results"]] == [
        tier_world.summer.pk,
        tier_world.spring.pk,
    ]
    detail = client_as(username).get(f"/api/v1/tier-runs/{tier_world.spring.pk}/")
    assert detail.json()["as_of"] == "2019-04-01"
    assert detail.json()["customers"] == 4


def test_no_role_sees_no_runs(tier_world, client_as):
    assert client_as("nobody").get("/api/v1/tier-runs/").status_code == 403
    assert client_as("nobody").get(f"/api/v1/tier-runs/{tier_world.spring.pk}/").status_code == 403


def test_run_customers_have_the_fixed_shape(tier_world, client_as):
    response = client_as("admin").get(f"/api/v1/tier-runs/{tier_world.summer.pk}/customers/")

    assert response.status_code == 200
    body = response.json()
    assert (body["count"], body["next"], body["previous"]) == (4, None, None)
    # As of 2019-07-01, n = 4: recency worst first 150 CP, 103 CX, 61 CN, 30 CS -> r 1, 2,
    # 4, 5; orders 1, 1 (f 2) and 2, 2 (f 4); net 70.125 < 300 < 700 < 1000 -> m 1, 2, 4, 5.
    assert body["results"] == [
        {"customer": "CN", "recency_days": 61, "frequency": 2, "monetary": "1000.00",
         "r": 4, "f": 4, "m": 5, "segment": "champions", "abc": "A", "tier": "big"},
        {"customer": "CP", "recency_days": 150, "frequency": 1, "monetary": "300.00",
         "r": 1, "f": 2, "m": 2, "segment": "lost", "abc": "B", "tier": "small"},
        {"customer": "CS", "recency_days": 30, "frequency": 2, "monetary": "70.125",
         "r": 5, "f": 4, "m": 1, "segment": "potential_loyalist", "abc": "C", "tier": "small"},
        {"customer": "CX", "recency_days": 103, "frequency": 1, "monetary": "700.00",
         "r": 2, "f": 2, "m": 4, "segment": "at_risk", "abc": "A", "tier": "big"},
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("username", "codes"),
    [
        ("admin", ["CN", "CP", "CS", "CX"]),
        ("director", ["CN", "CP", "CS", "CX"]),
        ("manager", ["CN", "CP", "CS"]),  # North sold to CS too
        ("other_manager", ["CS", "CX"]),
        ("rep", ["CN", "CS"]),
        ("south_rep", ["CS", "CX"]),
    ],
)
def test_run_customers_are_scoped(tier_world, client_as, username, codes):
    response = client_as(username).get(f"/api/v1/tier-runs/{tier_world.summer.pk}/customers/")
    assert [row["customer"] for row in response.json()["results"]] == codes


@pytest.mark.parametrize(
    ("query", "codes"),
    [
        ("abc=A", ["CN", "CX"]),
        ("segment=lost", ["CP"]),
        ("tier=small", ["CP", "CS"]),
        ("customer=CX", ["CX"]),
        ("abc=B&tier=small", ["CP"]),
    ],
)
def test_run_customers_filters(tier_world, client_as, query, codes):
    response = client_as("admin").get(
        f"/api/v1/tier-runs/{tier_world.summer.pk}/customers/?{query}"
    )
    assert [row["customer"] for row in response.json()["results"]] == codes


def test_run_customers_list_query_count(tier_world, client_as, django_assert_max_num_queries):
    client = client_as("manager")
    with django_assert_max_num_queries(8):
        response = client.get(f"/api/v1/tier-runs/{tier_world.summer.pk}/customers/?page_size=500")
    assert response.status_code == 200


def test_unknown_run_is_404(tier_world, client_as):
    assert client_as("admin").get("/api/v1/tier-runs/99999/customers/").status_code == 404
    assert client_as("admin").get("/api/v1/tier-runs/99999/").status_code == 404


def test_migration_matrix_shape_and_scope(tier_world, client_as):
    spring, summer = tier_world.spring.pk, tier_world.summer.pk
    url = f"/api/v1/tier-runs/migration/?from={spring}&to={summer}&by=tier"

    body = client_as("admin").get(url).json()

    # spring (2019-04-01): CN 900 big, CX 700 big, CP 300 small, CS 20.125 small
    assert body == {
        "count": 2,
        "next": None,
        "previous": None,
        "results": [
            {"from": "big", "to": "big", "customers": 2, "monetary": "1700.00"},
            {"from": "small", "to": "small", "customers": 2, "monetary": "370.125"},
        ],
    }
    rep_rows = client_as("rep").get(url).json()["results"]
    assert rep_rows == [
        {"from": "big", "to": "big", "customers": 1, "monetary": "1000.00"},
        {"from": "small", "to": "small", "customers": 1, "monetary": "70.125"},
    ]


def test_migration_by_abc_counts_movers(tier_world, client_as):
    spring, summer = tier_world.spring.pk, tier_world.summer.pk
    body = client_as("admin").get(f"/api/v1/tier-runs/migration/?from={spring}&to={summer}").json()
    # spring total 1920.125: CN 900 (A, before 0), CX 700 (A, before 900 < 1536.1),
    # CP 300 (B: before 1600), CS (B: before 1900 < 1824.1? no -> C)
    assert {(r["from"], r["to"]): r["customers"] for r in body["results"]} == {
        ("A", "A"): 2,
        ("B", "B"): 1,
        ("C", "C"): 1,
    }


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("to=1", "from"),
        ("from=1", "to"),
        ("from=x&to=1", "from"),
        ("from={s}&to={t}&by=colour", "by"),
        ("from=99999&to={t}", "from"),
        ("from={s}&to=99999", "to"),
    ],
)
def test_migration_bad_input_is_a_400_naming_the_field(tier_world, client_as, query, field):
    query = query.format(s=tier_world.spring.pk, t=tier_world.summer.pk)
    response = client_as("admin").get(f"/api/v1/tier-runs/migration/?{query}")
    assert response.status_code == 400
    assert field in response.json()["fields"]


def test_tier_endpoints_are_in_the_openapi_schema(client_as, company):
    schema = client_as("admin").get("/api/v1/schema/?format=json").json()
    for path in [
        "/api/v1/tier-runs/",
        "/api/v1/tier-runs/{id}/",
        "/api/v1/tier-runs/{id}/customers/",
        "/api/v1/tier-runs/migration/",
    ]:
        assert path in schema["paths"]
    row = schema["components"]["schemas"]["CustomerTierOutput"]["properties"]
    assert list(row) == [
        "customer", "recency_days", "frequency", "monetary",
        "r", "f", "m", "segment", "abc", "tier",
    ]  # fmt: skip
    migration = schema["components"]["schemas"]["MigrationRowOutput"]["properties"]
    assert list(migration) == ["from", "to", "customers", "monetary"]


def test_threshold_errors_speak_the_callers_language(tier_world, client_as):
    response = client_as("admin").post(
        "/api/v1/tier-runs/",
        {"as_of": "2019-07-01", "abc_a": "0.9", "abc_b": "0.8"},
        format="json",
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    )
    assert response.status_code == 400
    assert response.json()["fields"] == {"abc_b": ["B 类阈值必须大于 A 类阈值。"]}
