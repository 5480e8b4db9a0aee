"""Risk alert rules (DESIGN §6): pure functions from figures to the conditions that hold.

A ``Condition`` names itself with a ``key`` (kind, subject, period or plan): the service
keeps one live alert per key, updates it while the condition holds and resolves it when a
recompute no longer finds it. Ratios are exact ``Fraction``; money is integer cents.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

PACE = "pace"
FORECAST = "forecast"
CONCENTRATION = "concentration"
UNACKNOWLEDGED = "unacknowledged"
DISPUTE = "dispute"
AT_RISK = "at_risk"
# The RFM segments whose customers are slipping away (customers/tiers/engine.py).
AT_RISK_SEGMENTS = ("at_risk", "cant_lose", "hibernating", "lost")
WARNING = "warning"
CRITICAL = "critical"


@dataclass(frozen=True)
class Thresholds:
    pace_warning: Fraction = Fraction(90, 100)
    pace_critical: Fraction = Fraction(75, 100)
    forecast_shortfall: Fraction = Fraction(95, 100)
    top_customer_share: Fraction = Fraction(50, 100)
    hhi: Fraction = Fraction(25, 100)
    unacknowledged_days: int = 7
    # Rise of the share of trailing revenue from at-risk/lost customers between snapshots.
    at_risk_shift: Fraction = Fraction(10, 100)
    at_risk_shift_critical: Fraction = Fraction(25, 100)


@dataclass(frozen=True)
class Condition:
    key: str
    kind: str
    level: str
    salesperson_id: int
    period: str = ""
    plan_id: int | None = None
    details: dict[str, Any] = field(default_factory=dict)


def _ratio_text(value: Fraction) -> str:
    """A ratio as a 4-place decimal string for the alert's details (JSON-safe, exact enough)."""
    return f"{float(value):.4f}"


def pace_conditions(
    *, rows: Iterable[tuple[int, Fraction | None]], period: str, thresholds: Thresholds
) -> list[Condition]:
    """Pace below the warning threshold (warning) or the critical one (critical)."""
    out = []
    for salesperson_id, pace in rows:
        if pace is None or pace >= thresholds.pace_warning:
            continue
        level = CRITICAL if pace < thresholds.pace_critical else WARNING
        threshold = thresholds.pace_critical if level == CRITICAL else thresholds.pace_warning
        out.append(
            Condition(
                key=f"{PACE}:{salesperson_id}:{period}",
                kind=PACE,
                level=level,
                salesperson_id=salesperson_id,
                period=period,
                details={"pace": _ratio_text(pace), "threshold": _ratio_text(threshold)},
            )
        )
    return out


def forecast_conditions(
    *,
    rows: Iterable[tuple[int, int | None, int | None]],
    period: str,
    thresholds: Thresholds,
) -> list[Condition]:
    """The year-end forecast below ``forecast_shortfall`` × target (rows: id, forecast, target).

    Critical when the forecast falls short of the target by more than the critical pace
    threshold would allow (forecast < critical × target).
    """
    out = []
    for salesperson_id, forecast, target in rows:
        if forecast is None or not target or target <= 0:
            continue
        share = Fraction(forecast, target)
        if share >= thresholds.forecast_shortfall:
            continue
        level = CRITICAL if share < thresholds.pace_critical else WARNING
        out.append(
            Condition(
                key=f"{FORECAST}:{salesperson_id}:{period}",
                kind=FORECAST,
                level=level,
                salesperson_id=salesperson_id,
                period=period,
                details={
                    "forecast_cents": forecast,
                    "target_cents": target,
                    "share": _ratio_text(share),
                    "threshold": _ratio_text(thresholds.forecast_shortfall),
                },
            )
        )
    return out


def concentration(amounts: Sequence[int]) -> tuple[Fraction, Fraction] | None:
    """The top customer's share and the Herfindahl-Hirschman index of positive revenues.

    HHI = Σ share² (1/n for n equal customers, 1 for a single one). Customers with a net
    return (≤ 0) are left out; None when nobody bought anything.
    """
    positive = [a for a in amounts if a > 0]
    total = sum(positive)
    if total <= 0:
        return None
    # Σ (a / total)² = Σ a² / total², exactly, in integers (no Fraction per customer)
    return Fraction(max(positive), total), Fraction(sum(a * a for a in positive), total * total)


def concentration_conditions(
    *,
    rows: Iterable[tuple[int, int, int]],
    period: str,
    thresholds: Thresholds,
) -> list[Condition]:
    """Salespeople whose last 12 months lean on few customers (rows: id, customer, cents)."""
    per_person: dict[int, list[int]] = defaultdict(list)
    for salesperson_id, _customer, cents in rows:
        per_person[salesperson_id].append(int(cents))
    out = []
    for salesperson_id in sorted(per_person):
        found = concentration(per_person[salesperson_id])
        if found is None:
            continue
        top, hhi = found
        if top <= thresholds.top_customer_share and hhi <= thresholds.hhi:
            continue
        both = top > thresholds.top_customer_share and hhi > thresholds.hhi
        out.append(
            Condition(
                key=f"{CONCENTRATION}:{salesperson_id}:{period}",
                kind=CONCENTRATION,
                level=CRITICAL if both else WARNING,
                salesperson_id=salesperson_id,
                period=period,
                details={
                    "top_share": _ratio_text(top),
                    "hhi": _ratio_text(hhi),
                    "customers": len([a for a in per_person[salesperson_id] if a > 0]),
                },
            )
        )
    return out


def unacknowledged_conditions(
    *,
    plan_id: int,
    period: str,
    days_published: int,
    pending: Iterable[int],
    thresholds: Thresholds,
) -> list[Condition]:
    """Salespeople who have not answered targets published ``days_published`` days ago."""
    if days_published < thresholds.unacknowledged_days:
        return []
    return [
        Condition(
            key=f"{UNACKNOWLEDGED}:{plan_id}:{salesperson_id}",
            kind=UNACKNOWLEDGED,
            level=WARNING,
            salesperson_id=salesperson_id,
            period=period,
            plan_id=plan_id,
            details={"days": days_published},
        )
        for salesperson_id in sorted(set(pending))
    ]


def dispute_conditions(
    *, plan_id: int, period: str, disputes: Iterable[tuple[int, str, str]]
) -> list[Condition]:
    """Open disputes of published targets (rows: salesperson id, comment, when it was said)."""
    return [
        Condition(
            key=f"{DISPUTE}:{plan_id}:{salesperson_id}",
            kind=DISPUTE,
            level=WARNING,
            salesperson_id=salesperson_id,
            period=period,
            plan_id=plan_id,
            details={"comment": comment[:500], "at": at},
        )
        for salesperson_id, comment, at in sorted(disputes)
    ]


def at_risk_conditions(
    *,
    rows: Iterable[tuple[int, int, int]],
    at_risk_now: set[int],
    at_risk_before: set[int],
    period: str,
    thresholds: Thresholds,
    details: dict[str, Any] | None = None,
) -> list[Condition]:
    """Revenue moving into at-risk/lost RFM segments (rows: id, customer, cents).

    Per salesperson, the share of their trailing revenue (customers with a net return, <= 0,
    left out as for concentration) whose customers are in an at-risk segment of the latest
    snapshot (``at_risk_now``), minus the same share by the previous snapshot
    (``at_risk_before``). A rise above ``at_risk_shift`` is a warning, above
    ``at_risk_shift_critical`` critical.
    """
    per_person: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for salesperson_id, customer_id, cents in rows:
        if cents > 0:
            per_person[salesperson_id].append((customer_id, int(cents)))
    out = []
    for salesperson_id in sorted(per_person):
        sales = per_person[salesperson_id]
        total = sum(cents for _customer, cents in sales)
        now = sum(cents for customer, cents in sales if customer in at_risk_now)
        before = sum(cents for customer, cents in sales if customer in at_risk_before)
        shift = Fraction(now - before, total)
        if shift <= thresholds.at_risk_shift:
            continue
        level = CRITICAL if shift > thresholds.at_risk_shift_critical else WARNING
        threshold = (
            thresholds.at_risk_shift_critical if level == CRITICAL else thresholds.at_risk_shift
        )
        out.append(
            Condition(
                key=f"{AT_RISK}:{salesperson_id}",
                kind=AT_RISK,
                level=level,
                salesperson_id=salesperson_id,
                period=period,
                details={
                    "share": _ratio_text(Fraction(now, total)),
                    "previous_share": _ratio_text(Fraction(before, total)),
                    "shift": _ratio_text(shift),
                    "at_risk_cents": now,
                    "revenue_cents": total,
                    "threshold": _ratio_text(threshold),
                    **(details or {}),
                },
            )
        )
    return out
