import datetime as dt
from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from allocation.models import ActualCell

pytestmark = pytest.mark.django_db

URL = "/api/v1/actuals/"
TOTALS = "/api/v1/actuals/totals/"

ROW_RN1_CHAIRS = {
    "salesperson": "S-N1",
    "salesperson_name": "Nora North",
    "org_unit": "N-T1",
    "product_line": "FUR-CH",
    "month": "2019-03",
    "amount": "100.50",
    "cost": "60.00",
    "quantity": "3.00",
    "new_customer_amount": "40.25",
    "lines": 2,
}
ROW_RN2_TABLES = {
    "salesperson": "S-N2",
    "salesperson_name": "Ned North",
    "org_unit": "N-T1",
    "product_line": "FUR-TA",
    "month": "2019-03",
    "amount": "50.00",
    "cost": "20.00",
    "quantity": "0.00",
    "new_customer_amount": "0.00",
    "lines": 1,
}
ROW_RN1_PHONES = {
    "salesperson": "S-N1",
    "salesperson_name": "Nora North",
    "org_unit": "N-T1",
    "product_line": "TEC-PH",
    "month": "2019-04",
    "amount": "200.1234",
    "cost": "0.00",
    "quantity": "0.00",
    "new_customer_amount": "0.00",
    "lines": 1,
}
ROW_SOUTH = {
    "salesperson": "S-S1",
    "salesperson_name": "Sam South",
    "org_unit": "S-T1",
    "product_line": "FUR-CH",
    "month": "2020-01",
    "amount": "-300.00",
    "cost": "-100.00",
    "quantity": "0.00",
    "new_customer_amount": "0.00",
    "lines": 3,
}


def _page(results):
    return {"count": len(results), "next": None, "previous": None, "results": results}


def test_admin_sees_every_row_ordered_by_month_salesperson_product_line(client_as, cells):
    response = client_as("admin").get(URL)

    assert response.status_code == 200
    assert response.json() == _page([ROW_RN1_CHAIRS, ROW_RN2_TABLES, ROW_RN1_PHONES, ROW_SOUTH])


@pytest.mark.parametrize(
    ("username", "expected"),
    [
        ("director", [ROW_RN1_CHAIRS, ROW_RN2_TABLES, ROW_RN1_PHONES, ROW_SOUTH]),
        ("manager", [ROW_RN1_CHAIRS, ROW_RN2_TABLES, ROW_RN1_PHONES]),
        ("other_manager", [ROW_SOUTH]),
        ("rep", [ROW_RN1_CHAIRS, ROW_RN1_PHONES]),
        ("south_rep", [ROW_SOUTH]),
    ],
)
def test_each_role_sees_only_its_scope(client_as, cells, username, expected):
    response = client_as(username).get(URL)

    assert response.status_code == 200
    assert response.json() == _page(expected)


def test_user_without_a_role_is_refused(client_as, cells):
    response = client_as("nobody").get(URL)

    assert response.status_code == 403
    assert response.json() == {
        "message": "Your account has no sales role yet (admin, manager or salesperson). "
        "Ask an administrator.",
        "code": "permission_denied",
    }


def test_anonymous_gets_401_json(cells):
    response = APIClient().get(URL)

    assert response.status_code == 401
    assert response.json() == {
        "message": "Authentication credentials were not provided.",
        "code": "not_authenticated",
    }


def test_filters_by_salesperson_month_and_year(client_as, cells):
    client = client_as("manager")

    assert client.get(URL, {"salesperson": "S-N1"}).json() == _page(
        [ROW_RN1_CHAIRS, ROW_RN1_PHONES]
    )
    assert client.get(URL, {"month": "2019-03"}).json() == _page([ROW_RN1_CHAIRS, ROW_RN2_TABLES])
    assert client.get(URL, {"year": "2019", "salesperson": "S-N2"}).json() == _page(
        [ROW_RN2_TABLES]
    )


def test_product_line_filter_includes_the_subtree(client_as, cells):
    response = client_as("admin").get(URL, {"product_line": "FUR"})

    assert response.json() == _page([ROW_RN1_CHAIRS, ROW_RN2_TABLES, ROW_SOUTH])


def test_org_unit_filter_includes_the_subtree(client_as, cells):
    response = client_as("admin").get(URL, {"org_unit": "NORTH"})

    assert response.json() == _page([ROW_RN1_CHAIRS, ROW_RN2_TABLES, ROW_RN1_PHONES])


@pytest.mark.parametrize(
    ("username", "params", "field"),
    [
        ("rep", {"salesperson": "S-S1"}, "salesperson"),  # another region's person
        ("rep", {"salesperson": "S-N2"}, "salesperson"),  # a peer in the same team
        ("manager", {"salesperson": "S-S1"}, "salesperson"),
        ("manager", {"org_unit": "SOUTH"}, "org_unit"),
        ("manager", {"org_unit": "ACME"}, "org_unit"),  # above the manager's subtree
        ("rep", {"org_unit": "NORTH"}, "org_unit"),
    ],
)
def test_a_code_outside_the_scope_is_answered_like_an_unknown_code(
    client_as, cells, username, params, field
):
    client = client_as(username)

    outside = client.get(URL, params)
    unknown = client.get(URL, {field: "NO-SUCH-CODE"})

    assert outside.status_code == unknown.status_code == 400
    value = params[field]
    noun = "salesperson" if field == "salesperson" else "org unit"
    assert outside.json() == {
        "message": f"{field}: No {noun} with code “{value}” is visible to you.",
        "code": "invalid",
        "fields": {field: [f"No {noun} with code “{value}” is visible to you."]},
    }
    assert unknown.json()["message"] == outside.json()["message"].replace(value, "NO-SUCH-CODE")


@pytest.mark.parametrize(
    ("params", "field", "message"),
    [
        ({"month": "2019-13"}, "month", "Enter a month as YYYY-MM, for example 2024-03."),
        ({"month": "March"}, "month", "Enter a month as YYYY-MM, for example 2024-03."),
        ({"year": "20x9"}, "year", "Enter a whole number."),
        ({"product_line": "NOPE"}, "product_line", "No product line with code “NOPE”."),
    ],
)
def test_malformed_filters_are_400_naming_the_field(client_as, cells, params, field, message):
    response = client_as("admin").get(URL, params)

    assert response.status_code == 400
    assert response.json() == {
        "message": f"{field}: {message}",
        "code": "invalid",
        "fields": {field: [message]},
    }


def test_page_size_is_capped_at_500(client_as, company):
    ActualCell.objects.bulk_create(
        ActualCell(
            salesperson=company.rep,
            product_line=company.chairs,
            month=dt.date(1970 + i // 12, i % 12 + 1, 1),
            amount=Decimal(i),
        )
        for i in range(501)
    )

    response = client_as("rep").get(URL, {"page_size": 1000})

    body = response.json()
    assert body["count"] == 501
    assert len(body["results"]) == 500
    assert body["next"] == "http://testserver/api/v1/actuals/?page=2&page_size=1000"
    assert len(client_as("rep").get(URL, {"page_size": 7}).json()["results"]) == 7


@pytest.mark.parametrize("username", ["admin", "director", "manager", "rep"])
def test_list_query_count_does_not_grow_with_rows(
    client_as, company, django_assert_max_num_queries, username
):
    people = [company.rep, company.north_peer, company.south_rep]
    lines = [company.chairs, company.tables, company.phones]
    ActualCell.objects.bulk_create(
        ActualCell(salesperson=sp, product_line=pl, month=dt.date(2019, m, 1), amount=Decimal(m))
        for sp in people
        for pl in lines
        for m in range(1, 13)
    )
    client = client_as(username)

    with django_assert_max_num_queries(9):
        response = client.get(URL, {"org_unit": "N-T1", "product_line": "FUR"})

    assert response.status_code == 200
    assert response.json()["count"] == (24 if username == "rep" else 48)


def test_writes_are_not_allowed(client_as, cells):
    response = client_as("admin").post(URL, {"salesperson": "S-N1"}, format="json")

    assert response.status_code == 405
    assert response.json() == {
        "message": 'Method "POST" not allowed.',
        "code": "method_not_allowed",
    }


# --- totals ---------------------------------------------------------------------------------


def test_totals_by_month_for_admin(client_as, cells):
    response = client_as("admin").get(TOTALS, {"group_by": "month"})

    assert response.status_code == 200
    assert response.json() == [
        {"key": "2019-03", "name": "2019-03", "amount": "150.50", "cost": "80.00", "lines": 3},
        {"key": "2019-04", "name": "2019-04", "amount": "200.1234", "cost": "0.00", "lines": 1},
        {"key": "2020-01", "name": "2020-01", "amount": "-300.00", "cost": "-100.00", "lines": 3},
    ]


def test_totals_default_to_month(client_as, cells):
    assert client_as("rep").get(TOTALS).json() == [
        {"key": "2019-03", "name": "2019-03", "amount": "100.50", "cost": "60.00", "lines": 2},
        {"key": "2019-04", "name": "2019-04", "amount": "200.1234", "cost": "0.00", "lines": 1},
    ]


def test_totals_by_year_and_salesperson_are_scoped(client_as, cells):
    client = client_as("manager")

    assert client.get(TOTALS, {"group_by": "year"}).json() == [
        {"key": "2019", "name": "2019", "amount": "350.6234", "cost": "80.00", "lines": 4},
    ]
    assert client.get(TOTALS, {"group_by": "salesperson"}).json() == [
        {"key": "S-N1", "name": "Nora North", "amount": "300.6234", "cost": "60.00", "lines": 3},
        {"key": "S-N2", "name": "Ned North", "amount": "50.00", "cost": "20.00", "lines": 1},
    ]


def test_totals_by_product_line_roll_up_to_the_top_level_or_below_the_filter(client_as, cells):
    client = client_as("admin")

    assert client.get(TOTALS, {"group_by": "product_line"}).json() == [
        {"key": "FUR", "name": "Furniture", "amount": "-149.50", "cost": "-20.00", "lines": 6},
        {"key": "TEC", "name": "Technology", "amount": "200.1234", "cost": "0.00", "lines": 1},
    ]
    assert client.get(TOTALS, {"group_by": "product_line", "product_line": "FUR"}).json() == [
        {"key": "FUR-CH", "name": "Chairs", "amount": "-199.50", "cost": "-40.00", "lines": 5},
        {"key": "FUR-TA", "name": "Tables", "amount": "50.00", "cost": "20.00", "lines": 1},
    ]
    assert client.get(TOTALS, {"group_by": "product_line", "level": 1}).json() == [
        {"key": "FUR-CH", "name": "Chairs", "amount": "-199.50", "cost": "-40.00", "lines": 5},
        {"key": "FUR-TA", "name": "Tables", "amount": "50.00", "cost": "20.00", "lines": 1},
        {"key": "TEC-PH", "name": "Phones", "amount": "200.1234", "cost": "0.00", "lines": 1},
    ]


def test_totals_by_org_unit_start_below_the_viewers_top_unit(client_as, cells):
    admin_rows = client_as("admin").get(TOTALS, {"group_by": "org_unit"}).json()
    manager_rows = client_as("manager").get(TOTALS, {"group_by": "org_unit"}).json()
    rep_rows = client_as("rep").get(TOTALS, {"group_by": "org_unit"}).json()

    assert admin_rows == [
        {"key": "NORTH", "name": "North", "amount": "350.6234", "cost": "80.00", "lines": 4},
        {"key": "SOUTH", "name": "South", "amount": "-300.00", "cost": "-100.00", "lines": 3},
    ]
    assert manager_rows == [
        {"key": "N-T1", "name": "North team", "amount": "350.6234", "cost": "80.00", "lines": 4},
    ]
    assert rep_rows == [
        {"key": "N-T1", "name": "North team", "amount": "300.6234", "cost": "60.00", "lines": 3},
    ]


def test_totals_never_label_a_unit_above_the_managers_subtree(client_as, cells):
    response = client_as("manager").get(TOTALS, {"group_by": "org_unit", "level": 0})

    assert response.json() == [
        {"key": "NORTH", "name": "North", "amount": "350.6234", "cost": "80.00", "lines": 4},
    ]


def test_totals_take_the_same_filters_and_refuse_codes_outside_the_scope(client_as, cells):
    client = client_as("admin")
    assert client.get(TOTALS, {"group_by": "org_unit", "org_unit": "SOUTH"}).json() == [
        {"key": "S-T1", "name": "South team", "amount": "-300.00", "cost": "-100.00", "lines": 3},
    ]

    response = client_as("rep").get(TOTALS, {"salesperson": "S-S1"})

    assert response.status_code == 400
    assert response.json()["fields"] == {
        "salesperson": ["No salesperson with code “S-S1” is visible to you."]
    }


@pytest.mark.parametrize(
    ("params", "field"),
    [({"group_by": "customer"}, "group_by"), ({"level": "-1"}, "level"), ({"year": "x"}, "year")],
)
def test_totals_reject_bad_parameters(client_as, cells, params, field):
    response = client_as("admin").get(TOTALS, params)

    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert list(response.json()["fields"]) == [field]


def test_totals_refuse_users_without_a_role(client_as, cells):
    assert client_as("nobody").get(TOTALS).status_code == 403
    assert APIClient().get(TOTALS).status_code == 401


@pytest.mark.parametrize("group_by", ["month", "year", "salesperson", "product_line", "org_unit"])
def test_totals_use_a_fixed_number_of_queries(
    client_as, cells, django_assert_max_num_queries, group_by
):
    client = client_as("manager")

    with django_assert_max_num_queries(9):
        response = client.get(TOTALS, {"group_by": group_by, "product_line": "FUR"})

    assert response.status_code == 200
