"""Who hears about what: plan lifecycle, disputes, reminders; inbox and e-mail."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from allocation.models import Plan
from allocation.services import (
    acknowledgement_record,
    plan_allocate,
    plan_approve,
    plan_create,
    plan_publish,
    plan_submit,
)
from performance.notifications.models import Notification
from performance.notifications.services import notifications_remind_unacknowledged

pytestmark = pytest.mark.django_db


def _recipients(event: str) -> set[str]:
    return set(
        Notification.objects.filter(event=event).values_list("recipient__username", flat=True)
    )


@pytest.fixture
def draft(company):
    for name, user in company.users.items():
        user.email = f"{name}@example.com"
        user.save(update_fields=["email"])
    plan = plan_create(
        name="FY2024",
        fiscal_year=2024,
        total_amount=Decimal("1200.00"),
        root_org_unit=company.root,
        method_config={
            "org": {"method": "equal"},
            "product_line": {"method": "equal"},
            "seasonality": {"method": "uniform"},
        },
        actor=company.users["admin"],
    )
    return plan_allocate(plan=plan, actor=company.users["admin"])


def test_plan_lifecycle_reaches_the_people_who_act_next(
    company, draft, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        plan = plan_submit(plan=draft, actor=company.users["manager"])
    assert _recipients("plan_submitted") == {"admin", "director"}
    assert {m.to[0] for m in mail.outbox} == {"admin@example.com", "director@example.com"}
    assert "waits for your approval" in mail.outbox[0].subject

    plan = plan_approve(plan=plan, actor=company.users["director"])
    assert _recipients("plan_approved") == {"admin"}  # not the approver themselves

    plan_publish(plan=plan, actor=company.users["admin"])
    # everyone with targets and a login, and the managers of the plan's units
    assert _recipients("plan_published") == {"rep", "south_rep", "manager", "other_manager"}


def test_dispute_goes_to_the_manager_by_inbox_and_mail(
    company, draft, django_capture_on_commit_callbacks
):
    admin = company.users["admin"]
    submitted = plan_submit(plan=draft, actor=company.users["manager"])
    plan = plan_publish(plan=plan_approve(plan=submitted, actor=admin), actor=admin)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        acknowledgement_record(
            plan=plan, status="disputed", comment="Too high", actor=company.users["rep"]
        )
    assert _recipients("dispute") == {"manager"}
    assert [m.to for m in mail.outbox] == [["manager@example.com"]]
    assert "Too high" in mail.outbox[0].body

    # an acknowledgement is not a dispute: nobody is bothered
    acknowledgement_record(plan=plan, status="acknowledged", actor=company.users["south_rep"])
    assert _recipients("dispute") == {"manager"}


def test_reminders_once_a_day_for_unanswered_targets(company, draft):
    admin = company.users["admin"]
    submitted = plan_submit(plan=draft, actor=company.users["manager"])
    plan = plan_publish(plan=plan_approve(plan=submitted, actor=admin), actor=admin)
    acknowledgement_record(plan=plan, status="acknowledged", actor=company.users["south_rep"])
    today = timezone.localdate()
    assert notifications_remind_unacknowledged(today=today) == 0  # published today

    Plan.objects.filter(pk=plan.pk).update(published_at=timezone.now() - dt.timedelta(days=8))
    assert notifications_remind_unacknowledged(today=today) == 1
    assert notifications_remind_unacknowledged(today=today) == 0
    assert _recipients("reminder") == {"rep"}
    assert notifications_remind_unacknowledged(today=today + dt.timedelta(days=1)) == 1


def test_inbox_shows_only_ones_own_and_marks_read(company, draft):
    plan_submit(plan=draft, actor=company.users["manager"])
    admin = Client()
    admin.force_login(company.users["admin"])
    html = admin.get("/inbox/").content.decode()
    assert "waits for your approval" in html
    assert admin.get("/badges/").json()["inbox"] == 1
    admin.post("/inbox/read/")
    assert admin.get("/badges/").json()["inbox"] == 0

    rep = Client()
    rep.force_login(company.users["rep"])
    assert "waits for your approval" not in rep.get("/inbox/").content.decode()


def test_inbox_speaks_chinese(company, draft):
    plan_submit(plan=draft, actor=company.users["manager"])
    admin = Client()
    admin.force_login(company.users["admin"])
    html = admin.get("/inbox/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "等待您审批" in html
