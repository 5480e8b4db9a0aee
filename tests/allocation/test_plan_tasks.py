"""allocation.plan_allocate task: re-fetches, skips what changed meanwhile, calls the service."""

from __future__ import annotations

from unittest import mock

import pytest

from allocation.models import Plan
from allocation.tasks import plan_allocate_task
from tests.allocation.test_plan_support import make_plan

pytestmark = pytest.mark.django_db


def test_the_task_allocates_the_draft_it_was_queued_for(company):
    plan = make_plan(company, allocate=False)

    with mock.patch("allocation.services.plan_allocate") as service:
        plan_allocate_task(plan.pk, plan.revision, company.users["admin"].pk)

    service.assert_called_once_with(plan=plan, actor=company.users["admin"])


@pytest.mark.parametrize("change", ["missing", "edited", "submitted"])
def test_the_task_exits_quietly_when_the_plan_is_gone_or_changed(company, change):
    plan = make_plan(company, allocate=False)
    revision = plan.revision
    if change == "missing":
        Plan.objects.filter(pk=plan.pk).delete()
    elif change == "edited":
        Plan.objects.filter(pk=plan.pk).update(revision=revision + 1)
    else:
        Plan.objects.filter(pk=plan.pk).update(status=Plan.Status.SUBMITTED)

    with mock.patch("allocation.services.plan_allocate") as service:
        plan_allocate_task(plan.pk, revision)

    service.assert_not_called()


def test_the_task_has_a_stable_name_and_time_limits():
    assert plan_allocate_task.name == "allocation.plan_allocate"
    assert plan_allocate_task.soft_time_limit < plan_allocate_task.time_limit
