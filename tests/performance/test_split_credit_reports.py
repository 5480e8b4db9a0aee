"""Reports that add order lines up by salesperson read a split line as each credited
salesperson's part: attainment to date, commission clawback and SPIFs, scorecard order
KPIs, concentration alerts and cost drivers. Hand-worked figures; the lines come in through
the import, as they would."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D  # noqa: N817 - D("1.05") keeps hand-worked figures readable

import pytest

from customers.models import Customer
from customers.services import order_actuals_refresh
from performance.alerts.services import _trailing_revenue
from performance.commissions.models import CommissionSpif
from performance.commissions.periods import fiscal_periods
from performance.commissions.selectors import late_return_list, spif_bases
from performance.commissions.services import commission_plan_create
from performance.costs.selectors import DimensionKeys, distinct_counts
from performance.periods import parse_period
from performance.scorecards.selectors import _order_facts
from tests.customers.import_support import csv_text, run_import
from tests.performance.commissions.test_services import (
    BRACKETS,
    lines,
    quarterly_targets,
    statement,
)
from tests.performance.tracking.conftest import tracked  # noqa: F401  (shared fixture)

pytestmark = pytest.mark.django_db

HEADER = (
    "order_id,order_date,customer_code,salesperson_code,product_line,quantity,amount,credit_split"
)


def _import(*rows: str) -> None:
    job = run_import(csv_text(*rows, header=HEADER))
    assert job.status == "succeeded", job.errors
    order_actuals_refresh()


def test_attainment_to_date_counts_each_salespersons_part(tracked, client_as):  # noqa: F811
    # given the tracked figures (S-N1: 900 + 1,100 + 600 to 15 March; S-N2: 400) and a
    # split sale on 10 March: 400.00, S-N1 25 % = 100.00, S-N2 75 % = 300.00
    _import("SP-1,2019-03-10,C-9,S-N1,FUR-CH,1,400.00,S-N1:25;S-N2:75")

    body = (
        client_as("manager")
        .get("/api/v1/attainment/", {"as_of": "2019-03-15", "org_unit": "N-T1"})
        .json()
    )

    rep, peer = body["children"]
    assert rep["actual_to_date"] == "2700.00"  # 900 + 1,100 + 600 + 100
    assert peer["actual_to_date"] == "700.00"  # 400 + 300
    assert body["actual_to_date"] == "3400.00"  # the team: the line once, whole


def test_a_split_return_is_clawed_back_from_each_salesperson_by_their_part(company):
    tp = quarterly_targets(company, [company.rep, company.north_peer])
    _import(
        "SO-A,2019-02-10,C-1,S-N1,FUR-CH,2,8000.00,S-N1:50;S-N2:50",
        "RET-1,2019-04-10,C-1,S-N1,FUR-CH,-1,-2000.00,S-N1:50;S-N2:50",
    )
    plan = commission_plan_create(
        name="Q plan",
        target_plan=tp,
        period="quarter",
        mode="marginal",
        brackets=BRACKETS,
        salespeople=[company.rep, company.north_peer],
    )

    for person in (company.rep, company.north_peer):
        # Q1: each is credited 4,000.00 of 10,000.00 (40 %): 4,000 x 2 % = 80.00 (rate 0.02)
        assert statement(plan, person, "2019-Q1").total == D("80.00")
        # Q2: their half of the return, -1,000.00, reversed at 0.02 = -20.00
        assert lines(statement(plan, person, "2019-Q2")) == [
            ("clawback", D("-1000"), D("0.02"), D("-20.00"))
        ]
    returns = late_return_list(
        salesperson_ids=[company.rep.pk, company.north_peer.pk],
        start=dt.date(2019, 4, 1),
        end=dt.date(2019, 6, 30),
    )
    assert sorted((r.salesperson_id, r.amount, r.original_order_no) for r in returns) == sorted(
        [(company.rep.pk, D("-1000"), "SO-A"), (company.north_peer.pk, D("-1000"), "SO-A")]
    )


def test_a_spif_pays_each_salesperson_on_their_part_of_the_units(company):
    _import("SO-1,2019-03-05,C-1,S-N1,FUR-CH,3,300.00,S-N1:60;S-N2:40")
    spif = CommissionSpif(
        product_line=company.furniture,
        kind=CommissionSpif.Kind.PER_UNIT,
        value=D("5"),
        start_date=dt.date(2019, 1, 1),
        end_date=dt.date(2019, 12, 31),
    )

    quarters = fiscal_periods(fiscal_year=2019, start_month=1, kind="quarter")
    bases = spif_bases(
        spif=spif, salesperson_ids=[company.rep.pk, company.north_peer.pk], spans=quarters
    )

    # 3 units in Q1 (position 0): 60 % = 1.8, 40 % = 1.2 (split to the hundredth like money)
    assert bases == {(company.rep.pk, 0): D("1.8"), (company.north_peer.pk, 0): D("1.2")}


def test_a_split_order_counts_once_for_each_credited_salesperson(company):
    _import(
        "SO-1,2019-03-05,C-1,S-N1,FUR-CH,1,100,S-N1;S-N2",
        "SO-1,2019-03-05,C-1,S-N2,FUR-CH,1,50,",  # the same order: S-N2 counts it once
        "SO-2,2019-03-07,C-2,S-N1,FUR-CH,1,10,",
        "SO-3,2019-04-07,C-1,S-N2,FUR-CH,1,10,",  # S-N2 sells to C-1 again in Q2
    )

    facts = _order_facts(
        people=[company.rep.pk, company.north_peer.pk],
        begin=dt.date(2019, 1, 1),
        end=dt.date(2019, 12, 31),
        span=3,
    )

    # (person, quarter index, orders, customers, new customers, came back next quarter):
    # Q1 2019 is 2019 * 12 // 3 = 8076. S-N1: SO-1 (its part) and SO-2 for two new
    # customers; S-N2: SO-1 once for C-1 (new), who comes back in Q2 (SO-3).
    q1 = 2019 * 12 // 3
    assert sorted(tuple(int(v) for v in row) for row in facts) == sorted(
        [
            (company.rep.pk, q1, 2, 2, 2, 0),
            (company.north_peer.pk, q1, 1, 1, 1, 1),
            (company.north_peer.pk, q1 + 1, 1, 1, 0, 0),
        ]
    )


def test_concentration_reads_each_salespersons_part_to_the_cent(company):
    _import(
        "SO-1,2019-03-05,C-1,S-N1,FUR-CH,1,100.00,S-N1;S-N2;S-S1",
        "SO-2,2019-03-06,C-2,S-N2,FUR-CH,1,0.005,",
    )
    customer = dict(Customer.objects.values_list("code", "pk"))

    rows = sorted(_trailing_revenue(dt.date(2019, 12, 31)))

    # 100.00 in thirds: 33.34 (S-N1, the lower code) / 33.33 / 33.33; S-N2's 0.005 on C-2
    # rounds half up to a cent
    assert rows == sorted(
        [
            (company.rep.pk, customer["C-1"], 3334),
            (company.north_peer.pk, customer["C-1"], 3333),
            (company.north_peer.pk, customer["C-2"], 1),
            (company.south_rep.pk, customer["C-1"], 3333),
        ]
    )


def test_cost_drivers_by_org_unit_count_a_split_order_for_each_region(company):
    _import("SO-1,2019-03-05,C-1,S-N1,FUR-CH,1,100,S-N1;S-S1")
    keys = DimensionKeys(
        names={"NORTH": "North", "SOUTH": "South"},
        org_ids={},
        by_salesperson={
            company.rep.pk: "NORTH",
            company.north_peer.pk: "NORTH",
            company.south_rep.pk: "SOUTH",
        },
        by_product_line={},
        by_customer={},
    )

    counts = distinct_counts(keys=keys, period=parse_period("2019-Q1"), column="order_id")

    assert counts == {"NORTH": 1, "SOUTH": 1}
