"""Every plan sub-resource x every role: who may call it and exactly which rows they see.

The company (``tests/conftest.py``): ACME ─ NORTH (manager) ─ N-T1 ─ S-N1 (rep), S-N2;
SOUTH (other_manager) ─ S-T1 ─ S-S1 (south_rep). Roles: admin (superuser), director
(``manage_all``), manager of the subtree (NORTH), manager of another region (SOUTH), the
salesperson S-N1, another salesperson S-S1, a user without a role, and anonymous.

A manager sees only the rows of their subtree, a salesperson only their own; a write
outside the viewer's part is refused whole and changes nothing.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
import time_machine
from rest_framework.test import APIClient

from allocation.models import CellConstraint, MethodInput, PlanChange, TargetCell
from allocation.services import (
    MethodInputData,
    acknowledgement_record,
    cell_constraint_set,
    plan_approve,
    plan_method_inputs_set,
    plan_publish,
    plan_scenario_create,
    plan_submit,
)
from tests.allocation.test_plan_support import make_plan

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_time")]

ROLES = [
    "admin",
    "director",
    "manager",
    "other_manager",
    "rep",
    "south_rep",
    "nobody",
    "anonymous",
]
ADMINS = {"admin", "director"}
MANAGERS = {"admin", "director", "manager", "other_manager"}
EVERYONE = {"admin", "director", "manager", "other_manager", "rep", "south_rep"}

NORTH_PEOPLE = ["S-N1", "S-N2"]
ALL_PEOPLE = ["S-N1", "S-N2", "S-S1"]
# Who sees which salespeople's rows (None: refused with 403/401).
PEOPLE = {
    "admin": ALL_PEOPLE,
    "director": ALL_PEOPLE,
    "manager": NORTH_PEOPLE,
    "other_manager": ["S-S1"],
    "rep": ["S-N1"],
    "south_rep": ["S-S1"],
}
MANAGED_PEOPLE = {role: PEOPLE[role] for role in MANAGERS}


@pytest.fixture
def frozen_time():
    with time_machine.travel(dt.datetime(2019, 3, 15, 9, 0, tzinfo=dt.UTC), tick=False):
        yield


def _item(org_unit=None, salesperson=None, product_line=None, **values):
    return MethodInputData(
        org_unit=org_unit,
        salesperson=salesperson,
        product_line=product_line,
        manual_percent=values.get("manual_percent"),
        growth_rate=values.get("growth_rate"),
        potential_index=values.get("potential_index"),
        fte_override=values.get("fte_override"),
    )


@pytest.fixture
def plan(company):
    """A published plan with method inputs on every node, a lock per region, acknowledgements."""
    plan = make_plan(company)
    users = company.users
    plan_method_inputs_set(
        plan=plan,
        inputs=[
            _item(org_unit=company.north, growth_rate=Decimal("0.1")),
            _item(org_unit=company.south, growth_rate=Decimal("0.2")),
            _item(org_unit=company.north_team, potential_index=Decimal(2)),
            _item(org_unit=company.south_team, potential_index=Decimal(3)),
            _item(salesperson=company.rep, fte_override=Decimal("0.5")),
            _item(salesperson=company.north_peer, manual_percent=Decimal(40)),
            _item(salesperson=company.south_rep, fte_override=Decimal("0.8")),
            _item(product_line=company.chairs, manual_percent=Decimal(50)),
        ],
        actor=users["admin"],
    )
    cell_constraint_set(
        plan=plan, salesperson="S-N1", period="2019-03", locked=True, actor=users["manager"]
    )
    cell_constraint_set(
        plan=plan,
        salesperson="S-S1",
        period="2019-04",
        bounds=(Decimal(0), Decimal(5000)),
        actor=users["other_manager"],
    )
    plan_submit(plan=plan, actor=users["manager"])
    plan_approve(plan=plan, actor=users["admin"])
    plan = plan_publish(plan=plan, actor=users["admin"])
    acknowledgement_record(plan=plan, actor=users["rep"], status="acknowledged")
    acknowledgement_record(plan=plan, actor=users["south_rep"], status="disputed", comment="high")
    return plan


@pytest.fixture
def client_for(client_as):
    def make(role: str) -> APIClient:
        return APIClient() if role == "anonymous" else client_as(role)

    return make


def _refused(response, role: str) -> None:
    expected = 401 if role == "anonymous" else 403
    assert response.status_code == expected, (role, response.content[:300])


# --- reads: every sub-resource x every role ----------------------------------------------------


def _get(client_for, role: str, url: str, params=None):
    return client_for(role).get(url, params or {})


def _check(client_for, url: str, allowed: set[str], visible, expected: dict, params=None):
    """Call ``url`` as every role: 401/403 outside ``allowed``, else ``visible(json)``."""
    for role in ROLES:
        response = _get(client_for, role, url, params)
        if role not in allowed:
            _refused(response, role)
            continue
        assert response.status_code == 200, (role, response.content[:300])
        assert visible(response) == expected[role], role


def _codes(rows, *keys):
    return sorted(next(row[k] for k in keys if row.get(k)) for row in rows)


def _results(response):
    body = response.json()
    return body["results"] if isinstance(body, dict) and "results" in body else body


def test_plan_list_and_detail_show_each_role_its_part(client_for, plan):
    expected = {
        "admin": ("36000.00", "plan"),
        "director": ("36000.00", "plan"),
        "manager": ("18000.00", "subtree"),
        "other_manager": ("18000.00", "subtree"),
        "rep": ("9000.00", "own"),
        "south_rep": ("18000.00", "own"),
    }

    _check(
        client_for,
        "/api/v1/plans/",
        EVERYONE,
        lambda r: [(p["id"], p["total_amount"], p["scope"]) for p in _results(r)],
        {role: [(plan.pk, *value)] for role, value in expected.items()},
    )
    _check(
        client_for,
        f"/api/v1/plans/{plan.pk}/",
        EVERYONE,
        lambda r: (r.json()["total_amount"], r.json()["scope"]),
        expected,
    )


def test_method_inputs_are_those_of_the_viewers_subtree(client_for, plan):
    # the leak of issue 6: a manager read the other region's growth rates, FTEs and percents
    north = ["FUR-CH", "N-T1", "NORTH", "S-N1", "S-N2"]
    south = ["FUR-CH", "S-S1", "S-T1", "SOUTH"]
    everything = sorted({*north, *south})

    _check(
        client_for,
        f"/api/v1/plans/{plan.pk}/method-inputs/",
        MANAGERS,
        lambda r: _codes(r.json()["inputs"], "org_unit", "salesperson", "product_line"),
        {"admin": everything, "director": everything, "manager": north, "other_manager": south},
    )


def test_only_admins_read_product_line_totals(client_for, plan):
    _check(
        client_for,
        f"/api/v1/plans/{plan.pk}/product-line-totals/",
        ADMINS,
        lambda r: r.json(),
        {"admin": {"totals": []}, "director": {"totals": []}},
    )


def test_constraints_are_those_of_the_viewers_subtree(client_for, plan):
    both = ["S-N1 · all lines · 2019-03", "S-S1 · all lines · 2019-04"]
    _check(
        client_for,
        f"/api/v1/plans/{plan.pk}/constraints/",
        MANAGERS,
        lambda r: sorted(row["label"] for row in r.json()),
        {"admin": both, "director": both, "manager": both[:1], "other_manager": both[1:]},
    )


def test_the_audit_trail_shows_plan_wide_events_and_the_viewers_cells(client_for, plan):
    plan_wide = [
        ("allocate", None),
        ("approve", None),
        ("create", None),
        ("method", None),
        ("publish", None),
        ("submit", None),
    ]
    north = [("acknowledge", "S-N1"), ("lock", "S-N1")]
    south = [("bounds", "S-S1"), ("dispute", "S-S1")]
    everything = sorted(plan_wide + north + south, key=str)
    assert PlanChange.objects.filter(plan=plan).count() == len(everything)

    _check(
        client_for,
        f"/api/v1/plans/{plan.pk}/changes/",
        MANAGERS,
        lambda r: sorted(((c["action"], c["salesperson"]) for c in _results(r)), key=str),
        {
            "admin": everything,
            "director": everything,
            "manager": sorted(plan_wide + north, key=str),
            "other_manager": sorted(plan_wide + south, key=str),
        },
    )


def test_acknowledgements_list_the_people_the_viewer_manages(client_for, plan):
    _check(
        client_for,
        f"/api/v1/plans/{plan.pk}/acknowledgements/",
        MANAGERS,
        lambda r: [(a["salesperson"], a["status"]) for a in _results(r)],
        {
            "admin": [("S-N1", "acknowledged"), ("S-N2", "pending"), ("S-S1", "disputed")],
            "director": [("S-N1", "acknowledged"), ("S-N2", "pending"), ("S-S1", "disputed")],
            "manager": [("S-N1", "acknowledged"), ("S-N2", "pending")],
            "other_manager": [("S-S1", "disputed")],
        },
    )


def test_the_grid_shows_the_viewers_rows_and_their_locks_only(client_for, plan):
    def rows(response):
        return [
            (row["code"], [c["period"] for c in row["constraints"]])
            for row in response.json()["rows"]
        ]

    admin = [("ACME", []), ("NORTH", []), ("SOUTH", [])]
    _check(
        client_for,
        f"/api/v1/plans/{plan.pk}/grid/",
        EVERYONE,
        rows,
        {
            "admin": admin,
            "director": admin,
            "manager": [("NORTH", []), ("N-T1", [])],
            "other_manager": [("SOUTH", []), ("S-T1", [])],
            "rep": [("S-N1", ["2019-03"])],
            "south_rep": [("S-S1", ["2019-04"])],
        },
    )


@pytest.mark.parametrize(
    ("path", "params", "people"),
    [
        ("rollup/", {"group_by": "salesperson"}, lambda rows: [r["key"] for r in rows]),
        ("days/", {"month": "2019-03"}, lambda rows: [r["salesperson"] for r in rows]),
    ],
)
def test_rollups_and_day_targets_cover_the_viewers_people(client_for, plan, path, params, people):
    _check(
        client_for,
        f"/api/v1/plans/{plan.pk}/{path}",
        EVERYONE,
        lambda r: people(r.json()),
        PEOPLE,
        params,
    )


@pytest.mark.parametrize(
    ("path", "params"),
    [("export/", {"format": "csv"}), ("days/export/", {"month": "2019-03", "format": "csv"})],
)
def test_downloads_hold_the_viewers_people(client_for, plan, path, params):
    def people(response):
        body = b"".join(response.streaming_content) if response.streaming else response.content
        rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
        column = [h.lower() for h in rows[0]].index("salesperson")
        return sorted({row[column] for row in rows[1:] if row and row[column]})

    _check(client_for, f"/api/v1/plans/{plan.pk}/{path}", EVERYONE, people, PEOPLE, params)


def test_targets_and_own_targets(client_for, plan):
    _check(
        client_for,
        "/api/v1/targets/",
        EVERYONE,
        lambda r: sorted({row["salesperson"] for row in _results(r)}),
        PEOPLE,
        {"plan": plan.pk, "page_size": 500},
    )
    _check(
        client_for,
        "/api/v1/my-targets/",
        EVERYONE,
        lambda r: [row["salesperson"] for row in _results(r)],
        {role: [] for role in MANAGERS} | {"rep": ["S-N1"], "south_rep": ["S-S1"]},
    )


def test_compare_covers_the_viewers_people_in_every_plan(company, client_for, plan):
    scenario = plan_scenario_create(plan=plan, name="what if", actor=company.users["admin"])

    _check(
        client_for,
        "/api/v1/plans/compare/",
        MANAGERS,
        lambda r: [(row["key"], len(row["amounts"])) for row in r.json()["rows"]],
        {role: [(code, 2) for code in PEOPLE[role]] for role in MANAGERS},
        {"plans": f"{plan.pk},{scenario.pk}", "group_by": "salesperson"},
    )


@pytest.mark.parametrize(
    "path", ["new-version/", "scenarios/", "respread/", "archive/", "allocate/", "approve/"]
)
def test_plan_wide_operations_are_for_admins_only(client_for, plan, path):
    before = (plan.revision, PlanChange.objects.count())
    body = {"reason": "r", "as_of": "2019-03-31", "name": "x"}

    for role in ROLES:
        if role in ADMINS:
            continue
        response = client_for(role).post(f"/api/v1/plans/{plan.pk}/{path}", body, format="json")
        _refused(response, role)
    plan.refresh_from_db()
    assert (plan.revision, PlanChange.objects.count()) == before


# --- writes outside the viewer's part: refused whole, nothing changes ---------------------------


@pytest.fixture
def draft(company):
    return make_plan(company, name="Draft")


def _amounts(plan) -> list[tuple]:
    return list(
        TargetCell.objects.filter(plan=plan)
        .order_by("salesperson_id", "product_line_id", "month")
        .values_list("salesperson_id", "product_line_id", "month", "amount")
    )


def _not_visible(field: str, code: str) -> dict:
    noun = "salesperson" if field == "salesperson" else "org unit"
    message = f"No {noun} with code “{code}” is visible to you."
    return {"message": f"{field}: {message}", "code": "invalid", "fields": {field: [message]}}


WRITERS = {
    # role -> (a code outside their part of the plan, its field)
    "manager": ("S-S1", "salesperson"),
    "other_manager": ("N-T1", "org_unit"),
}


@pytest.mark.parametrize("role", ROLES)
def test_a_cell_edit_outside_the_viewers_part_changes_nothing(client_for, draft, role):
    before = _amounts(draft)
    code, field = WRITERS.get(role, ("S-S1", "salesperson"))
    body = {field: code, "period": "2019-05", "amount": "1.00"}

    response = client_for(role).post(f"/api/v1/plans/{draft.pk}/cells/edit/", body, format="json")

    if role in ADMINS:
        assert response.status_code == 200
        return
    if role in WRITERS:
        assert response.status_code == 400
        assert response.json() == _not_visible(field, code)
        # and a code that does not exist at all reads the same
        body[field] = "NO-SUCH"
        unknown = client_for(role).post(
            f"/api/v1/plans/{draft.pk}/cells/edit/", body, format="json"
        )
        assert unknown.json() == _not_visible(field, "NO-SUCH")
    else:
        _refused(response, role)
    assert _amounts(draft) == before


def test_a_paste_with_one_cell_outside_the_managers_part_is_refused_whole(client_for, draft):
    before = _amounts(draft)
    cells = [
        {"salesperson": "S-N1", "period": "2019-05", "amount": "700.00", "ref": "A1"},
        {"salesperson": "S-N2", "period": "2019-05", "amount": "800.00", "ref": "A2"},
        {"salesperson": "S-S1", "period": "2019-05", "amount": "1.00", "ref": "A3"},
        {"salesperson": "NO-SUCH", "period": "2019-05", "amount": "1.00", "ref": "A4"},
    ]

    response = client_for("manager").post(
        f"/api/v1/plans/{draft.pk}/cells/paste/", {"cells": cells}, format="json"
    )

    assert response.status_code == 400
    assert response.json()["errors"] == [
        {
            "index": 2,
            "ref": "A3",
            "cell": None,
            "message": "No salesperson with code “S-S1” is visible to you.",
        },
        {
            "index": 3,
            "ref": "A4",
            "cell": None,
            "message": "No salesperson with code “NO-SUCH” is visible to you.",
        },
    ]
    assert _amounts(draft) == before


@pytest.mark.parametrize("role", ROLES)
def test_locks_and_bounds_outside_the_viewers_part_are_refused(client_for, draft, role):
    code, field = WRITERS.get(role, ("S-S1", "salesperson"))
    body = {field: code, "period": "2019-05", "locked": True, "max_amount": "99999.00"}

    response = client_for(role).post(f"/api/v1/plans/{draft.pk}/cells/lock/", body, format="json")

    if role in ADMINS:
        assert response.status_code == 200
        assert CellConstraint.objects.filter(plan=draft).count() == 1
        return
    if role in WRITERS:
        assert response.status_code == 400
        assert response.json() == _not_visible(field, code)
    else:
        _refused(response, role)
    assert not CellConstraint.objects.filter(plan=draft).exists()


@pytest.mark.parametrize("role", ROLES)
def test_only_admins_replace_method_inputs_and_product_line_totals(
    company, client_for, draft, role
):
    MethodInput.objects.create(plan=draft, org_unit=company.south, growth_rate=Decimal("0.2"))
    url = f"/api/v1/plans/{draft.pk}/"
    client = client_for(role)

    inputs = client.put(
        f"{url}method-inputs/",
        {"inputs": [{"org_unit": "NORTH", "growth_rate": "0.5"}]},
        format="json",
    )
    totals = client.put(
        f"{url}product-line-totals/",
        {"totals": [{"product_line": "TEC", "amount": "100.00"}]},
        format="json",
    )

    if role in ADMINS:
        assert (inputs.status_code, totals.status_code) == (200, 200)
        return
    _refused(inputs, role)
    _refused(totals, role)
    assert list(MethodInput.objects.values_list("org_unit__code", "growth_rate")) == [
        ("SOUTH", Decimal("0.2000"))
    ]
    assert not draft.product_line_totals.exists()


def test_an_upload_with_another_regions_rows_is_refused_whole(
    company, client_for, draft, django_capture_on_commit_callbacks
):
    from openpyxl import load_workbook

    from allocation.services import plan_sheet_xlsx

    book = load_workbook(io.BytesIO(plan_sheet_xlsx(plan=draft, user=company.users["admin"])))
    sheet = book["Targets"]
    sheet["H6"] = 700  # S-N1 chairs, in the manager's part
    sheet["I6"] = 800
    sheet["H16"] = 1  # S-S1, outside it
    buffer = io.BytesIO()
    book.save(buffer)
    buffer.seek(0)
    buffer.name = "plan.xlsx"
    before = _amounts(draft)

    manager = client_for("manager")
    with django_capture_on_commit_callbacks(execute=True):  # the job runs at commit
        response = manager.post(
            f"/api/v1/plans/{draft.pk}/upload/", {"file": buffer}, format="multipart"
        )
    assert response.status_code == 202
    job = manager.get(response.json()["url"]).json()

    assert job["status"] == "failed"
    assert {e["message"] for e in job["errors"]} == {
        "No salesperson with code “S-S1” is visible to you.",
        "No org unit with code “ACME” is visible to you.",
        "No org unit with code “SOUTH” is visible to you.",
        "No org unit with code “S-T1” is visible to you.",
    }
    assert _amounts(draft) == before


def test_the_plans_root_is_named_but_only_admins_change_it(client_for, draft):
    before = _amounts(draft)

    response = client_for("manager").post(
        f"/api/v1/plans/{draft.pk}/cells/edit/",
        {"org_unit": "ACME", "period": "2019-05", "amount": "1.00"},
        format="json",
    )

    assert response.status_code == 403
    assert (
        response.json()["message"] == "Only administrators may change the plan total or its lines."
    )
    assert _amounts(draft) == before
