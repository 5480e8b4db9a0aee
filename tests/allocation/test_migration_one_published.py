"""The data migration that makes existing data fit "one published plan per year and scope"."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("allocation", "0005_planupload_heartbeat")]
AFTER = [("allocation", "0006_plan_one_published_per_year")]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.fixture
def old_apps():
    apps = _migrate(BEFORE)
    yield apps
    _migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())


def test_all_but_the_latest_published_plan_of_a_year_and_scope_are_archived(old_apps):
    OrgUnit = old_apps.get_model("allocation", "OrgUnit")
    Plan = old_apps.get_model("allocation", "Plan")
    company = OrgUnit.objects.create(code="ACME", name="Acme", kind="company", path="/1/")
    region = OrgUnit.objects.create(
        code="NORTH", name="North", kind="region", path="/1/2/", parent=company
    )

    def plan(name, root, day, year=2019, status="published"):
        return Plan.objects.create(
            name=name,
            fiscal_year=year,
            root_org_unit=root,
            status=status,
            published_at=dt.datetime(2019, 1, day, tzinfo=dt.UTC) if day else None,
        )

    old = plan("old", company, 1)
    newest = plan("newest", company, 9)
    middle = plan("middle", company, 5)
    never_stamped = plan("no date", company, None)
    north = plan("north", region, 2)  # another scope: stays
    next_year = plan("2020", company, 3, year=2020)  # another year: stays
    draft = plan("draft", company, None, status="draft")

    new_apps = _migrate(AFTER)

    Plan = new_apps.get_model("allocation", "Plan")
    PlanChange = new_apps.get_model("allocation", "PlanChange")
    status = dict(Plan.objects.values_list("pk", "status"))
    assert status == {
        old.pk: "archived",
        newest.pk: "published",
        middle.pk: "archived",
        never_stamped.pk: "archived",
        north.pk: "published",
        next_year.pk: "published",
        draft.pk: "draft",
    }
    rows = PlanChange.objects.filter(action="archive").order_by("plan_id")
    assert [row.plan_id for row in rows] == sorted([old.pk, middle.pk, never_stamped.pk])
    assert {row.details["kept_plan"] for row in rows} == {newest.pk}
    assert rows[0].reason == (
        "Archived by the one-published-plan-per-year rule: plan newest (v1) is current."
    )
