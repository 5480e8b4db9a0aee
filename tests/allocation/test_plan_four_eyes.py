"""Four-eyes: whoever submitted a plan does not approve it, unless an admin says so."""

import pytest

from allocation.models import Plan
from allocation.services import plan_approve, plan_submit
from salesalloc.core.exceptions import ConflictError
from tests.allocation.test_plan_support import make_plan

pytestmark = pytest.mark.django_db


def test_the_submitter_cannot_approve(company):
    director = company.users["director"]
    plan = plan_submit(plan=make_plan(company), actor=director)

    with pytest.raises(ConflictError, match="four-eyes"):
        plan_approve(plan=plan, actor=director)
    assert Plan.objects.get(pk=plan.pk).status == Plan.Status.SUBMITTED

    approved = plan_approve(plan=plan, actor=company.users["admin"])
    assert approved.status == Plan.Status.APPROVED


def test_an_admin_may_override_explicitly_but_a_non_admin_may_not(company):
    admin = company.users["admin"]
    plan = plan_submit(plan=make_plan(company), actor=admin)
    assert plan_approve(plan=plan, actor=admin, override_four_eyes=True).status == "approved"

    manager = company.users["manager"]
    other = plan_submit(plan=make_plan(company), actor=manager)
    with pytest.raises(ConflictError):
        plan_approve(plan=other, actor=manager, override_four_eyes=True)


def test_the_api_refuses_and_accepts_the_explicit_override(company, client_as):
    plan = make_plan(company)
    admin = client_as("admin")
    admin.post(f"/api/v1/plans/{plan.pk}/submit/")
    refused = admin.post(f"/api/v1/plans/{plan.pk}/approve/")
    assert refused.status_code == 409
    assert "four-eyes" in refused.json()["message"]
    done = admin.post(
        f"/api/v1/plans/{plan.pk}/approve/", {"override_four_eyes": True}, format="json"
    )
    assert done.json()["status"] == "approved"


def test_the_editor_offers_the_override_only_to_the_admin_who_submitted(company, client):
    admin_plan = plan_submit(plan=make_plan(company), actor=company.users["admin"])
    client.force_login(company.users["admin"])
    page = client.get(f"/plans/{admin_plan.pk}/").content.decode()
    assert 'id="action-override"' in page
    assert '"ownSubmission": true' in page

    other = plan_submit(plan=make_plan(company, name="Other"), actor=company.users["director"])
    page = client.get(f"/plans/{other.pk}/").content.decode()
    assert 'id="action-override"' not in page
    assert '"ownSubmission": false' in page
