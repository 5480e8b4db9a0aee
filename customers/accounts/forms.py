"""The account plan form: which plan and period, then key accounts / tiers and amounts."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from allocation.forms import AmountField
from allocation.models import Plan
from customers.accounts.services import AccountInput

TIER_PREFIX = "tier:"
BLANK_ROWS = 3


class AccountPlanForm(forms.Form):
    """Rows ``account_N`` (a customer code, or ``tier:CODE``) and ``amount_N`` (blank: by
    historical share); ``rows`` of them, the existing lines first, then a few blank ones."""

    def __init__(self, *args: Any, rows: int, initial_rows: list[tuple[str, str]], **kw: Any):
        super().__init__(*args, **kw)
        self.row_count = rows
        for index in range(rows):
            account, amount = initial_rows[index] if index < len(initial_rows) else ("", "")
            self.fields[f"account_{index}"] = forms.CharField(
                label=_("Account"),
                required=False,
                max_length=70,
                initial=account,
                widget=forms.TextInput(
                    attrs={
                        "list": "account-choices",
                        "autocomplete": "off",
                        "class": "input-code",
                        "placeholder": _("Customer code or tier:CODE"),
                    }
                ),
            )
            field = AmountField(label=_("Target"), required=False, initial=amount)
            field.widget.attrs["placeholder"] = _("empty: by share")
            self.fields[f"amount_{index}"] = field

    def rows(self) -> list[tuple[forms.BoundField, forms.BoundField]]:
        return [(self[f"account_{i}"], self[f"amount_{i}"]) for i in range(self.row_count)]

    def accounts(self) -> list[AccountInput]:
        out = []
        for index in range(self.row_count):
            text = (self.cleaned_data.get(f"account_{index}") or "").strip()
            amount = self.cleaned_data.get(f"amount_{index}")
            if not text:
                continue
            if text.lower().startswith(TIER_PREFIX):
                out.append(AccountInput(tier=text[len(TIER_PREFIX) :].strip(), amount=amount))
            else:
                out.append(AccountInput(customer=text.split(" ", 1)[0], amount=amount))
        return out


def period_choices(plan: Plan) -> list[tuple[str, str]]:
    """The periods of a plan's fiscal year: the year, its quarters and its months."""
    from allocation.engine.fiscal import QUARTERS, FiscalYear

    fiscal = FiscalYear(plan.fiscal_year, plan.start_month)
    return [
        ("year", str(_("Year"))),
        *[(q, q) for q in QUARTERS],
        *[(label, label) for label in fiscal.month_labels()],
    ]
