"""Recomputes write only what changed: unchanged rows keep their ids, changed ones follow."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection

from allocation.models import ActualCell
from customers.services import order_actuals_refresh
from performance.commissions.models import CommissionLine, CommissionStatement
from performance.commissions.selectors import (
    _late_returns_correlated,
    _late_returns_joined,
)
from performance.commissions.services import commission_plan_create, commission_recompute_all
from performance.scorecards.models import Kpi, Scorecard
from performance.scorecards.services import (
    kpi_library_ensure,
    scorecard_template_create,
    scorecards_evaluate,
)
from tests.factories import CustomerFactory
from tests.performance.commissions.support import sell, target_plan

pytestmark = pytest.mark.django_db
needs_postgres = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the merge and the join are PostgreSQL's"
)


def _plan(company):
    people = [company.rep, company.north_peer, company.south_rep]
    return target_plan(company, {(p, "2019-01"): "10000.00" for p in people})


def test_unchanged_scorecards_are_kept_and_changed_ones_rewritten(company):
    kpi_library_ensure()
    sell(company.rep, "2019-01-10", "4000.00", product_line=company.chairs)
    sell(company.south_rep, "2019-01-12", "7000.00", product_line=company.chairs)
    kpis = {k.code: k for k in Kpi.objects.all()}
    template = scorecard_template_create(
        name="2019",
        year=2019,
        period="quarter",
        peer_group="region",
        target_plan=_plan(company),
        items=[{"kpi": kpis["revenue"], "weight": Decimal(100), "cap": Decimal("1.2")}],
    )
    before = {(c.salesperson_id, c.period): (c.pk, c.score) for c in template.scorecards.all()}

    assert scorecards_evaluate(template=template) == 12
    again = {(c.salesperson_id, c.period): (c.pk, c.score) for c in template.scorecards.all()}
    assert again == before  # the same figures: no row rewritten

    sell(company.rep, "2019-02-10", "5000.00", product_line=company.chairs)
    scorecards_evaluate(template=template, months=[dt.date(2019, 2, 1)])
    rep = Scorecard.objects.get(template=template, salesperson=company.rep, period="2019-Q1")
    south = Scorecard.objects.get(
        template=template, salesperson=company.south_rep, period="2019-Q1"
    )
    assert rep.score == Decimal("90.00")  # 9,000 of 10,000, linear
    assert rep.score != before[(company.rep.pk, "2019-Q1")][1]
    assert south.pk == before[(company.south_rep.pk, "2019-Q1")][0]


def test_unchanged_statements_keep_their_lines_and_changed_ones_follow(company):
    sell(company.rep, "2019-01-10", "6000.00", product_line=company.chairs)
    sell(company.north_peer, "2019-02-10", "3000.00", product_line=company.chairs)
    plan = commission_plan_create(
        name="2019",
        target_plan=_plan(company),
        period="quarter",
        mode="marginal",
        brackets=[{"from": "0", "rate": "0.02"}, {"from": "0.5", "rate": "0.04"}],
    )
    lines = dict(CommissionLine.objects.values_list("pk", "amount"))
    assert lines

    commission_recompute_all()
    assert dict(CommissionLine.objects.values_list("pk", "amount")) == lines

    sell(company.rep, "2019-03-10", "2000.00", product_line=company.chairs)
    commission_recompute_all()
    rep = CommissionStatement.objects.get(plan=plan, salesperson=company.rep, period="2019-Q1")
    # 8,000 of 10,000: 5,000 × 2 % + 3,000 × 4 % = 220.00
    assert rep.total == Decimal("220.00")
    assert sum(line.amount for line in rep.lines.all()) == Decimal("220.00")
    peer = CommissionStatement.objects.get(
        plan=plan, salesperson=company.north_peer, period="2019-Q1"
    )
    assert set(peer.lines.values_list("pk", flat=True)) <= set(lines)


@needs_postgres
def test_actuals_rebuild_writes_only_the_differences(company):
    sell(company.rep, "2019-01-10", "100.00", product_line=company.chairs)
    sell(company.rep, "2019-02-10", "200.00", product_line=company.chairs)
    gone = sell(company.north_peer, "2019-03-10", "300.00", product_line=company.chairs)
    order_actuals_refresh()
    ids = dict(ActualCell.objects.values_list("month", "pk"))

    order_actuals_refresh()
    assert dict(ActualCell.objects.values_list("month", "pk")) == ids

    sell(company.rep, "2019-02-20", "50.00", product_line=company.chairs)
    gone.delete()
    assert order_actuals_refresh() == 2
    cells = {c.month: c for c in ActualCell.objects.all()}
    assert set(cells) == {dt.date(2019, 1, 1), dt.date(2019, 2, 1)}
    assert cells[dt.date(2019, 2, 1)].amount == Decimal("250.00")
    assert cells[dt.date(2019, 2, 1)].pk == ids[dt.date(2019, 2, 1)]
    assert cells[dt.date(2019, 1, 1)].pk == ids[dt.date(2019, 1, 1)]


@needs_postgres
def test_returns_join_finds_the_same_originals_as_the_subquery(company):
    customer = CustomerFactory()
    sell(company.rep, "2019-01-10", "500.00", product_line=company.chairs, customer=customer)
    latest = sell(
        company.rep, "2019-02-10", "700.00", product_line=company.chairs, customer=customer
    )
    sell(company.rep, "2019-02-10", "900.00", product_line=company.tables, customer=customer)
    back = sell(
        company.rep, "2019-05-10", "-300.00", product_line=company.chairs, customer=customer
    )
    sell(company.rep, "2019-05-11", "-50.00", product_line=company.chairs)  # nothing before
    args = {"salesperson_ids": [company.rep.pk], "start": dt.date(2019, 4, 1)}
    joined = _late_returns_joined(**args, end=dt.date(2019, 6, 30))
    assert joined == _late_returns_correlated(**args, end=dt.date(2019, 6, 30))
    assert [(row[0], row[4]) for row in joined] == [(back.pk, latest.order_id)]
