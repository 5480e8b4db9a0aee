import io
from decimal import Decimal

import pytest
from django.test import Client
from openpyxl import load_workbook
from rest_framework.test import APIClient

from tests.factories import OrderFactory, OrderLineFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/orders/"
EXPORT = "/api/v1/orders/export/"


def rep_row(sales):
    return {
        "id": sales.rep_line.pk,
        "order_no": "SO-1",
        "line_no": 1,
        "order_date": "2019-03-15",
        "customer": "C-N1",
        "customer_name": "Northwind",
        "salesperson": "S-N1",
        "product_line": "FUR-CH",
        "sku": "CH-001",
        "quantity": "2",
        "unit_price": "50.25",
        "amount": "100.50",
        "cost": "60.00",
        "split_credit": False,
        "share": "100.0000",
        "credits": [],
    }


def peer_row(sales):
    return {
        "id": sales.peer_line.pk,
        "order_no": "SO-2",
        "line_no": 1,
        "order_date": "2019-04-02",
        "customer": "C-N2",
        "customer_name": '=HYPERLINK("http://evil")',
        "salesperson": "S-N2",
        "product_line": "FUR-TA",
        "sku": None,
        "quantity": "1",
        "unit_price": None,
        "amount": "80.00",
        "cost": None,
        "split_credit": False,
        "share": "100.0000",
        "credits": [],
    }


def south_row(sales):
    return {
        "id": sales.south_line.pk,
        "order_no": "SO-3",
        "line_no": 1,
        "order_date": "2020-01-10",
        "customer": "C-S1",
        "customer_name": "Southwind",
        "salesperson": "S-S1",
        "product_line": "TEC-PH",
        "sku": None,
        "quantity": "-1",
        "unit_price": "20.00",
        "amount": "-20.00",
        "cost": "-12.50",
        "split_credit": False,
        "share": "100.0000",
        "credits": [],
    }


def _page(results):
    return {"count": len(results), "next": None, "previous": None, "results": results}


def _order_nos(response):
    assert response.status_code == 200, response.content
    return [row["order_no"] for row in response.json()["results"]]


def test_admin_sees_all_order_lines_newest_first(client_as, sales):
    response = client_as("admin").get(URL)

    assert response.status_code == 200
    assert response.json() == _page([south_row(sales), peer_row(sales), rep_row(sales)])


@pytest.mark.parametrize(
    ("username", "orders"),
    [
        ("director", ["SO-3", "SO-2", "SO-1"]),
        ("manager", ["SO-2", "SO-1"]),
        ("other_manager", ["SO-3"]),
        ("rep", ["SO-1"]),
        ("south_rep", ["SO-3"]),
    ],
)
def test_order_lines_are_scoped(client_as, sales, username, orders):
    assert _order_nos(client_as(username).get(URL)) == orders


def test_order_line_detail_outside_the_scope_is_404(client_as, sales):
    rep = client_as("rep")

    assert rep.get(f"{URL}{sales.rep_line.pk}/").json() == rep_row(sales)
    for line in (sales.peer_line, sales.south_line):
        response = rep.get(f"{URL}{line.pk}/")
        assert response.status_code == 404
        assert response.json() == {"message": "Not found.", "code": "not_found"}
    assert client_as("manager").get(f"{URL}{sales.south_line.pk}/").status_code == 404


def test_order_line_filters(client_as, sales):
    client = client_as("admin")

    assert _order_nos(client.get(URL, {"date_from": "2019-04-01"})) == ["SO-3", "SO-2"]
    assert _order_nos(client.get(URL, {"date_to": "2019-04-02"})) == ["SO-2", "SO-1"]
    assert _order_nos(client.get(URL, {"salesperson": "S-N2"})) == ["SO-2"]
    assert _order_nos(client.get(URL, {"product_line": "FUR"})) == ["SO-2", "SO-1"]
    assert _order_nos(client.get(URL, {"org_unit": "SOUTH"})) == ["SO-3"]
    assert _order_nos(client.get(URL, {"customer": "C-N1"})) == ["SO-1"]
    assert _order_nos(client.get(URL, {"order_no": "SO-3"})) == ["SO-3"]


def test_plain_filters_naming_someone_elses_orders_return_nothing(client_as, sales):
    rep = client_as("rep")

    assert _order_nos(rep.get(URL, {"order_no": "SO-3"})) == []
    assert _order_nos(rep.get(URL, {"customer": "C-S1"})) == []


@pytest.mark.parametrize(
    ("username", "params", "message"),
    [
        ("rep", {"salesperson": "S-N2"}, "No salesperson with code “S-N2” is visible to you."),
        ("manager", {"org_unit": "S-T1"}, "No org unit with code “S-T1” is visible to you."),
        ("admin", {"product_line": "XX"}, "No product line with code “XX”."),
        ("admin", {"date_from": "2019-02-30"}, "Enter a valid date."),
    ],
)
def test_scoped_code_filters_outside_the_scope_are_400(client_as, sales, username, params, message):
    response = client_as(username).get(URL, params)

    field = next(iter(params))
    assert response.status_code == 400
    assert response.json() == {
        "message": f"{field}: {message}",
        "code": "invalid",
        "fields": {field: [message]},
    }


@pytest.mark.parametrize("username", ["admin", "manager", "rep"])
def test_order_list_query_count_does_not_grow_with_rows(
    client_as, company, sales, django_assert_max_num_queries, username
):
    for i in range(20):
        OrderLineFactory(
            order=OrderFactory(customer=sales.north_customer),
            salesperson=company.rep,
            product_line=company.chairs,
            amount=Decimal(i),
        )
    client = client_as(username)

    # + whether any split credit reaches the viewer, + the salesperson whose part is shown
    with django_assert_max_num_queries(11):
        response = client.get(URL, {"product_line": "FUR", "salesperson": "S-N1"})

    assert response.json()["count"] == 21


def test_nobody_and_anonymous_get_no_orders(client_as, sales):
    assert client_as("nobody").get(URL).status_code == 403
    assert client_as("nobody").get(EXPORT).status_code == 403
    assert APIClient().get(URL).status_code == 401
    assert APIClient().get(EXPORT).status_code == 401


def test_orders_are_read_only(client_as, sales):
    client = client_as("admin")

    assert client.post(URL, {"order_no": "X"}, format="json").status_code == 405
    assert (
        client.put(f"{URL}{sales.rep_line.pk}/", {"amount": "1"}, format="json").status_code == 405
    )
    assert client.delete(f"{URL}{sales.rep_line.pk}/").status_code == 405


# --- export ---------------------------------------------------------------------------------

# The order file's own headers (the page's export is the same file), so a download re-imports.
HEADER = (
    "order_id,line_no,order_date,customer_code,customer_name,salesperson_code,product_line,sku,"
    "product_name,quantity,unit_price,amount,cost,credit_split"
)


def _csv(response):
    assert response.status_code == 200, response.content
    return b"".join(response.streaming_content).decode("utf-8").lstrip("\ufeff").splitlines()


def test_csv_export_is_scoped_filtered_and_formula_safe(client_as, sales):
    manager = client_as("manager")

    lines = _csv(manager.get(EXPORT, {"format": "csv"}))

    assert lines == [
        HEADER,
        'SO-2,1,2019-04-02,C-N2,"\'=HYPERLINK(""http://evil"")",S-N2,FUR-TA,,,1,,80.00,,',
        "SO-1,1,2019-03-15,C-N1,Northwind,S-N1,FUR-CH,CH-001,Chair,2,50.25,100.50,60.00,",
    ]
    assert _csv(manager.get(EXPORT, {"salesperson": "S-N1"}))[1:] == [lines[2]]
    assert _csv(client_as("rep").get(EXPORT))[1:] == [lines[2]]


def test_csv_export_headers(client_as, sales):
    response = client_as("rep").get(EXPORT, {"format": "csv"})

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="order-lines.csv"'


def test_xlsx_export(client_as, sales):
    response = client_as("other_manager").get(EXPORT, {"format": "xlsx"})

    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="order-lines.xlsx"'
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == tuple(HEADER.split(","))
    assert rows[1][:8] == ("SO-3", 1, rows[1][2], "C-S1", "Southwind", "S-S1", "TEC-PH", None)
    assert rows[1][11] == -20
    assert len(rows) == 2


def test_export_refuses_unknown_formats_and_out_of_scope_filters(client_as, sales):
    bad_format = client_as("admin").get(EXPORT, {"format": "pdf"})
    outside = client_as("rep").get(EXPORT, {"org_unit": "SOUTH"})

    assert bad_format.status_code == 400
    assert bad_format.json() == {
        "message": 'format: "pdf" is not a valid choice.',
        "code": "invalid",
        "fields": {"format": ['"pdf" is not a valid choice.']},
    }
    assert outside.status_code == 400
    assert outside.json()["fields"] == {
        "org_unit": ["No org unit with code “SOUTH” is visible to you."]
    }


def test_export_uses_a_fixed_number_of_queries(
    client_as, company, sales, django_assert_max_num_queries
):
    for _ in range(30):
        OrderLineFactory(
            order=OrderFactory(customer=sales.north_customer),
            salesperson=company.rep,
            product_line=company.chairs,
        )
    client = client_as("manager")

    with django_assert_max_num_queries(7):
        lines = _csv(client.get(EXPORT))

    assert len(lines) == 33


def test_xlsx_export_of_too_many_rows_asks_for_csv(client_as, sales, monkeypatch):
    monkeypatch.setattr("customers.api.views.XLSX_MAX_ROWS", 1)
    client = client_as("manager")

    response = client.get(EXPORT, {"format": "xlsx"})

    assert response.status_code == 400
    assert response.json() == {
        "message": "format: More than 1 rows: narrow the filters or download CSV instead.",
        "code": "invalid",
        "fields": {"format": ["More than 1 rows: narrow the filters or download CSV instead."]},
    }
    assert client.get(EXPORT, {"format": "xlsx", "salesperson": "S-N1"}).status_code == 200
    assert len(_csv(client.get(EXPORT, {"format": "csv"}))) == 3


def test_the_api_and_the_orders_page_export_the_same_file(client_as, company, sales):
    page = Client()
    page.force_login(company.users["manager"])

    for fmt in ("csv", "xlsx"):
        from_api = client_as("manager").get(EXPORT, {"format": fmt, "salesperson": "S-N1"})
        from_page = page.get(f"/orders/export.{fmt}", {"salesperson": company.rep.pk})

        assert from_api.status_code == from_page.status_code == 200
        assert from_api["Content-Disposition"] == from_page["Content-Disposition"]
        if fmt == "csv":
            assert _csv(from_api) == _csv(from_page)
        else:
            api_rows = list(load_workbook(io.BytesIO(from_api.content)).active.values)
            page_rows = list(load_workbook(io.BytesIO(from_page.content)).active.values)
            assert api_rows == page_rows
            assert len(api_rows) == 2
