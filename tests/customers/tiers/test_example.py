"""The hand-worked example, end to end: order lines -> SQL -> engine -> snapshot rows.

``EXPECTED`` (tests/customers/tiers/example.py) was worked by hand; ``reference`` below
derives the same table again from the orders with plain loops written from the rules'
definitions (no pandas, no engine code), and the service's rows must equal both.
"""

from __future__ import annotations

import math
from decimal import Decimal
from fractions import Fraction

import pytest

from customers.models import Customer, Order, OrderLine
from customers.tiers.models import CustomerTier, TierRule, TierRun
from customers.tiers.services import tier_rule_create, tier_run_compute, tier_run_create
from tests.customers.tiers.example import AS_OF, EXPECTED, ORDERS, RULES, WINDOW_DAYS

pytestmark = pytest.mark.django_db

GRID = {  # (r, fm) -> segment: the documented default map, written out cell by cell
    5: ["new", "potential_loyalist", "potential_loyalist", "champions", "champions"],
    4: ["promising", "potential_loyalist", "potential_loyalist", "loyal", "champions"],
    3: ["about_to_sleep", "about_to_sleep", "need_attention", "loyal", "loyal"],
    2: ["hibernating", "hibernating", "at_risk", "at_risk", "cant_lose"],
    1: ["lost", "lost", "at_risk", "at_risk", "cant_lose"],
}


def score(value: int, values: list[int], *, higher_is_better: bool) -> int:
    worse = sum(1 for v in values if (v < value if higher_is_better else v > value))
    equal = sum(1 for v in values if v == value)
    return math.ceil(Fraction(5 * (2 * worse + equal), 2 * len(values)))


def reference() -> dict[str, tuple]:
    start = AS_OF.toordinal() - WINDOW_DAYS
    measures = {}
    for code, (region, state, orders) in ORDERS.items():
        counted = [o for o in orders if start <= o[1].toordinal() < AS_OF.toordinal()]
        if not counted:
            continue
        last = max(o[1] for o in counted)
        total = sum(Decimal(a) for o in counted for a in o[2])
        measures[code] = ((AS_OF - last).days, len({o[0] for o in counted}), total, region, state)
    recencies = [m[0] for m in measures.values()]
    frequencies = [m[1] for m in measures.values()]
    monetaries = [m[2] for m in measures.values()]
    positive_total = sum(m for m in monetaries if m > 0)
    ranked = sorted(measures, key=lambda c: (-measures[c][2], c))
    abc, running = {}, Decimal(0)
    for code in ranked:
        value = measures[code][2]
        if value <= 0:
            abc[code] = "C"
        elif running < Decimal("0.80") * positive_total:
            abc[code] = "A"
        elif running < Decimal("0.95") * positive_total:
            abc[code] = "B"
        else:
            abc[code] = "C"
        running += max(value, Decimal(0))
    table = {}
    for code, (recency, frequency, monetary, region, state) in measures.items():
        r = score(recency, recencies, higher_is_better=False)
        f = score(frequency, frequencies, higher_is_better=True)
        m = score(monetary, monetaries, higher_is_better=True) if monetary > 0 else 1
        segment = GRID[r][(f + m + 1) // 2 - 1]
        row = {
            "monetary": monetary, "frequency": frequency, "recency": recency,
            "region": region, "state": state, "segment": segment, "abc": abc[code],
        }  # fmt: skip
        tier = ""
        for rule in RULES:
            if (
                ("abc" not in rule or row["abc"] in rule["abc"])
                and ("segments" not in rule or segment in rule["segments"])
                and ("monetary_min" not in rule or monetary >= rule["monetary_min"])
                and ("recency_min" not in rule or recency >= rule["recency_min"])
                and ("frequency_min" not in rule or frequency >= rule["frequency_min"])
                and ("states" not in rule or state in rule["states"])
                and ("regions" not in rule or region in rule["regions"])
            ):
                tier = rule["code"]
                break
        table[code] = (recency, frequency, str(monetary), r, f, m, segment, abc[code], tier)
    return table


def test_reference_derivation_agrees_with_the_hand_worked_table():
    assert reference() == EXPECTED


@pytest.fixture
def example(company):
    for code, (region, state, orders) in ORDERS.items():
        customer = Customer.objects.create(
            code=code, name=f"Customer {code}", region=region, state=state
        )
        for order_no, day, amounts in orders:
            order = Order.objects.create(order_no=order_no, order_date=day, customer=customer)
            for line_no, amount in enumerate(amounts, start=1):
                OrderLine.objects.create(
                    order=order, line_no=line_no, order_date=day, customer=customer,
                    salesperson=company.rep, product_line=company.chairs, amount=Decimal(amount),
                )  # fmt: skip
    for rule in RULES:
        tier_rule_create(**rule)
    return company


def rows_of(run: TierRun) -> dict[str, tuple]:
    rows = CustomerTier.objects.filter(run=run).select_related("customer")
    return {
        row.customer.code: (
            row.recency_days,
            row.frequency,
            str(row.monetary.normalize() + 0),
            row.r,
            row.f,
            row.m,
            row.segment,
            row.abc,
            row.tier,
        )
        for row in rows
    }


@pytest.mark.parametrize("use_copy", [None, False], ids=["native", "portable"])
def test_run_stores_the_hand_worked_rfm_scores_segments_abc_and_tiers(example, use_copy):
    run = tier_run_create(as_of=AS_OF, window_days=WINDOW_DAYS, enqueue=False)

    run = tier_run_compute(run=run, use_copy=use_copy)

    assert rows_of(run) == {
        code: (*row[:2], str(Decimal(row[2])), *row[3:]) for code, row in EXPECTED.items()
    }
    assert run.status == TierRun.Status.SUCCEEDED
    assert run.customers == 12  # C13 has no order in the window
    assert run.monetary_total == Decimal("9950")  # 10000 positive, -50 from C10
    assert (
        CustomerTier.objects.get(run=run, customer__code="C01").last_order_date.isoformat()
        == "2024-06-30"
    )


def test_thresholds_move_the_exact_boundary(example):
    # A = 0.7999: C03's running total before it (7000) is still below 7999.2 -> A; 0.70:
    # C03 starts at 7000, not below 7000 -> B (A is C01+C02, which reach exactly 70 %).
    run = tier_run_create(
        as_of=AS_OF,
        window_days=WINDOW_DAYS,
        abc_a=Decimal("0.70"),
        abc_b=Decimal("0.95"),
        enqueue=False,
    )
    run = tier_run_compute(run=run)
    abc = dict(CustomerTier.objects.filter(run=run).values_list("customer__code", "abc"))
    assert [abc[c] for c in ("C01", "C02", "C03", "C04", "C06", "C07")] == [
        "A",
        "A",
        "B",
        "B",
        "B",
        "C",
    ]


def test_recompute_replaces_the_rows_and_is_idempotent(example):
    run = tier_run_compute(run=tier_run_create(as_of=AS_OF, window_days=WINDOW_DAYS, enqueue=False))
    first = rows_of(run)

    again = tier_run_compute(run=run)

    assert rows_of(again) == first
    assert CustomerTier.objects.filter(run=run).count() == 12


def test_without_a_window_every_order_before_as_of_counts(example):
    run = tier_run_compute(run=tier_run_create(as_of=AS_OF, enqueue=False))
    rows = rows_of(run)
    assert len(rows) == 13
    assert rows["C06"][:3] == (180, 2, "1200")  # O12, the day before the window, now counts
    assert rows["C13"][:3] == ((AS_OF - ORDERS["C13"][2][0][1]).days, 1, "800")


def test_a_run_before_any_order_is_empty(example):
    run = tier_run_compute(run=tier_run_create(as_of=AS_OF.replace(year=2020), enqueue=False))
    assert run.customers == 0
    assert run.status == TierRun.Status.SUCCEEDED


@pytest.mark.parametrize("use_copy", [None, False], ids=["native", "portable"])
def test_without_rules_the_tier_is_empty(example, use_copy):
    TierRule.objects.all().delete()
    run = tier_run_create(as_of=AS_OF, window_days=WINDOW_DAYS, enqueue=False)

    run = tier_run_compute(run=run, use_copy=use_copy)

    assert set(CustomerTier.objects.filter(run=run).values_list("tier", flat=True)) == {""}
