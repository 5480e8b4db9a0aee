"""Account targets API: input of an account plan, output with targets and attainment."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from customers.accounts.models import AccountPlan
from customers.accounts.selectors import ACTUAL_SCALE, AccountReport, AccountRow
from salesalloc.core.api import MoneyField
from salesalloc.core.money import from_cents, money_str


class AccountItemInputSerializer(serializers.Serializer):
    customer = serializers.CharField(
        required=False, allow_blank=True, max_length=64, help_text=_("A key account's code.")
    )
    tier = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=40,
        help_text=_("A rule tier's code (of the latest tier snapshot)."),
    )
    amount = MoneyField(
        required=False,
        allow_null=True,
        min_value=0,
        max_digits=14,
        help_text=_("The account's target; leave it out to split by historical share."),
    )


class AccountPlanInputSerializer(serializers.Serializer):
    plan = serializers.IntegerField(
        min_value=1, max_value=2**31 - 1, help_text=_("A published revenue plan's id.")
    )
    salesperson = serializers.CharField(max_length=50, help_text=_("The salesperson's code."))
    period = serializers.CharField(
        max_length=7, help_text=_("year, Q1..Q4 or a month YYYY-MM of the plan's fiscal year.")
    )
    accounts = serializers.ListField(child=AccountItemInputSerializer(), max_length=200)


class AccountPlanFilterSerializer(serializers.Serializer):
    plan = serializers.IntegerField(required=False, min_value=1, max_value=2**31 - 1)
    salesperson = serializers.CharField(required=False, max_length=50)
    period = serializers.CharField(required=False, max_length=7)


def _money(cents: int) -> str:
    return str(from_cents(cents))


def _actual(units: int) -> str:
    """An exact actual (1/10000 units) as a decimal string with 2 to 4 places."""
    return money_str(Decimal(units) / ACTUAL_SCALE) or "0.00"


def _ratio(value: Fraction | None) -> str | None:
    if value is None:
        return None
    exact = Decimal(value.numerator) / Decimal(value.denominator)
    return str(exact.quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP))


def _head(plan: AccountPlan) -> dict[str, Any]:
    return {
        "id": plan.pk,
        "plan": plan.plan_id,
        "salesperson": plan.salesperson.code,
        "period": plan.period,
        "tier_run": plan.tier_run_id,
        "updated_by": plan.updated_by.get_username() if plan.updated_by else None,
        "updated_at": plan.updated_at.isoformat().replace("+00:00", "Z"),
    }


def account_plan_summary(plan: AccountPlan) -> dict[str, Any]:
    """A list row: the plan's lines with their targets (attainment is on the detail)."""
    rows = sorted(
        plan.targets.all(),
        key=lambda t: ({"customer": 0, "tier": 1, "other": 2}[t.kind], t.customer_id or 0, t.tier),
    )
    return {
        **_head(plan),
        "target": f"{plan.target_amount:.2f}",
        "accounts": [
            {
                "kind": t.kind,
                "code": t.customer.code if t.customer else t.tier,
                "method": t.method,
                "target": f"{t.amount:.2f}",
            }
            for t in rows
        ],
    }


def _row(row: AccountRow) -> dict[str, Any]:
    return {
        "kind": row.kind,
        "code": row.code,
        "name": row.name,
        "method": row.method,
        "target": _money(row.target),
        "actual": _actual(row.actual),
        "attainment": _ratio(row.attainment),
    }


def account_report_data(report: AccountReport) -> dict[str, Any]:
    """The detail: every account's target, actual and attainment, and the totals."""
    return {
        **_head(report.account_plan),
        "target": _money(report.target),
        "actual": _actual(report.actual),
        "attainment": _ratio(report.attainment),
        "accounts": [_row(row) for row in report.rows],
    }
