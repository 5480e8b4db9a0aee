"""Four-eyes in the plan editor: an admin approves their own submission only by ticking the
explicit override; without it the dialog shows the refusal."""

from __future__ import annotations

from decimal import Decimal

import pytest

from allocation.models import Plan
from allocation.services import plan_allocate, plan_create, plan_submit

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def own_submission(company) -> Plan:
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
    return plan_submit(plan=plan, actor=admin)


def test_admin_approves_own_submission_only_with_the_override(new_page, sign_in, own_submission):
    page = new_page()
    sign_in(page, "admin")
    page.goto(f"/plans/{own_submission.pk}/")
    page.locator("[data-action=approve]").click()
    dialog = page.locator("#action-dialog")
    override = dialog.get_by_label("Approve my own submission (override four-eyes)")
    assert override.is_visible()
    assert not override.is_checked()

    dialog.locator("#action-confirm").click()
    error = dialog.locator("#action-error")
    error.wait_for(state="visible")
    assert "four-eyes" in error.inner_text()
    own_submission.refresh_from_db()
    assert own_submission.status == Plan.Status.SUBMITTED

    override.check()
    with page.expect_navigation():
        dialog.locator("#action-confirm").click()
    own_submission.refresh_from_db()
    assert own_submission.status == Plan.Status.APPROVED
    assert own_submission.approved_by_id == own_submission.submitted_by_id
