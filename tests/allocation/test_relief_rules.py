"""Quota relief: what a request must satisfy, its lifecycle, and who decides (four-eyes)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from allocation.models import Plan, ReliefRequest
from allocation.services import (
    plan_new_version,
    relief_approve,
    relief_request_reject,
    relief_request_withdraw,
)
from allocation.services.lifecycle import plan_archive
from salesalloc.core.exceptions import ConflictError, ScopeError
from tests.allocation.relief_support import published_plan, relief_company, target
from tests.allocation.test_relief import ask
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

D = Decimal


@pytest.fixture
def setup(company):
    relief_company(company)
    return company, published_plan(company)


# --- what a request must satisfy -------------------------------------------------------------


def _field_error(excinfo) -> dict[str, list[str]]:
    return {name: [str(m) for m in msgs] for name, msgs in excinfo.value.message_dict.items()}


def test_the_amount_may_be_the_whole_covered_target_to_the_cent_but_not_a_cent_more(setup):
    company, plan = setup
    # March + April of S-N1: (1,000.00 + 500.00) × 2 = 3,000.00.
    with pytest.raises(ValidationError) as excinfo:
        ask(company, plan, amount=D("3000.01"))
    assert _field_error(excinfo) == {
        "amount": ["3,000.01 is more than the target of those months, 3,000.00."]
    }
    assert ask(company, plan, amount=D("3000.00")).target_amount == D("3000.00")


@pytest.mark.parametrize(
    ("size", "field", "message"),
    [
        ({"amount": "NaN"}, "amount", "“NaN” is not a number."),
        ({"amount": "1e400"}, "amount", "Ensure that there are no more than 12 digits"),
        ({"amount": "1" * 30}, "amount", "Ensure that there are no more than 12 digits"),
        ({"amount": "0"}, "amount", "greater than or equal to 0.01"),
        ({"amount": "10.005"}, "amount", "no more than 2 decimal places"),
        ({"share": "0"}, "share", "greater than or equal to 0.01"),
        ({"share": "100.01"}, "share", "less than or equal to 100"),
        ({"share": "Infinity"}, "share", "is not a number"),
        ({"amount": "10", "share": "5"}, "amount", "Give an amount or a share"),
        ({}, "amount", "Give an amount or a share"),
    ],
)
def test_amount_and_share_are_strict_and_exclusive(setup, size, field, message):
    company, plan = setup
    with pytest.raises(ValidationError) as excinfo:
        ask(company, plan, **size)
    errors = _field_error(excinfo)
    assert list(errors) == [field]
    assert message in errors[field][0]
    assert not ReliefRequest.objects.exists()


@pytest.mark.parametrize(
    ("months", "message"),
    [
        ((), "Choose at least one month."),
        (("2020-01",), "2020-01 is not a month of fiscal year 2019 (2019-01 to 2019-12)."),
        (("March",), "March is not a month of fiscal year 2019"),
    ],
)
def test_months_lie_inside_the_fiscal_year(setup, months, message):
    company, plan = setup
    with pytest.raises(ValidationError) as excinfo:
        ask(company, plan, months=months, amount=D("1"))
    assert message in _field_error(excinfo)["months"][0]


def test_lines_must_be_the_plans_and_reason_other_needs_details(setup):
    company, plan = setup
    with pytest.raises(ValidationError) as excinfo:
        ask(company, plan, amount=D("1"), product_lines=[company.tables])
    assert _field_error(excinfo) == {
        "product_lines": ["The plan doesn't cover product line FUR-TA."]
    }
    with pytest.raises(ValidationError) as excinfo:
        ask(company, plan, amount=D("1"), reason="other", description=" ")
    assert _field_error(excinfo) == {"description": ["Say why you ask for relief."]}
    # A category node expands to the plan's leaves below it: FUR is FUR-CH here.
    request = ask(company, plan, amount=D("1"), product_lines=[company.furniture])
    assert [line.code for line in request.product_lines.all()] == ["FUR-CH"]
    assert request.target_amount == D("2000.00")  # FUR-CH 1,000.00 in March and April


def test_no_two_pending_requests_cover_the_same_cells(setup):
    company, plan = setup
    first = ask(company, plan, amount=D("10"), product_lines=[company.chairs])
    with pytest.raises(ValidationError, match=rf"Request #{first.pk} for S-N1 is still pending"):
        ask(company, plan, amount=D("10"), months=("2019-04", "2019-05"))  # all lines: overlaps
    ask(company, plan, amount=D("10"), product_lines=[company.phones])  # other line: fine
    ask(company, plan, amount=D("10"), months=("2019-05",), product_lines=[company.chairs])
    relief_request_withdraw(request=first, actor=company.users["rep"])
    ask(company, plan, amount=D("10"), product_lines=[company.chairs])  # withdrawn: fine


def test_relief_is_for_published_plans_and_their_people(setup):
    company, plan = setup
    Plan.objects.filter(pk=plan.pk).update(status=Plan.Status.APPROVED)
    with pytest.raises(ConflictError, match=r"Relief is asked on published targets"):
        ask(company, plan, amount=D("1"))
    Plan.objects.filter(pk=plan.pk).update(status=Plan.Status.PUBLISHED)
    plan.salespeople.remove(company.n4)
    with pytest.raises(ValidationError, match=r"S-N4 has no targets in this plan"):
        ask(company, plan, who="manager", person=company.n4, amount=D("1"))


def test_who_may_ask_for_whom(setup):
    company, plan = setup
    with pytest.raises(ScopeError, match=r"only for yourself or for people you manage"):
        ask(company, plan, who="rep", person=company.north_peer, amount=D("1"))
    with pytest.raises(ScopeError):
        ask(company, plan, who="other_manager", person=company.rep, amount=D("1"))
    with pytest.raises(ScopeError):
        ask(company, plan, who="nobody", person=company.rep, amount=D("1"))
    own = ask(company, plan, who="rep", amount=D("1"))
    managed = ask(company, plan, who="manager", person=company.north_peer, amount=D("1"))
    admin = ask(company, plan, who="admin", person=company.south_rep, amount=D("1"))
    assert (own.requested_as, own.approval_path) == ("salesperson", company.north_team.path)
    # A region manager's request goes above the region: to the company's managers.
    assert (managed.requested_as, managed.approval_path) == ("manager", company.root.path)
    assert (admin.requested_as, admin.approval_path) == ("admin", "")


# --- lifecycle -----------------------------------------------------------------------------


def test_only_pending_requests_move_and_each_decision_once(setup):
    company, plan = setup
    request = ask(company, plan, amount=D("100"))
    relief_approve(request=request, actor=company.users["manager"])
    for decide in (
        lambda: relief_approve(request=request, actor=company.users["admin"]),
        lambda: relief_request_reject(request=request, comment="no", actor=company.users["admin"]),
        lambda: relief_request_withdraw(request=request, actor=company.users["rep"]),
    ):
        with pytest.raises(ConflictError, match=r"This request is already approved"):
            decide()
    assert target(plan, salesperson=company.rep) == D("17900.00")  # applied once


def test_reject_needs_a_reason_and_withdraw_is_the_requesters(setup):
    company, plan = setup
    request = ask(company, plan, amount=D("100"))
    with pytest.raises(ValidationError, match=r"Say why the relief is rejected"):
        relief_request_reject(request=request, comment=" ", actor=company.users["manager"])
    with pytest.raises(ScopeError, match=r"Only the person who asked"):
        relief_request_withdraw(request=request, actor=company.users["manager"])
    rejected = relief_request_reject(
        request=request, comment="Leave is covered by the team", actor=company.users["manager"]
    )
    assert (rejected.status, rejected.decided_by, rejected.decision_comment) == (
        "rejected",
        company.users["manager"],
        "Leave is covered by the team",
    )
    assert target(plan, salesperson=company.rep) == D("18000.00")


def test_archiving_the_plan_withdraws_its_pending_requests(setup):
    company, plan = setup
    request = ask(company, plan, amount=D("100"))
    plan_archive(plan=plan, actor=company.users["admin"])
    request.refresh_from_db()
    assert request.status == "withdrawn"
    assert "The plan was archived" in request.decision_comment


def test_no_approval_while_a_new_version_is_being_prepared(setup):
    company, plan = setup
    request = ask(company, plan, amount=D("100"))
    plan_new_version(plan=plan, actor=company.users["admin"])
    with pytest.raises(ConflictError, match=r"Version 2 of this plan is being prepared \(draft\)"):
        relief_approve(request=request, actor=company.users["manager"])
    assert target(plan, salesperson=company.rep) == D("18000.00")


# --- who decides ---------------------------------------------------------------------------


def test_a_salespersons_request_is_decided_by_a_manager_of_their_unit_or_above(setup):
    company, plan = setup
    request = ask(company, plan, who="rep", amount=D("100"))
    with pytest.raises(ScopeError, match=r"You asked for this relief or it is yours"):
        relief_approve(request=request, actor=company.users["rep"])
    with pytest.raises(ScopeError, match=r"A manager above the person who asked"):
        relief_approve(request=request, actor=company.users["other_manager"])
    with pytest.raises(ScopeError):
        relief_approve(request=request, actor=company.users["north_four"])  # a teammate
    assert relief_approve(request=request, actor=company.users["manager"]).status == "approved"


def test_a_managers_request_is_decided_above_them_and_never_by_themselves(setup):
    company, plan = setup
    ceo = UserFactory(username="ceo")
    company.root.managers.add(ceo)
    request = ask(company, plan, who="manager", person=company.north_peer, amount=D("100"))
    with pytest.raises(ScopeError, match=r"You asked for this relief"):
        relief_approve(request=request, actor=company.users["manager"])
    co_manager = UserFactory(username="co_manager")
    company.north.managers.add(co_manager)  # the same level is not the next level
    with pytest.raises(ScopeError, match=r"A manager above the person who asked"):
        relief_approve(request=request, actor=co_manager)
    assert relief_approve(request=request, actor=ceo).decided_by == ceo


def test_an_admin_decides_anything_but_their_own_without_the_explicit_override(setup):
    company, plan = setup
    theirs = ask(company, plan, who="admin", person=company.south_rep, amount=D("100"))
    with pytest.raises(ScopeError, match=r"An administrator may override this explicitly"):
        relief_approve(request=theirs, actor=company.users["admin"])
    with pytest.raises(ScopeError, match=r"Only an administrator decides this request"):
        relief_approve(request=theirs, actor=company.users["other_manager"])
    approved = relief_approve(request=theirs, actor=company.users["admin"], override_four_eyes=True)
    assert approved.override_four_eyes is True
    managed = ask(company, plan, who="manager", person=company.rep, amount=D("100"))
    assert relief_approve(request=managed, actor=company.users["director"]).status == "approved"
