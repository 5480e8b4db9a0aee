"""Browser forms of quota relief: asking for it, and deciding it.

The forms only shape the input; ``allocation.services.relief`` checks it (strictly: the
amount and the share are read by ``salesalloc.core.fields``) and says what is wrong, by
field, in the same words as the API.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, cast

from django import forms
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from allocation.engine.fiscal import FiscalYear
from allocation.models import Plan, ProductLine, ReliefDistribution, ReliefRequest, Salesperson
from salesalloc.core.fields import BoundedDecimalFormField

SIZE_CHOICES = [("amount", _("An amount")), ("share", _("A share of the target"))]


class AmountFormField(BoundedDecimalFormField):
    """The strict decimal field, reading thousands separators as people type them."""

    def to_python(self, value: Any) -> Decimal | None:  # type: ignore[override]
        if isinstance(value, str):
            value = value.replace(",", "").strip()
        return super().to_python(value)


class ReliefRequestForm(forms.Form):
    """Who, why, how much (an amount or a share) and which months (and lines)."""

    salesperson = forms.ChoiceField(label=_("Salesperson"))
    reason = forms.ChoiceField(
        label=_("Reason"), choices=ReliefRequest.Reason.choices, widget=forms.RadioSelect
    )
    description = forms.CharField(
        label=_("Details"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("What happened: the leave, the territory or the account. Required for other."),
    )
    size = forms.ChoiceField(
        label=_("Relief of"), choices=SIZE_CHOICES, initial="amount", widget=forms.RadioSelect
    )
    amount = AmountFormField(
        label=_("Amount"),
        max_digits=14,
        decimal_places=2,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
        help_text=_("At most the target of the months you choose."),
    )
    share = BoundedDecimalFormField(
        label=_("Share (%)"),
        max_digits=5,
        decimal_places=2,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
        help_text=_("Of the target of the months you choose: more than 0, at most 100."),
    )
    months = forms.MultipleChoiceField(
        label=_("Months"), widget=forms.CheckboxSelectMultiple(attrs={"class": "month-choice"})
    )
    product_lines = forms.MultipleChoiceField(
        label=_("Product lines"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("None ticked: all of them."),
    )

    def __init__(
        self,
        *args: Any,
        plan: Plan,
        people: list[Salesperson],
        lines: list[ProductLine],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.plan = plan
        self.people = {str(person.pk): person for person in people}
        self.lines = {str(line.pk): line for line in lines}
        cast(forms.ChoiceField, self.fields["salesperson"]).choices = [
            (str(p.pk), f"{p.code} {p.name}") for p in people
        ]
        if len(people) == 1:
            self.fields["salesperson"].initial = str(people[0].pk)
            self.fields["salesperson"].widget = forms.HiddenInput()
        fiscal = FiscalYear(plan.fiscal_year, plan.start_month)
        cast(forms.ChoiceField, self.fields["months"]).choices = [
            (label, date_format(month, "YEAR_MONTH_FORMAT"))
            for label, month in zip(fiscal.month_labels(), fiscal.months, strict=True)
        ]
        cast(forms.ChoiceField, self.fields["product_lines"]).choices = [
            (str(line.pk), f"{line.code} {line.name}") for line in lines
        ]

    def clean(self) -> dict[str, Any]:
        data = cast(dict[str, Any], super().clean())
        size = data.get("size")
        # Only the field the choice names counts; what is left in the other is ignored.
        ignored = "share" if size == "amount" else "amount"
        self.errors.pop(ignored, None)
        data.pop(ignored, None)
        if size == "amount" and data.get("amount") is None and "amount" not in self.errors:
            self.add_error("amount", _("Enter the amount of target to relieve."))
        if size == "share" and data.get("share") is None and "share" not in self.errors:
            self.add_error("share", _("Enter the share of the target to relieve."))
        return data

    def person(self) -> Salesperson:
        return self.people[self.cleaned_data["salesperson"]]

    def product_line_objects(self) -> list[ProductLine]:
        return [self.lines[pk] for pk in self.cleaned_data.get("product_lines") or []]

    def size_values(self) -> tuple[Decimal | None, Decimal | None]:
        if self.cleaned_data["size"] == "amount":
            return self.cleaned_data.get("amount"), None
        return None, self.cleaned_data.get("share")


class ReliefDecisionForm(forms.Form):
    """Approve (absorbed or redistributed) or reject, with a comment."""

    decision = forms.ChoiceField(
        choices=[("approve", _("Approve")), ("reject", _("Reject"))], widget=forms.HiddenInput
    )
    distribution = forms.ChoiceField(
        label=_("On approval, the relieved target is"),
        choices=ReliefDistribution.choices,
        widget=forms.RadioSelect,
        required=False,
    )
    comment = forms.CharField(
        label=_("Comment"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Required when you reject: say why."),
    )
    override_four_eyes = forms.BooleanField(
        label=_("Decide my own request (override four-eyes)"), required=False
    )

    def clean(self) -> dict[str, Any]:
        data = cast(dict[str, Any], super().clean())
        if data.get("decision") == "reject" and not (data.get("comment") or "").strip():
            self.add_error("comment", _("Say why the relief is rejected."))
        return data


class ReliefWithdrawForm(forms.Form):
    comment = forms.CharField(required=False, max_length=2000)


class ReliefRuleForm(forms.Form):
    """The plan's default for approved relief (admins)."""

    relief_distribution = forms.ChoiceField(
        label=_("Approved relief is by default"),
        choices=ReliefDistribution.choices,
        widget=forms.RadioSelect,
    )
