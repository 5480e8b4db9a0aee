"""Lifecycle, versions, scenarios, the mid-year re-spread and acknowledgements."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import ValidationError

from allocation.engine.split import split
from allocation.models import Acknowledgement, ActualCell, CellConstraint, Plan, PlanChange
from allocation.selectors import plan_compare
from allocation.services import (
    acknowledgement_record,
    cell_constraint_set,
    cell_edit,
    plan_approve,
    plan_archive,
    plan_new_version,
    plan_publish,
    plan_reject,
    plan_respread,
    plan_scenario_create,
    plan_submit,
)
from allocation.services.common import PlanNotEditableError
from salesalloc.core.exceptions import ConflictError, ScopeError
from tests.allocation.test_plan_support import amount, leaves, make_plan

pytestmark = pytest.mark.django_db

D = Decimal


def _publish(company, plan):
    admin = company.users["admin"]
    plan_submit(plan=plan, actor=company.users["manager"])
    plan_approve(plan=plan, actor=admin)
    return plan_publish(plan=plan, actor=admin)


@time_machine.travel(dt.datetime(2019, 1, 15, 9, 0, tzinfo=dt.UTC), tick=False)
def test_transitions_record_who_and_when(company):
    plan = make_plan(company)

    plan = plan_submit(plan=plan, actor=company.users["manager"], comment="north done")
    plan = plan_approve(plan=plan, actor=company.users["director"])
    plan = plan_publish(plan=plan, actor=company.users["admin"])

    now = dt.datetime(2019, 1, 15, 9, 0, tzinfo=dt.UTC)
    assert (plan.status, plan.submitted_by, plan.submitted_at) == (
        "published",
        company.users["manager"],
        now,
    )
    assert (plan.approved_by, plan.published_by, plan.published_at) == (
        company.users["director"],
        company.users["admin"],
        now,
    )
    trail = list(
        PlanChange.objects.filter(plan=plan).order_by("id").values_list("action", "reason")
    )
    assert trail[-3:] == [("submit", "north done"), ("approve", ""), ("publish", "")]


def test_a_rejected_plan_goes_back_to_draft_with_the_reason(company):
    plan = make_plan(company)
    plan_submit(plan=plan, actor=company.users["manager"])

    with pytest.raises(ValidationError, match=r"Say why"):
        plan_reject(plan=plan, reason=" ", actor=company.users["admin"])
    plan = plan_reject(plan=plan, reason="south too low", actor=company.users["admin"])

    assert plan.status == "draft"
    assert PlanChange.objects.filter(plan=plan, action="reject", reason="south too low").exists()
    cell_edit(plan=plan, salesperson="S-S1", period="2019-03", amount=D("2000"))  # editable again


@pytest.mark.parametrize(
    ("service", "status", "message"),
    [
        (plan_approve, "draft", "Can't approve a plan that is draft"),
        (plan_publish, "submitted", "Can't publish a plan that is submitted"),
        (plan_submit, "approved", "Can't submit a plan that is approved"),
        (plan_archive, "archived", "Can't archive a plan that is archived"),
    ],
)
def test_transitions_from_the_wrong_status_are_conflicts(company, service, status, message):
    plan = make_plan(company)
    Plan.objects.filter(pk=plan.pk).update(status=status)

    with pytest.raises(ConflictError, match=message):
        service(plan=plan)


def test_an_unallocated_draft_cannot_be_submitted(company):
    plan = make_plan(company, allocate=False)

    with pytest.raises(ConflictError, match=r"Allocate the plan before submitting it"):
        plan_submit(plan=plan)


def test_a_published_plan_changes_only_through_a_new_version(company):
    plan = _publish(company, make_plan(company))
    with pytest.raises(PlanNotEditableError, match=r"Create a new version to change it"):
        cell_edit(plan=plan, salesperson="S-N1", amount=D("1"))

    draft = plan_new_version(plan=plan, actor=company.users["admin"], reason="Q2 reforecast")

    assert (draft.status, draft.version, draft.previous_version) == ("draft", 2, plan)
    assert leaves(draft).equals(leaves(plan))
    with pytest.raises(ConflictError, match=r"Version 2 of this plan is already open"):
        plan_new_version(plan=plan)
    cell_edit(plan=draft, salesperson="S-N1", amount=D("10000"))
    _publish(company, draft)
    plan.refresh_from_db()
    assert plan.status == "archived"
    assert plan.archived_by == company.users["admin"]


def test_a_new_version_copies_locks_bounds_inputs_and_line_totals(company):
    from allocation.models import MethodInput, ProductLineTotal
    from allocation.services import (
        MethodInputData,
        plan_method_inputs_set,
        plan_product_line_totals_set,
    )

    plan = make_plan(company)
    plan_method_inputs_set(
        plan=plan, inputs=[MethodInputData(salesperson=company.rep, growth_rate=D("0.1"))]
    )
    plan_product_line_totals_set(plan=plan, totals=[(company.chairs, D("5000.00"))])
    cell_constraint_set(plan=plan, salesperson="S-N1", locked=True)
    cell_constraint_set(plan=plan, org_unit="SOUTH", bounds=(D("1"), None))
    _publish(company, plan)

    draft = plan_new_version(plan=plan)

    def rows(model, *fields):
        def of(p):
            return list(model.objects.filter(plan=p).order_by("pk").values_list(*fields))

        return of(plan), of(draft)

    before, after = rows(
        CellConstraint, "org_unit", "salesperson", "period", "locked", "min_amount"
    )
    assert len(after) == 2
    assert after == before
    before, after = rows(MethodInput, "salesperson", "growth_rate")
    assert after == before == [(company.rep.pk, D("0.1000"))]
    before, after = rows(ProductLineTotal, "product_line", "amount")
    assert after == before == [(company.chairs.pk, D("5000.00"))]
    assert set(draft.salespeople.all()) == set(plan.salespeople.all())


def test_scenarios_are_drafts_that_never_publish_and_compare_side_by_side(company):
    plan = make_plan(company)
    scenario = plan_scenario_create(plan=plan, name="Push north", actor=company.users["admin"])
    cell_edit(plan=scenario, org_unit="NORTH", amount=D("20000"))
    scenario.refresh_from_db()
    Plan.objects.filter(pk=scenario.pk).update(status="approved")

    with pytest.raises(ConflictError, match=r"never published"):
        plan_publish(plan=scenario)

    rows = plan_compare(user=company.users["admin"], plans=[plan, scenario], group_by="org_unit")
    assert [(r.key, r.amounts_cents, r.differences_cents) for r in rows] == [
        ("NORTH", [1_800_000, 2_000_000], [0, 200_000]),
        ("SOUTH", [1_800_000, 1_600_000], [0, -200_000]),
    ]
    assert scenario.scenario_of == plan
    assert scenario.name == "Push north"


def test_respread_puts_actuals_in_closed_months_and_spreads_what_remains(company):
    plan = _publish(company, make_plan(company))  # S-N1: 250.00 per line and month
    ActualCell.objects.bulk_create(
        [
            ActualCell(
                salesperson=company.rep,
                product_line=company.chairs,
                month=dt.date(2019, m, 1),
                amount=D("400"),
            )
            for m in (1, 2, 3)
        ]
        + [
            ActualCell(
                salesperson=company.rep,
                product_line=company.phones,
                month=dt.date(2019, 1, 1),
                amount=D("-50"),
            )
        ]
    )

    new = plan_respread(plan=plan, as_of=dt.date(2019, 3, 31), actor=company.users["admin"])

    assert (new.status, new.version, new.previous_version) == ("draft", 2, plan)
    chairs = leaves(new).query("salesperson == 'S-N1' and product_line == 'FUR-CH'")["amount"]
    # 3,000 annual - 1,200 actual to date = 1,800 over 9 open months.
    assert chairs.tolist() == [D("400.00")] * 3 + [D("200.00")] * 9
    phones = leaves(new).query("salesperson == 'S-N1' and product_line == 'TEC-PH'")["amount"]
    # A net return counts as 0; no sales: the open months keep the whole year.
    expected = split(300_000, [25_000] * 9, [f"{m:02d}" for m in range(3, 12)])
    assert phones.tolist() == [D(0)] * 3 + [D(c) / 100 for c in expected]
    assert amount(new) == D("36000.00")
    change = PlanChange.objects.get(plan=new, action="respread")
    assert change.details["closed_months"] == 3


def test_respread_is_for_published_plans_in_their_year(company):
    draft = make_plan(company)
    with pytest.raises(ConflictError, match=r"Can't re-spread a plan that is draft"):
        plan_respread(plan=draft, as_of=dt.date(2019, 6, 30))
    plan = _publish(company, draft)
    with pytest.raises(ConflictError, match=r"No month of the fiscal year has ended"):
        plan_respread(plan=plan, as_of=dt.date(2019, 1, 30))


def test_a_salesperson_acknowledges_or_disputes_with_a_comment(company):
    plan = _publish(company, make_plan(company))

    with pytest.raises(ValidationError, match=r"Say what you dispute"):
        acknowledgement_record(plan=plan, status="disputed", actor=company.users["rep"])
    acknowledgement_record(
        plan=plan, status="disputed", comment="Q4 too high", actor=company.users["rep"]
    )
    row = acknowledgement_record(plan=plan, status="acknowledged", actor=company.users["rep"])

    assert (row.salesperson, row.status, row.comment) == (company.rep, "acknowledged", "")
    assert Acknowledgement.objects.filter(plan=plan).count() == 1
    assert list(
        PlanChange.objects.filter(plan=plan, action__in=["acknowledge", "dispute"])
        .order_by("id")
        .values_list("action", "reason", "salesperson__code")
    ) == [("dispute", "Q4 too high", "S-N1"), ("acknowledge", "", "S-N1")]


def test_only_members_acknowledge_only_published_plans(company):
    plan = make_plan(company)
    with pytest.raises(ConflictError, match=r"Only published targets"):
        acknowledgement_record(plan=plan, status="acknowledged", actor=company.users["rep"])
    _publish(company, plan)
    with pytest.raises(ScopeError, match=r"Only salespeople"):
        acknowledgement_record(plan=plan, status="acknowledged", actor=company.users["manager"])
