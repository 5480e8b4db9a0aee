"""The credit-rule endpoints, territory-rule edits and the import template over the API:
whole payloads and who may do what."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from customers.credit.services import credit_rule_create
from customers.models import CreditRule, TerritoryRule

pytestmark = pytest.mark.django_db

URL = "/api/v1/credit-rules/"


@pytest.fixture
def rules(company):
    north = credit_rule_create(
        attribute="customer_code",
        value="C-N",
        parties=[(company.rep, Decimal("66.6667")), (company.north_peer, Decimal("33.3333"))],
        actor=None,
    )
    mixed = credit_rule_create(
        attribute="region",
        value="East",
        parties=[(company.rep, None), (company.south_rep, None)],
        actor=None,
    )
    return north, mixed


def _north(rule):
    return {
        "id": rule.pk,
        "attribute": "customer_code",
        "value": "C-N",
        "description": "",
        "shares": [
            {"salesperson": "S-N1", "share": "66.6667"},
            {"salesperson": "S-N2", "share": "33.3333"},
        ],
    }


def test_admins_see_every_rule_and_managers_only_theirs(client_as, rules):
    north, mixed = rules
    admin = client_as("admin").get(URL).json()
    assert admin["count"] == 2
    assert admin["results"][0] == _north(north)
    assert admin["results"][1]["shares"] == [
        {"salesperson": "S-N1", "share": None},
        {"salesperson": "S-S1", "share": None},
    ]
    assert client_as("manager").get(URL).json() == {
        "count": 1,
        "next": None,
        "previous": None,
        "results": [_north(north)],
    }
    assert client_as("other_manager").get(URL).json()["count"] == 0
    assert client_as("manager").get(f"{URL}{mixed.pk}/").status_code == 404
    assert client_as("rep").get(URL).status_code == 403
    assert client_as("rep").get(f"{URL}{north.pk}/").status_code == 403


def test_create_update_and_delete_a_rule(client_as, company):
    manager = client_as("manager")
    created = manager.post(
        URL,
        {
            "attribute": "city",
            "value": " Tianjin ",
            "description": "Key account",
            "shares": [
                {"salesperson": "S-N2", "share": "25"},
                {"salesperson": "S-N1", "share": "75"},
            ],
        },
        format="json",
    )
    assert created.status_code == 201, created.content
    rule = CreditRule.objects.get()
    assert created.json() == {
        "id": rule.pk,
        "attribute": "city",
        "value": "Tianjin",
        "description": "Key account",
        "shares": [
            {"salesperson": "S-N2", "share": "25.0000"},
            {"salesperson": "S-N1", "share": "75.0000"},
        ],
    }
    updated = manager.put(
        f"{URL}{rule.pk}/",
        {
            "attribute": "city",
            "value": "Tianjin",
            "shares": [{"salesperson": "S-N2"}, {"salesperson": "S-N1"}],
        },
        format="json",
    )
    assert updated.status_code == 200
    assert updated.json()["shares"] == [
        {"salesperson": "S-N2", "share": None},
        {"salesperson": "S-N1", "share": None},
    ]
    assert manager.delete(f"{URL}{rule.pk}/").status_code == 204
    assert CreditRule.objects.count() == 0


@pytest.mark.parametrize(
    ("shares", "field", "message"),
    [
        (
            [{"salesperson": "S-N1", "share": "60"}, {"salesperson": "S-N2", "share": "30"}],
            "shares",
            "The shares add up to 90 %, not 100 %.",
        ),
        (
            [{"salesperson": "S-N1", "share": "60"}, {"salesperson": "S-S1", "share": "40"}],
            "shares",
            "No salesperson with code “S-S1” that you may assign.",
        ),
        (
            [{"salesperson": "S-N1", "share": "60"}, {"salesperson": "NOPE", "share": "40"}],
            "shares",
            "No salesperson with code “NOPE” that you may assign.",
        ),
        (
            [{"salesperson": "S-N1", "share": "NaN"}, {"salesperson": "S-N2", "share": "40"}],
            "shares[0].share",
            None,
        ),
        (
            [{"salesperson": "S-N1", "share": "1e400"}, {"salesperson": "S-N2", "share": "40"}],
            "shares[0].share",
            None,
        ),
        (
            [{"salesperson": "S-N1"}],
            "shares",
            "A credit rule shares the credit between at least two salespeople.",
        ),
    ],
)
def test_bad_rules_are_400_naming_the_field(client_as, company, shares, field, message):
    response = client_as("manager").post(
        URL, {"attribute": "region", "value": "North", "shares": shares}, format="json"
    )

    assert response.status_code == 400, response.content
    body = response.json()
    assert body["code"] == "invalid"
    assert body["message"].startswith(f"{field}: ")
    if message is not None:
        assert body["message"] == f"{field}: {message}"
    assert CreditRule.objects.count() == 0


def test_a_territory_rule_can_be_replaced(client_as, company):
    rule = TerritoryRule.objects.create(attribute="state", value="Hebei", salesperson=company.rep)
    manager = client_as("manager")

    response = manager.put(
        f"/api/v1/territory-rules/{rule.pk}/",
        {"attribute": "city", "value": "Tianjin", "salesperson": "S-N2"},
        format="json",
    )
    assert response.status_code == 200
    assert response.json() == {
        "id": rule.pk,
        "attribute": "city",
        "value": "Tianjin",
        "salesperson": "S-N2",
    }
    outside = manager.put(
        f"/api/v1/territory-rules/{rule.pk}/",
        {"attribute": "city", "value": "Tianjin", "salesperson": "S-S1"},
        format="json",
    )
    assert outside.status_code == 400
    assert outside.json()["fields"] == {
        "salesperson": ["No salesperson with code “S-S1” that you may assign."]
    }
    assert (
        client_as("other_manager")
        .put(
            f"/api/v1/territory-rules/{rule.pk}/",
            {"attribute": "city", "value": "X", "salesperson": "S-S1"},
            format="json",
        )
        .status_code
        == 404
    )


def test_the_template_over_the_api_in_the_requests_language(client_as):
    manager = client_as("manager")

    xlsx = manager.get("/api/v1/imports/template/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    csv = manager.get("/api/v1/imports/template/", {"format": "csv"})

    assert xlsx.status_code == 200
    book = load_workbook(io.BytesIO(xlsx.content))
    assert book.sheetnames == ["订单", "说明"]
    assert csv["Content-Type"] == "text/csv; charset=utf-8"
    assert csv.content.decode("utf-8-sig").splitlines()[0].startswith("order_id,line_no,")
    assert manager.get("/api/v1/imports/template/", {"format": "pdf"}).status_code == 400
    assert client_as("rep").get("/api/v1/imports/template/").status_code == 403
