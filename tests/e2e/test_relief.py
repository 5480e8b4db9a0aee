"""Quota relief in Chromium: a salesperson asks on a phone, the manager approves it with
redistribution, the team sees the new targets; the publish dialog says which plan it
archives (one published plan a year per org unit)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from allocation.models import Plan, ReliefRequest
from allocation.services import plan_allocate, plan_approve, plan_create, plan_submit
from tests.allocation.relief_support import cell, published_plan, relief_company, target

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 375, "height": 812}
D = Decimal


@pytest.fixture
def plan(company) -> Plan:
    relief_company(company)
    return published_plan(company, name="FY2019 targets")


def test_a_salesperson_asks_on_a_phone_and_the_manager_approves_with_redistribution(
    new_page, sign_in, company, plan
):
    phone = new_page(viewport=PHONE, is_mobile=True, has_touch=True)
    sign_in(phone, "rep")
    phone.goto("/my-targets/")
    phone.locator(f"[data-relief-ask='{plan.pk}']").tap()
    phone.wait_for_url("**/relief/new/**")
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

    phone.get_by_label("Leave").check()
    phone.get_by_label("Details").fill("Two months of parental leave")
    # The share field shows only once "A share" is chosen (static/js/relief.js).
    assert phone.get_by_label("Share (%)").is_hidden()
    phone.get_by_role("textbox", name="Amount").fill("1,000.00")
    for month in ("March 2019", "April 2019"):
        box = phone.get_by_label(month)
        assert box.bounding_box()["height"] >= 20
        box.check()
    send = phone.get_by_role("button", name="Send the request")
    assert send.bounding_box()["height"] >= 44
    assert send.bounding_box()["width"] >= 300
    send.tap()
    phone.wait_for_url("**/relief/*/")
    assert "was sent for a decision" in phone.locator(".messages").inner_text()
    assert phone.locator("[data-field=target]").inner_text() == "CNY 3,000.00"
    assert phone.locator("#relief-decide-form").count() == 0  # never one's own
    request = ReliefRequest.objects.get()

    desk = new_page(viewport={"width": 1280, "height": 900})
    sign_in(desk, "manager")
    badge = desk.locator("[data-count=relief]")
    badge.wait_for(state="visible")
    assert badge.inner_text() == "1"
    desk.get_by_role("navigation", name="Main").get_by_role("link", name="Relief").click()
    row = desk.locator(f"#table-to-decide tr[data-relief='{request.pk}']")
    assert "S-N1 Nora North" in row.inner_text()
    row.get_by_role("link", name="Decide").click()
    desk.get_by_label("Redistributed over the unlocked teammates").check()
    desk.get_by_label("Comment").fill("The team covers it")
    desk.get_by_role("button", name="Approve").click()
    desk.wait_for_url(f"**/relief/{request.pk}/")
    assert (
        f"Relief #{request.pk} approved: 1,000.00 relieved"
        in desk.locator(".messages").inner_text()
    )
    result = desk.locator("#table-relief-result")
    assert result.locator("tr[data-kind=relieved]").count() == 4
    assert result.locator("tr[data-kind=redistributed]").count() == 12
    # 1,000.00 over March/April in proportion 1000:500:1000:500: 333.33 per FUR-CH leaf,
    # 166.67 per TEC-PH leaf; the teammates take it over, so the team total stays.
    assert cell(plan, "S-N1", company.chairs, 3) == D("666.67")
    assert target(plan, salesperson__org_unit=company.north_team) == D("39600.00")

    phone.goto("/my-targets/")
    card = phone.locator(f"#plan-{plan.pk}")
    assert card.locator("[data-field=year-target]").inner_text() == "CNY 17,000.00"
    assert card.locator("[data-ack-state]").get_attribute("data-ack-state") == "pending"

    teammate = new_page(viewport=PHONE, is_mobile=True, has_touch=True)
    sign_in(teammate, "north_four")
    teammate.goto("/inbox/")
    assert "Your targets in FY2019 targets changed" in teammate.locator("main").inner_text()
    teammate.goto("/my-targets/")
    # S-N4: 3,600.00 a year + (55.55 FUR-CH + 27.78 TEC-PH) in each of March and April.
    assert teammate.locator(f"#plan-{plan.pk} [data-field=year-target]").inner_text() == (
        "CNY 3,766.66"
    )


def test_a_manager_cannot_approve_their_own_request_and_the_admin_can(
    new_page, sign_in, company, plan
):
    desk = new_page(viewport={"width": 1280, "height": 900})
    sign_in(desk, "manager")
    desk.goto(f"/plans/{plan.pk}/relief/")
    desk.locator("#relief-ask").click()
    desk.get_by_label("Salesperson").select_option(label="S-N2 Ned North")
    desk.get_by_label("Lost account").check()
    desk.get_by_label("Details").fill("Key account moved to the south")
    desk.get_by_label("A share of the target").check()
    desk.get_by_label("Share (%)").fill("50")
    desk.get_by_label("June 2019").check()
    desk.get_by_role("button", name="Send the request").click()
    desk.wait_for_url("**/relief/*/")
    assert desk.locator("#relief-decide-form").count() == 0
    request = ReliefRequest.objects.get()
    assert request.requested_as == "manager"

    admin = new_page(viewport={"width": 1280, "height": 900})
    sign_in(admin, "admin")
    admin.goto(f"/relief/{request.pk}/")
    admin.get_by_role("button", name="Approve").click()
    admin.wait_for_url(f"**/relief/{request.pk}/")
    # Absorbed (the plan's rule): 50 % of S-N2's June (600.00 + 300.00) = 450.00.
    assert "450.00 relieved" in admin.locator(".messages").inner_text()
    assert target(plan, salesperson=company.north_peer) == D("10800.00") - D("450.00")


def _approved(company, name: str) -> Plan:
    admin = company.users["admin"]
    plan = plan_create(
        name=name,
        fiscal_year=2019,
        total_amount=Decimal("36000.00"),
        method_config={
            "org": {"method": "equal"},
            "product_line": {"method": "equal"},
            "seasonality": {"method": "uniform"},
        },
        actor=admin,
    )
    plan = plan_allocate(plan=plan, actor=admin)
    plan = plan_submit(plan=plan, actor=company.users["manager"])
    return plan_approve(plan=plan, actor=admin)


def test_the_publish_dialog_says_which_plan_it_archives(new_page, sign_in, company, plan):
    second = _approved(company, "FY2019 reforecast")
    page = new_page(viewport={"width": 1280, "height": 900})
    sign_in(page, "admin")
    page.goto(f"/plans/{second.pk}/")
    page.locator("[data-action=publish]").click()
    dialog = page.locator("#action-dialog")
    assert "Publishing archives FY2019 targets v1, the published plan of FY 2019 for ACME" in (
        dialog.locator("#publish-replaces").inner_text()
    )
    replace = dialog.get_by_label("Archive FY2019 targets v1")
    assert replace.is_checked()

    replace.uncheck()
    dialog.locator("#action-confirm").click()
    error = dialog.locator("#action-error")
    error.wait_for(state="visible")
    assert error.inner_text().startswith("FY2019 targets (v1) is the published plan of FY 2019")
    second.refresh_from_db()
    assert second.status == Plan.Status.APPROVED

    replace.check()
    with page.expect_navigation():
        dialog.locator("#action-confirm").click()
    second.refresh_from_db()
    plan.refresh_from_db()
    assert (second.status, plan.status) == (Plan.Status.PUBLISHED, Plan.Status.ARCHIVED)
