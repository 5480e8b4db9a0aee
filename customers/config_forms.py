"""Forms of the import settings pages: column mappings, territory rules and credit rules.

Forms only read and shape the input; the services in ``customers.services.config`` and
``customers.credit.services`` check it and write. The salesperson choices are the ones the
viewer may assign (``managed_salesperson_list``), so a code outside that never validates.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, cast

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from allocation.models import Salesperson
from customers.credit.models import MAX_CREDIT_PARTIES, CreditRule
from customers.forms import SalespersonChoiceField
from customers.importing.fields import FIELDS
from customers.models import ColumnMapping, TerritoryRule
from salesalloc.core.fields import BoundedDecimalFormField

# The mapping form offers every order field and the further salespeople of a split.
MAPPING_FIELDS: tuple[str, ...] = (
    *FIELDS,
    *(f"{kind}_{n}" for n in range(2, 4) for kind in ("salesperson", "share")),
)


class ColumnMappingForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    description = forms.CharField(label=_("Description"), max_length=300, required=False)
    date_order = forms.ChoiceField(
        label=_("Date order"),
        choices=ColumnMapping.DateOrder.choices,
        initial=ColumnMapping.DateOrder.AUTO,
        help_text=_("How to read dates like 03/05/2019 when the file does not make it clear."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in MAPPING_FIELDS:
            self.fields[f"column_{name}"] = forms.CharField(
                label=name, max_length=200, required=False
            )

    @classmethod
    def initial_of(cls, mapping: ColumnMapping) -> dict[str, Any]:
        initial: dict[str, Any] = {
            "name": mapping.name,
            "description": mapping.description,
            "date_order": mapping.date_order,
        }
        initial |= {f"column_{name}": header for name, header in (mapping.columns or {}).items()}
        return initial

    def column_fields(self) -> list[forms.BoundField]:
        return [self[f"column_{name}"] for name in MAPPING_FIELDS]

    def columns(self) -> dict[str, str]:
        """``{order field: header in the file}`` of the filled-in rows."""
        data = self.cleaned_data
        return {
            name: data[f"column_{name}"].strip()
            for name in MAPPING_FIELDS
            if data.get(f"column_{name}", "").strip()
        }

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not self.errors and not self.columns():
            raise forms.ValidationError(_("Map at least one order field to a header of your file."))
        return data


class TerritoryRuleForm(forms.Form):
    attribute = forms.ChoiceField(
        label=_("When the customer's"), choices=TerritoryRule.Attribute.choices
    )
    value = forms.CharField(label=_("is"), max_length=200)
    salesperson = SalespersonChoiceField(
        label=_("assign the rows to"), queryset=Salesperson.objects.none()
    )

    def __init__(self, *args: Any, salespeople: QuerySet[Salesperson], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["salesperson"]).queryset = salespeople


class CreditRuleForm(forms.Form):
    """A credit rule: the customer attribute and value, and up to ``MAX_CREDIT_PARTIES``
    rows of salesperson and share (all shares blank: equal parts)."""

    attribute = forms.ChoiceField(
        label=_("When the customer's"), choices=CreditRule.Attribute.choices
    )
    value = forms.CharField(label=_("is"), max_length=200)
    description = forms.CharField(label=_("Description"), max_length=300, required=False)

    def __init__(self, *args: Any, salespeople: QuerySet[Salesperson], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for n in range(1, MAX_CREDIT_PARTIES + 1):
            person_label = _("Salesperson %(n)s") % {"n": n}
            self.fields[f"salesperson_{n}"] = SalespersonChoiceField(
                label=person_label,
                queryset=salespeople,
                required=False,
                empty_label="—",
                widget=forms.Select(attrs={"aria-label": person_label}),
            )
            share_label = _("Share %(n)s (%%)") % {"n": n}
            self.fields[f"share_{n}"] = BoundedDecimalFormField(
                label=share_label,
                widget=forms.NumberInput(attrs={"aria-label": share_label, "step": "any"}),
                required=False,
                max_digits=7,
                decimal_places=4,
                min_value=Decimal("0.0001"),
                max_value=Decimal(100),
            )

    @classmethod
    def initial_of(cls, rule: CreditRule) -> dict[str, Any]:
        initial: dict[str, Any] = {
            "attribute": rule.attribute,
            "value": rule.value,
            "description": rule.description,
        }
        for n, share in enumerate(rule.shares.all(), start=1):
            initial[f"salesperson_{n}"] = share.salesperson_id
            initial[f"share_{n}"] = share.share
        return initial

    def party_rows(self) -> list[tuple[forms.BoundField, forms.BoundField]]:
        return [
            (self[f"salesperson_{n}"], self[f"share_{n}"]) for n in range(1, MAX_CREDIT_PARTIES + 1)
        ]

    def parties(self) -> list[tuple[Salesperson, Decimal | None]]:
        data = self.cleaned_data
        return [
            (data[f"salesperson_{n}"], data.get(f"share_{n}"))
            for n in range(1, MAX_CREDIT_PARTIES + 1)
            if data.get(f"salesperson_{n}") is not None
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for n in range(1, MAX_CREDIT_PARTIES + 1):
            if data.get(f"share_{n}") is not None and data.get(f"salesperson_{n}") is None:
                self.add_error(f"salesperson_{n}", _("Choose the salesperson for this share."))
        return data
