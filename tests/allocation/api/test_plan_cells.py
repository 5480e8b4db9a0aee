"""The editor's API: grid, cell edit, paste, lock/bounds, constraints, roll-ups, audit, CSRF."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from rest_framework.test import APIClient

from allocation.models import ActualCell, PlanChange
from tests.allocation.test_plan_support import make_plan

pytestmark = pytest.mark.django_db


@pytest.fixture
def plan(company):
    ActualCell.objects.create(
        salesperson=company.rep,
        product_line=company.chairs,
        month=dt.date(2019, 2, 1),
        amount=Decimal("123.4567"),
    )
    return make_plan(company)


def _url(plan, tail):
    return f"/api/v1/plans/{plan.pk}/{tail}/"


def _amounts(month: str, quarter: str, year: str) -> dict:
    return {"year": year, "quarters": [quarter] * 4, "months": [month] * 12}


ZERO = _amounts("0.00", "0.00", "0.00")


def test_a_managers_grid_is_their_subtree_with_actuals_flags_and_totals(company, client_as, plan):
    response = client_as("manager").get(_url(plan, "grid"), {"depth": 1})

    assert response.status_code == 200
    rep_actuals = {
        "year": "123.4567",
        "quarters": ["123.4567", "0.00", "0.00", "0.00"],
        "months": ["0.00", "123.4567"] + ["0.00"] * 10,
    }
    assert response.json() == {
        "plan": plan.pk,
        "revision": 1,
        "status": "draft",
        "mode": "top_down",
        "product_line": None,
        "months": [f"2019-{m:02d}" for m in range(1, 13)],
        "quarters": ["Q1", "Q2", "Q3", "Q4"],
        "editable": True,
        "rows": [
            {
                "type": "org_unit",
                "id": company.north.pk,
                "code": "NORTH",
                "name": "North",
                "parent": "ACME",
                "depth": 1,
                "has_children": True,
                "amounts": _amounts("1500.00", "4500.00", "18000.00"),
                "actuals": rep_actuals,
                "constraints": [],
                "year_editable": False,
                "periods_editable": True,
            },
            {
                "type": "org_unit",
                "id": company.north_team.pk,
                "code": "N-T1",
                "name": "North team",
                "parent": "NORTH",
                "depth": 2,
                "has_children": True,
                "amounts": _amounts("1500.00", "4500.00", "18000.00"),
                "actuals": rep_actuals,
                "constraints": [],
                "year_editable": True,
                "periods_editable": True,
            },
        ],
        "total": {"amounts": _amounts("1500.00", "4500.00", "18000.00"), "actuals": rep_actuals},
    }


def test_the_grid_opens_below_a_node_for_one_product_line_with_locks(company, client_as, plan):
    client_as("manager").post(
        _url(plan, "cells/lock"),
        {
            "salesperson": "S-N1",
            "product_line": "TEC-PH",
            "period": "Q2",
            "locked": True,
            "max_amount": "900",
        },
        format="json",
    )

    rows = (
        client_as("admin")
        .get(_url(plan, "grid"), {"org_unit": "N-T1", "product_line": "TEC-PH", "depth": 1})
        .json()["rows"]
    )

    assert [(r["code"], r["amounts"]["year"], r["constraints"]) for r in rows] == [
        ("N-T1", "6000.00", []),
        (
            "S-N1",
            "3000.00",
            [{"period": "Q2", "locked": True, "min_amount": None, "max_amount": "900.00"}],
        ),
        ("S-N2", "3000.00", []),
    ]
    assert rows[0]["year_editable"] is True  # with a product line the parent is the same row


def test_a_grid_row_out_of_scope_is_a_400_like_an_unknown_code(client_as, plan):
    response = client_as("manager").get(_url(plan, "grid"), {"org_unit": "SOUTH"})

    assert response.status_code == 400
    assert response.json()["fields"] == {
        "org_unit": ["No org unit with code “SOUTH” is visible to you."]
    }


def test_a_salesperson_sees_no_draft_and_only_their_row_once_published(company, client_as, plan):
    assert client_as("rep").get(_url(plan, "grid")).status_code == 404
    client_as("manager").post(_url(plan, "submit"))
    for action in ("approve", "publish"):
        client_as("admin").post(_url(plan, action))

    rows = client_as("rep").get(_url(plan, "grid")).json()["rows"]
    assert [(r["code"], r["periods_editable"]) for r in rows] == [("S-N1", False)]


def _cell(org_unit=None, salesperson=None, product_line=None, period="year") -> dict:
    line = product_line or "all lines"
    return {
        "org_unit": org_unit,
        "salesperson": salesperson,
        "product_line": product_line,
        "period": period,
        "label": f"{org_unit or salesperson} · {line} · {period}",
    }


def test_a_cell_edit_answers_with_what_changed_the_rule_and_what_rebalanced(
    company, client_as, plan
):
    response = client_as("manager").post(
        _url(plan, "cells/edit"),
        {
            "salesperson": "S-N1",
            "period": "2019-03",
            "amount": "1500.00",
            "reason": "fair",
            "revision": 1,
        },
        format="json",
    )

    assert response.status_code == 200
    batch = str(PlanChange.objects.get(plan=plan, action="edit").batch)
    # keep the row's year (the default): S-N1's other 11 months share 9,000 - 1,500 =
    # 7,500.00: 750,000 cents / 11 = 68,181 r 9, so the first 9 of them get 681.82.
    others = [m for m in range(1, 13) if m != 3]
    assert response.json() == {
        "plan": plan.pk,
        "revision": 2,
        "total_amount": "36000.00",
        "leaf_count": 36,
        "batch": batch,
        "keep": "row_year",
        "changes": [
            {
                **_cell(salesperson="S-N1", period="2019-03"),
                "old_amount": "750.00",
                "new_amount": "1500.00",
            },
        ],
        "kept": [_cell(salesperson="S-N1")],
        "rebalanced": [
            {
                **_cell(salesperson="S-N1", period=f"2019-{m:02d}"),
                "old_amount": "750.00",
                "new_amount": "681.82" if i < 9 else "681.81",
            }
            for i, m in enumerate(others)
        ],
    }


def test_a_cell_edit_keeping_the_months_total_answers_with_the_sibling(company, client_as, plan):
    response = client_as("manager").post(
        _url(plan, "cells/edit"),
        {"salesperson": "S-N1", "period": "2019-03", "amount": "1000", "keep": "period_total"},
        format="json",
    )

    assert response.status_code == 200
    body = response.json()
    assert (body["keep"], body["leaf_count"]) == ("period_total", 6)
    assert body["kept"] == [_cell(org_unit="N-T1", period="2019-03")]
    # N-T1's March stays 1,500.00: S-N2 gives the 250.00
    assert body["rebalanced"] == [
        {**_cell(salesperson="S-N2", period="2019-03"), "old_amount": "750.00",
         "new_amount": "500.00"}
    ]  # fmt: skip


def test_an_unknown_keep_rule_is_a_400_naming_the_field(client_as, plan):
    response = client_as("manager").post(
        _url(plan, "cells/edit"),
        {"salesperson": "S-N1", "period": "2019-03", "amount": "1", "keep": "both"},
        format="json",
    )

    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["keep"]


@pytest.mark.parametrize(
    ("username", "body", "status", "expected"),
    [
        (
            "manager",
            {"org_unit": "NORTH", "amount": "1"},
            403,
            {
                "message": "You may only change cells whose parent lies inside your part of the "
                "company; with “keep the row's year” the parent of NORTH · all lines · year is "
                "ACME · all lines · year.",
                "code": "permission_denied",
            },
        ),
        (
            "manager",
            {"amount": "1"},
            403,
            {
                "message": "Only administrators may change the plan total or its lines.",
                "code": "permission_denied",
            },
        ),
        (
            "other_manager",
            {"salesperson": "S-N1", "amount": "1"},
            400,
            {
                "message": "salesperson: No salesperson with code “S-N1” is visible to you.",
                "code": "invalid",
                "fields": {"salesperson": ["No salesperson with code “S-N1” is visible to you."]},
            },
        ),
        (
            "rep",
            {"salesperson": "S-N1", "amount": "1"},
            403,
            {
                "message": "Only managers and administrators may do this.",
                "code": "permission_denied",
            },
        ),
        (
            "admin",
            {"salesperson": "S-N1", "amount": "1.001"},
            400,
            {
                "message": "amount: Ensure that there are no more than 2 decimal places.",
                "code": "invalid",
                "fields": {"amount": ["Ensure that there are no more than 2 decimal places."]},
            },
        ),
        (
            "admin",
            {"salesperson": "S-N1", "period": "2020-01", "amount": "1"},
            400,
            {
                "message": "period: Enter a period as “year”, a fiscal quarter Q1-Q4 or a month "
                "YYYY-MM of fiscal year 2019.",
                "code": "invalid",
                "fields": {
                    "period": [
                        "Enter a period as “year”, a fiscal quarter Q1-Q4 or a month "
                        "YYYY-MM of fiscal year 2019."
                    ]
                },
            },
        ),
        (
            "admin",
            {"salesperson": "S-S1", "amount": "20000"},
            400,
            {
                "message": "Nothing was changed: with “keep the row's year”: 'S-S1 · all lines · "
                "year' can be at most 18,000.00: the parent total is 18,000.00 and 0.00 of it is "
                "locked in other items.",
                "code": "allocation_rule",
                "child": "S-S1 · all lines · year",
            },
        ),
        (
            "admin",
            {"salesperson": "S-N1", "amount": "1", "revision": 0},
            409,
            {
                "message": "The plan has changed since you loaded it (your revision 0, now 1). "
                "Reload it and try again.",
                "code": "plan_stale",
            },
        ),
    ],
)
def test_cell_edit_errors(client_as, plan, username, body, status, expected):
    response = client_as(username).post(_url(plan, "cells/edit"), body, format="json")

    assert response.status_code == status
    assert response.json() == expected


def test_a_paste_applies_a_block_or_names_every_bad_cell(client_as, plan):
    client = client_as("manager")
    good = {
        "cells": [
            {"salesperson": "S-N2", "period": "2019-01", "amount": "1000", "ref": "B5"},
            {"salesperson": "S-N2", "period": "2019-02", "amount": "1,000.00", "ref": "C5"},
        ],
        "reason": "paste",
    }

    response = client.post(_url(plan, "cells/paste"), good, format="json")

    assert response.status_code == 200
    body = response.json()
    assert (body["revision"], body["leaf_count"], len(body["changes"])) == (2, 36, 2)
    assert PlanChange.objects.filter(plan=plan, action="paste", batch=body["batch"]).count() == 2

    bad = {
        "cells": [
            {"salesperson": "S-N2", "period": "2019-01", "amount": "x", "ref": "B5"},
            {"salesperson": "S-S1", "period": "2019-02", "amount": "1", "ref": "C6"},
        ]
    }
    response = client.post(_url(plan, "cells/paste"), bad, format="json")
    assert response.status_code == 400
    assert response.json() == {
        "message": "Nothing was changed: 2 of the cells can't be set.",
        "code": "cells_rejected",
        "errors": [
            {
                "index": 0,
                "ref": "B5",
                "cell": "S-N2 · all lines · 2019-01",
                "message": "“x” is not an amount.",
            },
            {
                "index": 1,
                "ref": "C6",
                "cell": None,
                "message": "No salesperson with code “S-S1” is visible to you.",
            },
        ],
    }
    assert client.post(_url(plan, "cells/paste"), {"cells": []}, format="json").status_code == 400


def test_lock_and_bounds_over_the_api_and_the_constraint_list(client_as, plan):
    client = client_as("manager")
    response = client.post(
        _url(plan, "cells/lock"),
        {"org_unit": "N-T1", "period": "Q1", "locked": True, "min_amount": "100"},
        format="json",
    )
    assert response.json() == {
        "org_unit": "N-T1",
        "salesperson": None,
        "product_line": None,
        "period": "Q1",
        "label": "N-T1 · all lines · Q1",
        "locked": True,
        "min_amount": "100.00",
        "max_amount": None,
    }
    # Leave the bound, drop the lock.
    response = client.post(
        _url(plan, "cells/lock"),
        {"org_unit": "N-T1", "period": "Q1", "locked": False},
        format="json",
    )
    assert (response.json()["locked"], response.json()["min_amount"]) == (False, "100.00")
    assert client.get(_url(plan, "constraints")).json() == [response.json()]
    assert client_as("other_manager").get(_url(plan, "constraints")).json() == []
    response = client.post(
        _url(plan, "cells/lock"), {"org_unit": "NORTH", "locked": True}, format="json"
    )
    assert response.status_code == 403


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        (
            {"group_by": "org_unit"},
            [("NORTH", "18000.00", "123.4567"), ("SOUTH", "18000.00", "0.00")],
        ),
        (
            {"group_by": "org_unit", "level": 2},
            [("N-T1", "18000.00", "123.4567"), ("S-T1", "18000.00", "0.00")],
        ),
        (
            {"group_by": "product_line"},
            [("FUR", "24000.00", "123.4567"), ("TEC", "12000.00", "0.00")],
        ),
        (
            {"group_by": "product_line", "level": 2},
            [
                ("FUR-CH", "12000.00", "123.4567"),
                ("FUR-TA", "12000.00", "0.00"),
                ("TEC-PH", "12000.00", "0.00"),
            ],
        ),
        (
            {"group_by": "quarter"},
            [(f"Q{q}", "9000.00", "123.4567" if q == 1 else "0.00") for q in range(1, 5)],
        ),
    ],
)
def test_rollups_for_an_admin(client_as, plan, query, expected):
    rows = client_as("admin").get(_url(plan, "rollup"), query).json()

    assert [(r["key"], r["amount"], r["actual"]) for r in rows] == expected


def test_rollups_stay_inside_a_managers_part(client_as, plan):
    rows = client_as("manager").get(_url(plan, "rollup"), {"group_by": "salesperson"}).json()

    assert rows == [
        {"key": "S-N1", "name": "Nora North", "amount": "9000.00", "actual": "123.4567"},
        {"key": "S-N2", "name": "Ned North", "amount": "9000.00", "actual": "0.00"},
    ]
    units = client_as("manager").get(_url(plan, "rollup"), {"group_by": "org_unit"}).json()
    assert [r["key"] for r in units] == ["N-T1"]


def test_the_audit_trail_per_plan_and_per_cell(client_as, plan):
    manager = client_as("manager")
    manager.post(
        _url(plan, "cells/edit"),
        {"salesperson": "S-N1", "period": "2019-03", "amount": "800", "reason": "why"},
        format="json",
    )
    client_as("other_manager").post(
        _url(plan, "cells/edit"),
        {"salesperson": "S-S1", "period": "2019-03", "amount": "800"},
        format="json",
    )

    rows = manager.get(_url(plan, "changes"), {"salesperson": "S-N1", "period": "2019-03"}).json()

    assert rows["count"] == 1
    change = rows["results"][0]
    assert {
        k: change[k]
        for k in (
            "actor",
            "action",
            "salesperson",
            "period",
            "cell",
            "old_amount",
            "new_amount",
            "reason",
            "leaf_count",
        )
    } == {
        "actor": "manager",
        "action": "edit",
        "salesperson": "S-N1",
        "period": "2019-03",
        "cell": "S-N1 · all lines · 2019-03",
        "old_amount": "750.00",
        "new_amount": "800.00",
        "reason": "why",
        "leaf_count": 36,
    }
    # A manager sees their subtree's changes and the plan-wide events, not the south's edits.
    actions = [r["action"] for r in manager.get(_url(plan, "changes")).json()["results"]]
    assert actions == ["edit", "allocate", "create"]
    assert client_as("admin").get(_url(plan, "changes")).json()["count"] == 4
    assert client_as("rep").get(_url(plan, "changes")).status_code == 403


def test_session_clients_need_a_csrf_token_for_writes(company, plan):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(User.objects.get(username="manager"))

    response = client.post(
        _url(plan, "cells/edit"), {"salesperson": "S-N1", "amount": "1"}, format="json"
    )

    assert response.status_code == 403
    assert response.json()["message"].startswith("CSRF Failed")
    assert client.get(_url(plan, "grid")).status_code == 200


def test_the_audit_list_costs_the_same_queries_for_few_or_many_changes(client_as, plan):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = client_as("manager")
    client.get(_url(plan, "changes"))
    with CaptureQueriesContext(connection) as few:
        client.get(_url(plan, "changes"))
    for month in range(1, 7):
        client.post(_url(plan, "cells/edit"), {"salesperson": "S-N1", "period": f"2019-0{month}",
                    "amount": "700"}, format="json")  # fmt: skip
    with CaptureQueriesContext(connection) as many:
        response = client.get(_url(plan, "changes"))

    assert response.json()["count"] == 8
    assert len(many) == len(few) <= 10
