"""Customers page, R x F heat map, migration matrix and rule editor in Chromium."""

import csv
import io
from pathlib import Path

import pytest

from customers.tiers.models import TierRule
from tests.customers.tiers.conftest import tier_world  # noqa: F401 - the shared fixture

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _codes(page) -> list[str]:
    return page.locator("#customer-tiers tbody tr").evaluate_all(
        "rows => rows.map(r => r.dataset.customer)"
    )


def test_customers_page_filters_sorts_charts_and_exports(page, sign_in, tier_world):  # noqa: F811
    sign_in(page, "manager")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Customers").click()
    page.wait_for_url("**/customers/")

    assert _codes(page) == ["CN", "CP", "CS"]  # the North subtree's customers, by net amount
    page.wait_for_selector("#chart-tiers[data-drawn=true]")
    assert "10 %" in page.locator("#customer-tiers").inner_text()  # the tier's service plan

    page.get_by_label("Tier", exact=True).select_option(label="Small")
    page.get_by_role("button", name="Apply filters").click()
    page.wait_for_url("**tier=small**")
    assert _codes(page) == ["CP", "CS"]

    page.locator("[data-sort=code]").click()
    page.wait_for_url("**sort=code**")
    assert _codes(page) == ["CP", "CS"]
    page.locator("[data-sort=code]").click()
    page.wait_for_url("**sort=-code**")
    assert _codes(page) == ["CS", "CP"]

    with page.expect_download() as info:
        page.locator("[data-export=csv]").click()
    text = Path(info.value.path()).read_text(encoding="utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert [row[0] for row in rows[1:]] == ["CS", "CP"]
    assert rows[1][1] == "'=cmd()"  # formula-safe
    by_code = {row[0]: row for row in rows[1:]}
    assert by_code["CP"][-3:] == ["555-0100", "x@example.com", "1 Main St"]  # manager's own
    assert by_code["CS"][-3:] == ["", "", ""]  # owned by another region


def test_heat_map_cell_lists_its_customers(page, sign_in, tier_world):  # noqa: F811
    sign_in(page, "admin")
    page.goto("/customers/")
    cell = page.locator("#rf-heatmap td[data-r='1'][data-f='2']")
    assert cell.get_attribute("data-count") == "1"

    cell.get_by_role("link").click()
    page.wait_for_url("**r=1&f=2**")

    assert _codes(page) == ["CP"]
    assert page.locator("[data-rf-filter]").is_visible()
    assert page.locator("#rf-heatmap td[aria-current]").get_attribute("data-r") == "1"


def test_migration_matrix_drills_down_to_a_customer(page, sign_in, tier_world):  # noqa: F811
    sign_in(page, "admin")
    page.goto("/customers/")
    page.get_by_role("link", name="Migration matrix").click()
    page.wait_for_url("**/tiers/migration/")

    page.get_by_label("By").select_option("tier")
    page.get_by_role("button", name="Show").click()
    page.wait_for_url("**by=tier**")
    matrix = page.locator("#migration-matrix")
    assert matrix.locator("thead th").all_inner_texts()[1:] == ["Big", "Small"]
    assert matrix.locator("tbody tr").first.locator("td").first.get_attribute("data-count") == "2"

    matrix.locator("tbody tr").first.locator("td a").first.click()
    page.wait_for_url("**cell_from=big**")
    drill = page.locator("#drill-table tbody tr")
    assert drill.evaluate_all("rows => rows.map(r => r.dataset.customer)") == ["CN", "CX"]

    drill.first.get_by_role("link").click()
    page.wait_for_url("**/customers/CN/")
    assert "Big" in page.locator("#tier-timeline").inner_text()
    assert "10 %" in page.locator("#service-plan").inner_text()
    assert page.locator("#rfm-history tbody tr").count() == 2


def test_admin_previews_and_saves_a_rule(page, sign_in, tier_world):  # noqa: F811
    sign_in(page, "admin")
    page.goto("/tiers/rules/")
    page.get_by_role("link", name="Add a rule").click()
    page.get_by_label("Code").fill("mid")
    page.get_by_label("Name").fill("Mid")
    page.get_by_label("Net amount from").fill("800")
    page.get_by_label("Net amount up to").fill("100")
    page.get_by_role("button", name="Save").click()
    assert page.locator(".field--invalid").count() >= 1  # up to < from is refused
    assert not TierRule.objects.filter(code="mid").exists()

    page.get_by_label("Net amount from").fill("100")
    page.get_by_label("Net amount up to").fill("800")
    page.get_by_role("button", name="Preview").click()
    page.wait_for_selector("#rule-preview")
    assert page.locator("#rule-preview [data-candidate] td").inner_text() == "0"

    page.get_by_role("button", name="Save").click()
    page.wait_for_url("**/tiers/rules/")
    assert page.locator("#tier-rules tr[data-rule=mid]").is_visible()
    page.locator("#tier-rules tr[data-rule=mid]").get_by_role("button", name="Move up").click()
    page.locator("#tier-rules tr[data-rule=mid]").get_by_role("button", name="Move up").click()
    first = page.locator("#tier-rules tbody tr").first
    assert first.get_attribute("data-rule") == "mid"
    assert first.locator("[data-preview]").inner_text() == "2"
