"""After approved quota relief: draft statements follow the new targets, approved ones stay
frozen, the dashboard figures follow, and the people concerned hear of it."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.cache import cache
from django.test import override_settings

from allocation.services import ReliefInput, relief_approve, relief_request_create
from performance.commissions.models import CommissionStatement
from performance.commissions.services import commission_plan_create, commission_statement_approve
from performance.models import RecomputeRun
from performance.notifications.models import Notification
from performance.tracking.selectors import CACHE_VERSION_KEY
from tests.allocation.relief_support import published_plan, relief_company
from tests.performance.commissions.support import sell

pytestmark = pytest.mark.django_db
D = Decimal
BRACKETS = [{"from": "0", "rate": "0.02"}, {"from": "1", "rate": "0.05"}]


@pytest.fixture
def setup(company):
    relief_company(company)
    plan = published_plan(company)
    sell(company.rep, "2019-03-10", "4000.00", product_line=company.chairs)
    commissions = commission_plan_create(
        name="Q", target_plan=plan, period="quarter", mode="marginal", brackets=BRACKETS
    )
    return plan, commissions


def _statement(commissions, person, period):
    return CommissionStatement.objects.get(plan=commissions, salesperson=person, period=period)


def _relieve(company, plan, months, amount, who="manager", distribution="absorb"):
    request = relief_request_create(
        plan=plan,
        data=ReliefInput(salesperson=company.rep, reason="leave", months=months, amount=amount),
        actor=company.users["rep"],
    )
    return relief_approve(request=request, actor=company.users[who], distribution=distribution)


def test_drafts_follow_the_relief_and_approved_statements_stay_frozen(
    company, setup, django_capture_on_commit_callbacks
):
    plan, commissions = setup
    # Q1 target of S-N1: 1,500.00 × 3 = 4,500.00; sold 4,000.00: 4,000 × 2 % = 80.00.
    q1 = _statement(commissions, company.rep, "2019-Q1")
    assert (q1.target, q1.total) == (D("4500.00"), D("80.00"))
    q2 = commission_statement_approve(statement=_statement(commissions, company.rep, "2019-Q2"))

    with django_capture_on_commit_callbacks(execute=True):
        _relieve(company, plan, ["2019-03", "2019-04"], D("2000.00"))

    run = RecomputeRun.objects.get(kind=RecomputeRun.Kind.TARGETS)
    assert run.status == RecomputeRun.Status.SUCCEEDED
    assert sorted(run.steps) == ["alerts", "commissions", "scorecards"]
    # 2,000.00 over March and April (1,500.00 each) is 1,000.00 a month: the Q1 target is
    # 4,500.00 − 1,000.00 = 3,500.00; marginal: 3,500 × 2 % + (4,000 − 3,500) × 5 % = 95.00.
    q1.refresh_from_db()
    assert (q1.target, q1.total) == (D("3500.00"), D("95.00"))
    frozen = CommissionStatement.objects.get(pk=q2.pk)
    assert (frozen.status, frozen.target) == ("approved", q2.target)  # April relieved, Q2 frozen


def test_a_relief_is_not_recomputed_when_the_approval_rolls_back(company, setup):
    plan, _commissions = setup
    with pytest.raises(Exception, match=r"is more than the target"):
        _relieve(company, plan, ["2019-03"], D("1500.01"))
    assert not RecomputeRun.objects.exists()


@override_settings(SALESALLOC_TRACKING_CACHE_SECONDS=60)
def test_the_dashboard_figures_follow_the_new_targets(
    company, setup, client_as, django_capture_on_commit_callbacks
):
    plan, _commissions = setup
    client = client_as("admin")
    url = "/api/v1/attainment/"
    params = {"year": 2019, "as_of": "2019-12-31", "salesperson": "S-N1"}
    assert client.get(url, params).json()["target"] == "18000.00"
    version = cache.get(CACHE_VERSION_KEY)

    with django_capture_on_commit_callbacks(execute=True):
        _relieve(company, plan, ["2019-03"], D("300.00"))

    assert cache.get(CACHE_VERSION_KEY) != version
    assert client.get(url, params).json()["target"] == "17700.00"


def test_the_deciders_hear_of_it_and_the_requester_and_teammates_hear_back(
    company, setup, django_capture_on_commit_callbacks
):
    plan, _commissions = setup
    request = relief_request_create(
        plan=plan,
        data=ReliefInput(
            salesperson=company.rep, reason="leave", months=["2019-05"], amount=D("90.00")
        ),
        actor=company.users["rep"],
    )
    asked = Notification.objects.filter(event="relief_requested")
    assert list(asked.values_list("recipient__username", flat=True)) == ["manager"]
    assert asked.get().url == f"/relief/{request.pk}/"

    relief_approve(request=request, actor=company.users["manager"], distribution="redistribute")

    decided = Notification.objects.filter(event="relief_decided")
    assert list(decided.values_list("recipient__username", flat=True)) == ["rep"]
    changed = Notification.objects.filter(event="targets_changed")
    # S-N4 is the only teammate with a login; S-N2 and S-N3 took some too.
    assert list(changed.values_list("recipient__username", flat=True)) == ["north_four"]
    from performance.notifications.selectors import notification_render

    subject, body = notification_render(notification=decided.get())
    assert subject == f"Quota relief #{request.pk} for S-N1 Nora North was approved"
    assert "manager decided relief request" in body
