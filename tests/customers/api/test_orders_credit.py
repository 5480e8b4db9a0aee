"""Split lines on the Orders page, the order-line API and the export: everyone credited
sees the line, each with their own part; the list sorts by column."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest
from django.test import Client

from customers.models import OrderLine
from tests.customers.import_support import csv_text, run_import

pytestmark = pytest.mark.django_db

URL = "/api/v1/orders/"
HEADER = (
    "order_id,order_date,customer_code,salesperson_code,product_line,quantity,amount,cost,"
    "credit_split"
)


@pytest.fixture
def split(company):
    """SO-1: 300.00, 3 units, cost 120, S-N1 50 % / S-N2 30 % / S-S1 20 % (north, north,
    south); SO-2: S-N2's own 10.00; SO-3: S-S1's own 99.00."""
    job = run_import(
        csv_text(
            "SO-1,2019-03-05,C-1,S-N1,FUR-CH,3,300.00,120,S-N1:50;S-N2:30;S-S1:20",
            "SO-2,2019-03-06,C-2,S-N2,FUR-TA,1,10.00,,",
            "SO-3,2019-03-07,C-3,S-S1,TEC-PH,1,99.00,,",
            header=HEADER,
        )
    )
    assert job.status == "succeeded"
    return OrderLine.objects.get(order__order_no="SO-1")


def _row(response, order_no):
    assert response.status_code == 200, response.content
    return next(row for row in response.json()["results"] if row["order_no"] == order_no)


def test_an_admin_sees_the_whole_line_and_every_credit(client_as, split):
    row = _row(client_as("admin").get(URL), "SO-1")

    assert row == {
        "id": split.pk,
        "order_no": "SO-1",
        "line_no": 1,
        "order_date": "2019-03-05",
        "customer": "C-1",
        "customer_name": "",
        "salesperson": "S-N1",
        "product_line": "FUR-CH",
        "sku": None,
        "quantity": "3",
        "unit_price": None,
        "amount": "300.00",
        "cost": "120.00",
        "split_credit": True,
        "share": "100.0000",
        "credits": [
            {"salesperson": "S-N1", "share": "50.0000", "amount": "150.00"},
            {"salesperson": "S-N2", "share": "30.0000", "amount": "90.00"},
            {"salesperson": "S-S1", "share": "20.0000", "amount": "60.00"},
        ],
    }


def test_a_manager_sees_the_part_of_their_salespeople(client_as, split):
    row = _row(client_as("manager").get(URL), "SO-1")

    # north: 50 % + 30 % = 80 % of 300.00 = 240.00; cost 60 + 36 = 96; 1.5 + 0.9 = 2.4 units
    assert {key: row[key] for key in ("salesperson", "amount", "cost", "quantity", "share")} == {
        "salesperson": "S-N1",
        "amount": "240.00",
        "cost": "96.00",
        "quantity": "2.4",
        "share": "80.0000",
    }
    assert [credit["salesperson"] for credit in row["credits"]] == ["S-N1", "S-N2"]


def test_a_credited_salesperson_sees_only_their_share(client_as, company, split):
    south = client_as("south_rep").get(URL)

    assert [row["order_no"] for row in south.json()["results"]] == ["SO-3", "SO-1"]
    row = _row(south, "SO-1")
    # S-S1's 20 % of 300.00 = 60.00; the line's own salesperson (S-N1) is not shown
    assert {key: row[key] for key in ("salesperson", "amount", "cost", "share")} == {
        "salesperson": "S-S1",
        "amount": "60.00",
        "cost": "24.00",
        "share": "20.0000",
    }
    assert row["credits"] == [{"salesperson": "S-S1", "share": "20.0000", "amount": "60.00"}]
    assert client_as("south_rep").get(f"{URL}{split.pk}/").json()["amount"] == "60.00"
    page = Client()
    page.force_login(company.users["south_rep"])
    html = page.get("/orders/").content.decode()
    assert "S-N1" not in html
    assert "S-N2" not in html
    assert "60.00" in html
    assert "300.00" not in html


def test_filtering_by_a_credited_salesperson_shows_their_part(client_as, split):
    rows = client_as("admin").get(URL, {"salesperson": "S-N2"}).json()["results"]

    assert [(row["order_no"], row["amount"]) for row in rows] == [
        ("SO-2", "10.00"),
        ("SO-1", "90.00"),
    ]
    assert [
        r["order_no"] for r in client_as("admin").get(URL, {"org_unit": "SOUTH"}).json()["results"]
    ] == ["SO-3", "SO-1"]


def test_the_orders_page_totals_are_the_viewers_actuals(company, split):
    def total(username):
        client = Client()
        client.force_login(company.users[username])
        return client.get("/orders/").context["totals"]["amount"]

    assert total("admin") == Decimal("409.00")  # 300 + 10 + 99
    assert total("manager") == Decimal("250.00")  # 240 (north's part) + 10
    assert total("rep") == Decimal("150.00")  # S-N1's 50 %
    assert total("south_rep") == Decimal("159.00")  # 60 + 99


def test_the_export_carries_the_split_and_imports_back_unchanged(company, split):
    client = Client()
    client.force_login(company.users["admin"])
    content = b"".join(client.get("/orders/export.csv").streaming_content).decode("utf-8-sig")
    rows = {row["order_id"]: row for row in csv.DictReader(io.StringIO(content))}
    assert rows["SO-1"]["credit_split"] == "S-N1:50;S-N2:30;S-S1:20"
    assert rows["SO-2"]["credit_split"] == ""

    again = run_import(content.encode("utf-8"))

    assert (again.status, again.rows_unchanged, again.rows_updated) == ("succeeded", 3, 0)

    rep = Client()
    rep.force_login(company.users["south_rep"])
    mine = b"".join(rep.get("/orders/export.csv").streaming_content).decode("utf-8-sig")
    assert {
        row["order_id"]: (row["amount"], row["credit_split"])
        for row in csv.DictReader(io.StringIO(mine))
    } == {"SO-1": ("60.00", "S-S1:20"), "SO-3": ("99.00", "")}


def test_equal_splits_export_as_codes_so_they_import_back_exactly(company):
    run_import(csv_text("SO-9,2019-03-05,C-1,S-N1,FUR-CH,1,100,,S-N1;S-N2;S-S1", header=HEADER))
    client = Client()
    client.force_login(company.users["admin"])
    content = b"".join(client.get("/orders/export.csv").streaming_content).decode("utf-8-sig")

    assert next(csv.DictReader(io.StringIO(content)))["credit_split"] == "S-N1;S-N2;S-S1"
    assert run_import(content.encode("utf-8")).rows_unchanged == 1


@pytest.mark.parametrize(
    ("ordering", "orders"),
    [
        (None, ["SO-3", "SO-2", "SO-1"]),
        ("date", ["SO-1", "SO-2", "SO-3"]),
        ("-amount", ["SO-1", "SO-3", "SO-2"]),
        ("amount", ["SO-2", "SO-3", "SO-1"]),
        ("salesperson", ["SO-1", "SO-2", "SO-3"]),
        ("-customer", ["SO-3", "SO-2", "SO-1"]),
        ("product_line", ["SO-1", "SO-2", "SO-3"]),
    ],
)
def test_the_api_list_sorts_by_column(client_as, split, ordering, orders):
    params = {"ordering": ordering} if ordering else {}
    response = client_as("admin").get(URL, params)
    assert [row["order_no"] for row in response.json()["results"]] == orders


def test_an_unknown_sort_is_a_400_on_the_api_and_ignored_with_a_message_on_the_page(
    client_as, company, split
):
    response = client_as("admin").get(URL, {"ordering": "password"})
    assert response.status_code == 400
    assert response.json()["fields"] == {
        "ordering": [
            "Unknown sort “password”; sort by one of: date, order, line, customer, "
            "salesperson, product_line, sku, quantity, amount."
        ]
    }

    client = Client()
    client.force_login(company.users["admin"])
    page = client.get("/orders/", {"sort": "password';--"})
    assert page.status_code == 200
    assert [str(m) for m in page.context["messages"]] == [
        "Unknown sort “password';--” ignored; sort by one of: date, order, line, customer, "
        "salesperson, product_line, sku, quantity, amount."
    ]
    assert [line.order.order_no for line, _shown in page.context["rows"]] == [
        "SO-3",
        "SO-2",
        "SO-1",
    ]


def test_the_page_sorts_by_column_and_marks_the_header(company, split):
    client = Client()
    client.force_login(company.users["admin"])

    page = client.get("/orders/", {"sort": "-amount", "customer": "C"})

    assert [line.order.order_no for line, _shown in page.context["rows"]] == [
        "SO-1",
        "SO-3",
        "SO-2",
    ]
    headers = {h["key"]: h for h in page.context["sort_headers"]}
    assert headers["amount"]["aria"] == "descending"
    assert headers["date"]["aria"] == "none"
    # the sorted column's link reverses it and keeps the filters; the others start anew
    assert headers["amount"]["url"] == "?sort=amount&customer=C"
    assert headers["customer"]["url"] == "?sort=customer&customer=C"
    html = page.content.decode()
    assert 'aria-sort="descending"' in html
    assert "▼" in html
