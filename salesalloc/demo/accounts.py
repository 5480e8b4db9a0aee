"""The demo's account targets: Wendy Zhou (W01) splits her Q1 2019 target over her two
biggest customers of Q1 2018 and the "Key account" tier, so a new user sees account
attainment at once (``/accounts/W01/`` as w01 or anna)."""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Sum

from allocation.models import Plan, Salesperson
from customers.accounts.models import AccountPlan
from customers.accounts.services import AccountInput, account_plan_set
from customers.models import OrderLine
from customers.tiers.models import CustomerTier

SALESPERSON = "W01"
PERIOD = "Q1"
KEY_TIER = "key-account"


def demo_accounts_create(*, plan: Plan, actor: AbstractBaseUser | None) -> AccountPlan | None:
    """Set W01's Q1 account targets (idempotent: the same accounts give the same rows).

    The biggest Q1 2018 customer gets its Q1 2018 sales + 10 % (to the dollar); the second
    and the key-account tier share what is left by history with the other accounts.
    """
    person = Salesperson.objects.filter(code=SALESPERSON).first()
    if person is None or not plan.salespeople.filter(pk=person.pk).exists():
        return None
    top = list(
        OrderLine.objects.filter(
            salesperson=person,
            order_date__gte=dt.date(plan.fiscal_year - 1, 1, 1),
            order_date__lt=dt.date(plan.fiscal_year - 1, 4, 1),
        )
        .values("customer__code")
        .annotate(total=Sum("amount"))
        .order_by("-total", "customer__code")[:2]
    )
    if len(top) < 2:
        return None
    first = Decimal(top[0]["total"]) * Decimal("1.10")
    accounts = [
        AccountInput(
            customer=top[0]["customer__code"],
            amount=first.quantize(Decimal(1), rounding=ROUND_HALF_UP),
        ),
        AccountInput(customer=top[1]["customer__code"]),
    ]
    if CustomerTier.objects.filter(tier=KEY_TIER).exists():
        accounts.append(AccountInput(tier=KEY_TIER))
    return account_plan_set(
        plan=plan, salesperson=person, period=PERIOD, accounts=accounts, actor=actor
    )
