"""Property-based API tests generated from our own OpenAPI schema (schemathesis).

Every operation of ``/api/v1/schema/`` gets a few generated requests, sent in-process to the
WSGI app as an admin and as a salesperson, over a small demo-like company (org tree, plan
with targets, actuals, customers and orders). Each response must not be a 5xx and must
conform to the schema: a documented status code, the documented content type and body.
The seed and the number of examples are fixed, so a run is repeatable and bounded.
"""

import datetime as dt
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections, transaction
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer
from hypothesis import HealthCheck, seed, settings
from schemathesis import checks as schemathesis_checks

from allocation.models import ActualCell
from allocation.services import plan_approve, plan_publish, plan_submit
from customers.models import ColumnMapping, Customer, OrderLine, TerritoryRule
from salesalloc.core.tokens import auth_token_create
from tests.allocation.test_plan_support import make_plan
from tests.conftest import Company, make_company
from tests.factories import CustomerFactory, OrderFactory, OrderLineFactory, ProductFactory

pytestmark = pytest.mark.django_db

EXAMPLES_PER_OPERATION = 4
# SCHEMATHESIS_COVERAGE=1 adds the coverage phase (every boundary and negative case the
# schema allows, about 4,000 requests per role, several minutes): for a deeper local run.
COVERAGE_PHASE = os.environ.get("SCHEMATHESIS_COVERAGE") == "1"
SEED = 20261130
CHECKS = [
    schemathesis_checks.not_a_server_error,
    schemathesis_checks.status_code_conformance,
    schemathesis_checks.content_type_conformance,
    schemathesis_checks.response_schema_conformance,
]


@pytest.fixture(autouse=True)
def _keep_the_test_transactions_connection():
    """Requests go straight to the WSGI handler, which closes the database connection at the
    end of each request unless told not to (Django's own test client does the same)."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@dataclass
class Demo:
    company: Company
    ids: dict[str, dict[str, int]]  # role -> resource ("plans", ...) -> an id it can see


def _make_demo_data(company: Company) -> dict[str, dict[str, int]]:
    """A plan with targets, some actuals, customers and order lines on top of ``company``."""
    for salesperson, line, month, amount in [
        (company.rep, company.chairs, dt.date(2019, 3, 1), "100.50"),
        (company.north_peer, company.tables, dt.date(2019, 4, 1), "50"),
        (company.south_rep, company.phones, dt.date(2019, 5, 1), "-30"),
    ]:
        ActualCell.objects.create(
            salesperson=salesperson,
            product_line=line,
            month=month,
            amount=Decimal(amount),
            cost=Decimal(0),
            lines=1,
        )
    draft = make_plan(company)
    published = make_plan(company, name="FY2020", fiscal_year=2020)
    admin = company.users["admin"]
    published = plan_submit(plan=published, actor=company.users["director"])
    published = plan_approve(plan=published, actor=admin)  # four-eyes: not the submitter
    published = plan_publish(plan=published, actor=admin)
    mapping = ColumnMapping.objects.create(name="ERP", columns={"amount": "Sales"})
    rule = TerritoryRule.objects.create(
        attribute=TerritoryRule.Attribute.REGION, value="North", salesperson=company.rep
    )
    chair = ProductFactory(sku="CH-001", name="Chair", product_line=company.chairs)
    for code, owner, order_no, day, amount in [
        ("C-N1", company.rep, "SO-1", dt.date(2019, 3, 15), "100.50"),
        ("C-S1", company.south_rep, "SO-2", dt.date(2019, 5, 2), "-30"),
    ]:
        customer = CustomerFactory(code=code, name=f"Customer {code}", owner=owner)
        OrderLineFactory(
            order=OrderFactory(order_no=order_no, order_date=day, customer=customer),
            line_no=1,
            salesperson=owner,
            product=chair,
            product_line=company.chairs,
            amount=Decimal(amount),
        )
    shared = {
        "org-units": company.north_team.pk,
        "salespeople": company.rep.pk,
        "product-lines": company.chairs.pk,
        "customers": Customer.objects.get(code="C-N1").pk,
        "orders": OrderLine.objects.get(order__order_no="SO-1").pk,
        "column-mappings": mapping.pk,
        "territory-rules": rule.pk,
    }
    return {
        "admin": {**shared, "plans": draft.pk},
        "rep": {**shared, "plans": published.pk},
    }


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker) -> Iterator[Demo]:
    """The demo data, built once for the module inside a transaction that is rolled back at
    its end; each test runs in a savepoint inside it (so what a test writes is undone)."""
    with django_db_blocker.unblock(), transaction.atomic():
        company = make_company()
        yield Demo(company=company, ids=_make_demo_data(company))
        transaction.set_rollback(True)


def _load_schema() -> schemathesis.BaseSchema:
    """The schema /api/v1/schema/ serves, generated without a request or the database."""
    document = json.loads(OpenApiJsonRenderer().render(SchemaGenerator().get_schema(public=True)))
    config = schemathesis.Config.from_dict(
        {
            "seed": SEED,
            "generation": {"max-examples": EXAMPLES_PER_OPERATION},
            # The explicit examples and a few generated requests per operation keep the run
            # bounded; the coverage phase only on request (see COVERAGE_PHASE).
            "phases": {"coverage": {"enabled": COVERAGE_PHASE}},
        }
    )
    loaded = schemathesis.openapi.from_dict(document, config=config)
    loaded.app = get_wsgi_application()
    return loaded


schema = _load_schema()


BOUNDED = settings(
    max_examples=EXAMPLES_PER_OPERATION,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)


def _call_as(case, demo: Demo, username: str) -> None:
    # Most generated ids name nothing (404): point {id} at an object the caller can see, so
    # the operations themselves run; unknown ids stay covered by each API's own tests.
    resource = case.path.split("/")[3]
    if "id" in (case.path_parameters or {}) and resource in demo.ids[username]:
        case.path_parameters["id"] = demo.ids[username][resource]
    key = auth_token_create(user=demo.company.users[username])
    case.call_and_validate(headers={"Authorization": f"Token {key}"}, checks=CHECKS)


@schema.parametrize()
@BOUNDED
@seed(SEED)
def test_api_as_an_admin(case, demo):
    """The admin sees and may change everything."""
    _call_as(case, demo, "admin")


@schema.parametrize()
@BOUNDED
@seed(SEED)
def test_api_as_a_salesperson(case, demo):
    """A salesperson sees their own row and may change almost nothing."""
    _call_as(case, demo, "rep")
