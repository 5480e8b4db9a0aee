"""Credit rules: what may be saved and by whom, and how the import applies them (the file's
own split first, then the most specific rule, then the row's salesperson alone)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from customers.credit.models import CreditRule
from customers.credit.services import credit_rule_create, credit_rule_delete, credit_rule_update
from customers.models import OrderLine, OrderLineCredit, TerritoryRule
from salesalloc.core.exceptions import ScopeError
from tests.customers.import_support import csv_text, run_import, shown
from tests.factories import SalespersonFactory

pytestmark = pytest.mark.django_db

HEADER = "order_id,order_date,customer_code,region,salesperson_code,product_line,amount"
SPLIT = HEADER + ",credit_split"


def _rule(company, value="C-1", attribute="customer_code", shares=(("60", "40")), actor=None):
    people = (company.rep, company.north_peer)
    parties = [
        (person, None if share is None else Decimal(share))
        for person, share in zip(people, shares, strict=True)
    ]
    return credit_rule_create(attribute=attribute, value=value, parties=parties, actor=actor)


def credited() -> dict[tuple[str, str], Decimal]:
    return {
        (order, code): amount
        for order, code, amount in OrderLineCredit.objects.values_list(
            "line__order__order_no", "salesperson__code", "amount"
        )
    }


# --- saving rules ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("shares", "message"),
    [
        (("60", "30"), "The shares add up to 90 %, not 100 %."),
        (("60", None), "Give a share for every salesperson, or for none (equal shares)."),
        (("100", "0"), "The share 0 must be more than 0 % with at most 4 decimals."),
        (
            ("99.99999", "0.00001"),
            "The share 99.99999 must be more than 0 % with at most 4 decimals.",
        ),
    ],
)
def test_shares_must_add_up_to_exactly_100(company, shares, message):
    with pytest.raises(ValidationError) as error:
        _rule(company, shares=shares)
    assert error.value.message_dict == {"shares": [message]}
    assert CreditRule.objects.count() == 0


def test_one_salesperson_twice_or_alone_or_inactive_is_refused(company):
    with pytest.raises(ValidationError, match="at least two"):
        credit_rule_create(
            attribute="customer_code", value="C-1", parties=[(company.rep, None)], actor=None
        )
    with pytest.raises(ValidationError, match="S-N1 named more than once"):
        credit_rule_create(
            attribute="customer_code",
            value="C-1",
            parties=[(company.rep, None), (company.rep, None)],
            actor=None,
        )
    gone = SalespersonFactory(code="S-GONE", org_unit=company.north_team, is_active=False)
    with pytest.raises(ValidationError, match="Inactive salespeople cannot be credited: S-GONE"):
        credit_rule_create(
            attribute="customer_code",
            value="C-1",
            parties=[(company.rep, None), (gone, None)],
            actor=None,
        )


def test_one_rule_per_value_and_a_manager_never_learns_of_other_regions_rules(company):
    south = credit_rule_create(
        attribute="customer_code",
        value="C-S",
        parties=[
            (company.south_rep, None),
            (SalespersonFactory(org_unit=company.south_team), None),
        ],
        actor=None,
    )
    _rule(company, value="C-N")

    with pytest.raises(ValidationError) as mine:
        _rule(company, value="c-n", actor=company.users["manager"])
    assert mine.value.message_dict == {"value": ["There is already a credit rule for “c-n”."]}
    with pytest.raises(ValidationError) as theirs:
        _rule(company, value="C-S", actor=company.users["manager"])
    assert theirs.value.message_dict == {
        "value": ["“C-S” can't be given a credit rule here; ask an administrator."]
    }
    assert CreditRule.objects.get(value="C-S") == south


def test_managers_name_only_their_salespeople_and_change_only_their_rules(company):
    manager, other = company.users["manager"], company.users["other_manager"]
    with pytest.raises(ScopeError):
        credit_rule_create(
            attribute="region",
            value="East",
            parties=[(company.rep, None), (company.south_rep, None)],
            actor=manager,
        )
    rule = _rule(company, actor=manager)
    with pytest.raises(ScopeError):
        credit_rule_update(
            rule=rule,
            attribute="customer_code",
            value="C-1",
            parties=[(company.rep, None), (company.north_peer, None)],
            actor=other,
        )
    with pytest.raises(ScopeError):
        credit_rule_delete(rule=rule, actor=other)
    updated = credit_rule_update(
        rule=rule,
        attribute="customer_code",
        value="C-1",
        parties=[(company.north_peer, Decimal("75")), (company.rep, Decimal("25"))],
        actor=manager,
    )
    assert [(s.salesperson.code, s.share) for s in updated.shares.all()] == [
        ("S-N2", Decimal("75.0000")),
        ("S-N1", Decimal("25.0000")),
    ]
    credit_rule_delete(rule=rule, actor=manager)
    assert CreditRule.objects.count() == 0


# --- applying rules -------------------------------------------------------------------------


def test_a_customer_rule_splits_the_rows_of_its_salespeople(company):
    _rule(company)  # C-1: S-N1 60 %, S-N2 40 %

    job = run_import(
        csv_text(
            "SO-1,2019-03-05,C-1,North,S-N1,FUR-CH,10.01",  # 6.006 -> 6.01, 4.004 -> 4.00
            "SO-2,2019-03-05,C-1,North,,FUR-CH,5",  # no salesperson: the rule's first
            "SO-3,2019-03-05,C-2,North,S-N1,FUR-CH,7",  # another customer: no rule
            header=HEADER,
        )
    )

    assert job.status == "succeeded", shown(job.errors)
    assert credited() == {
        ("SO-1", "S-N1"): Decimal("6.0100"),
        ("SO-1", "S-N2"): Decimal("4.0000"),
        ("SO-2", "S-N1"): Decimal("3.0000"),
        ("SO-2", "S-N2"): Decimal("2.0000"),
    }
    assert OrderLine.objects.get(order__order_no="SO-2").salesperson == company.rep
    assert OrderLine.objects.get(order__order_no="SO-3").split_credit is False


def test_the_files_own_split_wins_over_a_rule(company):
    _rule(company)

    run_import(csv_text("SO-1,2019-03-05,C-1,North,S-N1,FUR-CH,100,S-N1:10;S-N2:90", header=SPLIT))

    assert credited() == {
        ("SO-1", "S-N1"): Decimal("10.0000"),
        ("SO-1", "S-N2"): Decimal("90.0000"),
    }


def test_the_customer_rule_wins_over_a_region_rule_and_rules_follow_territory_rules(company):
    _rule(company, value="North", attribute="region", shares=(None, None))  # equal halves
    _rule(company, value="C-1")  # 60 / 40
    TerritoryRule.objects.create(attribute="region", value="North", salesperson=company.north_peer)

    run_import(
        csv_text(
            "SO-1,2019-03-05,C-1,North,,FUR-CH,100",  # C-1's rule: 60 / 40
            "SO-2,2019-03-05,C-9,North,,FUR-CH,100",  # North's rule: halves
            header=HEADER,
        )
    )

    assert credited() == {
        ("SO-1", "S-N1"): Decimal("60.0000"),
        ("SO-1", "S-N2"): Decimal("40.0000"),
        ("SO-2", "S-N1"): Decimal("50.0000"),
        ("SO-2", "S-N2"): Decimal("50.0000"),
    }
    # the territory rule gave the line its salesperson; the credit rule then split it
    assert OrderLine.objects.get(order__order_no="SO-2").salesperson == company.north_peer


def test_a_rule_does_not_apply_to_a_salesperson_who_is_not_one_of_its_own(company):
    _rule(company)

    job = run_import(csv_text("SO-1,2019-03-05,C-1,North,S-S1,FUR-CH,100", header=HEADER))

    assert job.status == "succeeded"
    assert job.outcome == "with_warnings"
    assert credited() == {}
    assert shown(job.warnings) == [
        {
            "row": 2,
            "column": "salesperson_code",
            "message": (
                "The credit rule for Customer code “C-1” was not applied: the row's salesperson "
                "S-S1 is not one of its salespeople (S-N1:60;S-N2:40), so the line is credited "
                "to S-S1 alone."
            ),
        }
    ]


def test_a_managers_file_ignores_rules_reaching_outside_their_part(company):
    credit_rule_create(
        attribute="customer_code",
        value="C-1",
        parties=[(company.rep, None), (company.south_rep, None)],
        actor=None,
    )

    job = run_import(
        csv_text("SO-1,2019-03-05,C-1,North,S-N1,FUR-CH,100", header=HEADER),
        actor=company.users["manager"],
    )

    assert job.status == "succeeded"
    assert job.warnings == []  # nothing about a rule the manager may not see
    assert credited() == {}
