"""Undo and upload confirmation over the API: the payloads, and who may do them.

A manager undoes only their own changes inside the part they manage; nobody confirms or
discards someone else's upload; salespeople do none of it.
"""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import load_workbook

from allocation.models import EditBatch, PlanChange, PlanUpload, TargetCell
from allocation.services import plan_sheet_xlsx, plan_upload_create, plan_upload_run
from tests.allocation.test_plan_support import make_plan

pytestmark = pytest.mark.django_db


@pytest.fixture
def plan(company):
    return make_plan(company)


def _url(plan, tail):
    return f"/api/v1/plans/{plan.pk}/{tail}/"


def _amounts(plan) -> list[tuple]:
    return list(
        TargetCell.objects.filter(plan=plan)
        .order_by("pk")
        .values_list("salesperson_id", "product_line_id", "month", "amount")
    )


def _edit(client, plan, **body):
    response = client.post(_url(plan, "cells/edit"), body, format="json")
    assert response.status_code == 200, response.json()
    return response.json()


def test_the_undo_state_and_the_undo_answer(client_as, plan):
    manager = client_as("manager")
    assert manager.get(_url(plan, "undo")).json() == {
        "available": False,
        "batch": None,
        "action": None,
        "keep": None,
        "at": None,
        "leaf_count": 0,
        "cells": [],
    }
    before = _amounts(plan)
    edit = _edit(manager, plan, salesperson="S-N1", period="2019-03", amount="1000",
                 keep="period_total")  # fmt: skip

    state = manager.get(_url(plan, "undo")).json()
    assert state == {
        "available": True,
        "batch": edit["batch"],
        "action": "edit",
        "keep": "period_total",
        "at": state["at"],
        "leaf_count": 6,
        "cells": ["S-N1 · all lines · 2019-03"],
    }
    assert state["at"].endswith("+08:00")  # the configured time zone (Asia/Shanghai)

    response = manager.post(_url(plan, "undo"), {"batch": edit["batch"]}, format="json")

    assert response.status_code == 200
    undo_batch = str(PlanChange.objects.get(plan=plan, action="undo").batch)
    assert response.json() == {
        "plan": plan.pk,
        "revision": 3,
        "total_amount": "36000.00",
        "leaf_count": 6,
        "batch": undo_batch,
        "keep": "period_total",
        "changes": [
            {
                "org_unit": None,
                "salesperson": "S-N1",
                "product_line": None,
                "period": "2019-03",
                "label": "S-N1 · all lines · 2019-03",
                "old_amount": "1000.00",
                "new_amount": "750.00",
            }
        ],
        "kept": [],
        "rebalanced": [],
    }
    assert _amounts(plan) == before


def test_an_undo_touched_since_is_a_400_naming_the_cells(client_as, plan):
    _edit(client_as("manager"), plan, salesperson="S-N1", period="2019-03", amount="1000")
    _edit(client_as("admin"), plan, salesperson="S-N1", product_line="TEC-PH", period="2019-04",
          amount="100")  # fmt: skip
    after = _amounts(plan)

    response = client_as("manager").post(_url(plan, "undo"), {}, format="json")

    assert response.status_code == 400
    assert response.json()["code"] == "allocation_rule"
    # the admin's April kept the row's year, so all 12 months of S-N1's phones moved again
    assert response.json()["message"] == (
        "Nothing was undone: later changes touched 12 of the cells that change moved "
        "(S-N1 · TEC-PH · 2019-01, S-N1 · TEC-PH · 2019-02, S-N1 · TEC-PH · 2019-03, "
        "S-N1 · TEC-PH · 2019-04, S-N1 · TEC-PH · 2019-05 and 7 more)."
    )
    assert _amounts(plan) == after


def test_no_one_undoes_anothers_change_and_salespeople_cannot_undo(client_as, plan):
    edit = _edit(client_as("manager"), plan, salesperson="S-N1", period="2019-03", amount="1000")
    after = _amounts(plan)

    other = client_as("other_manager").post(
        _url(plan, "undo"), {"batch": edit["batch"]}, format="json"
    )
    admin = client_as("admin").post(_url(plan, "undo"), {"batch": edit["batch"]}, format="json")
    rep = client_as("rep").post(_url(plan, "undo"), {}, format="json")

    assert (other.status_code, admin.status_code, rep.status_code) == (400, 400, 403)
    assert other.json()["message"] == (
        "Nothing was undone: you have no change of this plan to undo."
    )
    assert client_as("other_manager").get(_url(plan, "undo")).json()["available"] is False
    assert client_as("rep").get(_url(plan, "undo")).status_code == 403
    assert _amounts(plan) == after
    assert EditBatch.objects.get().undone_at is None


def test_a_manager_cannot_undo_once_the_change_reaches_outside_their_part(company, client_as, plan):
    _edit(client_as("manager"), plan, salesperson="S-N1", period="2019-03", amount="1000")
    company.rep.org_unit = company.south_team  # S-N1 moves to the south since
    company.rep.save(update_fields=["org_unit"])
    after = _amounts(plan)

    response = client_as("manager").post(_url(plan, "undo"), {}, format="json")

    assert response.status_code == 403
    assert response.json()["message"] == (
        "Nothing was undone: that change reaches outside your part of the company now."
    )
    assert _amounts(plan) == after


def _previewed(company, plan, username="manager") -> PlanUpload:
    user = company.users[username]
    book = load_workbook(io.BytesIO(plan_sheet_xlsx(plan=plan, user=user)))
    book["Targets"]["H5" if username == "manager" else "H6"] = 300
    buffer = io.BytesIO()
    book.save(buffer)
    upload = plan_upload_create(
        plan=plan, file=SimpleUploadedFile("plan.xlsx", buffer.getvalue()), actor=user
    )
    return plan_upload_run(upload=upload)


@pytest.mark.parametrize("action", ["confirm", "discard"])
def test_only_the_uploader_confirms_or_discards(company, client_as, plan, action):
    upload = _previewed(company, plan)
    url = _url(plan, f"uploads/{upload.pk}/{action}")

    other = client_as("other_manager").post(url)  # sees the plan, not the upload
    admin = client_as("admin").post(url)  # sees the upload, did not send it
    rep = client_as("rep").post(url)

    assert (other.status_code, admin.status_code, rep.status_code) == (404, 403, 403)
    assert admin.json()["message"] == (
        "Only the person who uploaded the sheet may confirm or discard it."
    )
    assert PlanUpload.objects.get(pk=upload.pk).status == "previewed"
    assert not PlanChange.objects.filter(plan=plan, action="upload").exists()
    assert client_as("manager").post(url).status_code == 200


def test_a_manager_cannot_upload_to_or_confirm_on_a_plan_outside_their_part(company, client_as):
    south_plan = make_plan(company, name="South", root_org_unit=company.south)
    upload = _previewed(company, south_plan, username="admin")
    manager = client_as("manager")

    assert manager.post(_url(south_plan, "upload"), {}, format="multipart").status_code == 404
    assert manager.post(_url(south_plan, f"uploads/{upload.pk}/confirm")).status_code == 404
    assert manager.get(_url(south_plan, "undo")).status_code == 404
    assert manager.post(_url(south_plan, "undo"), {}, format="json").status_code == 404
