"""Forms of the plan pages: a new plan, its allocation methods, comparisons, acknowledgements.

Forms only validate shapes and turn the fields into what the services take (a method
configuration dict, amounts as ``Decimal``); the services apply the rules and raise
``ValidationError`` with dotted keys (``org.smoothing``), which ``add_service_errors`` puts
back on the matching field.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any, cast

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.dates import MONTHS
from django.utils.translation import gettext_lazy as _

from allocation.models import Acknowledgement, OrgUnit, Plan
from salesalloc.core.fields import BoundedDecimalFormField

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

ORG_METHOD_CHOICES = [
    ("equal", _("Equal shares")),
    ("manual", _("Manual percentages")),
    ("historical", _("Historical share")),
    ("growth", _("Growth on last year")),
    ("potential", _("Potential index")),
    ("capacity", _("Capacity (FTE, ramp-up)")),
    ("blend", _("Blend of two methods")),
]
PRODUCT_LINE_METHOD_CHOICES = [
    ("historical", _("Historical mix (own, else unit, else company)")),
    ("company", _("Company mix")),
    ("equal", _("Equal shares")),
    ("manual", _("Manual percentages")),
]
SEASONALITY_CHOICES = [
    ("historical", _("Historical monthly profile")),
    ("uniform", _("Uniform")),
    ("working_days", _("Working days")),
    ("custom", _("Custom curve")),
]
MAX_ORG_LEVELS = 8
_WAN = Decimal(10_000)
_YI = Decimal(100_000_000)
_AMOUNT_RE = re.compile(r"^([+-]?\d+(?:\.\d+)?)(万|亿|w|W)?$")


def parse_amount_text(text: str) -> Decimal:
    """An amount as people type it: ``1,234.5``, ``1 234.50``, ``12万``, ``1.5亿``.

    Thousands separators (``,`` ``，`` spaces) are dropped; 万 (or ``w``) is 10,000 and 亿
    100,000,000. Exact: the digits are scaled as a ``Decimal``, never a float.
    """
    cleaned = re.sub(r"[,\s，_]", "", str(text or ""))
    match = _AMOUNT_RE.match(cleaned)
    if match is None:
        raise ValidationError(_("Enter an amount such as 1,234.50 or 12万."), code="invalid")
    try:
        number = Decimal(match.group(1))
    except InvalidOperation:  # pragma: no cover - the pattern only lets digits through
        raise ValidationError(
            _("Enter an amount such as 1,234.50 or 12万."), code="invalid"
        ) from None
    unit = match.group(2)
    if unit in {"万", "w", "W"}:
        number *= _WAN
    elif unit == "亿":
        number *= _YI
    return number


class AmountField(forms.Field):
    """A non-negative amount with at most 2 decimals, typed with separators or 万/亿."""

    widget = forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off", "maxlength": 40})

    def to_python(self, value: Any) -> Decimal | None:
        text = str(value).strip() if value is not None else ""
        if not text:
            return None
        number = parse_amount_text(text)
        if number < 0:
            raise ValidationError(_("Targets can't be negative."), code="negative")
        if number >= Decimal(10) ** 12:  # before quantizing: 30 digits don't fit the context
            raise ValidationError(_("This amount is too large."), code="large")
        if number != number.quantize(Decimal("0.01")):
            raise ValidationError(_("Use at most 2 decimal places."), code="places")
        return number.quantize(Decimal("0.01"))


def _decimal_field(
    label: StrOrPromise,
    *,
    low: str,
    high: str | None,
    initial: str,
    help_text: StrOrPromise = "",
) -> forms.DecimalField:
    return BoundedDecimalFormField(
        label=label,
        required=False,
        min_value=Decimal(low),
        max_value=Decimal(high) if high is not None else None,
        decimal_places=4,
        max_digits=9,
        initial=Decimal(initial),
        help_text=help_text,
        widget=forms.NumberInput(attrs={"step": "any"}),
    )


def _month_text(value: str, field: str) -> str:
    value = (value or "").strip()
    if value and not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", value):
        raise ValidationError({field: _("Enter a month as YYYY-MM, for example 2024-03.")})
    return value


def _numbers(text: str) -> list[str]:
    return [part for part in re.split(r"[\s,;，；]+", text.strip()) if part]


class MethodConfigForm(forms.Form):
    """The allocation methods of a plan (DESIGN §3), shown as plain fields.

    The org method applies to every split level unless a level names its own; the method
    parameters (base period, smoothing, floor, growth, ramp, blend) are shared by all levels.
    """

    org_method = forms.ChoiceField(
        label=_("Org method"),
        choices=ORG_METHOD_CHOICES,
        initial="historical",
        help_text=_("How each org unit's target is split among its children."),
    )
    base_from = forms.CharField(
        label=_("Base period from"),
        required=False,
        max_length=7,
        help_text=_("YYYY-MM; default: the 12 months before the fiscal year."),
        widget=forms.TextInput(attrs={"placeholder": "YYYY-MM", "pattern": r"\d{4}-\d{2}"}),
    )
    base_to = forms.CharField(
        label=_("Base period to"),
        required=False,
        max_length=7,
        widget=forms.TextInput(attrs={"placeholder": "YYYY-MM", "pattern": r"\d{4}-\d{2}"}),
    )
    smoothing = _decimal_field(
        _("Smoothing"),
        low="0",
        high="1",
        initial="0",
        help_text=_("0 = pure history, 1 = equal shares."),
    )
    floor_share = _decimal_field(
        _("Floor share"),
        low="0",
        high="0.99",
        initial="0",
        help_text=_("Minimum share for new people or units without history (0.05 = 5 %)."),
    )
    growth = _decimal_field(
        _("Default growth"),
        low="-1",
        high=None,
        initial="0",
        help_text=_("For nodes without a rate of their own; 0.1 means 10 % more than last year."),
    )
    ramp = forms.CharField(
        label=_("New-hire ramp"),
        required=False,
        initial="0.25, 0.5, 0.75, 1",
        help_text=_("Capacity: the share of a full target in each of a new hire's first months."),
    )
    blend_alpha = _decimal_field(
        _("Blend weight of the first method"), low="0", high="1", initial="0.5"
    )
    blend_a = forms.ChoiceField(
        label=_("Blend: first method"),
        choices=[c for c in ORG_METHOD_CHOICES if c[0] != "blend"],
        initial="historical",
    )
    blend_b = forms.ChoiceField(
        label=_("Blend: second method"),
        choices=[c for c in ORG_METHOD_CHOICES if c[0] != "blend"],
        initial="equal",
    )
    product_line_method = forms.ChoiceField(
        label=_("Product-line method"),
        choices=PRODUCT_LINE_METHOD_CHOICES,
        initial="historical",
        help_text=_("How each salesperson's target is split across product lines."),
    )
    seasonality = forms.ChoiceField(
        label=_("Seasonality"),
        choices=SEASONALITY_CHOICES,
        initial="historical",
        help_text=_("How each year is split into months."),
    )
    base_years = forms.IntegerField(
        label=_("Years of history"), min_value=1, max_value=10, initial=3, required=False
    )
    country = forms.CharField(
        label=_("Calendar country"),
        max_length=2,
        initial="CN",
        help_text=_("CN uses China's official calendar with 调休 make-up days; or e.g. US, DE."),
    )
    curve = forms.CharField(
        label=_("Custom curve"),
        required=False,
        help_text=_("12 numbers, one per fiscal month, e.g. 8 8 9 …; they are normalised."),
    )

    def __init__(self, *args: Any, levels: int = 3, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.levels = max(1, min(levels, MAX_ORG_LEVELS))
        for level in range(1, self.levels + 1):
            self.fields[f"org_level_{level}"] = forms.ChoiceField(
                label=_("Level %(level)s") % {"level": level},
                choices=[("", _("Same as the org method")), *ORG_METHOD_CHOICES],
                required=False,
            )

    @property
    def level_fields(self) -> list[forms.BoundField]:
        return [self[f"org_level_{level}"] for level in range(1, self.levels + 1)]

    @staticmethod
    def initial_from_config(config: dict[str, Any]) -> dict[str, Any]:
        """Form values of a stored (cleaned) method configuration."""
        org = dict(config.get("org") or {"method": "historical"})
        initial: dict[str, Any] = {"org_method": org.get("method", "historical")}
        params = org
        if org.get("method") == "blend":
            initial["blend_alpha"] = org.get("alpha")
            initial["blend_a"] = (org.get("a") or {}).get("method")
            initial["blend_b"] = (org.get("b") or {}).get("method")
            params = {**(org.get("b") or {}), **(org.get("a") or {})}
        for key in ("base_from", "base_to", "smoothing", "floor_share", "growth"):
            if params.get(key) is not None:
                initial[key] = params[key]
        if params.get("ramp") is not None:
            initial["ramp"] = ", ".join(params["ramp"])
        for level, spec in (config.get("org_levels") or {}).items():
            initial[f"org_level_{level}"] = spec.get("method", "")
        line = config.get("product_line") or {}
        initial["product_line_method"] = line.get("method", "historical")
        season = config.get("seasonality") or {}
        initial["seasonality"] = season.get("method", "historical")
        if season.get("base_years") is not None:
            initial["base_years"] = season["base_years"]
        if season.get("curve"):
            initial["curve"] = " ".join(season["curve"])
        initial["country"] = config.get("country", "CN")
        return initial

    def clean(self) -> dict[str, Any]:
        data = cast(dict[str, Any], super().clean())
        errors: dict[str, str] = {}
        for field in ("base_from", "base_to"):
            try:
                data[field] = _month_text(data.get(field) or "", field)
            except ValidationError as error:
                errors.update({k: v[0] for k, v in error.message_dict.items()})
        if data.get("org_method") == "blend" and data.get("blend_a") == data.get("blend_b"):
            errors["blend_b"] = str(_("Blend two different methods."))
        if data.get("seasonality") == "custom" and len(_numbers(data.get("curve") or "")) != 12:
            errors["curve"] = str(_("Give exactly 12 monthly numbers."))
        for field, message in errors.items():
            self.add_error(field, message)
        return data

    def _spec(self, method: str) -> dict[str, Any]:
        data = self.cleaned_data
        spec: dict[str, Any] = {"method": method}
        for key in ("base_from", "base_to"):
            if data.get(key):
                spec[key] = data[key]
        for key in ("smoothing", "floor_share", "growth"):
            if data.get(key) is not None:
                spec[key] = str(data[key])
        if data.get("ramp"):
            spec["ramp"] = _numbers(data["ramp"])
        if method == "blend":
            spec["alpha"] = str(
                data["blend_alpha"] if data.get("blend_alpha") is not None else "0.5"
            )
            spec["a"] = self._spec(data.get("blend_a") or "historical")
            spec["b"] = self._spec(data.get("blend_b") or "equal")
        return spec

    def method_config(self) -> dict[str, Any]:
        """The configuration in the shape ``PUT /plans/{id}/methods/`` and the services take."""
        data = self.cleaned_data
        config: dict[str, Any] = {"org": self._spec(data["org_method"]), "org_levels": {}}
        for level in range(1, self.levels + 1):
            method = data.get(f"org_level_{level}")
            if method:
                config["org_levels"][str(level)] = self._spec(method)
        line: dict[str, Any] = {"method": data["product_line_method"]}
        for key in ("base_from", "base_to"):
            if data.get(key):
                line[key] = data[key]
        config["product_line"] = line
        season: dict[str, Any] = {"method": data["seasonality"]}
        if data["seasonality"] == "historical":
            season["base_years"] = data.get("base_years") or 3
        if data["seasonality"] == "custom":
            season["curve"] = _numbers(data.get("curve") or "")
        config["seasonality"] = season
        config["country"] = (data.get("country") or "CN").strip().upper()
        return config

    def add_service_errors(self, error: ValidationError) -> None:
        """Put a service's ``ValidationError`` (dotted keys) on the matching fields."""
        aliases = {
            "method": "org_method",
            "alpha": "blend_alpha",
            "base_years": "base_years",
            "curve": "curve",
            "country": "country",
        }
        if not hasattr(error, "error_dict"):
            self.add_error(None, error)
            return
        for key, messages in error.message_dict.items():
            parts = key.split(".")
            name = parts[-1]
            if parts[0] == "seasonality" and name == "method":
                name = "seasonality"
            elif parts[0] == "product_line" and name == "method":
                name = "product_line_method"
            elif parts[0] == "org_levels" and len(parts) >= 2 and parts[-1] == "method":
                name = f"org_level_{parts[1]}"
            else:
                name = aliases.get(name, name)
            field = name if name in self.fields else None
            for message in messages:
                self.add_error(field, message if field else f"{key}: {message}")


def _month_choices() -> list[tuple[int, Any]]:
    return [(number, name) for number, name in MONTHS.items()]


class OrgUnitTreeField(forms.ModelChoiceField):
    """Org units as an indented tree (the queryset comes in tree order)."""

    def label_from_instance(self, obj: Any) -> str:
        return "\u2003" * obj.depth + f"{obj.code} · {obj.name}"


class PlanCreateForm(MethodConfigForm):
    """A new draft plan: its settings, then the methods of ``MethodConfigForm``."""

    field_order = [
        "name",
        "fiscal_year",
        "start_month",
        "currency",
        "total_amount",
        "mode",
        "root_org_unit",
    ]

    name = forms.CharField(label=_("Name"), max_length=200)
    fiscal_year = forms.IntegerField(
        label=_("Fiscal year"),
        min_value=1900,
        max_value=2999,
        help_text=_("The calendar year in which the fiscal year starts."),
    )
    start_month = forms.TypedChoiceField(
        label=_("Start month"), coerce=int, choices=_month_choices, initial=1
    )
    currency = forms.CharField(
        label=_("Currency"),
        max_length=3,
        help_text=_("The company's currency unless you choose another."),
    )
    total_amount = AmountField(
        label=_("Total target"), help_text=_("For example 12,000,000 or 1200万.")
    )
    mode = forms.ChoiceField(label=_("Mode"), choices=Plan.Mode.choices, initial="top_down")
    root_org_unit = OrgUnitTreeField(
        label=_("Org unit"),
        queryset=OrgUnit.objects.none(),
        required=False,
        empty_label=_("The whole company"),
        help_text=_("The part of the company the plan covers."),
    )

    def __init__(
        self, *args: Any, org_units: Any = None, currency: str = "CNY", **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        if org_units is not None:
            cast(forms.ModelChoiceField, self.fields["root_org_unit"]).queryset = org_units
        self.fields["fiscal_year"].initial = timezone.localdate().year + 1
        self.fields["currency"].initial = currency

    def plan_values(self) -> dict[str, Any]:
        """Keyword arguments of ``plan_create``."""
        data = self.cleaned_data
        values = {
            "name": data["name"],
            "fiscal_year": data["fiscal_year"],
            "start_month": data["start_month"],
            "currency": data["currency"],
            "total_amount": data["total_amount"],
            "mode": data["mode"],
            "method_config": self.method_config(),
        }
        if data.get("root_org_unit") is not None:
            values["root_org_unit"] = data["root_org_unit"]
        return values


GROUP_BY_CHOICES = [
    ("org_unit", _("Org unit")),
    ("salesperson", _("Salesperson")),
    ("product_line", _("Product line")),
    ("month", _("Month")),
    ("quarter", _("Quarter")),
]


class PlanCompareForm(forms.Form):
    """Plans to compare side by side (the first is the base) and how to group them."""

    plans = forms.MultipleChoiceField(
        label=_("Plans and scenarios"), widget=forms.CheckboxSelectMultiple
    )
    group_by = forms.ChoiceField(
        label=_("Group by"), choices=GROUP_BY_CHOICES, initial="org_unit", required=False
    )
    level = forms.IntegerField(
        label=_("Org or product-line level"),
        min_value=1,
        max_value=20,
        required=False,
        help_text=_("1 = the units (or lines) right below the top; empty = the level below yours."),
    )
    baseline = forms.ChoiceField(
        label=_("Baseline"),
        required=False,
        help_text=_("The plan the others are compared with."),
    )

    def __init__(self, *args: Any, plans: list[Plan], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["plans"]).choices = [
            (str(p.pk), str(p.pk)) for p in plans
        ]
        cast(forms.ChoiceField, self.fields["baseline"]).choices = [
            ("", _("The first one picked")),
            *((str(p.pk), f"{p.name} v{p.version} · {p.fiscal_year}") for p in plans),
        ]
        self.plan_options = plans

    def clean_group_by(self) -> str:
        return self.cleaned_data.get("group_by") or "org_unit"

    def clean_plans(self) -> list[int]:
        ids = [int(value) for value in self.cleaned_data["plans"]]
        if not 2 <= len(ids) <= 10:
            raise ValidationError(_("Pick between 2 and 10 plans."))
        return ids

    def clean(self) -> dict[str, Any]:
        """The baseline goes first (the others are shown against it); it must be picked."""
        data = super().clean() or {}
        ids = data.get("plans")
        baseline = data.get("baseline")
        if ids and baseline:
            if int(baseline) not in ids:
                self.add_error("baseline", _("Pick the baseline among the plans you compare, too."))
            else:
                data["plans"] = [int(baseline)] + [pk for pk in ids if pk != int(baseline)]
        return data


class MeasureAddForm(forms.Form):
    """A measure plan for a revenue plan: which measure and its total."""

    measure = forms.ChoiceField(
        label=_("Measure"),
        choices=[c for c in Plan.Measure.choices if c[0] != Plan.Measure.REVENUE],
    )
    total_amount = AmountField(
        label=_("Total"), help_text=_("Units for quantity, money for the other measures.")
    )

    def clean_total_amount(self) -> Decimal:
        value = self.cleaned_data.get("total_amount")
        if value is None:
            raise ValidationError(_("Enter the measure's total."))
        return value


class AcknowledgeForm(forms.Form):
    """A salesperson's answer to their published targets."""

    status = forms.ChoiceField(choices=Acknowledgement.Status.choices)
    comment = forms.CharField(
        label=_("Comment"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Required when you dispute: say what you think is wrong."),
    )

    def clean(self) -> dict[str, Any]:
        data = cast(dict[str, Any], super().clean())
        if (
            data.get("status") == Acknowledgement.Status.DISPUTED
            and not (data.get("comment") or "").strip()
        ):
            self.add_error("comment", _("Say what you dispute."))
        return data


INPUT_FIELDS: dict[str, tuple[str, ...]] = {
    "org_unit": ("manual_percent", "growth_rate", "potential_index"),
    "salesperson": ("manual_percent", "growth_rate", "potential_index", "fte_override"),
    "product_line": ("manual_percent",),
}
INPUT_LABELS = {
    "manual_percent": _("Manual %"),
    "growth_rate": _("Growth rate"),
    "potential_index": _("Potential index"),
    "fte_override": _("FTE"),
}
INPUT_LIMITS: dict[str, tuple[Decimal | None, Decimal | None, int, int]] = {
    "manual_percent": (Decimal(0), Decimal(100), 9, 4),
    "growth_rate": (Decimal(-1), None, 9, 4),
    "potential_index": (Decimal(0), None, 18, 4),
    "fte_override": (Decimal(0), Decimal(10), 4, 2),
}


class MethodInputsForm(forms.Form):
    """Per-node inputs of the weight methods: manual %, growth rate, potential index, FTE.

    ``nodes`` are ``(kind, object, depth)`` with kind ``org_unit``, ``salesperson`` or
    ``product_line``; each gets one optional number field per input it can take.
    """

    def __init__(self, *args: Any, nodes: list[tuple[str, Any, int]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.nodes = nodes
        for kind, obj, _depth in nodes:
            for attr in INPUT_FIELDS[kind]:
                low, high, digits, places = INPUT_LIMITS[attr]
                self.fields[f"{kind}-{obj.pk}-{attr}"] = BoundedDecimalFormField(
                    label=f"{INPUT_LABELS[attr]} · {obj.code}",
                    required=False,
                    min_value=low,
                    max_value=high,
                    max_digits=digits,
                    decimal_places=places,
                    widget=forms.NumberInput(attrs={"step": "any", "class": "input-narrow"}),
                )

    def rows(self) -> list[dict[str, Any]]:
        """One row per node: the node and its bound fields by input name (None if n/a)."""
        out = []
        for kind, obj, depth in self.nodes:
            fields = {
                attr: (self[f"{kind}-{obj.pk}-{attr}"] if attr in INPUT_FIELDS[kind] else None)
                for attr in INPUT_LABELS
            }
            out.append({"kind": kind, "node": obj, "depth": depth, "fields": fields})
        return out

    def inputs(self) -> list[dict[str, Any]]:
        """The filled-in nodes as keyword arguments of ``MethodInputData``."""
        out = []
        for kind, obj, _depth in self.nodes:
            values = {
                attr: self.cleaned_data.get(f"{kind}-{obj.pk}-{attr}")
                for attr in INPUT_FIELDS[kind]
            }
            if any(value is not None for value in values.values()):
                out.append({kind: obj, **values})
        return out
