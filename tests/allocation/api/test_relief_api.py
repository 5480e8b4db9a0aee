"""Quota relief over the API: whole payloads, strict input, scoping and who decides.

The plan is ``tests/allocation/relief_support.py``'s: S-N1 (``rep``) has FUR-CH 1,000.00 and
TEC-PH 500.00 a month; the north team also holds S-N2 (600/300), S-N3 (400/200) and S-N4
(200/100, ``north_four``).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from allocation.models import ReliefRequest
from tests.allocation.relief_support import cell, published_plan, relief_company

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_time")]

D = Decimal
URL = "/api/v1/relief-requests/"
NOW = "2019-01-15T17:00:00+08:00"


@pytest.fixture
def frozen_time():
    with time_machine.travel(dt.datetime(2019, 1, 15, 9, 0, tzinfo=dt.UTC), tick=False):
        yield


@pytest.fixture
def plan(company):
    relief_company(company)
    return published_plan(company)


def _ask(client, plan, **changes):
    body = {
        "plan": plan.pk,
        "salesperson": "S-N1",
        "reason": "leave",
        "description": "Two months of parental leave",
        "amount": "1000.00",
        "months": ["2019-03", "2019-04"],
        **changes,
    }
    return client.post(URL, body, format="json")


def _payload(plan, pk, **changes):
    row = {
        "id": pk,
        "plan": plan.pk,
        "plan_name": "FY2019",
        "fiscal_year": 2019,
        "salesperson": "S-N1",
        "salesperson_name": "Nora North",
        "reason": "leave",
        "description": "Two months of parental leave",
        "amount": "1000.00",
        "share": None,
        "months": ["2019-03", "2019-04"],
        "product_lines": [],
        "status": "pending",
        "requested_by": "rep",
        "requested_as": "salesperson",
        "requested_at": NOW,
        "target_amount": "3000.00",
        "relieved_amount": None,
        "plan_distribution": "absorb",
        "distribution": "",
        "decided_by": None,
        "decided_at": None,
        "decision_comment": "",
        "override_four_eyes": False,
        "result": {"relieved": [], "redistributed": []},
        "can_decide": False,
        "needs_override": False,
    }
    row.update(changes)
    return row


def test_a_salesperson_asks_and_gets_the_whole_request_back(client_as, plan):
    response = _ask(client_as("rep"), plan)

    assert response.status_code == 201
    pk = ReliefRequest.objects.get().pk
    assert response.json() == _payload(plan, pk)


def test_the_manager_sees_it_to_decide_and_approves_with_redistribution(client_as, plan):
    pk = _ask(client_as("rep"), plan).json()["id"]
    manager = client_as("manager")

    listed = manager.get(URL, {"to_decide": "true"}).json()
    assert listed == {
        "count": 1,
        "next": None,
        "previous": None,
        "results": [_payload(plan, pk, can_decide=True)],
    }
    response = manager.post(
        f"{URL}{pk}/approve/",
        {"distribution": "redistribute", "comment": "Covered by the team"},
        format="json",
    )

    assert response.status_code == 200
    # 1,000.00 over March/April 1000:500:1000:500 -> 333.33 per FUR-CH leaf and 166.67 per
    # TEC-PH leaf (the 2 leftover cents go to the .67 remainders); each piece goes to S-N2,
    # S-N3 and S-N4 by their targets of that line (600:400:200 and 300:200:100):
    #   FUR-CH 333.33 × 6/12 = 166.665, × 4/12 = 111.11, × 2/12 = 55.555: floors 166.66 +
    #   111.11 + 55.55 = 333.32, the cent left goes to the largest remainder (.5 tie between
    #   S-N2 and S-N4: the lower code, S-N2) -> 166.67, 111.11, 55.55.
    #   TEC-PH 166.67 × 3/6 = 83.335, × 2/6 = 55.5566.., × 1/6 = 27.7783..: floors 83.33 +
    #   55.55 + 27.77 = 166.65, two cents left to the largest remainders, .8333 (S-N4) and
    #   .6667 (S-N3), not .5 (S-N2) -> 83.33, 55.56, 27.78.
    redistributed = [
        {"salesperson": code, "product_line": line, "month": month, "old": old, "new": new}
        for month in ("2019-03", "2019-04")
        for code, line, old, new in (
            ("S-N2", "FUR-CH", "600.00", "766.67"),
            ("S-N2", "TEC-PH", "300.00", "383.33"),
            ("S-N3", "FUR-CH", "400.00", "511.11"),
            ("S-N3", "TEC-PH", "200.00", "255.56"),
            ("S-N4", "FUR-CH", "200.00", "255.55"),
            ("S-N4", "TEC-PH", "100.00", "127.78"),
        )
    ]
    body = response.json()

    def order(row):
        return (row["salesperson"], row["product_line"], row["month"])

    assert sorted(body["result"]["redistributed"], key=order) == sorted(redistributed, key=order)
    assert D("166.67") + D("111.11") + D("55.55") == D("333.33")
    assert D("83.33") + D("55.56") + D("27.78") == D("166.67")
    assert body == _payload(
        plan,
        pk,
        status="approved",
        relieved_amount="1000.00",
        distribution="redistribute",
        decided_by="manager",
        decided_at=NOW,
        decision_comment="Covered by the team",
        result={
            "relieved": [
                {
                    "salesperson": "S-N1",
                    "product_line": line,
                    "month": month,
                    "old": old,
                    "new": new,
                }
                for line, old, new in (
                    ("FUR-CH", "1000.00", "666.67"),
                    ("TEC-PH", "500.00", "333.33"),
                )
                for month in ("2019-03", "2019-04")
            ],
            "redistributed": body["result"]["redistributed"],
        },
    )
    assert cell(plan, "S-N3", plan.product_lines.get(code="TEC-PH"), 4) == D("255.56")


@pytest.mark.parametrize(
    ("changes", "fields"),
    [
        ({"amount": "1e400"}, {"amount"}),
        ({"amount": "NaN"}, {"amount"}),
        ({"amount": "1" * 30}, {"amount"}),
        ({"amount": None, "share": "100.5"}, {"share"}),
        ({"amount": "3000.01"}, {"amount"}),
        ({"months": ["2020-01"]}, {"months"}),
        ({"months": []}, {"months"}),
        ({"reason": "holiday"}, {"reason"}),
        ({"product_lines": ["NOPE"]}, {"product_lines"}),
        ({"salesperson": "S-N2"}, {"salesperson"}),  # not the rep's to ask for
    ],
)
def test_bad_input_is_a_400_naming_the_field_and_stores_nothing(client_as, plan, changes, fields):
    response = _ask(client_as("rep"), plan, **changes)

    assert response.status_code == 400
    body = response.json()
    assert body["code"] in {"invalid", "validation_error"}
    assert set(body["fields"]) == fields
    assert not ReliefRequest.objects.exists()


@pytest.mark.parametrize(
    ("username", "visible"),
    [
        ("rep", {"S-N1"}),
        ("north_four", {"S-N4"}),
        ("south_rep", set()),
        ("manager", {"S-N1", "S-N4"}),
        ("other_manager", set()),
        ("admin", {"S-N1", "S-N4"}),
    ],
)
def test_lists_and_details_are_scoped(client_as, plan, username, visible):
    mine = _ask(client_as("rep"), plan).json()["id"]
    theirs = _ask(client_as("north_four"), plan, salesperson="S-N4", amount="10.00").json()["id"]
    client = client_as(username)

    rows = client.get(URL).json()["results"]
    assert {row["salesperson"] for row in rows} == visible
    for pk, code in ((mine, "S-N1"), (theirs, "S-N4")):
        status = client.get(f"{URL}{pk}/").status_code
        assert status == (200 if code in visible else 404)


def test_nobody_decides_their_own_and_the_wrong_manager_cannot_reach_it(client_as, plan):
    pk = _ask(client_as("rep"), plan).json()["id"]

    own = client_as("rep").post(f"{URL}{pk}/approve/", {}, format="json")
    assert own.status_code == 403
    assert own.json()["message"].startswith("You asked for this relief or it is yours")
    teammate = client_as("north_four").get(f"{URL}{pk}/")
    assert teammate.status_code == 404
    other = client_as("other_manager").post(f"{URL}{pk}/approve/", {}, format="json")
    assert other.status_code == 404
    assert ReliefRequest.objects.get().status == "pending"
    assert cell(plan, "S-N1", plan.product_lines.get(code="FUR-CH"), 3) == D("1000.00")


def test_a_managers_own_request_goes_to_the_admin_who_approves_it(client_as, plan):
    body = _ask(client_as("manager"), plan).json()
    assert (body["requested_as"], body["can_decide"]) == ("manager", False)
    assert (
        client_as("manager").post(f"{URL}{body['id']}/approve/", {}, format="json").status_code
        == 403
    )

    admin = client_as("admin")
    assert [row["id"] for row in admin.get(URL, {"to_decide": "true"}).json()["results"]] == [
        body["id"]
    ]
    response = admin.post(f"{URL}{body['id']}/approve/", {}, format="json")
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["distribution"]) == ("approved", "absorb")


def test_reject_withdraw_and_state_conflicts(client_as, plan):
    rep = client_as("rep")
    first = _ask(rep, plan).json()["id"]
    second = _ask(rep, plan, months=["2019-05"], amount="1.00").json()["id"]
    manager = client_as("manager")

    no_reason = manager.post(f"{URL}{first}/reject/", {"comment": ""}, format="json")
    assert no_reason.status_code == 400
    rejected = manager.post(f"{URL}{first}/reject/", {"comment": "Not now"}, format="json")
    assert (rejected.status_code, rejected.json()["status"]) == (200, "rejected")
    again = manager.post(f"{URL}{first}/approve/", {}, format="json")
    assert again.status_code == 409
    assert again.json()["message"] == "This request is already rejected."

    assert manager.post(f"{URL}{second}/withdraw/", {}, format="json").status_code == 403
    withdrawn = rep.post(f"{URL}{second}/withdraw/", {"comment": "Back early"}, format="json")
    assert (withdrawn.json()["status"], withdrawn.json()["decision_comment"]) == (
        "withdrawn",
        "Back early",
    )


def test_the_list_costs_the_same_queries_for_one_request_or_many(client_as, plan):
    manager = client_as("manager")
    _ask(client_as("rep"), plan)
    manager.get(URL)
    with CaptureQueriesContext(connection) as one:
        manager.get(URL)
    for month in range(5, 11):
        _ask(client_as("rep"), plan, months=[f"2019-{month:02d}"], amount="1.00")
    _ask(client_as("north_four"), plan, salesperson="S-N4", amount="1.00")
    with CaptureQueriesContext(connection) as eight:
        assert manager.get(URL).json()["count"] == 8
    assert len(eight) == len(one)


def test_the_relief_rule_changes_on_a_published_plan_but_nothing_else_does(client_as, plan):
    admin = client_as("admin")
    url = f"/api/v1/plans/{plan.pk}/"

    changed = admin.patch(url, {"relief_distribution": "redistribute"}, format="json")
    assert (changed.status_code, changed.json()["relief_distribution"]) == (200, "redistribute")
    refused = admin.patch(url, {"relief_distribution": "absorb", "name": "x"}, format="json")
    assert refused.status_code == 409
    assert client_as("manager").patch(url, {"relief_distribution": "absorb"}).status_code == 403
    plan.refresh_from_db()
    assert (plan.relief_distribution, plan.name) == ("redistribute", "FY2019")
