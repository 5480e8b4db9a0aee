"""Recomputes write only what changed: unchanged rows keep their ids, changed ones follow."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection

from allocation.models import ActualCell
from allocation.services import dimensions
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


def _actual_cell_foreign_keys() -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE contype = 'f' AND conrelid = 'allocation_actualcell'::regclass ORDER BY 1"
        )
        return cursor.fetchall()


def _cells() -> set[tuple]:
    return set(
        ActualCell.objects.values_list(
            "salesperson_id", "product_line_id", "month", "amount", "cost", "lines"
        )
    )


@needs_postgres
@pytest.mark.parametrize("bulk_cells", [1, 10_000], ids=["keys-checked-once", "per-row"])
def test_full_rebuild_from_empty_writes_the_grid_and_keeps_the_foreign_keys(
    company, monkeypatch, bulk_cells
):
    # given: lines in four cells, and no actual cell yet (as after a first import)
    monkeypatch.setattr("allocation.services.dimensions.BULK_CELLS", bulk_cells)
    sell(company.rep, "2019-01-10", "100.00", product_line=company.chairs)
    sell(company.rep, "2019-01-20", "-30.00", product_line=company.chairs)
    sell(company.rep, "2019-02-10", "200.00", product_line=company.tables)
    sell(company.north_peer, "2019-01-10", "300.00", product_line=company.chairs)
    sell(company.south_rep, "2019-12-31", "0.01", product_line=company.phones)
    ActualCell.objects.all().delete()
    keys = _actual_cell_foreign_keys()

    # when: the nightly single-pass rebuild
    written = order_actuals_refresh()

    # then: one cell per (salesperson, product line, month), summed; the keys are back
    assert written == 4
    assert _cells() == {
        (company.rep.pk, company.chairs.pk, dt.date(2019, 1, 1), Decimal("70"), 0, 2),
        (company.rep.pk, company.tables.pk, dt.date(2019, 2, 1), Decimal("200"), 0, 1),
        (company.north_peer.pk, company.chairs.pk, dt.date(2019, 1, 1), Decimal("300"), 0, 1),
        (company.south_rep.pk, company.phones.pk, dt.date(2019, 12, 1), Decimal("0.01"), 0, 1),
    }
    assert len(keys) == 2
    assert _actual_cell_foreign_keys() == keys


@needs_postgres
def test_full_rebuild_that_breaks_a_foreign_key_rolls_back_whole(company, monkeypatch):
    # given: a rebuild that leaves a cell pointing at a product line that does not exist
    monkeypatch.setattr("allocation.services.dimensions.BULK_CELLS", 1)
    sell(company.rep, "2019-01-10", "100.00", product_line=company.chairs)
    ActualCell.objects.all().delete()
    keys = _actual_cell_foreign_keys()
    original = dimensions.constraints_restore

    def corrupt(cursor, statements):
        cursor.execute("UPDATE allocation_actualcell SET product_line_id = 999999")
        original(cursor, statements)

    monkeypatch.setattr(dimensions, "constraints_restore", corrupt)

    # when / then: the re-added key finds the bad row, and nothing is written
    with pytest.raises(IntegrityError):
        order_actuals_refresh()
    assert ActualCell.objects.count() == 0
    assert _actual_cell_foreign_keys() == keys


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
