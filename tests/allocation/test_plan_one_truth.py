"""One truth per year: at most one published plan per fiscal year and scope (root org unit).

Publishing archives the published plan of the same year and scope (or, asked not to
replace it, refuses naming it); a plan whose scope nests in a published plan's (or holds
it) is refused; the database backs the rule with a partial unique constraint; readers ask
``published_plan_get`` for the plan that counts for an org unit.
"""

from __future__ import annotations

import threading

import pytest
from django.db import IntegrityError, connection, connections, transaction

from allocation.models import Plan, PlanChange
from allocation.selectors import plan_publish_preview, published_plan_get
from allocation.services import plan_approve, plan_publish, plan_submit
from allocation.services.lifecycle import PublishRefusedError
from tests.allocation.test_plan_support import make_plan

pytestmark = pytest.mark.django_db


def approved(company, name="FY2019", **kwargs) -> Plan:
    plan = make_plan(company, name=name, **kwargs)
    plan_submit(plan=plan, actor=company.users["manager"])
    return plan_approve(plan=plan, actor=company.users["admin"])


def publish(company, plan, **kwargs) -> Plan:
    return plan_publish(plan=plan, actor=company.users["admin"], **kwargs)


def test_publishing_a_second_plan_of_the_year_archives_the_first_with_an_audit_row(company):
    first = publish(company, approved(company, name="FY2019 A"))
    second = approved(company, name="FY2019 B")

    assert plan_publish_preview(plan=second).replaces == first
    publish(company, second)

    first.refresh_from_db()
    assert (first.status, first.archived_by) == ("archived", company.users["admin"])
    row = PlanChange.objects.filter(plan=first, action="archive").get()
    assert row.reason == "Replaced by FY2019 B (v1), published for the same year and org unit."
    assert row.details == {"from": "published", "to": "archived", "replaced_by": second.pk}
    publish_row = PlanChange.objects.filter(plan=second, action="publish").get()
    assert publish_row.details["replaces"] == first.pk
    assert list(Plan.objects.filter(status="published")) == [second]


def test_asked_not_to_replace_the_publish_is_refused_naming_the_plan(company):
    first = publish(company, approved(company, name="FY2019 A"))
    second = approved(company, name="FY2019 B")

    with pytest.raises(PublishRefusedError) as excinfo:
        publish(company, second, replace=False)

    assert excinfo.value.message == (
        "FY2019 A (v1) is the published plan of FY 2019 for ACME. Publish this plan in its "
        "place (it archives that one), or archive it first."
    )
    assert excinfo.value.status_code == 409
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, second.status) == ("published", "approved")


def test_nested_scopes_are_refused_both_ways_and_disjoint_ones_coexist(company):
    north = publish(company, approved(company, name="North", root_org_unit=company.north))
    south = publish(company, approved(company, name="South", root_org_unit=company.south))
    whole = approved(company, name="Company")

    with pytest.raises(PublishRefusedError, match=r"North \(v1, org unit NORTH\) is the published"):
        publish(company, whole)
    assert plan_publish_preview(plan=whole).overlaps == [north, south]

    Plan.objects.filter(pk__in=[north.pk, south.pk]).update(status="archived")
    publish(company, whole)
    team = approved(company, name="North team", root_org_unit=company.north)
    with pytest.raises(PublishRefusedError, match=r"Company \(v1, org unit ACME\)"):
        publish(company, team)


def test_other_years_do_not_interfere(company):
    first = publish(company, approved(company, name="FY2019"))
    next_year = publish(company, approved(company, name="FY2020", fiscal_year=2020))
    first.refresh_from_db()
    assert (first.status, next_year.status) == ("published", "published")


def test_a_new_version_replaces_its_predecessor_as_before(company):
    from allocation.services import plan_new_version

    first = publish(company, approved(company))
    draft = plan_new_version(plan=first, actor=company.users["admin"])
    plan_submit(plan=draft, actor=company.users["manager"])
    plan_approve(plan=draft, actor=company.users["admin"])
    publish(company, draft)
    first.refresh_from_db()
    assert first.status == "archived"
    assert PlanChange.objects.get(plan=first, action="archive").reason == "Replaced by version 2."


def test_the_database_refuses_two_published_plans_of_one_year_and_scope(company):
    first = publish(company, approved(company, name="A"))
    second = approved(company, name="B")
    with pytest.raises(IntegrityError), transaction.atomic():
        Plan.objects.filter(pk=second.pk).update(status="published")
    # Different scope or year: the constraint allows it.
    Plan.objects.filter(pk=second.pk).update(root_org_unit=company.north, status="published")
    assert Plan.objects.filter(status="published").count() == 2
    assert first.pk != second.pk


def test_published_plan_get_answers_per_org_unit(company):
    assert published_plan_get(fiscal_year=2019) is None
    north = publish(company, approved(company, name="North", root_org_unit=company.north))
    assert published_plan_get(fiscal_year=2019, org_unit=company.north_team) == north
    assert published_plan_get(fiscal_year=2019, org_unit=company.north) == north
    assert published_plan_get(fiscal_year=2019, org_unit=company.south) is None
    assert published_plan_get(fiscal_year=2019) is None  # nothing covers the company
    assert published_plan_get(fiscal_year=2020, org_unit=company.north) is None
    # Data from before the rule (nested published plans): the broadest scope counts.
    whole = approved(company, name="Company")
    Plan.objects.filter(pk=whole.pk).update(status="published")
    assert published_plan_get(fiscal_year=2019, org_unit=company.north_team) == whole
    assert published_plan_get(fiscal_year=2019) == whole


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL row locks")
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_publishes_take_turns(company):
    plans = [approved(company, name=name) for name in ("A", "B")]
    start = threading.Barrier(2, timeout=30)
    outcomes: dict[str, str] = {}

    def work(plan: Plan) -> None:
        try:
            start.wait()
            publish(company, plan, replace=False)
            outcomes[plan.name] = "published"
        except PublishRefusedError:
            outcomes[plan.name] = "refused"
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work, args=(plan,)) for plan in plans]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    assert sorted(outcomes.values()) == ["published", "refused"]
    assert Plan.objects.filter(status="published").count() == 1
