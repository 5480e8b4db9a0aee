"""Import settings pages, the template download, a partial import that completes with errors
and split lines on the Orders page, in Chromium (desktop and the phone layout)."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from customers.models import ColumnMapping, CreditRule, TerritoryRule

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PARTIAL_CSV = (
    "order_id,order_date,customer_code,salesperson_code,product_line,amount,credit_split\n"
    "SO-1,2024-05-01,C-1,S-N1,FUR-CH,300.00,S-N1:50;S-N2:50\n"
    "SO-2,2024-05-02,C-1,S-N1,FUR-CH,10.00,S-N1:99;S-N2:0.5\n"
    "SO-3,2024-05-03,C-2,S-N2,FUR-CH,20.00,\n"
)


def _settings(page, tab: str) -> None:
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Imports").click()
    page.get_by_role("navigation", name="Import settings").get_by_role("link", name=tab).click()


def test_a_manager_creates_edits_and_deletes_a_column_mapping(page, sign_in, company):
    sign_in(page, "manager")
    _settings(page, "Column mappings")
    page.get_by_role("link", name="Add a mapping").click()

    page.get_by_role("button", name="Save").click()  # nothing filled in
    assert page.get_by_role("alert").first.inner_text().startswith("This field is required") or (
        "required" in page.locator("#mapping-form").inner_text()
    )
    page.get_by_label("Name", exact=True).fill("Kingdee")
    page.get_by_label("amount", exact=True).fill("价税合计")
    page.get_by_label("salesperson_code", exact=True).fill("经手人")
    page.get_by_role("button", name="Save").click()
    page.wait_for_url("**/imports/mappings/")
    assert "Column mapping “Kingdee” saved." in page.locator("body").inner_text()
    assert "价税合计" in page.locator("#column-mappings").inner_text()

    page.get_by_role("link", name="Kingdee").click()
    page.get_by_label("amount", exact=True).fill("金额合计")
    page.get_by_role("button", name="Save").click()
    page.wait_for_url("**/imports/mappings/")
    assert ColumnMapping.objects.get().columns == {
        "amount": "金额合计",
        "salesperson_code": "经手人",
    }

    page.locator("[data-mapping=Kingdee]").get_by_role("button", name="Delete").click()
    page.wait_for_url("**/imports/mappings/")
    assert "No mappings yet." in page.locator("#column-mappings").inner_text()


def test_a_manager_manages_territory_rules_of_their_salespeople_only(page, sign_in, company):
    TerritoryRule.objects.create(
        attribute="state", value="Guangdong", salesperson=company.south_rep
    )
    sign_in(page, "manager")
    _settings(page, "Territory rules")
    assert "Guangdong" not in page.locator("#territory-rules").inner_text()

    page.get_by_role("link", name="Add a rule").click()
    options = page.get_by_label("assign the rows to").locator("option").all_inner_texts()
    assert [o for o in options if o.startswith("S-")] == ["S-N1 · Nora North", "S-N2 · Ned North"]
    page.get_by_label("When the customer's").select_option("state")
    page.get_by_label("is", exact=True).fill("Hebei")
    page.get_by_label("assign the rows to").select_option(label="S-N2 · Ned North")
    page.get_by_role("button", name="Save").click()
    page.wait_for_url("**/imports/territories/")
    assert "Hebei" in page.locator("#territory-rules").inner_text()

    page.get_by_role("link", name="Add a rule").click()
    page.get_by_label("When the customer's").select_option("state")
    page.get_by_label("is", exact=True).fill("guangdong")  # another region's: not echoed
    page.get_by_label("assign the rows to").select_option(label="S-N1 · Nora North")
    page.get_by_role("button", name="Save").click()
    assert "can't be assigned here; ask an administrator" in page.locator("body").inner_text()
    assert TerritoryRule.objects.count() == 2


def test_a_credit_rule_with_shares_not_adding_up_is_refused_with_the_reason(page, sign_in, company):
    sign_in(page, "manager")
    _settings(page, "Credit rules")
    page.get_by_role("link", name="Add a rule").click()
    page.get_by_label("When the customer's").select_option("customer_code")
    page.get_by_label("is", exact=True).fill("C-1")
    page.get_by_label("Salesperson 1", exact=True).select_option(label="S-N1 · Nora North")
    page.get_by_label("Share 1 (%)", exact=True).fill("60")
    page.get_by_label("Salesperson 2", exact=True).select_option(label="S-N2 · Ned North")
    page.get_by_label("Share 2 (%)", exact=True).fill("30")
    page.get_by_role("button", name="Save").click()
    assert "The shares add up to 90 %, not 100 %." in page.get_by_role("alert").first.inner_text()

    page.get_by_label("Share 2 (%)", exact=True).fill("40")
    page.get_by_role("button", name="Save").click()
    page.wait_for_url("**/imports/credit-rules/")
    assert "60 %" in page.locator("#credit-rules").inner_text()
    assert CreditRule.objects.get().value == "C-1"


def test_the_template_downloads_with_headers_in_the_viewers_language(new_page, sign_in, company):
    page = new_page(viewport={"width": 1280, "height": 900})
    sign_in_zh(page)
    page.goto("/imports/")
    with page.expect_download() as download:
        page.locator("[data-template=xlsx]").click()
    assert download.value.suggested_filename == "order-import-template.xlsx"
    with open(download.value.path(), "rb") as handle:
        book = load_workbook(io.BytesIO(handle.read()))
    assert book.sheetnames == ["订单", "说明"]
    assert [c.value for c in book["订单"][1]][:3] == ["订单号", "行号", "日期"]


def sign_in_zh(page) -> None:
    """Switch the sign-in page to Chinese, then sign in as the manager."""
    page.goto("/login/")
    page.get_by_role("button", name="中文").click()
    page.wait_for_selector("html[lang=zh-hans]")
    page.locator("input[name=username]").fill("manager")
    page.locator("input[name=password]").fill("pw-secret-123")
    page.locator("button.button--primary").click()
    page.wait_for_url("**/dashboard/")


def test_a_partial_import_with_rejected_rows_completes_with_errors(page, sign_in, company):
    sign_in(page, "manager")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Imports").click()
    page.get_by_label("Order file", exact=True).set_input_files(
        files=[{"name": "split.csv", "mimeType": "text/csv", "buffer": PARTIAL_CSV.encode()}]
    )
    page.get_by_label("Import the valid rows, report the rest (partial)").check()
    page.get_by_role("button", name="Upload and import").click()
    page.wait_for_url("**/imports/*/")
    page.wait_for_selector("[data-import-job][data-finished=true]")

    badge = page.locator("[data-field=status-badge] .status")
    assert badge.inner_text() == "Completed with errors"
    # the warning colour, not the green of success
    assert "status--with_errors" in badge.get_attribute("class")
    colour = badge.evaluate("el => getComputedStyle(el).color")
    assert colour == "rgb(138, 90, 0)"  # --warning
    assert page.locator("[data-field=message][data-outcome=with_errors]").count() == 1
    row = page.locator("#rejected-rows tbody tr").first.locator("td").all_inner_texts()
    assert row == [
        "3",
        "SO-2",
        "credit_split",
        "The shares add up to 99.5 %, not 100 %: S-N1:99;S-N2:0.5.",
    ]

    page.goto("/orders/")
    split = page.locator("#order-lines tbody tr[data-split]")
    assert split.count() == 1
    assert split.get_attribute("data-split") == "S-N1:50;S-N2:50"
    assert "S-N2 50 % · 150.00" in split.inner_text()


def test_a_salesperson_on_a_phone_sees_their_part_of_a_split_line(new_page, sign_in, company):
    from tests.customers.import_support import run_import

    run_import(PARTIAL_CSV, mode="partial")
    phone = new_page(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    sign_in(phone, "rep")
    phone.goto("/orders/?sort=amount")
    rows = phone.locator("#order-lines tbody tr")
    assert rows.count() == 1
    text = rows.first.inner_text()
    assert "150.00" in text
    assert "300.00" not in text
    assert "S-N2" not in text
    assert "Your part: 50 % of the line" in text
