import io

import pytest
from django.contrib.auth.models import Permission
from openpyxl import load_workbook
from rest_framework.test import APIClient

from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/customers/"
EXPORT = "/api/v1/customers/export/"
PERSONAL = {"phone", "email", "address"}


def north(sales, *, personal):
    row = {
        "id": sales.north_customer.pk,
        "code": "C-N1",
        "name": "Northwind",
        "region": "North",
        "state": "Hebei",
        "city": "Baoding",
        "country": "China",
        "segment": "Corporate",
        "owner": "S-N1",
    }
    if personal:
        row |= {
            "phone": "+86 138 0000 0001",
            "email": "buyer@northwind.example",
            "address": "1 North Road",
        }
    return row


def _grant_personal_data(user):
    user.user_permissions.add(Permission.objects.get(codename="view_personal_data"))


def _codes(response):
    assert response.status_code == 200, response.content
    return [row["code"] for row in response.json()["results"]]


def test_customer_without_personal_data_permission_has_no_personal_keys(client_as, sales):
    response = client_as("rep").get(URL)

    assert response.json() == {
        "count": 1,
        "next": None,
        "previous": None,
        "results": [north(sales, personal=False)],
    }


def test_customer_with_personal_data_permission(client_as, company, sales):
    _grant_personal_data(company.users["rep"])

    response = client_as("rep").get(f"{URL}{sales.north_customer.pk}/")

    assert response.json() == north(sales, personal=True)


def test_admin_role_alone_does_not_reveal_personal_data(client_as, sales):
    # ``manage_all`` makes the director an admin of the plan, not of personal data.
    rows = client_as("director").get(URL).json()["results"]
    superuser_rows = client_as("admin").get(URL).json()["results"]

    assert len(rows) == 3
    assert all(PERSONAL.isdisjoint(row) for row in rows)
    assert all(set(row) >= PERSONAL for row in superuser_rows)


@pytest.mark.parametrize(
    ("username", "codes"),
    [
        ("admin", ["C-N1", "C-N2", "C-S1"]),
        ("manager", ["C-N1", "C-N2"]),
        ("other_manager", ["C-S1"]),
        ("rep", ["C-N1"]),
        ("south_rep", ["C-S1"]),
    ],
)
def test_customers_are_scoped(client_as, sales, username, codes):
    assert _codes(client_as(username).get(URL)) == codes


def test_customer_detail_outside_the_scope_is_404(client_as, company, sales):
    _grant_personal_data(company.users["rep"])
    rep = client_as("rep")

    for customer in (sales.peer_customer, sales.south_customer):
        response = rep.get(f"{URL}{customer.pk}/")
        assert response.status_code == 404
        assert response.json() == {"message": "Not found.", "code": "not_found"}
    assert client_as("other_manager").get(f"{URL}{sales.north_customer.pk}/").status_code == 404


def test_customer_filters(client_as, sales):
    client = client_as("admin")

    assert _codes(client.get(URL, {"code": "C-S1"})) == ["C-S1"]
    assert _codes(client.get(URL, {"region": "north"})) == ["C-N1", "C-N2"]
    assert _codes(client.get(URL, {"state": "Guangdong"})) == ["C-S1"]
    assert _codes(client.get(URL, {"owner": "S-N2"})) == ["C-N2"]
    assert _codes(client_as("rep").get(URL, {"code": "C-S1"})) == []


def test_owner_filter_outside_the_scope_is_400(client_as, sales):
    response = client_as("rep").get(URL, {"owner": "S-S1"})

    assert response.status_code == 400
    assert response.json() == {
        "message": "owner: No salesperson with code “S-S1” is visible to you.",
        "code": "invalid",
        "fields": {"owner": ["No salesperson with code “S-S1” is visible to you."]},
    }


@pytest.mark.parametrize("method", ["put", "patch", "delete"])
def test_customers_cannot_be_changed_over_the_api(client_as, sales, method):
    client = client_as("admin")

    response = getattr(client, method)(
        f"{URL}{sales.north_customer.pk}/", {"owner": "S-S1", "name": "Hacked"}, format="json"
    )

    assert response.status_code == 405
    sales.north_customer.refresh_from_db()
    assert sales.north_customer.owner.code == "S-N1"
    assert sales.north_customer.name == "Northwind"


def test_customer_list_query_count(client_as, company, sales, django_assert_max_num_queries):
    _grant_personal_data(company.users["manager"])
    for i in range(20):
        CustomerFactory(code=f"C-X{i:02d}", owner=company.north_peer)
    client = client_as("manager")

    with django_assert_max_num_queries(9):
        response = client.get(URL, {"owner": "S-N2"})

    assert response.json()["count"] == 21


def test_nobody_and_anonymous_get_no_customers(client_as, sales):
    assert client_as("nobody").get(URL).status_code == 403
    assert client_as("nobody").get(f"{URL}{sales.north_customer.pk}/").status_code == 403
    assert APIClient().get(URL).status_code == 401


# --- export ---------------------------------------------------------------------------------


def _csv(response):
    assert response.status_code == 200, response.content
    return b"".join(response.streaming_content).decode("utf-8").lstrip("\ufeff").splitlines()


def test_export_without_permission_has_no_personal_columns(client_as, sales):
    lines = _csv(client_as("manager").get(EXPORT, {"format": "csv"}))

    assert lines == [
        "code,name,region,state,city,country,segment,owner",
        "C-N1,Northwind,North,Hebei,Baoding,China,Corporate,S-N1",
        'C-N2,"\'=HYPERLINK(""http://evil"")",North,California,,,,S-N2',
    ]


def test_export_with_permission_has_personal_columns_and_is_formula_safe(client_as, company, sales):
    _grant_personal_data(company.users["rep"])

    lines = _csv(client_as("rep").get(EXPORT))

    assert lines == [
        "code,name,region,state,city,country,segment,phone,email,address,owner",
        "C-N1,Northwind,North,Hebei,Baoding,China,Corporate,'+86 138 0000 0001,"
        "buyer@northwind.example,1 North Road,S-N1",
    ]


def test_xlsx_export_never_contains_personal_data_without_permission(client_as, sales):
    response = client_as("director").get(EXPORT, {"format": "xlsx", "region": "South"})

    assert response.status_code == 200
    rows = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    assert rows == [
        ("code", "name", "region", "state", "city", "country", "segment", "owner"),
        ("C-S1", "Southwind", "South", "Guangdong", None, None, None, "S-S1"),
    ]
    assert b"+86 139" not in response.content


def test_customer_export_is_scoped_and_validates(client_as, sales):
    assert _csv(client_as("south_rep").get(EXPORT))[1:] == [
        "C-S1,Southwind,South,Guangdong,,,,S-S1"
    ]
    response = client_as("rep").get(EXPORT, {"owner": "S-S1"})
    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["owner"]
    assert client_as("rep").get(EXPORT, {"format": "json"}).status_code == 400


def test_customer_export_uses_a_fixed_number_of_queries(
    client_as, company, sales, django_assert_max_num_queries
):
    _grant_personal_data(company.users["manager"])
    for i in range(30):
        CustomerFactory(code=f"C-X{i:02d}", owner=company.north_peer)
    client = client_as("manager")

    with django_assert_max_num_queries(8):
        lines = _csv(client.get(EXPORT))

    assert len(lines) == 33
