"""Setting account targets (customers.accounts.services) and account attainment, by hand."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from allocation.models import Plan
from customers.accounts.models import AccountPlan, AccountTarget
from customers.accounts.selectors import account_report
from customers.accounts.services import AccountInput, account_plan_set
from salesalloc.core.exceptions import ConflictError, ScopeError

pytestmark = pytest.mark.django_db

Q1 = [
    AccountInput(customer="C-1", amount=Decimal("1000.01")),
    AccountInput(customer="C-2"),
    AccountInput(tier="GOLD"),
]


def _set(accounts, accounts_input=Q1, *, actor="rep", period="Q1", person=None):
    return account_plan_set(
        plan=accounts.plan,
        salesperson=person or accounts.rep,
        period=period,
        accounts=accounts_input,
        actor=accounts.users[actor],
    )


def _targets(row: AccountPlan) -> dict[str, Decimal]:
    return {
        (t.customer.code if t.customer else t.tier or "other"): t.amount
        for t in AccountTarget.objects.filter(account_plan=row).select_related("customer")
    }


def test_account_targets_add_up_to_the_period_target_with_the_remainder(accounts):
    row = _set(accounts)

    # S-N1's Q1 target: 9,000.00 / 4 = 2,250.00. C-1 entered 1,000.01; what is left,
    # 1,249.99, goes to C-2, GOLD and the other accounts by Q1 2018 sales credited to S-N1:
    # C-2 200 (named, so not GOLD's), GOLD = C-3 300, other = C-4 500 -> 2 : 3 : 5:
    # 249.998 / 374.997 / 624.995 -> floors 249.99 + 374.99 + 624.99 = 1,249.97; the two
    # cents left go to the larger remainders, C-2 (.8) and GOLD (.7).
    assert row.target_amount == Decimal("2250.00")
    assert _targets(row) == {
        "C-1": Decimal("1000.01"),
        "C-2": Decimal("250.00"),
        "GOLD": Decimal("375.00"),
        "other": Decimal("624.99"),
    }
    assert sum(_targets(row).values()) == Decimal("2250.00")


def test_account_attainment_buckets_the_salespersons_own_lines(accounts):
    report = account_report(account_plan=_set(accounts))

    # Q1 2019 of S-N1 only (S-S1's 999.00 to C-1 is not S-N1's): C-1 800, C-2 100,
    # GOLD = C-3 400, other = C-4 50.
    rows = [(r.kind, r.code, r.target, r.actual, r.attainment) for r in report.rows]
    from fractions import Fraction

    # Targets in cents, actuals exact in 1/10000 of the currency unit.
    assert rows == [
        ("customer", "C-1", 100_001, 8_000_000, Fraction(80_000, 100_001)),
        ("customer", "C-2", 25_000, 1_000_000, Fraction(2, 5)),
        ("tier", "GOLD", 37_500, 4_000_000, Fraction(16, 15)),
        ("other", "", 62_499, 500_000, Fraction(5_000, 62_499)),
    ]
    assert (report.target, report.actual, report.attainment) == (
        225_000,
        13_500_000,
        Fraction(3, 5),
    )


def test_an_edit_rebalances_the_share_accounts_and_the_remainder(accounts):
    _set(accounts)
    row = _set(
        accounts,
        [AccountInput(customer="C-1", amount="2000"), AccountInput(customer="C-2"), Q1[2]],
    )

    # 2,250 - 2,000 = 250.00 left, 2 : 3 : 5 -> 50.00 / 75.00 / 125.00.
    assert _targets(row) == {
        "C-1": Decimal("2000.00"),
        "C-2": Decimal("50.00"),
        "GOLD": Decimal("75.00"),
        "other": Decimal("125.00"),
    }
    assert AccountPlan.objects.count() == 1
    again = _set(
        accounts,
        [AccountInput(customer="C-1", amount="2000"), AccountInput(customer="C-2"), Q1[2]],
    )
    assert again.pk == row.pk
    assert AccountTarget.objects.filter(account_plan=row).count() == 4


def test_entered_amounts_above_the_target_are_refused_and_change_nothing(accounts):
    row = _set(accounts)
    with pytest.raises(ValidationError) as error:
        _set(
            accounts,
            [AccountInput(customer="C-1", amount="2000"), AccountInput(tier="GOLD", amount="300")],
        )

    assert error.value.message_dict == {
        "accounts": [
            "The entered amounts add up to 2,300.00, more than the target of 2,250.00 for Q1; "
            "lower them or leave some to the share."
        ]
    }
    assert _targets(row)["C-1"] == Decimal("1000.01")


@pytest.mark.parametrize(
    ("accounts_input", "field", "message"),
    [
        ([AccountInput(customer="NOPE")], "accounts[0]", "No customer with code “NOPE”."),
        (
            [AccountInput(tier="SILVER")],
            "accounts[0]",
            "“SILVER” is not a rule tier of the latest tier snapshot.",
        ),
        (
            [AccountInput(customer="C-1"), AccountInput(customer="C-1")],
            "accounts[1]",
            "C-1 is named twice.",
        ),
        ([AccountInput()], "accounts[0]", "Name either a customer or a tier."),
        (
            [AccountInput(customer="C-1", amount="1e400")],
            "accounts[0].amount",
            None,
        ),
    ],
)
def test_bad_accounts_name_the_line(accounts, accounts_input, field, message):
    with pytest.raises(ValidationError) as error:
        _set(accounts, accounts_input)
    assert list(error.value.message_dict) == [field]
    if message:
        assert error.value.message_dict[field] == [message]
    assert not AccountPlan.objects.exists()


def test_the_whole_year_and_a_month_are_periods_too(accounts):
    year = _set(accounts, [AccountInput(customer="C-1", amount="100")], period="year")
    march = _set(accounts, [AccountInput(customer="C-1")], period="2019-03")

    # Year 9,000.00: C-1 100.00 entered, the other accounts the rest. March 750.00: nobody
    # sold anything in March 2018 (the 2018 sales were in February), and no history at all
    # splits equally: 375.00 each.
    assert _targets(year) == {"C-1": Decimal("100.00"), "other": Decimal("8900.00")}
    assert _targets(march) == {"C-1": Decimal("375.00"), "other": Decimal("375.00")}
    with pytest.raises(ValidationError) as error:
        _set(accounts, [], period="2020-01")
    assert list(error.value.message_dict) == ["period"]


def test_who_may_set_account_targets(accounts):
    _set(accounts, actor="manager")  # S-N1's manager
    _set(accounts, actor="admin")
    for actor, person in (
        ("south_rep", accounts.rep),
        ("other_manager", accounts.rep),
        ("rep", accounts.north_peer),
        ("nobody", accounts.rep),
    ):
        with pytest.raises(ScopeError):
            _set(accounts, actor=actor, person=person)


def test_only_a_published_revenue_plan_takes_account_targets(accounts):
    Plan.objects.filter(pk=accounts.plan.pk).update(status="archived")
    accounts.plan.refresh_from_db()
    with pytest.raises(ConflictError):
        _set(accounts)
