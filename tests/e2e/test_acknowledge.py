"""A salesperson checks and acknowledges published targets on a phone; the manager sees it."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from allocation.models import Acknowledgement, ActualCell, Plan
from allocation.services import (
    plan_allocate,
    plan_approve,
    plan_create,
    plan_publish,
    plan_submit,
)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 375, "height": 812}


@pytest.fixture
def published(company) -> Plan:
    admin = company.users["admin"]
    plan = plan_create(
        name="FY2024 targets",
        fiscal_year=2024,
        total_amount=Decimal("120000.00"),
        method_config={
            "org": {"method": "equal"},
            "product_line": {"method": "equal"},
            "seasonality": {"method": "uniform"},
        },
        actor=admin,
    )
    plan = plan_allocate(plan=plan, actor=admin)
    plan = plan_submit(plan=plan, actor=company.users["manager"])
    plan = plan_approve(plan=plan, actor=admin)
    plan = plan_publish(plan=plan, actor=admin)
    ActualCell.objects.create(
        salesperson=company.rep,
        product_line=company.chairs,
        month=dt.date(2024, 1, 1),
        amount=Decimal("1250.00"),
    )
    return plan


def test_salesperson_acknowledges_on_a_phone_and_the_manager_sees_it(new_page, sign_in, published):
    phone = new_page(viewport=PHONE, is_mobile=True, has_touch=True)
    sign_in(phone, "rep")
    phone.get_by_role("button", name="Menu").click()
    nav = phone.get_by_role("navigation", name="Main")
    assert nav.get_by_role("link", name="Plans").count() == 0
    nav.get_by_role("link", name="My targets").click()

    card = phone.locator(f"#plan-{published.pk}")
    assert card.get_by_role("heading", name="FY2024 targets").is_visible()
    assert card.locator("[data-field=year-target]").inner_text() == "CNY 30,000.00"
    assert card.locator("[data-field=year-actual]").inner_text() == "1,250.00"
    assert card.locator("[data-field=year-attainment]").inner_text() == "4.2 %"
    assert card.locator("[data-ack-state]").get_attribute("data-ack-state") == "pending"
    # One column, nothing wider than the phone, thumb-sized buttons.
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    acknowledge = card.get_by_role("button", name="Acknowledge")
    dispute = card.get_by_role("button", name="Dispute")
    for button in (acknowledge, dispute):
        box = button.bounding_box()
        assert box["height"] >= 44
        assert box["width"] >= 300
    quarters = card.locator(".quarter-card").all()
    assert len(quarters) == 4
    assert quarters[0].bounding_box()["y"] == quarters[1].bounding_box()["y"]  # 2 x 2
    assert quarters[2].bounding_box()["y"] > quarters[0].bounding_box()["y"]

    # A dispute needs a comment: refused, then acknowledged instead.
    dispute.tap()
    error = phone.locator(f"#plan-{published.pk} .field__error")
    assert error.inner_text() == "Say what you dispute."
    phone.locator(f"#plan-{published.pk}").get_by_role("button", name="Acknowledge").tap()
    assert (
        "You acknowledged your targets in FY2024 targets."
        in phone.locator(".messages").inner_text()
    )
    state = phone.locator(f"#plan-{published.pk} [data-ack-state]")
    assert state.get_attribute("data-ack-state") == "acknowledged"
    assert "Acknowledged" in state.inner_text()
    assert Acknowledgement.objects.get(plan=published).status == "acknowledged"

    desk = new_page(viewport={"width": 1280, "height": 900})
    sign_in(desk, "manager")
    desk.goto(f"/plans/{published.pk}/")
    table = desk.locator("#ack-table")
    assert table.locator("tr[data-salesperson=S-N1]").get_attribute("data-ack-status") == (
        "acknowledged"
    )
    assert table.locator("tr[data-salesperson=S-N2]").get_attribute("data-ack-status") == "pending"
    assert table.locator("tr[data-salesperson=S-S1]").count() == 0  # another manager's person
    assert desk.locator("[data-ack-count=acknowledged]").inner_text() == "1"
    assert desk.locator("[data-ack-count=pending]").inner_text() == "1"
    desk.get_by_label("Show").select_option("pending")
    assert table.locator("tr[data-salesperson=S-N1]").is_hidden()


def test_a_dispute_reaches_the_plan_page_with_its_comment(new_page, sign_in, published):
    phone = new_page(viewport=PHONE, is_mobile=True, has_touch=True)
    sign_in(phone, "south_rep")
    phone.goto("/my-targets/")
    card = phone.locator(f"#plan-{published.pk}")
    card.get_by_label("Comment").fill("Q4 is too high for my region.")
    card.get_by_role("button", name="Dispute").tap()
    assert "was sent to your manager" in phone.locator(".messages").inner_text()
    state = phone.locator(f"#plan-{published.pk} [data-ack-state]")
    assert state.get_attribute("data-ack-state") == "disputed"
    assert "Q4 is too high" in phone.locator(f"#plan-{published.pk} blockquote").inner_text()

    desk = new_page(viewport={"width": 1280, "height": 900})
    sign_in(desk, "admin")
    desk.goto(f"/plans/{published.pk}/")
    row = desk.locator("#ack-table tr[data-salesperson=S-S1]")
    assert row.get_attribute("data-ack-status") == "disputed"
    assert "Q4 is too high for my region." in row.inner_text()
    assert desk.locator("[data-ack-count=disputed]").inner_text() == "1"
