"""Commission pages: scoped list, printable statement, exports, approve and pay."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from performance.commissions.models import CommissionStatement
from performance.commissions.services import commission_plan_create
from tests.performance.commissions.support import sell, target_plan

pytestmark = pytest.mark.django_db

BRACKETS = [
    {"from": "0", "rate": "0.02"},
    {"from": "0.5", "rate": "0.04"},
    {"from": "1", "rate": "0.06"},
]


@pytest.fixture
def plan(company):
    people = [company.rep, company.north_peer, company.south_rep]
    tp = target_plan(company, {(p, "2019-01"): "10000.00" for p in people})
    sell(company.rep, "2019-02-10", "7500.00", product_line=company.chairs)
    return commission_plan_create(
        name="Q plan", target_plan=tp, period="quarter", mode="marginal", brackets=BRACKETS
    )


def login(client, company, username):
    client.force_login(company.users[username])
    return client


def rep_q1(company):
    return CommissionStatement.objects.get(salesperson=company.rep, period="2019-Q1")


def test_list_shows_own_statements_to_a_salesperson(client, company, plan):
    page = login(client, company, "rep").get(reverse("commission-list")).content.decode()
    assert "S-N1" in page
    assert "S-N2" not in page
    assert "S-S1" not in page


def test_list_shows_the_subtree_to_a_manager(client, company, plan):
    page = login(client, company, "manager").get(reverse("commission-list")).content.decode()
    assert "S-N1" in page
    assert "S-N2" in page
    assert "S-S1" not in page


def test_list_refuses_users_without_a_role_and_sends_visitors_to_sign_in(client, company, plan):
    assert client.get(reverse("commission-list")).status_code == 302
    assert login(client, company, "nobody").get(reverse("commission-list")).status_code == 403


def test_statement_page_explains_every_line(client, company, plan):
    url = reverse("commission-statement", args=[rep_q1(company).pk])
    page = login(client, company, "rep").get(url).content.decode()
    # 5000 × 2 % = 100.00 and 2500 × 4 % = 100.00; total 200.00
    assert "5,000.00" in page
    assert "2,500.00" in page
    assert 'data-field="total">200.00' in page
    assert "@media print" in Path("static/css/incentives.css").read_text()
    assert "Approve" not in page  # a salesperson cannot approve


def test_statement_page_of_someone_else_is_404(client, company, plan):
    url = reverse("commission-statement", args=[rep_q1(company).pk])
    assert login(client, company, "south_rep").get(url).status_code == 404
    assert login(client, company, "other_manager").get(url).status_code == 404


def test_statement_page_in_chinese(client, company, plan):
    url = reverse("commission-statement", args=[rep_q1(company).pk])
    page = login(client, company, "rep").get(url, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "提成结算单" in page


def test_csv_and_xlsx_exports_are_formula_safe(client, company, plan):
    row = rep_q1(company)
    row.lines.filter(position=0).update(label="=HYPERLINK(1)")
    url = reverse("commission-statement", args=[row.pk])
    login(client, company, "rep")
    csv_text = b"".join(client.get(url, {"format": "csv"}).streaming_content).decode("utf-8-sig")
    assert "'=HYPERLINK(1)" in csv_text
    assert "Total,,,200.00" in csv_text
    book = load_workbook(io.BytesIO(client.get(url, {"format": "xlsx"}).content))
    sheet = next(iter(book.worksheets))
    cells = [cell.value for row in sheet.iter_rows() for cell in row]
    assert "=HYPERLINK(1)" in cells  # a plain string cell, never a formula
    assert next(iter(book.worksheets))["A2"].data_type == "s"


def test_manager_approves_and_admin_pays(client, company, plan):
    row = rep_q1(company)
    approve = reverse("commission-statement-approve", args=[row.pk])
    pay = reverse("commission-statement-pay", args=[row.pk])
    assert login(client, company, "rep").post(approve).status_code == 404
    assert login(client, company, "other_manager").post(approve).status_code == 404
    assert login(client, company, "manager").post(approve).status_code == 302
    row.refresh_from_db()
    assert row.status == "approved"
    assert login(client, company, "manager").post(pay).status_code == 403
    assert login(client, company, "admin").post(pay).status_code == 302
    row.refresh_from_db()
    assert row.status == "paid"
