"""Property tests (hypothesis) of quota relief: every split adds up to the cent.

The engine alone (no database): the relief in cents, its split over the covered leaves and
the redistribution over teammates. Then the service on the database, each example in a
transaction rolled back afterwards: whatever the amount, share, months and locks, the
person drops by exactly the relief, the team and the plan by exactly what was absorbed,
and no leaf goes below zero.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from allocation.engine.relief import relief_cents, relief_redistribute, relief_split
from allocation.models import Plan, TargetCell
from allocation.services import ReliefInput, relief_approve, relief_request_create
from tests.allocation.relief_support import lock, published_plan, relief_company, target

settings.register_profile(
    "relief", max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
RELIEF = settings.get_profile("relief")
DB = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)

leaf_targets = st.lists(st.integers(min_value=0, max_value=10**9), min_size=1, max_size=24)


@RELIEF
@given(targets=leaf_targets, data=st.data())
def test_the_split_adds_up_and_never_takes_more_than_a_leaf_has(targets, data):
    total = sum(targets)
    if total == 0:
        return
    relief = data.draw(st.integers(min_value=1, max_value=total))
    keys = [f"K{i:02d}" for i in range(len(targets))]

    pieces = relief_split(targets=targets, keys=keys, relief=relief)

    assert sum(pieces) == relief
    assert all(0 <= piece <= leaf for piece, leaf in zip(pieces, targets, strict=True))
    # Deterministic whatever the order the leaves come in.
    reordered = relief_split(targets=targets[::-1], keys=keys[::-1], relief=relief)
    assert reordered[::-1] == pieces


@RELIEF
@given(
    target=st.integers(min_value=1, max_value=10**12),
    hundredths=st.integers(min_value=1, max_value=10_000),
)
def test_a_share_is_the_target_times_the_percent_rounded_half_up(target, hundredths):
    share = Decimal(hundredths) / 100
    exact = Decimal(target) * share / 100
    cents = int(exact.quantize(Decimal(1), rounding="ROUND_HALF_UP"))
    if cents == 0:
        with pytest.raises(ValueError, match=r"less than a cent"):
            relief_cents(target=target, share=share)
        return
    assert relief_cents(target=target, share=share) == cents
    assert cents <= target


@RELIEF
@given(
    pieces=st.lists(st.integers(min_value=0, max_value=10**8), min_size=1, max_size=6),
    data=st.data(),
)
def test_redistribution_gives_each_piece_away_exactly(pieces, data):
    slots = list(range(len(pieces)))
    receivers = {
        slot: [
            (f"S{j}", data.draw(st.integers(min_value=0, max_value=10**7)))
            for j in range(data.draw(st.integers(min_value=1, max_value=5)))
        ]
        for slot in slots
    }

    given_out = relief_redistribute(
        pieces=dict(zip(slots, pieces, strict=True)),
        receivers=receivers,
        labels={slot: f"slot {slot}" for slot in slots},
    )

    for slot, piece in zip(slots, pieces, strict=True):
        assert sum(given_out[slot]) == piece
        assert all(amount >= 0 for amount in given_out[slot])


months = st.lists(
    st.sampled_from([f"2019-{m:02d}" for m in range(1, 13)]), min_size=1, max_size=4, unique=True
)


@pytest.mark.django_db
@DB
@given(
    chosen=months,
    size=st.one_of(
        st.decimals(min_value=Decimal("0.01"), max_value=Decimal("6000"), places=2).map(
            lambda a: {"amount": a}
        ),
        st.decimals(min_value=Decimal("0.01"), max_value=Decimal("100"), places=2).map(
            lambda s: {"share": s}
        ),
    ),
    redistribute=st.booleans(),
    locked=st.sets(st.sampled_from(["S-N2", "S-N3", "S-N4"]), max_size=2),
)
def test_approved_relief_moves_exactly_the_relieved_cents(
    company_once, chosen, size, redistribute, locked
):
    company = company_once
    with transaction.atomic():
        plan = published_plan(company)
        for code in sorted(locked):
            lock(plan, salesperson=plan.salespeople.get(code=code))
        covered = target(plan, salesperson=company.rep, month__in=[f"{m}-01" for m in chosen])
        if "amount" in size and size["amount"] > covered:
            size = {"amount": covered}
        request = relief_request_create(
            plan=plan,
            data=ReliefInput(salesperson=company.rep, reason="leave", months=chosen, **size),
            actor=company.users["rep"],
        )
        before_team = target(plan, salesperson__org_unit=company.north_team)
        approved = relief_approve(
            request=request,
            actor=company.users["manager"],
            distribution="redistribute" if redistribute else "absorb",
        )
        relieved = approved.relieved_amount
        assert relieved == (
            size["amount"]
            if "amount" in size
            else (covered * size["share"] / 100).quantize(Decimal("0.01"), "ROUND_HALF_UP")
        )
        assert target(plan, salesperson=company.rep) == Decimal("18000.00") - relieved
        team = target(plan, salesperson__org_unit=company.north_team)
        assert team == (before_team if redistribute else before_team - relieved)
        plan.refresh_from_db()
        assert plan.total_amount == target(plan)
        assert not TargetCell.objects.filter(plan=plan, amount__lt=0).exists()
        for code in locked:
            assert target(plan, salesperson__code=code) == target_of_year(code)
        transaction.set_rollback(True)
    assert not Plan.objects.exists()


def target_of_year(code: str) -> Decimal:
    from tests.allocation.relief_support import MONTHLY

    chairs, phones = MONTHLY[code]
    return (Decimal(chairs) + Decimal(phones)) * 12


@pytest.fixture
def company_once(company):
    return relief_company(company)
