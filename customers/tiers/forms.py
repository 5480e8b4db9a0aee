"""Forms of the tier pages: list filters, run start, settings, rule editing, migration."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.core import validators
from django.utils.translation import gettext_lazy as _

from customers.tiers.labels import SEGMENT_LABELS
from customers.tiers.models import TierRule, TierRun

ABC_CHOICES = [("A", "A"), ("B", "B"), ("C", "C")]
SORTS = {
    "code": "customer__code",
    "name": "customer__name",
    "recency": "recency_days",
    "frequency": "frequency",
    "monetary": "monetary",
    "r": "r",
    "f": "f",
    "m": "m",
    "segment": "segment",
    "abc": "abc",
    "tier": "tier",
}


def _choice_field(form: forms.BaseForm, name: str) -> forms.ChoiceField:
    """A choice field of ``form`` whose choices are set per request."""
    return cast(forms.ChoiceField, form.fields[name])


def _run_label(run: TierRun) -> str:
    return f"{run.as_of:%Y-%m-%d} · #{run.pk}" + (f" ({_('daily')})" if run.daily else "")


class CustomerTierFilterForm(forms.Form):
    """Filters of the Customers page; choices come from the viewer's scope."""

    run = forms.TypedChoiceField(label=_("Snapshot"), coerce=int, required=False)
    tier = forms.ChoiceField(label=_("Tier"), required=False)
    segment = forms.ChoiceField(label=_("Segment"), required=False)
    abc = forms.ChoiceField(label="ABC", required=False, choices=[("", "—"), *ABC_CHOICES])
    salesperson = forms.ChoiceField(label=_("Salesperson"), required=False)
    region = forms.ChoiceField(label=_("Region"), required=False)
    q = forms.CharField(label=_("Code or name"), required=False, max_length=100)
    r = forms.IntegerField(required=False, min_value=1, max_value=5, widget=forms.HiddenInput)
    f = forms.IntegerField(required=False, min_value=1, max_value=5, widget=forms.HiddenInput)
    sort = forms.ChoiceField(
        required=False,
        widget=forms.HiddenInput,
        choices=[(k, k) for key in SORTS for k in (key, f"-{key}")],
    )

    def __init__(
        self,
        *args: Any,
        runs: list[TierRun],
        tiers: list[tuple[str, str]],
        salespeople: list[tuple[str, str]],
        regions: list[str],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        _choice_field(self, "run").choices = [(run.pk, _run_label(run)) for run in runs]
        _choice_field(self, "tier").choices = [("", "—"), *tiers]
        _choice_field(self, "segment").choices = [("", "—"), *SEGMENT_LABELS.items()]
        _choice_field(self, "salesperson").choices = [("", "—"), *salespeople]
        _choice_field(self, "region").choices = [("", "—"), *((r, r) for r in regions)]


class TierRunStartForm(forms.Form):
    as_of = forms.DateField(label=_("As of"), widget=forms.DateInput(attrs={"type": "date"}))
    window_days = forms.IntegerField(
        label=_("Window (days)"), required=False, min_value=1, max_value=36_500
    )


class TierSettingsForm(forms.Form):
    window_days = forms.IntegerField(
        label=_("Window (days)"),
        required=False,
        min_value=1,
        max_value=36_500,
        help_text=_("Empty: every order before the snapshot date counts."),
    )
    abc_a = forms.DecimalField(label=_("A threshold"), max_digits=5, decimal_places=4)
    abc_b = forms.DecimalField(label=_("B threshold"), max_digits=5, decimal_places=4)


class ListField(forms.Field):
    """A comma-separated list of texts (regions, states), shown as one text input."""

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, list):
            return ", ".join(value)
        return value

    def to_python(self, value: Any) -> list[str]:
        text = "" if value in self.empty_values else str(value)
        validators.ProhibitNullCharactersValidator()(text)
        return [part.strip() for part in text.split(",") if part.strip()]


class TierRuleForm(forms.ModelForm):
    """A rule tier: its conditions (all optional; empty = any) and its service plan."""

    regions = ListField(label=_("Regions"), required=False, help_text=_("Comma-separated."))
    states = ListField(
        label=_("States / provinces"), required=False, help_text=_("Comma-separated.")
    )
    segments = forms.MultipleChoiceField(
        label=_("Segments"),
        required=False,
        choices=list(SEGMENT_LABELS.items()),
        widget=forms.CheckboxSelectMultiple,
    )
    abc = forms.MultipleChoiceField(
        label=_("ABC classes"),
        required=False,
        choices=ABC_CHOICES,
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = TierRule
        fields = [
            "code",
            "name",
            "monetary_min",
            "monetary_max",
            "frequency_min",
            "frequency_max",
            "recency_min",
            "recency_max",
            "regions",
            "states",
            "segments",
            "abc",
            "discount_policy",
            "visit_frequency",
            "service_owner",
        ]


class MigrationForm(forms.Form):
    from_run = forms.TypedChoiceField(label=_("From"), coerce=int)
    to_run = forms.TypedChoiceField(label=_("To"), coerce=int)
    by = forms.ChoiceField(
        label=_("By"),
        initial="abc",
        choices=[("abc", "ABC"), ("segment", _("Segment")), ("tier", _("Tier"))],
    )
    cell_from = forms.CharField(required=False, widget=forms.HiddenInput)
    cell_to = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, runs: list[TierRun], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = [(run.pk, _run_label(run)) for run in runs]
        _choice_field(self, "from_run").choices = choices
        _choice_field(self, "to_run").choices = choices
