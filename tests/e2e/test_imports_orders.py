"""Imports (upload, live progress, rejected rows) and Orders (filters, export) in Chromium."""

import csv
import datetime as dt
import io
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.files.base import ContentFile

from customers.models import ImportJob
from tests.factories import OrderFactory, OrderLineFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

HEADER = "订单号,行号,日期,客户编码,客户名称,业务员,产品线,金额\n"
GOOD_CSV = HEADER + (
    "SO-900,1,2024-05-01,C-900,华北客户,S-N1,FUR-CH,120.50\n"
    "SO-900,2,2024-05-01,C-900,华北客户,S-N1,TEC-PH,79.50\n"
    "SO-901,1,2024-05-03,C-901,第二客户,S-N2,FUR-TA,300\n"
)
BAD_CSV = HEADER + (
    "SO-910,1,2024-05-01,C-910,客户甲,S-N1,FUR-CH,120.50\n"
    "SO-911,1,2024-05-02,C-911,客户乙,S-N1,FUR-CH,abc\n"
    "SO-912,1,2024-05-03,C-912,客户丙,NOBODY,FUR-CH,10\n"
)


def _upload(page, name: str, text: str, *, mode: str) -> None:
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Imports").click()
    page.get_by_label("Order file", exact=True).set_input_files(
        files=[{"name": name, "mimeType": "text/csv", "buffer": text.encode("utf-8")}]
    )
    page.get_by_label(mode).check()
    page.get_by_role("button", name="Upload and import").click()
    page.wait_for_url("**/imports/*/")


def test_manager_uploads_a_csv_and_the_progress_bar_reaches_100(page, sign_in, company):
    sign_in(page, "manager")
    _upload(page, "may-orders.csv", GOOD_CSV, mode="Import nothing (all or nothing)")

    page.wait_for_selector("[data-progress][aria-valuenow='100']")
    assert page.locator("[data-summary=imported]").inner_text() == "3"
    assert page.locator("[data-summary=rejected]").inner_text() == "0"
    assert page.locator(".status").first.inner_text() == "Succeeded"
    assert page.locator("#rejected-rows").count() == 0

    page.get_by_role("link", name="← Imports").click()
    assert "may-orders.csv" in page.locator("#import-jobs").inner_text()


def test_a_bad_file_lists_its_rejected_rows_with_row_numbers(page, sign_in, company):
    sign_in(page, "manager")
    _upload(page, "bad.csv", BAD_CSV, mode="Import nothing (all or nothing)")

    page.wait_for_selector("#rejected-rows")
    assert page.locator(".status").first.inner_text() == "Failed"
    rows = page.locator("#rejected-rows tbody tr")
    row_numbers = [rows.nth(i).locator("td").first.inner_text() for i in range(rows.count())]
    assert row_numbers == ["3", "4"]
    assert "NOBODY" in page.locator("#rejected-rows").inner_text()
    with page.expect_download() as download:
        page.get_by_role("link", name="Download CSV").click()
    assert download.value.suggested_filename.endswith("-rejected-rows.csv")


def test_the_progress_bar_follows_a_running_import_live(page, sign_in, company):
    job = ImportJob(
        created_by=company.users["manager"],
        original_name="big.csv",
        status=ImportJob.Status.RUNNING,
        phase=ImportJob.Phase.READING,
        rows_total=200,
        rows_done=20,
    )
    job.file.save("big.csv", ContentFile(b"x"), save=False)
    job.save()
    sign_in(page, "manager")
    page.goto(f"/imports/{job.pk}/")
    bar = page.locator("[data-progress]")
    assert bar.get_attribute("aria-valuenow") == "10"

    ImportJob.objects.filter(pk=job.pk).update(rows_done=150, phase=ImportJob.Phase.WRITING)
    page.wait_for_selector("[data-progress][aria-valuenow='75']")
    assert page.locator("[data-field=phase]").inner_text() == "Saving"

    ImportJob.objects.filter(pk=job.pk).update(
        rows_done=200,
        rows_imported=200,
        rows_inserted=200,
        status=ImportJob.Status.SUCCEEDED,
        phase=ImportJob.Phase.DONE,
    )
    page.wait_for_selector("[data-import-job][data-finished=true]")  # reloaded once
    assert bar.get_attribute("aria-valuenow") == "100"
    assert page.locator("[data-summary=imported]").inner_text() == "200"


@pytest.fixture
def orders(company):
    for number, (person, amount) in enumerate(
        [(company.rep, "100.00"), (company.north_peer, "250.50"), (company.south_rep, "999.00")]
    ):
        OrderLineFactory(
            order=OrderFactory(order_no=f"SO-{number}", order_date=dt.date(2024, 4, 1 + number)),
            salesperson=person,
            product_line=company.chairs,
            amount=Decimal(amount),
        )
    return company


def test_manager_filters_orders_and_downloads_the_csv(page, sign_in, orders):
    sign_in(page, "manager")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Orders").click()
    assert page.locator("#order-lines tbody tr").count() == 2

    page.get_by_text("Filters", exact=True).click()
    page.get_by_label("Salesperson").select_option(label="S-N2 · Ned North")
    page.get_by_role("button", name="Apply filters").click()
    page.wait_for_url("**/orders/?*salesperson=*")
    assert page.locator("#order-lines tbody tr").count() == 1
    assert page.locator("[data-total=amount]").inner_text() == "250.50"

    with page.expect_download() as download:
        page.get_by_role("link", name="Export CSV").click()
    assert download.value.suggested_filename == "order-lines.csv"
    text = Path(download.value.path()).read_text(encoding="utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert [row[0] for row in rows[1:]] == ["SO-1"]
    assert rows[1][5] == "S-N2"


def test_salesperson_sees_only_their_own_orders(page, sign_in, orders):
    sign_in(page, "rep")
    page.goto("/orders/")
    assert page.locator("#order-lines tbody tr").count() == 1
    assert "SO-0" in page.locator("#order-lines").inner_text()
    page.get_by_text("Filters", exact=True).click()
    assert page.get_by_label("Salesperson").count() == 0
