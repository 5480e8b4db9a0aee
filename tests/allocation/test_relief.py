"""Quota relief: hand-worked examples by amount and by share, absorbed and redistributed.

The plan and its numbers are in ``tests/allocation/relief_support.py``: per month S-N1 has
FUR-CH 1,000.00 and TEC-PH 500.00; the teammates S-N2, S-N3, S-N4 have 600/300, 400/200 and
200/100; S-S1 in the south team 2,000/1,000. Each example derives what it expects.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from allocation.models import Acknowledgement, PlanChange, ReliefRequest
from allocation.services import ReliefInput, relief_approve, relief_request_create
from allocation.services.common import PlanRuleError
from salesalloc.core.exceptions import ConflictError
from tests.allocation.relief_support import (
    YEAR_TOTAL,
    assert_parents_add_up,
    cell,
    lock,
    published_plan,
    relief_company,
    target,
)

pytestmark = pytest.mark.django_db

D = Decimal


@pytest.fixture
def setup(company):
    relief_company(company)
    return company, published_plan(company)


def ask(company, plan, *, who="rep", person=None, months=("2019-03", "2019-04"), **size):
    return relief_request_create(
        plan=plan,
        data=ReliefInput(
            salesperson=person or company.rep,
            reason=size.pop("reason", ReliefRequest.Reason.LEAVE),
            description=size.pop("description", "Parental leave"),
            months=list(months),
            product_lines=size.pop("product_lines", ()),
            **size,
        ),
        actor=company.users[who],
    )


def test_relief_by_amount_absorbed_lowers_the_person_team_and_plan(setup):
    company, plan = setup
    request = ask(company, plan, amount=D("1000.00"))
    assert (request.status, request.target_amount) == ("pending", D("3000.00"))

    approved = relief_approve(request=request, actor=company.users["manager"])

    # Covered: March and April, FUR-CH 1,000 + TEC-PH 500 each: T = 3,000.00. 1,000.00 split
    # in proportion 1000:500:1000:500 is 333.333.. and 166.666.. a leaf: floors 333.33 and
    # 166.66 leave 2 cents, which go to the largest remainders (.67 > .33): the TEC-PH leaves.
    for month in (3, 4):
        assert cell(plan, "S-N1", company.chairs, month) == D("1000.00") - D("333.33")
        assert cell(plan, "S-N1", company.phones, month) == D("500.00") - D("166.67")
    assert 2 * (D("333.33") + D("166.67")) == D("1000.00")
    assert cell(plan, "S-N1", company.chairs, 5) == D("1000.00")  # other months untouched
    # Absorbed: the person, the team and the plan drop by 1,000.00; the teammates don't move.
    assert target(plan, salesperson=company.rep) == D("18000.00") - D("1000.00")
    team = D("18000.00") + D("10800.00") + D("7200.00") + D("3600.00")
    assert target(plan, salesperson__org_unit=company.north_team) == team - D("1000.00")
    assert target(plan, salesperson=company.north_peer) == D("10800.00")
    plan.refresh_from_db()
    assert plan.total_amount == YEAR_TOTAL - D("1000.00")
    assert_parents_add_up(plan)
    assert (approved.status, approved.distribution, approved.relieved_amount) == (
        "approved",
        "absorb",
        D("1000.00"),
    )
    assert approved.result["redistributed"] == []
    assert {
        (r["product_line"], r["month"], r["old"], r["new"]) for r in approved.result["relieved"]
    } == {
        ("FUR-CH", "2019-03", "1000.00", "666.67"),
        ("FUR-CH", "2019-04", "1000.00", "666.67"),
        ("TEC-PH", "2019-03", "500.00", "333.33"),
        ("TEC-PH", "2019-04", "500.00", "333.33"),
    }


def test_relief_by_share_redistributed_skips_a_locked_teammate_and_keeps_the_team(setup):
    company, plan = setup
    lock(plan, salesperson=company.n3)  # S-N3 · all lines · year: S-N3 takes nothing
    request = ask(company, plan, months=("2019-05", "2019-06"), share=D("33.33"))

    relief_approve(request=request, actor=company.users["manager"], distribution="redistribute")

    # T = 3,000.00; 33.33 % of it is 3000.00 × 0.3333 = 999.90 (exact). In proportion
    # 1000:500:1000:500 that is 333.30 off each FUR-CH leaf and 166.65 off each TEC-PH leaf.
    # Each piece goes to S-N2 and S-N4 (S-N3 is locked) by their targets of that line:
    #   FUR-CH 333.30 × 600/800 = 249.975, × 200/800 = 83.325: floors 249.97 + 83.32 = 333.29,
    #          one cent left, equal remainders (.5): the lower code, S-N2, gets it -> 249.98.
    #   TEC-PH 166.65 × 300/400 = 124.9875, × 100/400 = 41.6625: floors 124.98 + 41.66 =
    #          166.64, one cent left to the larger remainder (.75, S-N2) -> 124.99.
    for month in (5, 6):
        assert cell(plan, "S-N1", company.chairs, month) == D("1000.00") - D("333.30")
        assert cell(plan, "S-N1", company.phones, month) == D("500.00") - D("166.65")
        assert cell(plan, "S-N2", company.chairs, month) == D("600.00") + D("249.98")
        assert cell(plan, "S-N4", company.chairs, month) == D("200.00") + D("83.32")
        assert cell(plan, "S-N2", company.phones, month) == D("300.00") + D("124.99")
        assert cell(plan, "S-N4", company.phones, month) == D("100.00") + D("41.66")
        assert cell(plan, "S-N3", company.chairs, month) == D("400.00")
    assert D("249.98") + D("83.32") == D("333.30")
    assert D("124.99") + D("41.66") == D("166.65")
    # The team total, every team month and line, and the plan total stay.
    team = D("18000.00") + D("10800.00") + D("7200.00") + D("3600.00")
    assert target(plan, salesperson__org_unit=company.north_team) == team
    assert target(plan, salesperson=company.rep) == D("18000.00") - D("999.90")
    plan.refresh_from_db()
    assert plan.total_amount == YEAR_TOTAL
    assert_parents_add_up(plan)


def test_a_hundred_percent_share_of_one_line_clears_it_exactly(setup):
    company, plan = setup
    request = ask(
        company, plan, months=("2019-07",), share=D("100"), product_lines=[company.phones]
    )

    relief_approve(request=request, actor=company.users["admin"])

    assert cell(plan, "S-N1", company.phones, 7) == D("0.00")
    assert cell(plan, "S-N1", company.chairs, 7) == D("1000.00")
    plan.refresh_from_db()
    assert plan.total_amount == YEAR_TOTAL - D("500.00")


def test_an_approval_is_audited_as_one_batch_naming_the_request(setup):
    company, plan = setup
    Acknowledgement.objects.create(
        plan=plan, salesperson=company.rep, status="acknowledged", acted_at="2019-01-02T00:00Z"
    )
    Acknowledgement.objects.create(
        plan=plan,
        salesperson=company.south_rep,
        status="acknowledged",
        acted_at="2019-01-02T00:00Z",
    )
    revision = plan.revision
    request = ask(company, plan, amount=D("300.00"), months=("2019-03",))

    relief_approve(request=request, actor=company.users["manager"], distribution="redistribute")

    rows = list(PlanChange.objects.filter(plan=plan, action="relief").order_by("cell"))
    # S-N1 two leaves down, three teammates x two lines up (S-N3 unlocked here): 8 rows.
    assert len(rows) == 8
    assert len({row.batch for row in rows}) == 1
    assert {row.details["relief_request"] for row in rows} == {request.pk}
    assert all(f"#{request.pk}" in row.reason for row in rows)
    assert rows[0].actor == company.users["manager"]
    plan.refresh_from_db()
    assert plan.revision == revision + 1
    # The relieved person and the teammates who took some answer again; others keep theirs.
    assert list(
        Acknowledgement.objects.filter(plan=plan).values_list("salesperson__code", flat=True)
    ) == ["S-S1"]


def test_locks_outside_the_relieved_cells_hold_and_bounds_refuse_whole(setup):
    company, plan = setup
    # A locked team year contains the relieved leaves: absorbing relief changes it, and
    # that is the decision being approved.
    lock(plan, org_unit=company.north_team)
    first = ask(company, plan, amount=D("100.00"), months=("2019-01",))
    relief_approve(request=first, actor=company.users["manager"])
    assert target(plan, salesperson=company.rep) == D("17900.00")

    # A maximum on S-N2's year is a bound outside the relieved cells: redistributing over
    # S-N2 would break it, so nothing changes.
    lock(plan, salesperson=company.north_peer, max_amount=D("10800.00"))
    second = ask(company, plan, amount=D("100.00"), months=("2019-02",))
    before = target(plan)
    with pytest.raises(
        PlanRuleError, match=r"S-N2 · all lines · year would be 10,8\d\d\.\d\d, above"
    ):
        relief_approve(request=second, actor=company.users["manager"], distribution="redistribute")
    assert target(plan) == before
    second.refresh_from_db()
    assert second.status == "pending"


def test_redistribution_needs_an_unlocked_teammate(setup):
    company, plan = setup
    for person in (company.north_peer, company.n3, company.n4):
        lock(plan, salesperson=person)
    request = ask(company, plan, amount=D("10.00"), months=("2019-03",))

    with pytest.raises(
        ConflictError, match=r"No unlocked teammate of S-N1 takes over S-N1 · FUR-CH · 2019-03"
    ):
        relief_approve(request=request, actor=company.users["manager"], distribution="redistribute")
    # Absorbing still works.
    relief_approve(request=request, actor=company.users["manager"], distribution="absorb")
    assert target(plan, salesperson=company.rep) == D("17990.00")


def test_the_plans_rule_is_the_default_distribution(setup):
    company, plan = setup
    plan.relief_distribution = "redistribute"
    plan.save(update_fields=["relief_distribution"])
    request = ask(company, plan, amount=D("90.00"), months=("2019-08",))

    approved = relief_approve(request=request, actor=company.users["manager"])

    assert approved.distribution == "redistribute"
    plan.refresh_from_db()
    assert plan.total_amount == YEAR_TOTAL


def test_the_target_may_have_dropped_below_the_amount_since_it_was_asked(setup):
    company, plan = setup
    big = ask(company, plan, amount=D("3000.00"))  # the whole of March and April
    small = ask(company, plan, amount=D("100.00"), months=("2019-05",))
    relief_approve(request=small, actor=company.users["manager"])
    # The covered target is unchanged (May was relieved, not March or April): it still fits.
    relief_approve(request=big, actor=company.users["manager"])
    assert target(plan, salesperson=company.rep, month__month__in=[3, 4]) == D("0.00")
