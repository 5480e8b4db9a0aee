"""Orders (filters, totals, export) and Imports (upload, job page) for every role."""

import csv
import datetime as dt
import io
import re
from decimal import Decimal

import pytest
from django.core.files.base import ContentFile
from django.test import Client, override_settings
from openpyxl import load_workbook

from customers.models import ImportJob
from tests.factories import CustomerFactory, OrderFactory, OrderLineFactory, ProductFactory

pytestmark = pytest.mark.django_db

GOOD_CSV = (
    "order_id,line_no,order_date,customer_code,customer_name,salesperson_code,product_line,amount\n"
    "SO-100,1,2024-05-01,C-900,Neue Kunde,S-N1,FUR-CH,120.50\n"
    "SO-100,2,2024-05-01,C-900,Neue Kunde,S-N1,TEC-PH,79.50\n"
    "SO-101,1,2024-05-03,C-901,Zweite Kunde,S-N2,FUR-TA,300\n"
)


def _as(company, username: str, **kwargs) -> Client:
    client = Client(**kwargs)
    client.force_login(company.users[username])
    return client


def _line(company, day, salesperson, product_line, amount, *, customer=None, order_no=None):
    order_kwargs = {"order_date": day}
    if customer is not None:
        order_kwargs["customer"] = customer
    if order_no is not None:
        order_kwargs["order_no"] = order_no
    return OrderLineFactory(
        order=OrderFactory(**order_kwargs),
        salesperson=salesperson,
        product_line=product_line,
        amount=Decimal(amount),
    )


@pytest.fixture
def orders(company):
    """rep: 3 lines (one a return, one to a formula-like customer); peer: 1; south: 1."""
    risky = CustomerFactory(
        code="C-EVIL",
        name='=HYPERLINK("http://evil")',
        phone="+86 138 0000 0000",
        email="secret@example.com",
        address="1 Secret Road",
    )
    plain = CustomerFactory(code="C-ACME", name="Acme Trading", phone="555-PRIVATE")
    _line(
        company,
        dt.date(2024, 1, 10),
        company.rep,
        company.chairs,
        "1000.10",
        customer=plain,
        order_no="SO-1",
    )
    _line(
        company,
        dt.date(2024, 2, 10),
        company.rep,
        company.phones,
        "-200.00",
        customer=plain,
        order_no="SO-2",
    )
    _line(
        company,
        dt.date(2024, 3, 10),
        company.rep,
        company.tables,
        "50.005",
        customer=risky,
        order_no="SO-3",
    )
    _line(
        company, dt.date(2024, 2, 15), company.north_peer, company.phones, "400.00", order_no="SO-4"
    )
    _line(
        company, dt.date(2024, 2, 20), company.south_rep, company.chairs, "2000.00", order_no="SO-5"
    )
    return company


def _order_numbers(html: str) -> list[str]:
    body = (
        html.split('id="order-lines"', 1)[1].split("</tbody>", 1)[0]
        if 'id="order-lines"' in html
        else ""
    )
    return re.findall(r'<td class="nowrap">(SO-[^<]+)</td>', body)


def _total(html: str, name: str) -> str:
    return re.search(rf'data-total="{name}">([^<]*)<', html).group(1)


def _csv(response) -> list[list[str]]:
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text)))


# --- Orders ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    ["/orders/", "/orders/export.csv", "/imports/", "/imports/1/", "/imports/1/rejected-rows.csv"],
)
def test_anonymous_is_sent_to_sign_in(path):
    response = Client().get(path)
    assert response.status_code == 302
    assert response["Location"].startswith("/login/?next=")


@pytest.mark.parametrize(
    ("username", "expected", "total"),
    [
        ("admin", ["SO-3", "SO-5", "SO-4", "SO-2", "SO-1"], "3,250.11"),
        ("manager", ["SO-3", "SO-4", "SO-2", "SO-1"], "1,250.11"),
        ("other_manager", ["SO-5"], "2,000.00"),
        ("rep", ["SO-3", "SO-2", "SO-1"], "850.11"),
        ("nobody", [], "0.00"),
    ],
)
def test_orders_show_the_viewers_scope_only(orders, username, expected, total):
    html = _as(orders, username).get("/orders/").content.decode()
    assert _order_numbers(html) == expected
    assert _total(html, "amount") == total
    assert _total(html, "lines") == str(len(expected))


def test_orders_never_show_personal_data(orders):
    html = _as(orders, "admin").get("/orders/").content.decode()
    assert "Acme Trading" in html
    assert "555-PRIVATE" not in html
    assert "secret@example.com" not in html


def test_orders_filters_narrow_the_list_and_the_totals(orders):
    client = _as(orders, "manager")

    def numbers(**params: str) -> list[str]:
        return _order_numbers(client.get("/orders/", params).content.decode())

    assert numbers(date_from="2024-02-01", date_to="2024-02-28") == ["SO-4", "SO-2"]
    assert numbers(salesperson=str(orders.north_peer.pk)) == ["SO-4"]
    assert numbers(product_line=str(orders.furniture.pk)) == ["SO-3", "SO-1"]
    assert numbers(customer="c-acm") == ["SO-2", "SO-1"]
    assert numbers(customer="trading") == ["SO-2", "SO-1"]
    assert numbers(order_no="so-3") == ["SO-3"]
    html = client.get("/orders/", {"product_line": orders.tech.pk}).content.decode()
    assert _total(html, "amount") == "200.00"
    assert _total(html, "lines") == "2"


def test_filtering_by_a_salesperson_outside_the_scope_shows_nothing(orders):
    response = _as(orders, "manager").get("/orders/", {"salesperson": orders.south_rep.pk})
    html = response.content.decode()
    assert response.status_code == 200
    assert _order_numbers(html) == []
    assert _total(html, "lines") == "0"
    assert "Check the filters" in html
    assert "Sam South" not in html


def test_salesperson_filter_offers_only_people_in_scope(orders):
    html = _as(orders, "manager").get("/orders/").content.decode()
    assert "S-N1 · Nora North" in html
    assert "S-N2 · Ned North" in html
    assert "S-S1" not in html


def test_orders_are_paginated_by_fifty_with_totals_of_the_whole_set(company):
    for day in range(55):
        _line(
            company, dt.date(2024, 1, 1) + dt.timedelta(days=day), company.rep, company.chairs, "10"
        )
    client = _as(company, "rep")

    first = client.get("/orders/").content.decode()
    second = client.get("/orders/", {"page": 2}).content.decode()
    assert len(_order_numbers(first)) == 50
    assert len(_order_numbers(second)) == 5
    assert _total(first, "lines") == _total(second, "lines") == "55"
    assert _total(first, "amount") == "550.00"
    assert "1–50 of 55" in first
    assert 'href="?page=2"' in first


def test_orders_page_issues_a_bounded_number_of_queries(company, django_assert_max_num_queries):
    for day in range(60):
        customer = CustomerFactory()
        line = _line(
            company,
            dt.date(2024, 1, 1) + dt.timedelta(days=day),
            company.rep,
            company.chairs,
            "10",
            customer=customer,
        )
        line.product = ProductFactory(product_line=company.chairs)
        line.save(update_fields=["product"])
    client = _as(company, "manager")
    # session, user, scope (2), whether any split credit reaches the manager's part, the
    # totals, the page of lines: the credits of split lines are read only when some are on it
    with django_assert_max_num_queries(11):
        assert client.get("/orders/").status_code == 200


def test_csv_export_is_scoped_filtered_and_formula_safe(orders):
    client = _as(orders, "rep")
    response = client.get("/orders/export.csv", {"date_from": "2024-02-01"})

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="order-lines.csv"'
    rows = _csv(response)
    assert rows[0] == [
        "order_id", "line_no", "order_date", "customer_code", "customer_name",
        "salesperson_code", "product_line", "sku", "product_name", "quantity", "unit_price",
        "amount", "cost", "credit_split",
    ]  # fmt: skip
    body = sorted(rows[1:])
    assert [row[0] for row in body] == ["SO-2", "SO-3"]
    by_order = {row[0]: row for row in body}
    assert by_order["SO-3"][4] == '\'=HYPERLINK("http://evil")'
    assert by_order["SO-3"][11] == "50.005"
    assert by_order["SO-2"][11] == "-200.00"
    flat = ",".join(",".join(row) for row in rows)
    assert "secret@example.com" not in flat
    assert "555-PRIVATE" not in flat
    assert "SO-4" not in flat


def test_xlsx_export_writes_text_as_text_and_numbers_as_numbers(orders):
    response = _as(orders, "manager").get("/orders/export.xlsx", {"order_no": "SO-3"})

    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="order-lines.xlsx"'
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert len(rows) == 2
    header, row = rows
    record = dict(zip(header, row, strict=True))
    assert record["customer_name"] == '=HYPERLINK("http://evil")'
    assert sheet.cell(row=2, column=header.index("customer_name") + 1).data_type == "s"
    assert record["amount"] == pytest.approx(50.005)
    assert record["order_date"].date() == dt.date(2024, 3, 10)


def test_export_headers_follow_the_language_and_match_the_import(orders):
    client = _as(orders, "rep")
    rows = _csv(client.get("/orders/export.csv", HTTP_ACCEPT_LANGUAGE="zh-hans"))
    assert rows[0][:8] == [
        "订单号",
        "行号",
        "日期",
        "客户编码",
        "客户名称",
        "业务员",
        "产品线",
        "商品编码",
    ]


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_an_export_imports_back_unchanged(company, language, django_capture_on_commit_callbacks):
    for number in range(3):
        _line(company, dt.date(2024, 6, 1 + number), company.rep, company.chairs, f"1{number}.25")
    client = _as(company, "manager")
    exported = b"".join(
        client.get("/orders/export.csv", HTTP_ACCEPT_LANGUAGE=language).streaming_content
    )

    upload = ContentFile(exported, name="round-trip.csv")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/imports/", {"file": upload, "mode": "all_or_nothing"})

    assert response.status_code == 302
    job = ImportJob.objects.get()
    assert (job.status, job.rows_total, job.rows_rejected) == ("succeeded", 3, 0)
    assert (job.rows_inserted, job.rows_updated, job.rows_unchanged) == (0, 0, 3)


def test_export_with_an_out_of_scope_filter_is_empty(orders):
    rows = _csv(
        _as(orders, "manager").get("/orders/export.csv", {"salesperson": orders.south_rep.pk})
    )
    assert len(rows) == 1


def test_unknown_export_format_is_404(orders):
    assert _as(orders, "manager").get("/orders/export.pdf").status_code == 404


@override_settings(LANGUAGE_CODE="en")
def test_too_big_xlsx_export_redirects_with_a_message(orders, monkeypatch):
    monkeypatch.setattr("customers.views.XLSX_MAX_ROWS", 2)
    client = _as(orders, "manager")
    response = client.get("/orders/export.xlsx", {"date_from": "2024-01-01"})
    assert response.status_code == 302
    assert response["Location"] == "/orders/?date_from=2024-01-01"
    assert "too many for an XLSX file" in client.get(response["Location"]).content.decode()


# --- Imports --------------------------------------------------------------------------------


def _job(company, username: str, **fields) -> ImportJob:
    job = ImportJob(created_by=company.users[username], original_name="orders.csv", **fields)
    job.file.save("orders.csv", ContentFile(b"x"), save=False)
    job.save()
    return job


@pytest.mark.parametrize("username", ["rep", "south_rep", "nobody"])
def test_imports_are_for_managers_and_admins_only(company, username):
    job = _job(company, "manager")
    client = _as(company, username)
    for path in ("/imports/", f"/imports/{job.pk}/", f"/imports/{job.pk}/rejected-rows.csv"):
        response = client.get(path)
        assert response.status_code == 403, path
        assert "Access denied" in response.content.decode()
    assert client.post("/imports/", {}).status_code == 403


def test_imports_page_has_the_upload_form_and_the_viewers_recent_jobs(company):
    mine = _job(company, "manager", status=ImportJob.Status.SUCCEEDED, rows_imported=12)
    theirs = _job(company, "other_manager")
    html = _as(company, "manager").get("/imports/").content.decode()

    assert 'enctype="multipart/form-data"' in html
    assert 'name="csrfmiddlewaretoken"' in html
    assert 'type="file" name="file"' in html
    assert 'name="mapping"' in html
    assert 'value="all_or_nothing"' in html
    assert 'value="partial"' in html
    assert f'href="/imports/{mine.pk}/"' in html
    assert f'href="/imports/{theirs.pk}/"' not in html


def test_upload_creates_a_job_and_redirects_to_its_page(company):
    client = _as(company, "manager")
    upload = ContentFile(GOOD_CSV.encode(), name="may.csv")
    response = client.post("/imports/", {"file": upload, "mode": "all_or_nothing"})

    job = ImportJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/imports/{job.pk}/"
    assert job.created_by == company.users["manager"]
    assert job.original_name == "may.csv"
    html = client.get(response["Location"]).content.decode()
    assert "may.csv" in html
    assert 'role="progressbar"' in html


def test_upload_of_a_file_that_is_not_an_order_file_shows_why(company):
    client = _as(company, "manager")
    upload = ContentFile(b"\x00\x01\x02binary\x00", name="photo.png")
    response = client.post("/imports/", {"file": upload, "mode": "all_or_nothing"})

    assert response.status_code == 200
    html = response.content.decode()
    assert 'class="field__error"' in html
    assert not ImportJob.objects.exists()


@override_settings(SALESALLOC_IMPORT_MAX_BYTES=10)
def test_upload_of_a_too_large_file_shows_the_limit(company):
    client = _as(company, "manager")
    upload = ContentFile(GOOD_CSV.encode(), name="big.csv")
    response = client.post("/imports/", {"file": upload, "mode": "partial"})
    assert response.status_code == 200
    assert 'class="field__error"' in response.content.decode()
    assert not ImportJob.objects.exists()


def test_upload_without_a_file_is_a_form_error(company):
    response = _as(company, "manager").post("/imports/", {"mode": "partial"})
    assert response.status_code == 200
    assert "This field is required." in response.content.decode()


def test_upload_without_csrf_token_is_refused(company):
    client = _as(company, "manager", enforce_csrf_checks=True)
    upload = ContentFile(GOOD_CSV.encode(), name="may.csv")
    response = client.post("/imports/", {"file": upload, "mode": "partial"})
    assert response.status_code == 403
    assert "security token" in response.content.decode()
    assert not ImportJob.objects.exists()


def test_another_managers_job_is_not_found(company):
    job = _job(company, "other_manager")
    assert _as(company, "manager").get(f"/imports/{job.pk}/").status_code == 404
    assert _as(company, "admin").get(f"/imports/{job.pk}/").status_code == 200


def test_running_job_page_polls_the_api(company):
    job = _job(
        company,
        "manager",
        status=ImportJob.Status.RUNNING,
        phase=ImportJob.Phase.READING,
        rows_total=200,
        rows_done=50,
    )
    html = _as(company, "manager").get(f"/imports/{job.pk}/").content.decode()

    assert f'data-status-url="/api/v1/imports/{job.pk}/"' in html
    assert 'data-finished="false"' in html
    assert 'aria-valuenow="25"' in html
    assert 'http-equiv="refresh"' in html
    assert "import_progress.js" in html
    assert 'id="rejected-rows"' not in html


def test_finished_job_page_shows_summary_and_rejected_rows(company):
    errors = [
        {"row": 3, "column": "amount", "message": "Not a number: “abc”."},
        {"row": 7, "column": "salesperson_code", "message": "Unknown salesperson “X9”."},
    ]
    job = _job(
        company,
        "manager",
        status=ImportJob.Status.FAILED,
        phase=ImportJob.Phase.DONE,
        rows_total=9,
        rows_done=9,
        rows_rejected=2,
        errors=errors,
        errors_total=2,
        message="2 rows have errors; nothing was imported.",
    )
    html = _as(company, "manager").get(f"/imports/{job.pk}/").content.decode()

    assert 'data-finished="true"' in html
    assert 'aria-valuenow="100"' in html
    assert 'http-equiv="refresh"' not in html
    assert "2 rows have errors; nothing was imported." in html
    table = html.split('id="rejected-rows"', 1)[1].split("</table>", 1)[0]
    assert re.findall(r'<td class="num">(\d+)</td>', table) == ["3", "7"]
    assert "Unknown salesperson “X9”." in table


def test_rejected_rows_download_as_csv(company):
    errors = [{"row": 4, "column": "customer_name", "message": "=cmd|' /C calc'!A0"}]
    job = _job(company, "manager", status=ImportJob.Status.FAILED, errors=errors, errors_total=1)
    response = _as(company, "manager").get(f"/imports/{job.pk}/rejected-rows.csv")
    assert response.status_code == 200
    assert _csv(response) == [
        ["row", "order", "column", "message"],
        ["4", "", "customer_name", "'=cmd|' /C calc'!A0"],
    ]


def test_job_page_issues_a_bounded_number_of_queries(company, django_assert_max_num_queries):
    job = _job(company, "manager", status=ImportJob.Status.SUCCEEDED)
    for _ in range(5):
        _job(company, "manager", status=ImportJob.Status.FAILED)
    client = _as(company, "manager")
    with django_assert_max_num_queries(8):
        assert client.get(f"/imports/{job.pk}/").status_code == 200
    with django_assert_max_num_queries(8):
        assert client.get("/imports/").status_code == 200
