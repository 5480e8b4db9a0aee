"""The recompute after an import, and the nightly one, keep draft statements and scorecards
current."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from customers.models import ImportJob
from customers.signals import orders_imported
from performance.commissions.models import CommissionStatement
from performance.commissions.services import commission_plan_create, commission_statement_approve
from performance.models import RecomputeRun
from performance.scorecards.models import Kpi, Scorecard
from performance.scorecards.services import kpi_library_ensure, scorecard_template_create
from salesalloc.pipeline import recompute_all
from tests.factories import OrderFactory, OrderLineFactory
from tests.performance.commissions.support import sell, target_plan

pytestmark = pytest.mark.django_db
BRACKETS = [{"from": "0", "rate": "0.02"}, {"from": "1", "rate": "0.05"}]


@pytest.fixture
def setup(company):
    kpi_library_ensure()
    people = [company.rep, company.south_rep]
    tp = target_plan(company, {(p, m): "1000.00" for p in people for m in ("2019-01", "2019-04")})
    sell(company.rep, "2019-01-10", "500.00", product_line=company.chairs)
    plan = commission_plan_create(
        name="Q", target_plan=tp, period="quarter", mode="marginal", brackets=BRACKETS
    )
    template = scorecard_template_create(
        name="S",
        year=2019,
        period="quarter",
        target_plan=tp,
        items=[{"kpi": Kpi.objects.get(code="revenue"), "weight": Decimal(100)}],
    )
    return plan, template


def statement(plan, person, period):
    return CommissionStatement.objects.get(plan=plan, salesperson=person, period=period)


def test_import_recomputes_only_affected_drafts(company, setup):
    plan, template = setup
    q1 = statement(plan, company.rep, "2019-Q1")
    south_q1 = statement(plan, company.south_rep, "2019-Q1")
    south_stamp = south_q1.computed_at
    q2_stamp = statement(plan, company.rep, "2019-Q2").computed_at
    assert q1.total == Decimal("10.00")  # 500 × 2 %
    # given: an import adds 700.00 for the rep in February
    order = OrderFactory(order_date=dt.date(2019, 2, 3))
    OrderLineFactory(
        order=order, salesperson=company.rep, product_line=company.chairs, amount=Decimal(700)
    )
    job = ImportJob.objects.create(
        original_name="x.csv", status="succeeded", affected_cells=[[company.rep.pk, "2019-02-01"]]
    )
    # when
    orders_imported.send(sender=ImportJob, job_id=job.pk)
    # then: 1200 → 1000 × 2 % + 200 × 5 % = 30.00; scorecard revenue points 120
    assert statement(plan, company.rep, "2019-Q1").total == Decimal("30.00")
    assert Scorecard.objects.get(
        template=template, salesperson=company.rep, period="2019-Q1"
    ).score == Decimal("120.00")
    assert statement(plan, company.south_rep, "2019-Q1").computed_at == south_stamp
    assert statement(plan, company.rep, "2019-Q2").computed_at == q2_stamp
    run = RecomputeRun.objects.get(import_job=job)
    assert (run.status, run.steps_done) == ("succeeded", 5)  # actuals, tiers, scorecards,
    # statements, alerts


def test_nightly_recompute_keeps_drafts_current_and_frozen_rows_frozen(company, setup):
    plan, _template = setup
    commission_statement_approve(statement=statement(plan, company.rep, "2019-Q1"), actor=None)
    order = OrderFactory(order_date=dt.date(2019, 4, 3))
    OrderLineFactory(
        order=order, salesperson=company.rep, product_line=company.chairs, amount=Decimal(100)
    )
    order = OrderFactory(order_date=dt.date(2019, 3, 3))
    OrderLineFactory(
        order=order, salesperson=company.rep, product_line=company.chairs, amount=Decimal(100)
    )
    run = recompute_all(inline=True)
    assert run.status == "succeeded"
    assert statement(plan, company.rep, "2019-Q1").total == Decimal("10.00")  # approved: frozen
    assert statement(plan, company.rep, "2019-Q2").total == Decimal("2.00")  # 100 × 2 %
    again = recompute_all(inline=True)
    assert again.status == "succeeded"
    assert CommissionStatement.objects.filter(plan=plan).count() == 8  # 2 people × 4 quarters
