"""After an import, scorecards are re-evaluated only where its orders can have changed them:
the result must be exactly what a full evaluation gives."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

import pytest

from customers.services import import_job_affected_cells, import_job_first_order_moves
from performance.scorecards.models import Kpi, Scorecard
from performance.scorecards.selectors import scorecard_pairs_affected
from performance.scorecards.services import (
    kpi_library_ensure,
    scorecard_template_create,
    scorecards_evaluate,
    scorecards_recompute_for_cells,
)
from tests.customers.import_support import csv_text, run_import
from tests.performance.commissions.support import target_plan

pytestmark = pytest.mark.django_db
PEOPLE = ("S-N1", "S-N2", "S-S1")


def _template(company, period: str = "quarter"):
    kpi_library_ensure()
    kpis = {k.code: k for k in Kpi.objects.all()}
    people = [company.rep, company.north_peer, company.south_rep]
    plan = target_plan(company, {(p, "2019-02"): "3000.00" for p in people})
    band = [{"from": "0.5", "points": "50"}, {"from": "1", "points": "100"}]
    return scorecard_template_create(
        name="2019",
        year=2019,
        period=period,
        peer_group="company",
        target_plan=plan,
        items=[
            {"kpi": kpis["revenue"], "weight": Decimal(40), "cap": Decimal("1.5")},
            {"kpi": kpis["new_customers"], "weight": Decimal(20), "rule": "bands",
             "target": Decimal(2), "bands": band},
            {"kpi": kpis["retention"], "weight": Decimal(20), "rule": "bands",
             "target": Decimal("0.5"), "bands": band},
            {"kpi": kpis["aov"], "weight": Decimal(20), "target": Decimal(500)},
        ],
    )  # fmt: skip


def _cards(template) -> dict[tuple, tuple]:
    return {
        (c.salesperson_id, c.period): (c.score, c.rank, c.percentile, c.peer_group, c.kpis)
        for c in Scorecard.objects.filter(template=template)
    }


def _random_lines(rng: random.Random, orders: range) -> list[str]:
    rows = []
    for n in orders:
        day = dt.date(2018, 11, 1) + dt.timedelta(days=rng.randrange(0, 500))
        customer = f"C-{rng.randrange(8)}"
        for _line in range(rng.randrange(1, 3)):
            rows.append(
                f"SO-{n},{day},{customer},{rng.choice(PEOPLE)},FUR-CH,{rng.randrange(-50, 900)}"
            )
    return rows


def test_pairs_name_the_cells_period_the_next_ones_retention_and_moved_customers_sellers(
    company,
):
    template = _template(company)
    run_import(
        csv_text(
            "SO-1,2019-01-10,C-1,S-N1,FUR-CH,100",
            "SO-2,2019-05-10,C-1,S-N2,FUR-CH,100",  # S-N2 sold to C-1 in Q2
            "SO-3,2019-08-10,C-2,S-S1,FUR-CH,100",
        )
    )
    cells = [
        (company.south_rep.pk, dt.date(2018, 12, 1)),  # before the year: Q1's retention
        (company.rep.pk, dt.date(2019, 6, 1)),  # Q2, and Q3's retention
        (company.rep.pk, dt.date(2019, 12, 1)),  # Q4 (no Q1 of 2020 here)
    ]
    customer = company.rep.order_lines.first().customer_id
    # C-1's first order moved from Q2 to Q1: whoever sold to it in Q1 or Q2 is affected
    moves = [(customer, dt.date(2019, 5, 10), dt.date(2019, 1, 10))]

    pairs = scorecard_pairs_affected(template=template, cells=cells, first_order_moves=moves)

    assert pairs == {
        "2019-Q1": {company.south_rep.pk, company.rep.pk},
        "2019-Q2": {company.rep.pk, company.north_peer.pk},
        "2019-Q3": {company.rep.pk},
        "2019-Q4": {company.rep.pk},
    }


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("period", ["quarter", "month"])
def test_import_then_incremental_equals_a_full_evaluation(company, seed, period):
    # given: random orders, scored in full
    rng = random.Random(seed)
    first = run_import(csv_text(*_random_lines(rng, range(1, 40))))
    assert first.status == "succeeded"
    template = _template(company, period)

    # when: a second file changes some orders (amounts, dates, customers) and adds new ones,
    # and only what it touched is re-evaluated
    second = run_import(csv_text(*_random_lines(rng, range(30, 50))))
    assert second.status == "succeeded"
    scorecards_recompute_for_cells(
        cells=import_job_affected_cells(job=second),
        first_order_moves=import_job_first_order_moves(job=second),
    )
    incremental = _cards(template)

    # then: a full evaluation changes nothing
    scorecards_evaluate(template=template)
    assert _cards(template) == incremental
