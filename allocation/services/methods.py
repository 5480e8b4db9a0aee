"""The plan's method configuration: validation and defaults (DESIGN §3 weight methods).

Stored on ``Plan.method_config`` in this cleaned shape::

    {
      "org": {"method": "historical", "base_from": "2018-01", "base_to": "2018-12",
              "smoothing": "0", "floor_share": "0"},
      "org_levels": {"2": {"method": "capacity"}},        # optional, per split level
      "product_line": {"method": "historical", "base_from": ..., "base_to": ...},
      "seasonality": {"method": "historical", "base_years": 3},
      "country": "CN"
    }

Org methods: ``equal``; ``manual`` (per-node percentages, ``MethodInput.manual_percent``);
``historical`` (share of ``base_from``..``base_to`` actuals, ``smoothing`` toward equal,
``floor_share`` for new entities); ``growth`` (last fiscal year x (1 + g), g from
``MethodInput.growth_rate`` or the spec's ``growth``); ``potential``
(``MethodInput.potential_index``); ``capacity`` (FTE x employed share x ``ramp``); ``blend``
(``alpha`` x ``a`` + (1 − ``alpha``) x ``b``). Level 1 is the split of the plan's root among
its children, level 2 the next one, and so on. Product-line methods: ``historical`` (the
salesperson's own mix, else their unit's, else the company's), ``company``, ``equal``,
``manual``. Seasonality: ``historical`` (average of ``base_years`` fiscal years, per product
line, from company actuals; uniform without history), ``uniform``, ``working_days``
(``country``'s calendar; China with 调休 by default), ``custom`` (``curve`` of 12 numbers).
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from allocation.engine.calendars import uses_fallback
from allocation.engine.fiscal import FiscalYear, month_add
from allocation.engine.seasonality import SEASONALITY_METHODS
from allocation.engine.weights import ORG_METHODS, PRODUCT_LINE_METHODS
from salesalloc.core.fields import DecimalInputError, parse_decimal

_MONTH_RE = re.compile(r"(\d{4})-(\d{2})")
MAX_BASE_YEARS = 10
MAX_LEVEL = 20
# Method parameters (shares, rates, curve factors): bounded like any number typed in.
PARAMETER_DIGITS = 24
PARAMETER_PLACES = 10


def _decimal(value: Any, where: str, *, low: Decimal, high: Decimal | None) -> str:
    try:
        parse_decimal(value, max_digits=PARAMETER_DIGITS, decimal_places=PARAMETER_PLACES)
    except DecimalInputError as error:
        raise ValidationError({where: error.message}) from None
    number = Decimal(str(value).strip())
    if not number.is_finite() or number < low or (high is not None and number > high):
        if high is None:
            message = _("Must be at least %(low)s.") % {"low": low}
        else:
            message = _("Must be between %(low)s and %(high)s.") % {"low": low, "high": high}
        raise ValidationError({where: message})
    return str(number)


def _month(value: Any, where: str) -> str:
    match = _MONTH_RE.fullmatch(str(value or "").strip())
    if match is None or not 1 <= int(match.group(2)) <= 12:
        raise ValidationError({where: _("Enter a month as YYYY-MM, for example 2024-03.")})
    return f"{int(match.group(1)):04d}-{int(match.group(2)):02d}"


def _base_period(spec: dict, cleaned: dict, where: str, fiscal: FiscalYear) -> None:
    """``base_from``/``base_to`` (YYYY-MM); default: the 12 months before the fiscal year."""
    default_from = month_add(fiscal.first_month, -12)
    default_to = month_add(fiscal.first_month, -1)
    cleaned["base_from"] = _month(
        spec.get("base_from") or f"{default_from:%Y-%m}", f"{where}.base_from"
    )
    cleaned["base_to"] = _month(spec.get("base_to") or f"{default_to:%Y-%m}", f"{where}.base_to")
    if cleaned["base_from"] > cleaned["base_to"]:
        raise ValidationError({f"{where}.base_to": _("The base period ends before it starts.")})


def _org_spec(spec: Any, where: str, fiscal: FiscalYear, *, nested: bool = False) -> dict:
    if not isinstance(spec, dict):
        raise ValidationError({where: _("Expected an object with a “method”.")})
    method = spec.get("method")
    allowed = [m for m in ORG_METHODS if not (nested and m == "blend")]
    if method not in allowed:
        raise ValidationError(
            {f"{where}.method": _("Choose one of: %(choices)s.") % {"choices": ", ".join(allowed)}}
        )
    cleaned: dict[str, Any] = {"method": method}
    if method in {"historical", "growth"}:
        _base_period(spec, cleaned, where, fiscal)
    if method == "historical":
        cleaned["smoothing"] = _decimal(
            spec.get("smoothing", 0), f"{where}.smoothing", low=Decimal(0), high=Decimal(1)
        )
        cleaned["floor_share"] = _decimal(
            spec.get("floor_share", 0), f"{where}.floor_share", low=Decimal(0), high=Decimal("0.99")
        )
    if method == "growth":
        cleaned["growth"] = _decimal(
            spec.get("growth", 0), f"{where}.growth", low=Decimal(-1), high=None
        )
    if method == "capacity":
        ramp = spec.get("ramp", ["0.25", "0.5", "0.75", "1"])
        if not isinstance(ramp, list) or not 0 <= len(ramp) <= 24:
            raise ValidationError({f"{where}.ramp": _("Give up to 24 monthly factors.")})
        cleaned["ramp"] = [
            _decimal(v, f"{where}.ramp", low=Decimal(0), high=Decimal(1)) for v in ramp
        ]
    if method == "blend":
        cleaned["alpha"] = _decimal(
            spec.get("alpha", "0.5"), f"{where}.alpha", low=Decimal(0), high=Decimal(1)
        )
        cleaned["a"] = _org_spec(spec.get("a"), f"{where}.a", fiscal, nested=True)
        cleaned["b"] = _org_spec(spec.get("b"), f"{where}.b", fiscal, nested=True)
        if cleaned["a"]["method"] == cleaned["b"]["method"]:
            raise ValidationError({f"{where}.b": _("Blend two different methods.")})
    return cleaned


def _seasonality_spec(raw: Any) -> dict[str, Any]:
    """The cleaned ``seasonality`` part of a method configuration."""
    season = raw or {"method": "historical"}
    if not isinstance(season, dict) or season.get("method") not in SEASONALITY_METHODS:
        raise ValidationError(
            {
                "seasonality.method": _("Choose one of: %(choices)s.")
                % {"choices": ", ".join(SEASONALITY_METHODS)}
            }
        )
    cleaned: dict[str, Any] = {"method": season["method"]}
    if season["method"] == "historical":
        years = season.get("base_years", 3)
        if (
            isinstance(years, bool)
            or not isinstance(years, int)
            or not 1 <= years <= MAX_BASE_YEARS
        ):
            raise ValidationError(
                {
                    "seasonality.base_years": _("Between 1 and %(max)s years.")
                    % {"max": MAX_BASE_YEARS}
                }
            )
        cleaned["base_years"] = years
    if season["method"] == "custom":
        curve = season.get("curve")
        if not isinstance(curve, list) or len(curve) != 12:
            raise ValidationError({"seasonality.curve": _("Give exactly 12 monthly numbers.")})
        values = [_decimal(v, "seasonality.curve", low=Decimal(0), high=None) for v in curve]
        if all(Decimal(v) == 0 for v in values):
            raise ValidationError({"seasonality.curve": _("The curve can't be all zero.")})
        cleaned["curve"] = values
    return cleaned


def method_config_clean(config: Any, *, fiscal: FiscalYear) -> dict:
    """Validate a method configuration and fill in the defaults; ``ValidationError`` names
    the offending key (``org.smoothing``, ``seasonality.curve``, ...)."""
    if config is None:
        config = {}
    if not isinstance(config, dict):
        raise ValidationError({"method_config": _("Expected an object.")})
    unknown = set(config) - {"org", "org_levels", "product_line", "seasonality", "country"}
    if unknown:
        raise ValidationError(
            {"method_config": _("Unknown keys: %(keys)s.") % {"keys": ", ".join(sorted(unknown))}}
        )
    cleaned: dict[str, Any] = {}
    cleaned["org"] = _org_spec(config.get("org") or {"method": "historical"}, "org", fiscal)
    levels = config.get("org_levels") or {}
    if not isinstance(levels, dict):
        raise ValidationError({"org_levels": _("Expected an object of level → method.")})
    cleaned["org_levels"] = {}
    for level, spec in sorted(levels.items(), key=lambda item: str(item[0])):
        if not str(level).isdigit() or not 1 <= int(level) <= MAX_LEVEL:
            raise ValidationError(
                {"org_levels": _("Levels are numbers from 1 (the split of the plan's root) up.")}
            )
        cleaned["org_levels"][str(int(level))] = _org_spec(spec, f"org_levels.{level}", fiscal)

    line_spec = config.get("product_line") or {"method": "historical"}
    if not isinstance(line_spec, dict) or line_spec.get("method") not in PRODUCT_LINE_METHODS:
        raise ValidationError(
            {
                "product_line.method": _("Choose one of: %(choices)s.")
                % {"choices": ", ".join(PRODUCT_LINE_METHODS)}
            }
        )
    cleaned["product_line"] = {"method": line_spec["method"]}
    if line_spec["method"] in {"historical", "company"}:
        _base_period(line_spec, cleaned["product_line"], "product_line", fiscal)

    cleaned["seasonality"] = _seasonality_spec(config.get("seasonality"))

    country = str(config.get("country") or "CN").strip().upper()
    try:
        uses_fallback(fiscal.first_month, fiscal.first_month, country=country)
    except ValueError:
        raise ValidationError(
            {
                "country": _("Unknown country code “%(code)s”; use an ISO code such as CN or US.")
                % {"code": country}
            }
        ) from None
    cleaned["country"] = country
    return cleaned


def org_method_for_level(config: dict, level: int) -> dict:
    """The org method of one split level (1 = the root's split)."""
    return config.get("org_levels", {}).get(str(level)) or config["org"]
