"""Quota relief pages: ask, the list to decide, the decision, the history; who may open what."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import Client

from allocation.models import ReliefRequest
from tests.allocation.relief_support import cell, published_plan, relief_company
from tests.allocation.test_relief import ask

pytestmark = pytest.mark.django_db

D = Decimal


@pytest.fixture
def plan(company):
    relief_company(company)
    return published_plan(company)


def _as(company, username: str) -> Client:
    client = Client()
    client.force_login(company.users[username])
    return client


def _form(plan, **changes):
    data = {
        "plan": plan.pk,
        "reason": "leave",
        "description": "Parental leave",
        "size": "amount",
        "amount": "1,000.00",
        "share": "",
        "months": ["2019-03", "2019-04"],
    }
    data.update(changes)
    return data


def test_a_salesperson_asks_from_my_targets_for_themselves_only(company, plan):
    client = _as(company, "rep")
    my_targets = client.get("/my-targets/").content.decode()
    assert f'href="/relief/new/?plan={plan.pk}"' in my_targets

    page = client.get("/relief/new/", {"plan": plan.pk})
    assert page.status_code == 200
    assert page.context["form"].fields["salesperson"].choices == [
        (str(company.rep.pk), "S-N1 Nora North")
    ]
    response = client.post(
        "/relief/new/", _form(plan, salesperson=str(company.rep.pk)), follow=True
    )
    assert response.status_code == 200, response.context["form"].errors

    request = ReliefRequest.objects.get()
    assert response.redirect_chain == [(f"/relief/{request.pk}/", 302)]
    assert (request.salesperson, request.amount, request.months) == (
        company.rep,
        D("1000.00"),
        ["2019-03", "2019-04"],
    )
    assert "was sent for a decision" in response.content.decode()
    assert "relief-decide-form" not in response.content.decode()  # never their own


def test_a_salesperson_cannot_ask_for_a_teammate(company, plan):
    response = _as(company, "rep").post(
        "/relief/new/", _form(plan, salesperson=str(company.north_peer.pk))
    )
    assert response.status_code == 400
    assert "salesperson" in response.context["form"].errors
    assert not ReliefRequest.objects.exists()


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"amount": "1e400"}, "amount", "no more than 12 digits"),
        ({"amount": "NaN"}, "amount", "is not a number"),
        ({"amount": "3000.01"}, "amount", "more than the target of those months, 3,000.00"),
        ({"size": "share", "share": "101"}, "share", "less than or equal to 100"),
        ({"size": "share", "share": ""}, "share", "Enter the share"),
        ({"months": []}, "months", "This field is required."),
        ({"reason": "other", "description": ""}, "description", "Say why"),
    ],
)
def test_the_form_names_the_field_and_keeps_the_input(company, plan, changes, field, message):
    data = _form(plan, salesperson=str(company.rep.pk), **changes)
    response = _as(company, "rep").post("/relief/new/", data)

    assert response.status_code == 400
    errors = " ".join(response.context["form"].errors.get(field, []))
    assert message in errors
    assert not ReliefRequest.objects.exists()


def test_the_manager_sees_it_waiting_and_approves_with_redistribution(company, plan):
    request = ask(company, plan, amount=D("1000.00"))
    manager = _as(company, "manager")

    assert manager.get("/badges/").json()["relief"] == 1
    listing = manager.get("/relief/")
    assert [row["request"] for row in listing.context["to_decide"]] == [request]
    detail = manager.get(f"/relief/{request.pk}/")
    assert detail.context["may_decide"] is True
    response = manager.post(
        f"/relief/{request.pk}/decide/",
        {"decision": "approve", "distribution": "redistribute", "comment": "OK"},
        follow=True,
    )

    assert response.status_code == 200
    request.refresh_from_db()
    assert (request.status, request.distribution) == ("approved", "redistribute")
    assert f"Relief #{request.pk} approved: 1,000.00 relieved" in response.content.decode()
    assert cell(plan, "S-N1", company.chairs, 3) == D("666.67")
    assert manager.get("/badges/").json()["relief"] == 0
    # The rep sees the new numbers on My targets (March: 666.67 + 333.33 = 1,000.00).
    page = _as(company, "rep").get("/my-targets/").content.decode()
    assert "1,000.00" in page
    assert "Waiting for your answer" in page


def test_nobody_decides_their_own_and_a_reject_needs_a_reason(company, plan):
    request = ask(company, plan, amount=D("10.00"))
    own = _as(company, "rep").post(f"/relief/{request.pk}/decide/", {"decision": "approve"})
    assert own.status_code == 400
    assert "You asked for this relief or it is yours" in own.content.decode()
    manager = _as(company, "manager")
    no_reason = manager.post(f"/relief/{request.pk}/decide/", {"decision": "reject"})
    assert no_reason.status_code == 400
    assert "Say why the relief is rejected." in no_reason.content.decode()
    request.refresh_from_db()
    assert request.status == "pending"


def test_an_admin_approves_their_own_only_with_the_explicit_box(company, plan):
    request = ask(company, plan, who="admin", person=company.south_rep, amount=D("10.00"))
    admin = _as(company, "admin")
    page = admin.get(f"/relief/{request.pk}/")
    assert (page.context["may_decide"], page.context["needs_override"]) == (True, True)
    refused = admin.post(f"/relief/{request.pk}/decide/", {"decision": "approve"})
    assert refused.status_code == 400
    admin.post(f"/relief/{request.pk}/decide/", {"decision": "approve", "override_four_eyes": "on"})
    request.refresh_from_db()
    assert (request.status, request.override_four_eyes) == ("approved", True)


def test_the_requester_withdraws(company, plan):
    request = ask(company, plan, amount=D("10.00"))
    assert _as(company, "manager").post(f"/relief/{request.pk}/withdraw/").status_code == 302
    request.refresh_from_db()
    assert request.status == "pending"  # not the manager's to withdraw
    _as(company, "rep").post(f"/relief/{request.pk}/withdraw/")
    request.refresh_from_db()
    assert request.status == "withdrawn"


@pytest.mark.parametrize(
    ("username", "list_status", "detail_status"),
    [
        ("rep", 200, 200),
        ("manager", 200, 200),
        ("admin", 200, 200),
        ("other_manager", 200, 404),
        ("south_rep", 200, 404),
        ("north_four", 200, 404),
        ("nobody", 403, 403),
    ],
)
def test_who_may_open_which_page(company, plan, username, list_status, detail_status):
    request = ask(company, plan, amount=D("10.00"))
    client = _as(company, username)

    assert client.get("/relief/").status_code == list_status
    assert client.get(f"/relief/{request.pk}/").status_code == detail_status
    decided = client.post(f"/relief/{request.pk}/decide/", {"decision": "approve"})
    assert decided.status_code in {403, 404, 400, 302}
    request.refresh_from_db()
    if username not in {"manager", "admin"}:
        assert request.status == "pending", username
    if list_status == 200 and detail_status == 404:
        assert request.pk not in {r["request"].pk for r in client.get("/relief/").context["rows"]}


def test_pages_need_a_login_and_actions_need_a_post(company, plan):
    request = ask(company, plan, amount=D("10.00"))
    anonymous = Client()
    for url in ("/relief/", "/relief/new/", f"/relief/{request.pk}/", f"/plans/{plan.pk}/relief/"):
        response = anonymous.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/login/")
    manager = _as(company, "manager")
    assert manager.get(f"/relief/{request.pk}/decide/").status_code == 405
    assert manager.get(f"/relief/{request.pk}/withdraw/").status_code == 405


def test_the_plans_history_shows_its_requests_to_its_managers(company, plan):
    ask(company, plan, amount=D("10.00"))
    ask(company, plan, who="south_rep", person=company.south_rep, amount=D("10.00"))
    north = _as(company, "manager").get(f"/plans/{plan.pk}/relief/")
    assert [row["request"].salesperson.code for row in north.context["rows"]] == ["S-N1"]
    assert north.context["can_ask"] is True
    south = _as(company, "other_manager").get(f"/plans/{plan.pk}/relief/")
    assert [row["request"].salesperson.code for row in south.context["rows"]] == ["S-S1"]
    assert _as(company, "nobody").get(f"/plans/{plan.pk}/relief/").status_code == 403


def test_a_manager_asks_from_the_plan_for_someone_in_their_subtree(company, plan):
    client = _as(company, "manager")
    page = client.get("/relief/new/", {"plan": plan.pk})
    codes = [label.split()[0] for _pk, label in page.context["form"].fields["salesperson"].choices]
    assert codes == ["S-N1", "S-N2", "S-N3", "S-N4"]
    client.post("/relief/new/", _form(plan, salesperson=str(company.n3.pk), amount="100"))
    request = ReliefRequest.objects.get()
    assert (request.salesperson, request.requested_as) == (company.n3, "manager")


def test_the_list_page_costs_a_bounded_number_of_queries(
    company, plan, django_assert_max_num_queries
):
    manager = _as(company, "manager")
    ask(company, plan, amount=D("10.00"))
    manager.get("/relief/")
    for month in range(5, 11):
        ask(company, plan, amount=D("1.00"), months=(f"2019-{month:02d}",))
    with django_assert_max_num_queries(14):
        assert manager.get("/relief/").status_code == 200


def test_an_admin_sets_the_plans_relief_rule_on_a_published_plan(company, plan):
    page = _as(company, "admin").get(f"/plans/{plan.pk}/relief/")
    assert page.context["rule_form"].initial == {"relief_distribution": "absorb"}
    assert _as(company, "manager").get(f"/plans/{plan.pk}/relief/").context["rule_form"] is None
    refused = _as(company, "manager").post(
        f"/plans/{plan.pk}/relief/rule/", {"relief_distribution": "redistribute"}
    )
    assert refused.status_code == 403

    _as(company, "admin").post(
        f"/plans/{plan.pk}/relief/rule/", {"relief_distribution": "redistribute"}
    )

    plan.refresh_from_db()
    assert plan.relief_distribution == "redistribute"
    change = plan.changes.get(action="update")
    assert change.details == {"relief_distribution": "redistribute"}
