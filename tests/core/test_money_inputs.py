"""Every money (and other decimal) input of every endpoint and form refuses hostile numbers.

``1e400``, ``-1e400``, ``NaN``, ``Infinity``, a 30-digit number and a value with one decimal
place more than the field keeps are each a 400 naming the field (a form error on pages),
never a 500 and never stored. Before, a paste of ``1e400`` into a plan answered 500.
"""

from __future__ import annotations

import io
import json
from decimal import Decimal

import pytest
from django.test import Client
from openpyxl import load_workbook

from allocation.models import CellConstraint, MethodInput, Plan, ProductLineTotal
from allocation.services import plan_sheet_xlsx
from salesalloc.core.fields import DecimalInputError, parse_decimal
from tests.allocation.test_plan_support import make_plan

pytestmark = pytest.mark.django_db

HOSTILE = ["1e400", "-1e400", "NaN", "Infinity", "123456789012345678901234567890"]


def _over_precise(places: int) -> str:
    return "1." + "1" * (places + 1)


def _values(places: int) -> list[str]:
    return [*HOSTILE, _over_precise(places)]


@pytest.fixture
def plan(company):
    return make_plan(company)


def _dotted(path: tuple) -> str:
    return path[0] + "".join(f"[{p}]" if p.isdigit() else f".{p}" for p in path[1:])


def _path(body: dict, path: tuple) -> object:
    for key in path:
        body = body[key]
    return body


# (name, method, url under the plan ("" = /api/v1/plans/), body for a value, decimal places,
#  the path of the field's messages in the error's "fields")
API_FIELDS = [
    (
        "create total_amount",
        "post",
        None,
        lambda v: {"name": "x", "fiscal_year": 2019, "total_amount": v},
        2,
        ("total_amount",),
    ),
    ("update total_amount", "patch", "", lambda v: {"total_amount": v}, 2, ("total_amount",)),
    (
        "product-line total",
        "put",
        "product-line-totals/",
        lambda v: {"totals": [{"product_line": "TEC", "amount": v}]},
        2,
        ("totals", "0", "amount"),
    ),
    (
        "cell edit amount",
        "post",
        "cells/edit/",
        lambda v: {"salesperson": "S-N1", "period": "2019-05", "amount": v},
        2,
        ("amount",),
    ),
    (
        "lock min_amount",
        "post",
        "cells/lock/",
        lambda v: {"salesperson": "S-N1", "min_amount": v},
        2,
        ("min_amount",),
    ),
    (
        "lock max_amount",
        "post",
        "cells/lock/",
        lambda v: {"salesperson": "S-N1", "max_amount": v},
        2,
        ("max_amount",),
    ),
    *(
        (
            f"method input {name}",
            "put",
            "method-inputs/",
            lambda v, name=name: {"inputs": [{"salesperson": "S-N1", name: v}]},
            places,
            ("inputs", "0", name),
        )
        for name, places in (
            ("manual_percent", 4),
            ("growth_rate", 4),
            ("potential_index", 4),
            ("fte_override", 2),
        )
    ),
    *(
        (
            f"method {key}",
            "put",
            "methods/",
            body,
            10,
            (key,),
        )
        for key, body in (
            ("org.smoothing", lambda v: {"org": {"method": "historical", "smoothing": v}}),
            ("org.floor_share", lambda v: {"org": {"method": "historical", "floor_share": v}}),
            ("org.growth", lambda v: {"org": {"method": "growth", "growth": v}}),
            ("org.ramp", lambda v: {"org": {"method": "capacity", "ramp": [v]}}),
            (
                "org.alpha",
                lambda v: {"org": {"method": "blend", "alpha": v, "a": {"method": "equal"}}},
            ),
            (
                "seasonality.curve",
                lambda v: {"seasonality": {"method": "custom", "curve": [v] + ["1"] * 11}},
            ),
        )
    ),
]
API_CASES = [
    pytest.param(method, url, body, path, places, id=name)
    for name, method, url, body, places, path in API_FIELDS
]


def _snapshot(plan: Plan) -> tuple:
    plan.refresh_from_db()
    return (
        plan.revision,
        plan.total_amount,
        plan.method_config,
        Plan.objects.count(),
        MethodInput.objects.count(),
        ProductLineTotal.objects.count(),
        CellConstraint.objects.count(),
    )


@pytest.mark.parametrize(("method", "url", "body", "path", "places"), API_CASES)
def test_every_api_money_input_refuses_hostile_numbers_naming_the_field(
    client_as, plan, method, url, body, path, places
):
    before = _snapshot(plan)
    target = "/api/v1/plans/" if url is None else f"/api/v1/plans/{plan.pk}/{url}"
    client = client_as("admin")

    for value in _values(places):  # each refused, so the same plan serves them all
        response = getattr(client, method)(target, body(value), format="json")

        assert response.status_code == 400, (value, response.content)
        error = response.json()
        assert error["code"] == "invalid", value
        messages = _path(error["fields"], path)
        assert messages, (value, error)
        assert error["message"] == f"{_dotted(path)}: {messages[0]}", value
    assert _snapshot(plan) == before


def test_a_pasted_hostile_number_names_its_cell(client_as, plan):
    before = _snapshot(plan)
    cells = [{"salesperson": "S-N1", "period": "2019-05", "amount": "700.00", "ref": "B6"}]
    cells += [
        {"salesperson": "S-N2", "period": f"2019-{month:02d}", "amount": value, "ref": f"B{month}"}
        for month, value in enumerate(_values(2), start=7)
    ]

    response = client_as("manager").post(
        f"/api/v1/plans/{plan.pk}/cells/paste/", {"cells": cells}, format="json"
    )

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "cells_rejected"
    assert [(e["index"], e["ref"], e["cell"]) for e in body["errors"]] == [
        (index, f"B{month}", f"S-N2 · all lines · 2019-{month:02d}")
        for index, month in enumerate(range(7, 7 + len(_values(2))), start=1)
    ]
    assert _snapshot(plan) == before


def test_bare_json_numbers_are_refused_too(client_as, plan):
    client = client_as("admin")
    url = f"/api/v1/plans/{plan.pk}/"

    for raw in ["1e400", "-1e400", "1" * 30, "1.001"]:
        edit = f'{{"salesperson": "S-N1", "period": "2019-05", "amount": {raw}}}'
        paste = f'{{"cells": [{{"salesperson": "S-N1", "period": "2019-05", "amount": {raw}}}]}}'

        edited = client.post(f"{url}cells/edit/", edit, content_type="application/json")
        pasted = client.post(f"{url}cells/paste/", paste, content_type="application/json")

        assert edited.status_code == 400, raw
        assert list(edited.json()["fields"]) == ["amount"], raw
        assert pasted.status_code == 400, raw
        assert pasted.json()["errors"][0]["cell"] == "S-N1 · all lines · 2019-05", raw


def test_a_sheet_upload_with_hostile_numbers_names_the_cells(
    company, client_as, plan, django_capture_on_commit_callbacks
):
    book = load_workbook(io.BytesIO(plan_sheet_xlsx(plan=plan, user=company.users["admin"])))
    values = [*_values(2), 1e300, -1e300]
    columns = "HIJKLMNOPQRS"[: len(values)]  # the month columns
    for column, value in zip(columns, values, strict=True):
        book["Targets"][f"{column}6"] = value  # S-N1's chairs (row 2 is the plan's subtotal)
    buffer = io.BytesIO()
    book.save(buffer)
    buffer.seek(0)
    buffer.name = "plan.xlsx"
    before = _snapshot(plan)

    admin = client_as("admin")
    with django_capture_on_commit_callbacks(execute=True):  # the upload job runs at commit
        response = admin.post(
            f"/api/v1/plans/{plan.pk}/upload/", {"file": buffer}, format="multipart"
        )
    assert response.status_code == 202, response.content
    job = admin.get(response.json()["url"]).json()

    assert job["status"] == "failed"
    assert [e["cell"] for e in job["errors"]] == [f"{c}6" for c in columns]
    assert _snapshot(plan) == before


# --- browser forms ----------------------------------------------------------------------------


@pytest.fixture
def browser(company):
    client = Client()
    client.force_login(company.users["admin"])
    return client


METHODS_FORM = {
    "org_method": "historical",
    "product_line_method": "equal",
    "seasonality": "uniform",
    "country": "CN",
    "blend_a": "historical",
    "blend_b": "equal",
}
FORM_FIELDS = [
    # (page, form context name, form data for a value, the field with the error, places)
    (
        "plan-create",
        "form",
        lambda v: {**METHODS_FORM, "name": "x", "fiscal_year": "2019", "total_amount": v},
        "total_amount",
        2,
    ),
    ("plan-methods", "method_form", lambda v: {**METHODS_FORM, "smoothing": v}, "smoothing", 4),
    (
        "plan-methods",
        "method_form",
        lambda v: {**METHODS_FORM, "floor_share": v},
        "floor_share",
        4,
    ),
    (
        "plan-methods",
        "method_form",
        lambda v: {**METHODS_FORM, "org_method": "growth", "growth": v},
        "growth",
        4,
    ),
    (
        "plan-methods",
        "method_form",
        lambda v: {**METHODS_FORM, "org_method": "capacity", "ramp": v},
        "ramp",
        10,
    ),
    (
        "plan-methods",
        "method_form",
        lambda v: {**METHODS_FORM, "org_method": "blend", "blend_alpha": v},
        "blend_alpha",
        4,
    ),
    (
        "plan-methods",
        "method_form",
        lambda v: {**METHODS_FORM, "seasonality": "custom", "curve": " ".join([v] + ["1"] * 11)},
        "curve",
        10,
    ),
    *(
        (
            "plan-method-inputs",
            "inputs_form",
            lambda v, name=name: {f"salesperson-{{rep}}-{name}": v},
            f"salesperson-{{rep}}-{name}",
            places,
        )
        for name, places in (
            ("manual_percent", 4),
            ("growth_rate", 4),
            ("potential_index", 4),
            ("fte_override", 2),
        )
    ),
]
FORM_CASES = [
    pytest.param(page, context, data, field, places, id=f"{page}:{field}")
    for page, context, data, field, places in FORM_FIELDS
]


@pytest.mark.parametrize(("page", "context", "data", "field", "places"), FORM_CASES)
def test_every_form_money_input_refuses_hostile_numbers(
    company, browser, plan, page, context, data, field, places
):
    from django.urls import reverse

    before = _snapshot(plan)
    url = reverse(page) if page == "plan-create" else reverse(page, args=[plan.pk])
    ids = {"rep": company.rep.pk}

    for value in _values(places):
        form_data = {key.format(**ids): item for key, item in data(value).items()}

        response = browser.post(url, form_data)

        assert response.status_code == 400, value
        errors = response.context[context].errors
        assert field.format(**ids) in errors, (value, errors)
    assert _snapshot(plan) == before


# --- the parser itself ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("1e400", "max_whole_digits"),
        ("-1e400", "max_whole_digits"),
        ("1e-400", "max_decimal_places"),
        ("NaN", "invalid"),
        ("sNaN", "invalid"),
        ("-Infinity", "invalid"),
        (float("nan"), "invalid"),
        (float("inf"), "invalid"),
        ("1_000", "invalid"),
        ("0x10", "invalid"),
        ("1" * 200, "invalid"),
        (True, "invalid"),
        ([], "invalid"),
        ("1" * 30, "max_whole_digits"),
        (10**30, "max_whole_digits"),
        ("1.001", "max_decimal_places"),
        ("-0.01", "min_value"),
        ("1000.01", "max_value"),
    ],
)
def test_parse_decimal_refuses_with_a_code(value, code):
    with pytest.raises(DecimalInputError) as refused:
        parse_decimal(
            value,
            max_digits=14,
            decimal_places=2,
            min_value=Decimal(0),
            max_value=Decimal(1000),
        )

    assert refused.value.code == code


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("12.5", Decimal("12.50")),
        (" 12.50 ", Decimal("12.50")),
        ("1.230000", Decimal("1.23")),  # trailing zeros are not extra precision
        ("1e2", Decimal("100.00")),
        (12, Decimal("12.00")),
        (589.8399999999999, Decimal("589.84")),  # a spreadsheet's double, as Excel shows it
        (Decimal("0E-30"), Decimal("0.00")),
        ("999999999999.99", Decimal("999999999999.99")),
    ],
)
def test_parse_decimal_reads_numbers_exactly(value, expected):
    number = parse_decimal(value, max_digits=14, decimal_places=2)

    assert number == expected
    assert str(number) == str(expected)


def test_thousands_separators_only_when_asked():
    assert parse_decimal("1,234.50", max_digits=14, decimal_places=2, separators=True) == Decimal(
        "1234.50"
    )
    with pytest.raises(DecimalInputError):
        parse_decimal("1,234.50", max_digits=14, decimal_places=2)


def test_json_body_helper_sends_what_it_says():
    # guard for the bare-number test above: json keeps 1e400 a number token, read as inf
    assert json.loads('{"a": 1e400}')["a"] == float("inf")


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("manual_percent", "150", "Ensure this value is less than or equal to 100."),
        ("manual_percent", "-1", "Ensure this value is greater than or equal to 0."),
        ("growth_rate", "-1.5", "Ensure this value is greater than or equal to -1."),
        ("potential_index", "-2", "Ensure this value is greater than or equal to 0."),
        ("fte_override", "11", "Ensure this value is less than or equal to 10."),
    ],
)
def test_method_inputs_outside_the_tables_range_are_a_400_not_an_integrity_error(
    client_as, plan, name, value, message
):
    # the table's check constraints used to reject these only at INSERT: a 500
    response = client_as("admin").put(
        f"/api/v1/plans/{plan.pk}/method-inputs/",
        {"inputs": [{"org_unit": "NORTH", name: value}]},
        format="json",
    )

    assert response.status_code == 400
    assert response.json()["message"] == f"inputs[0].{name}: {message}"
    assert not MethodInput.objects.exists()
