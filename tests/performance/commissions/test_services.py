"""Commission statements from real targets and actuals: SPIFs, awards, clawbacks, lifecycle.

Brackets everywhere: 0 → 2 %, 0.5 → 4 %, 1.0 → 6 % (marginal unless said otherwise).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D  # noqa: N817 - D("1.05") keeps hand-worked figures readable

import pytest

from performance.commissions.models import CommissionStatement
from performance.commissions.services import (
    commission_plan_create,
    commission_recompute_for_cells,
    commission_statement_approve,
    commission_statement_pay,
    commission_statements_recompute,
)
from salesalloc.core.exceptions import ConflictError
from tests.factories import CustomerFactory
from tests.performance.commissions.support import sell, target_plan

pytestmark = pytest.mark.django_db

BRACKETS = [
    {"from": "0", "rate": "0.02"},
    {"from": "0.5", "rate": "0.04"},
    {"from": "1", "rate": "0.06"},
]


def quarterly_targets(company, people, amount="10000.00"):
    """Each person's Q1..Q4 target is ``amount``, all in the quarter's first month."""
    return target_plan(
        company,
        {(p, m): amount for p in people for m in ("2019-01", "2019-04", "2019-07", "2019-10")},
    )


def statement(plan, person, period) -> CommissionStatement:
    return CommissionStatement.objects.get(plan=plan, salesperson=person, period=period)


def lines(row):
    return [(ln.kind, ln.base, ln.rate, ln.amount) for ln in row.lines.order_by("position")]


def make_plan(company, tp, **kwargs):
    options = {"name": "Q plan", "target_plan": tp, "period": "quarter", "mode": "marginal"}
    options.update(kwargs)
    return commission_plan_create(brackets=BRACKETS, salespeople=[company.rep], **options)


def test_statement_for_a_quarter_follows_the_brackets_and_the_cap(company):
    tp = quarterly_targets(company, [company.rep])
    sell(company.rep, "2019-02-10", "12000.00", product_line=company.chairs)
    plan = make_plan(company, tp, cap=D("400"))
    row = statement(plan, company.rep, "2019-Q1")
    # 5000 × 2 % + 5000 × 4 % + 2000 × 6 % = 100 + 200 + 120 = 420, capped at 400
    assert lines(row) == [
        ("bracket", D("5000"), D("0.02"), D("100.00")),
        ("bracket", D("5000"), D("0.04"), D("200.00")),
        ("bracket", D("2000"), D("0.06"), D("120.00")),
    ]
    assert (row.actual, row.target, row.attainment) == (D("12000"), D("10000"), D("1.2"))
    assert (row.subtotal, row.total, row.status) == (D("420"), D("400"), "draft")
    # a quarter without sales has a zero statement
    assert statement(plan, company.rep, "2019-Q2").total == 0
    assert plan.statements.count() == 4


def test_recompute_is_idempotent(company):
    tp = quarterly_targets(company, [company.rep])
    sell(company.rep, "2019-02-10", "7500.00", product_line=company.chairs)
    plan = make_plan(company, tp)
    before = {(r.pk, r.period, r.total) for r in plan.statements.all()}
    before_lines = sorted(lines(statement(plan, company.rep, "2019-Q1")))
    assert commission_statements_recompute(plan=plan) == 4
    assert {(r.pk, r.period, r.total) for r in plan.statements.all()} == before
    assert sorted(lines(statement(plan, company.rep, "2019-Q1"))) == before_lines


def test_spif_adds_an_extra_rate_on_one_product_line_within_its_dates(company):
    tp = quarterly_targets(company, [company.rep])
    sell(company.rep, "2019-01-20", "1000.00", product_line=company.chairs)  # before the SPIF
    sell(company.rep, "2019-02-05", "2000.00", product_line=company.chairs)  # inside
    sell(company.rep, "2019-02-06", "3000.00", product_line=company.phones)  # other line
    spifs = [
        {
            "product_line": company.furniture,  # the subtree: chairs count
            "kind": "rate",
            "value": D("0.05"),
            "start_date": dt.date(2019, 2, 1),
            "end_date": dt.date(2019, 2, 28),
        },
        {
            "product_line": company.phones,
            "kind": "per_unit",
            "value": D("2.50"),
            "start_date": dt.date(2019, 1, 1),
            "end_date": dt.date(2019, 12, 31),
        },
    ]
    plan = make_plan(company, tp, spifs=spifs)
    row = statement(plan, company.rep, "2019-Q1")
    # brackets on 6000: 5000 × 2 % + 1000 × 4 % = 140; SPIF 2000 × 5 % = 100;
    # phones: 1 unit × 2.50 = 2.50
    assert lines(row) == [
        ("bracket", D("5000"), D("0.02"), D("100.00")),
        ("bracket", D("1000"), D("0.04"), D("40.00")),
        ("spif", D("2000"), D("0.05"), D("100.00")),
        ("spif", D("1"), D("2.5"), D("2.50")),
    ]
    assert row.total == D("242.50")


def test_quarterly_award_tie_is_split_exactly_to_the_cent(company):
    tp = quarterly_targets(company, [company.rep, company.north_peer, company.south_rep])
    sell(company.rep, "2019-02-10", "12000.00", product_line=company.chairs)
    sell(company.north_peer, "2019-03-10", "12000.00", product_line=company.chairs)
    sell(company.south_rep, "2019-03-10", "15000.00", product_line=company.chairs)  # not in group
    plan = commission_plan_create(
        name="Award plan",
        target_plan=tp,
        period="quarter",
        mode="marginal",
        brackets=BRACKETS,
        award_amount=D("100.01"),
        award_group=company.north,
    )
    # both North people reach 120 %: 100.01 → 50.01 to S-N1 (lower code) and 50.00 to S-N2
    rep_award = [ln for ln in lines(statement(plan, company.rep, "2019-Q1")) if ln[0] == "award"]
    peer_award = [
        ln for ln in lines(statement(plan, company.north_peer, "2019-Q1")) if ln[0] == "award"
    ]
    assert rep_award == [("award", D("50.01"), D("1"), D("50.01"))]
    assert peer_award == [("award", D("50.00"), D("1"), D("50.00"))]
    assert not [
        ln for ln in lines(statement(plan, company.south_rep, "2019-Q1")) if ln[0] == "award"
    ]
    assert statement(plan, company.rep, "2019-Q1").total == D("470.01")  # 420 + 50.01


def test_return_in_a_later_period_is_clawed_back_at_the_original_rate(company):
    tp = quarterly_targets(company, [company.rep])
    customer = CustomerFactory()
    sell(
        company.rep,
        "2019-02-10",
        "7500.00",
        product_line=company.chairs,
        customer=customer,
        order_no="SO-A",
    )
    sell(company.rep, "2019-04-02", "4000.00", product_line=company.chairs)
    sell(
        company.rep,
        "2019-04-10",
        "-1500.00",
        product_line=company.chairs,
        customer=customer,
        order_no="RET-1",
    )
    plan = make_plan(company, tp)
    q1 = statement(plan, company.rep, "2019-Q1")
    # Q1: 5000 × 2 % + 2500 × 4 % = 200.00 on 7500 → effective rate 200/7500 = 0.026667
    assert q1.total == D("200.00")
    q2 = statement(plan, company.rep, "2019-Q2")
    # Q2 pays its own sales (4000 × 2 % = 80.00); the return of SO-A is clawed back:
    # −1500 × 0.026667 = −40.0005 → −40.00
    assert lines(q2) == [
        ("bracket", D("4000"), D("0.02"), D("80.00")),
        ("clawback", D("-1500"), D("0.026667"), D("-40.00")),
    ]
    claw = q2.lines.get(kind="clawback")
    assert "SO-A" in claw.label
    assert claw.reference == "SO-A"
    assert q2.actual == D("4000")
    assert q2.total == D("40.00")


def test_return_in_the_same_period_only_nets_the_actual(company):
    tp = quarterly_targets(company, [company.rep])
    customer = CustomerFactory()
    sell(
        company.rep,
        "2019-01-10",
        "7500.00",
        product_line=company.chairs,
        customer=customer,
        order_no="SO-A",
    )
    sell(
        company.rep,
        "2019-02-10",
        "-1500.00",
        product_line=company.chairs,
        customer=customer,
        order_no="RET-1",
    )
    plan = make_plan(company, tp)
    q1 = statement(plan, company.rep, "2019-Q1")
    # 6000: 5000 × 2 % + 1000 × 4 % = 140.00, no clawback line
    assert [ln[0] for ln in lines(q1)] == ["bracket", "bracket"]
    assert q1.total == D("140.00")


def test_frozen_statements_never_change_and_a_clawback_lands_in_the_next_open_period(company):
    tp = quarterly_targets(company, [company.rep])
    customer = CustomerFactory()
    sell(
        company.rep,
        "2019-02-10",
        "7500.00",
        product_line=company.chairs,
        customer=customer,
        order_no="SO-A",
    )
    plan = make_plan(company, tp)
    q1 = commission_statement_approve(statement=statement(plan, company.rep, "2019-Q1"), actor=None)
    q1 = commission_statement_pay(statement=q1, actor=None)
    q2 = commission_statement_approve(statement=statement(plan, company.rep, "2019-Q2"), actor=None)
    # given: a later import brings more Q1 sales and a Q2 return of SO-A
    sell(company.rep, "2019-03-01", "2500.00", product_line=company.chairs)
    sell(
        company.rep,
        "2019-05-10",
        "-1500.00",
        product_line=company.chairs,
        customer=customer,
        order_no="RET-1",
    )
    # when
    commission_statements_recompute(plan=plan)
    # then: Q1 (paid) and Q2 (approved) are unchanged; the clawback lands in Q3
    assert statement(plan, company.rep, "2019-Q1").total == D("200.00")
    assert statement(plan, company.rep, "2019-Q1").actual == D("7500")
    assert statement(plan, company.rep, "2019-Q2").total == q2.total == 0
    q3 = statement(plan, company.rep, "2019-Q3")
    assert lines(q3) == [("clawback", D("-1500"), D("0.026667"), D("-40.00"))]
    # once Q3 is approved, the return is not clawed back again in Q4
    commission_statement_approve(statement=q3, actor=None)
    commission_statements_recompute(plan=plan)
    assert not statement(plan, company.rep, "2019-Q4").lines.filter(kind="clawback").exists()


def test_lifecycle_allows_only_draft_to_approved_to_paid(company):
    tp = quarterly_targets(company, [company.rep])
    plan = make_plan(company, tp)
    row = statement(plan, company.rep, "2019-Q1")
    with pytest.raises(ConflictError):
        commission_statement_pay(statement=row, actor=None)
    row = commission_statement_approve(statement=row, actor=company.users["manager"])
    assert row.approved_by == company.users["manager"]
    with pytest.raises(ConflictError):
        commission_statement_approve(statement=row, actor=None)
    assert commission_statement_pay(statement=row, actor=None).status == "paid"


def test_retroactive_monthly_plan_and_import_recompute_touches_only_affected_periods(company):
    tp = target_plan(
        company, {(company.rep, "2019-01"): "1000.00", (company.rep, "2019-02"): "1000.00"}
    )
    plan = make_plan(company, tp, period="month", mode="retroactive", name="Monthly")
    sell(company.rep, "2019-02-03", "1000.00", product_line=company.chairs)
    jan = statement(plan, company.rep, "2019-01")
    jan_stamp = jan.computed_at
    written = commission_recompute_for_cells(cells=[(company.rep.pk, dt.date(2019, 2, 1))])
    assert written == 1
    feb = statement(plan, company.rep, "2019-02")
    # a = 1.0 → 6 % on the whole 1000 = 60.00
    assert lines(feb) == [("bracket", D("1000"), D("0.06"), D("60.00"))]
    assert statement(plan, company.rep, "2019-01").computed_at == jan_stamp


def test_bad_brackets_are_a_validation_error(company):
    from django.core.exceptions import ValidationError

    tp = quarterly_targets(company, [company.rep])
    with pytest.raises(ValidationError):
        commission_plan_create(
            name="Bad",
            target_plan=tp,
            period="quarter",
            mode="marginal",
            brackets=[{"from": "0", "rate": "0.02"}, {"from": "0", "rate": "0.03"}],
        )
