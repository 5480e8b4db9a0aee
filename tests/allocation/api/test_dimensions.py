"""Org units, salespeople and product lines: shapes, scoping, filters, detail 404s."""

import datetime as dt
from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from allocation.models import OrgUnit
from tests.factories import OrgUnitFactory, ProductLineFactory, SalespersonFactory

pytestmark = pytest.mark.django_db

NOT_FOUND = {"message": "Not found.", "code": "not_found"}


def _codes(response):
    assert response.status_code == 200, response.content
    return [row["code"] for row in response.json()["results"]]


# --- org units ------------------------------------------------------------------------------


def test_org_unit_list_shape(client_as, company):
    response = client_as("admin").get("/api/v1/org-units/")

    assert response.json() == {
        "count": 5,
        "next": None,
        "previous": None,
        "results": [
            {
                "id": company.root.pk,
                "code": "ACME",
                "name": "Acme",
                "kind": "company",
                "parent": None,
                "depth": 0,
            },
            {
                "id": company.north.pk,
                "code": "NORTH",
                "name": "North",
                "kind": "region",
                "parent": "ACME",
                "depth": 1,
            },
            {
                "id": company.north_team.pk,
                "code": "N-T1",
                "name": "North team",
                "kind": "team",
                "parent": "NORTH",
                "depth": 2,
            },
            {
                "id": company.south.pk,
                "code": "SOUTH",
                "name": "South",
                "kind": "region",
                "parent": "ACME",
                "depth": 1,
            },
            {
                "id": company.south_team.pk,
                "code": "S-T1",
                "name": "South team",
                "kind": "team",
                "parent": "SOUTH",
                "depth": 2,
            },
        ],
    }


@pytest.mark.parametrize(
    ("username", "codes"),
    [
        ("director", ["ACME", "NORTH", "N-T1", "SOUTH", "S-T1"]),
        ("manager", ["NORTH", "N-T1"]),
        ("other_manager", ["SOUTH", "S-T1"]),
        ("rep", ["N-T1"]),
    ],
)
def test_org_units_are_scoped(client_as, company, username, codes):
    assert _codes(client_as(username).get("/api/v1/org-units/")) == codes


def test_org_unit_filters(client_as, company):
    client = client_as("admin")

    assert _codes(client.get("/api/v1/org-units/", {"kind": "region"})) == ["NORTH", "SOUTH"]
    assert _codes(client.get("/api/v1/org-units/", {"parent": "ACME"})) == ["NORTH", "SOUTH"]
    assert _codes(client.get("/api/v1/org-units/", {"code": "S-T1"})) == ["S-T1"]
    # Plain attribute filters only narrow the viewer's list.
    assert _codes(client_as("manager").get("/api/v1/org-units/", {"parent": "ACME"})) == ["NORTH"]
    assert _codes(client_as("manager").get("/api/v1/org-units/", {"code": "SOUTH"})) == []


def test_org_unit_kind_filter_rejects_unknown_kinds(client_as, company):
    response = client_as("admin").get("/api/v1/org-units/", {"kind": "galaxy"})

    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["kind"]


def test_org_unit_detail_outside_the_scope_is_404(client_as, company):
    manager = client_as("manager")

    assert manager.get(f"/api/v1/org-units/{company.north_team.pk}/").json() == {
        "id": company.north_team.pk,
        "code": "N-T1",
        "name": "North team",
        "kind": "team",
        "parent": "NORTH",
        "depth": 2,
    }
    for unit in (company.south, company.south_team, company.root):
        response = manager.get(f"/api/v1/org-units/{unit.pk}/")
        assert response.status_code == 404
        assert response.json() == NOT_FOUND
    assert manager.get("/api/v1/org-units/999999/").json() == NOT_FOUND


# --- salespeople ----------------------------------------------------------------------------


def test_salesperson_list_shape(client_as, company):
    company.north_peer.start_date = dt.date(2019, 2, 1)
    company.north_peer.end_date = dt.date(2020, 6, 30)
    company.north_peer.fte = Decimal("0.5")
    company.north_peer.is_active = False
    company.north_peer.save()

    response = client_as("manager").get("/api/v1/salespeople/")

    assert response.json() == {
        "count": 2,
        "next": None,
        "previous": None,
        "results": [
            {
                "id": company.rep.pk,
                "code": "S-N1",
                "name": "Nora North",
                "org_unit": "N-T1",
                "start_date": None,
                "end_date": None,
                "fte": "1.00",
                "is_active": True,
                "username": "rep",
            },
            {
                "id": company.north_peer.pk,
                "code": "S-N2",
                "name": "Ned North",
                "org_unit": "N-T1",
                "start_date": "2019-02-01",
                "end_date": "2020-06-30",
                "fte": "0.50",
                "is_active": False,
                "username": None,
            },
        ],
    }


@pytest.mark.parametrize(
    ("username", "codes"),
    [
        ("admin", ["S-N1", "S-N2", "S-S1"]),
        ("manager", ["S-N1", "S-N2"]),
        ("other_manager", ["S-S1"]),
        ("rep", ["S-N1"]),
        ("south_rep", ["S-S1"]),
    ],
)
def test_salespeople_are_scoped(client_as, company, username, codes):
    assert _codes(client_as(username).get("/api/v1/salespeople/")) == codes


def test_salesperson_filters(client_as, company):
    client = client_as("admin")
    company.north_peer.is_active = False
    company.north_peer.save()

    assert _codes(client.get("/api/v1/salespeople/", {"org_unit": "NORTH"})) == ["S-N1", "S-N2"]
    assert _codes(client.get("/api/v1/salespeople/", {"org_unit": "ACME"})) == [
        "S-N1",
        "S-N2",
        "S-S1",
    ]
    assert _codes(client.get("/api/v1/salespeople/", {"is_active": "false"})) == ["S-N2"]
    assert _codes(client.get("/api/v1/salespeople/", {"code": "S-S1"})) == ["S-S1"]
    assert _codes(client_as("rep").get("/api/v1/salespeople/", {"code": "S-S1"})) == []


def test_salesperson_org_unit_filter_outside_the_scope_is_400(client_as, company):
    response = client_as("manager").get("/api/v1/salespeople/", {"org_unit": "SOUTH"})

    assert response.status_code == 400
    assert response.json() == {
        "message": "org_unit: No org unit with code “SOUTH” is visible to you.",
        "code": "invalid",
        "fields": {"org_unit": ["No org unit with code “SOUTH” is visible to you."]},
    }


def test_salesperson_detail_outside_the_scope_is_404(client_as, company):
    rep = client_as("rep")

    assert rep.get(f"/api/v1/salespeople/{company.rep.pk}/").json()["code"] == "S-N1"
    for person in (company.north_peer, company.south_rep):
        response = rep.get(f"/api/v1/salespeople/{person.pk}/")
        assert response.status_code == 404
        assert response.json() == NOT_FOUND
    response = client_as("manager").get(f"/api/v1/salespeople/{company.south_rep.pk}/")
    assert response.json() == NOT_FOUND


# --- product lines --------------------------------------------------------------------------


def test_product_line_list_shape_and_filters(client_as, company):
    client = client_as("rep")

    response = client.get("/api/v1/product-lines/", {"parent": "FUR"})

    assert response.json() == {
        "count": 2,
        "next": None,
        "previous": None,
        "results": [
            {
                "id": company.chairs.pk,
                "code": "FUR-CH",
                "name": "Chairs",
                "parent": "FUR",
                "depth": 1,
                "is_active": True,
            },
            {
                "id": company.tables.pk,
                "code": "FUR-TA",
                "name": "Tables",
                "parent": "FUR",
                "depth": 1,
                "is_active": True,
            },
        ],
    }
    assert _codes(client.get("/api/v1/product-lines/")) == [
        "FUR",
        "FUR-CH",
        "FUR-TA",
        "TEC",
        "TEC-PH",
    ]
    assert _codes(client.get("/api/v1/product-lines/", {"code": "TEC"})) == ["TEC"]
    assert client.get(f"/api/v1/product-lines/{company.tech.pk}/").json() == {
        "id": company.tech.pk,
        "code": "TEC",
        "name": "Technology",
        "parent": None,
        "depth": 0,
        "is_active": True,
    }


# --- everyone -------------------------------------------------------------------------------

LIST_URLS = ["/api/v1/org-units/", "/api/v1/salespeople/", "/api/v1/product-lines/"]


@pytest.mark.parametrize("url", LIST_URLS)
def test_users_without_a_role_and_anonymous_users_get_nothing(client_as, company, url):
    nobody = client_as("nobody").get(url)
    anonymous = APIClient().get(url)

    assert nobody.status_code == 403
    assert nobody.json()["code"] == "permission_denied"
    assert anonymous.status_code == 401
    assert anonymous.json()["code"] == "not_authenticated"


@pytest.mark.parametrize("kind", ["org-units", "salespeople", "product-lines"])
def test_detail_urls_refuse_users_without_a_role(client_as, company, kind):
    pk = {"org-units": company.north, "salespeople": company.rep, "product-lines": company.tech}
    response = client_as("nobody").get(f"/api/v1/{kind}/{pk[kind].pk}/")

    assert response.status_code == 403


@pytest.mark.parametrize("url", LIST_URLS)
@pytest.mark.parametrize("username", ["admin", "manager", "rep"])
def test_dimension_lists_use_a_fixed_number_of_queries(
    client_as, company, django_assert_max_num_queries, url, username
):
    for i in range(10):
        team = OrgUnitFactory(code=f"N-X{i}", parent=company.north, kind=OrgUnit.Kind.TEAM)
        SalespersonFactory(code=f"S-X{i}", org_unit=team)
        ProductLineFactory(code=f"FUR-X{i}", parent=company.furniture)
    client = client_as(username)

    with django_assert_max_num_queries(8):
        response = client.get(url)

    assert response.status_code == 200
    assert response.json()["count"] >= 1


@pytest.mark.parametrize("url", LIST_URLS)
def test_dimension_lists_are_read_only(client_as, company, url):
    response = client_as("admin").post(url, {"code": "NEW", "name": "New"}, format="json")

    assert response.status_code == 405
