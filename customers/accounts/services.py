"""Writes of account targets: set a salesperson's account plan for a period (replacing it)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from allocation.access import viewer_scope
from allocation.engine.fiscal import FiscalYear, month_add
from allocation.models import Plan, Salesperson
from customers.accounts.engine import (
    OTHER_KEY,
    AccountLine,
    AccountSplitError,
    account_buckets,
)
from customers.accounts.engine import account_split as split_accounts
from customers.accounts.models import AccountPlan, AccountTarget
from customers.accounts.selectors import (
    customer_sales_frame,
    period_months,
    period_target_cents,
    tier_choices_get,
)
from customers.models import Customer
from salesalloc.core.exceptions import ConflictError, ScopeError
from salesalloc.core.fields import DecimalInputError, parse_decimal
from salesalloc.core.money import from_cents, to_cents
from salesalloc.core.users import acting_user

MAX_ACCOUNTS = 200


@dataclass(frozen=True)
class AccountInput:
    """One named account as entered: a customer code or a tier code, and an amount (None:
    by historical share)."""

    customer: str = ""
    tier: str = ""
    amount: Decimal | str | None = None


def _may_set(actor: AbstractBaseUser | None, salesperson: Salesperson) -> None:
    scope = viewer_scope(user=actor) if actor is not None else None
    if scope is None or not (
        scope.is_admin
        or scope.salesperson_id == salesperson.pk
        or Salesperson.objects.filter(scope.managed_salesperson_q(), pk=salesperson.pk).exists()
    ):
        raise ScopeError(_("You may set account targets only for yourself or your people."))


def _amount(value: Decimal | str | None, index: int) -> int | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        amount = parse_decimal(
            value, max_digits=14, decimal_places=2, min_value=Decimal(0), separators=True
        )
    except DecimalInputError as error:
        raise ValidationError({f"accounts[{index}].amount": str(error)}) from error
    return to_cents(amount)


def _resolve(
    accounts: Sequence[AccountInput], tiers: dict[str, str]
) -> list[tuple[str, Customer | None, str, int | None]]:
    """(kind, customer, tier, entered cents) per input line; errors name the line."""
    if len(accounts) > MAX_ACCOUNTS:
        raise ValidationError({"accounts": _("At most %(n)s accounts.") % {"n": MAX_ACCOUNTS}})
    codes = [a.customer.strip() for a in accounts if a.customer and a.customer.strip()]
    customers = {c.code: c for c in Customer.objects.filter(code__in=codes)}
    out: list[tuple[str, Customer | None, str, int | None]] = []
    seen: set[str] = set()
    for index, item in enumerate(accounts):
        code, tier = (item.customer or "").strip(), (item.tier or "").strip()
        field = f"accounts[{index}]"
        if bool(code) == bool(tier):
            raise ValidationError({field: _("Name either a customer or a tier.")})
        key = code or f"tier:{tier}"
        if key in seen:
            raise ValidationError({field: _("%(key)s is named twice.") % {"key": code or tier}})
        seen.add(key)
        if code and code not in customers:
            raise ValidationError({field: _("No customer with code “%(code)s”.") % {"code": code}})
        if tier and tier not in tiers:
            raise ValidationError(
                {
                    field: _("“%(tier)s” is not a rule tier of the latest tier snapshot.")
                    % {"tier": tier}
                    if tiers
                    else _("There are no customer tiers yet: set up tier rules first.")
                }
            )
        kind = AccountTarget.Kind.CUSTOMER if code else AccountTarget.Kind.TIER
        out.append((kind, customers.get(code), tier, _amount(item.amount, index)))
    return out


def _history(
    *, plan: Plan, salesperson: Salesperson, period: str, keys: dict[int, str], tiers: dict
) -> dict[str, int]:
    """Each bucket's sales in the same months one year before the period."""
    months = [month_add(month, -12) for month in period_months(plan, period)]
    sales = customer_sales_frame(salesperson=salesperson, months=months)
    return account_buckets(sales, customer_keys=keys, tier_of=tiers)


@transaction.atomic
def account_plan_set(
    *,
    plan: Plan,
    salesperson: Salesperson,
    period: str,
    accounts: Sequence[AccountInput],
    actor: AbstractBaseUser | None,
) -> AccountPlan:
    """Set (replace) a salesperson's account targets for one period of a published plan.

    1. The actor is the salesperson, their manager or an admin; the plan is a published
       revenue plan with targets for the salesperson; the period is ``year``, ``Q1``..``Q4``
       or a month of its fiscal year.
    2. Named customers and rule tiers (the latest snapshot with rule tiers) keep an entered
       amount or share what is left by their history (the same months a year before); the
       other accounts take the rest (``engine.account_split``): the lines add up to the
       salesperson's target of the period exactly. Entered amounts above it are refused and
       nothing changes.
    3. The plan row is locked (``select_for_update``) and its lines replaced in one
       transaction: setting the same accounts twice gives the same rows.
    """
    _may_set(actor, salesperson)
    if (
        plan.status != Plan.Status.PUBLISHED
        or plan.measure_of_id is not None
        or plan.scenario_of_id is not None
    ):
        raise ConflictError(_("Account targets split the targets of a published revenue plan."))
    if not plan.salespeople.filter(pk=salesperson.pk).exists():
        raise ValidationError(
            {"salesperson": _("%(code)s has no targets in this plan.") % {"code": salesperson.code}}
        )
    try:
        period = FiscalYear(plan.fiscal_year, plan.start_month).parse_period(period)
    except ValueError as error:
        raise ValidationError(
            {"period": _("Use year, Q1..Q4 or a month (YYYY-MM) of the plan's fiscal year.")}
        ) from error
    choices = tier_choices_get()
    lines = _resolve(accounts, choices.names)
    target = period_target_cents(plan=plan, salesperson=salesperson, period=period)
    keys = {c.pk: c.code for _k, c, _t, _a in lines if c is not None}
    named_tiers = {t for _k, _c, t, _a in lines if t}
    tiers = {pk: f"tier:{t}" for pk, t in choices.customer_tier.items() if t in named_tiers}
    history = _history(plan=plan, salesperson=salesperson, period=period, keys=keys, tiers=tiers)
    inputs = [
        AccountLine(key=key, entered=entered, history=history.get(key, 0))
        for key, entered in ((c.code if c is not None else f"tier:{t}", a) for _k, c, t, a in lines)
    ]
    try:
        amounts, rest = split_accounts(
            target=target, lines=inputs, other_history=history.get(OTHER_KEY, 0)
        )
    except AccountSplitError as error:
        entered = sum(a for *_x, a in lines if a is not None)
        raise ValidationError(
            {
                "accounts": _(
                    "The entered amounts add up to %(entered)s, more than the target of "
                    "%(target)s for %(period)s; lower them or leave some to the share."
                )
                % {
                    "entered": f"{from_cents(entered):,.2f}",
                    "target": f"{from_cents(target):,.2f}",
                    "period": period,
                }
            }
        ) from error
    return _store(
        plan=plan,
        salesperson=salesperson,
        period=period,
        target=target,
        run_id=choices.run_id,
        lines=lines,
        amounts=[*amounts, rest],
        actor=actor,
    )


def _store(
    *,
    plan: Plan,
    salesperson: Salesperson,
    period: str,
    target: int,
    run_id: int | None,
    lines: list[tuple[str, Customer | None, str, int | None]],
    amounts: list[int],
    actor: AbstractBaseUser | None,
) -> AccountPlan:
    """Lock (or create) the account plan row and replace its lines; the last amount is the
    other accounts' remainder."""
    row, _created = AccountPlan.objects.select_for_update().get_or_create(
        plan=plan,
        salesperson=salesperson,
        period=period,
        defaults={"target_amount": from_cents(target), "tier_run_id": run_id},
    )
    row.target_amount = from_cents(target)
    row.tier_run_id = run_id
    row.updated_by = acting_user(actor)
    row.full_clean(validate_unique=False)
    row.save()
    AccountTarget.objects.filter(account_plan=row).delete()
    targets = [
        AccountTarget(
            account_plan=row,
            kind=kind,
            customer=customer,
            tier=tier,
            method=AccountTarget.Method.SHARE if entered is None else AccountTarget.Method.AMOUNT,
            amount=from_cents(cents),
        )
        for (kind, customer, tier, entered), cents in zip(lines, amounts[:-1], strict=True)
    ]
    targets.append(
        AccountTarget(
            account_plan=row,
            kind=AccountTarget.Kind.OTHER,
            method=AccountTarget.Method.SHARE,
            amount=from_cents(amounts[-1]),
        )
    )
    AccountTarget.objects.bulk_create(targets)
    return row
