"""Pure commission maths (DESIGN §6, §7 "Commissions"): no Django, exact ``Decimal``.

A statement is a list of lines, each ``amount = base × rate`` rounded half-up to the cent;
the total is the sum of the lines, then the cap. Amounts stay exact ``Decimal`` (order
amounts may carry 4 places); only line amounts are rounded, so every figure on a statement
can be recomputed by hand from its lines.

* **Marginal**: bracket i pays the part of the actual between ``from_i × target`` and
  ``from_{i+1} × target`` (the last bracket has no upper end). Below the first ``from``
  nothing is paid. The payout is continuous and non-decreasing in the actual.
* **Retroactive**: the whole actual at the rate of the highest bracket with ``from ≤ a``
  (a = actual / target); below the first ``from`` nothing is paid. It jumps only where the
  actual crosses a bracket boundary.
* **No positive target**: the first bracket's rate pays the whole actual.
* **Decelerator** ``(from, rate)``: the part of the actual above ``from × target`` is paid at
  the decelerator's rate instead of the bracket rate(s) (retroactive: the reached rate still
  comes from the whole attainment, but pays only up to the decelerator's level).
* **Cap**: ``total = min(Σ lines, cap)``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, localcontext
from fractions import Fraction

from allocation.engine.split import split

__all__ = [
    "Bracket",
    "CommissionError",
    "Line",
    "Statement",
    "attainment_of",
    "award_split",
    "bracket_lines",
    "line_amount",
    "statement_build",
]

CENT = Decimal("0.01")
ATTAINMENT_PLACES = Decimal("0.0001")
MARGINAL = "marginal"
RETROACTIVE = "retroactive"
_PRECISION = 60


class CommissionError(ValueError):
    """Invalid plan input (brackets, rates, cap)."""


@dataclass(frozen=True)
class Bracket:
    start: Decimal  # attainment ratio where the bracket begins ("from")
    rate: Decimal


@dataclass(frozen=True)
class Line:
    kind: str  # bracket | decelerator | spif | award | clawback
    label: str
    base: Decimal
    rate: Decimal
    amount: Decimal
    reference: str = ""  # the product line of a SPIF, the original order of a clawback
    source_ids: tuple[int, ...] = ()  # order lines behind a clawback


@dataclass(frozen=True)
class Statement:
    actual: Decimal
    target: Decimal
    attainment: Decimal | None
    lines: list[Line] = field(default_factory=list)
    subtotal: Decimal = Decimal("0.00")
    cap: Decimal | None = None
    total: Decimal = Decimal("0.00")


def line_amount(base: Decimal, rate: Decimal) -> Decimal:
    """``base × rate`` rounded half-up (away from zero) to the cent, computed exactly."""
    with localcontext() as ctx:
        ctx.prec = _PRECISION
        return (Decimal(base) * Decimal(rate)).quantize(CENT, rounding=ROUND_HALF_UP)


def _mul(a: Decimal, b: Decimal) -> Decimal:
    with localcontext() as ctx:
        ctx.prec = _PRECISION
        return a * b


def attainment_of(actual: Decimal, target: Decimal) -> Decimal | None:
    """actual / target to 4 places (1.0500 = 105 %); ``None`` without a positive target."""
    if target <= 0:
        return None
    with localcontext() as ctx:
        ctx.prec = _PRECISION
        return (actual / target).quantize(ATTAINMENT_PLACES, rounding=ROUND_HALF_UP)


def check_brackets(brackets: Sequence[Bracket]) -> list[Bracket]:
    """Brackets sorted by ``from``; raise for none, duplicates, negative values."""
    if not brackets:
        raise CommissionError("a plan needs at least one bracket")
    ordered = sorted(brackets, key=lambda b: b.start)
    for bracket in ordered:
        if bracket.start < 0:
            raise CommissionError(f"bracket 'from' {bracket.start} can't be negative")
        if bracket.rate < 0:
            raise CommissionError(f"bracket rate {bracket.rate} can't be negative")
    starts = [b.start for b in ordered]
    if len(set(starts)) != len(starts):
        raise CommissionError("two brackets start at the same 'from'")
    return ordered


def _pct(value: Decimal) -> str:
    return f"{(value * 100).normalize():f}%"


def _bracket_label(start: Decimal, end: Decimal | None) -> str:
    if end is None:
        return f"≥ {_pct(start)}"
    return f"{_pct(start)}–{_pct(end)}"


def bracket_lines(
    *,
    actual: Decimal,
    target: Decimal,
    brackets: Sequence[Bracket],
    mode: str,
    decelerator: Bracket | None = None,
) -> list[Line]:
    """The bracket (and decelerator) lines for one period's actual and target.

    Marginal bases add up to the paid part of the actual; a retroactive statement has one
    bracket line (plus a decelerator line), whose bases add up to the whole actual.
    """
    ordered = check_brackets(brackets)
    if mode not in (MARGINAL, RETROACTIVE):
        raise CommissionError(f"unknown mode {mode!r}")
    if target <= 0:
        first = ordered[0]
        return [
            Line(
                kind="bracket",
                label="no target: " + _bracket_label(first.start, None),
                base=actual,
                rate=first.rate,
                amount=line_amount(actual, first.rate),
            )
        ]
    ceiling = None if decelerator is None else _mul(decelerator.start, target)
    paid = actual if ceiling is None else min(actual, ceiling)
    lines: list[Line] = []
    if mode == MARGINAL:
        for i, bracket in enumerate(ordered):
            low = _mul(bracket.start, target)
            end = ordered[i + 1].start if i + 1 < len(ordered) else None
            high = None if end is None else _mul(end, target)
            top = paid if high is None else min(paid, high)
            part = top - low
            if part <= 0:
                continue
            lines.append(
                Line(
                    kind="bracket",
                    label=_bracket_label(bracket.start, end),
                    base=part,
                    rate=bracket.rate,
                    amount=line_amount(part, bracket.rate),
                )
            )
    else:
        reached = [(i, b) for i, b in enumerate(ordered) if _mul(b.start, target) <= actual]
        if reached and paid != 0:
            i, bracket = reached[-1]
            end = ordered[i + 1].start if i + 1 < len(ordered) else None
            lines.append(
                Line(
                    kind="bracket",
                    label=_bracket_label(bracket.start, end),
                    base=paid,
                    rate=bracket.rate,
                    amount=line_amount(paid, bracket.rate),
                )
            )
        elif not reached:
            return []
    if decelerator is not None and ceiling is not None and actual > ceiling:
        part = actual - ceiling
        lines.append(
            Line(
                kind="decelerator",
                label="decelerator " + _bracket_label(decelerator.start, None),
                base=part,
                rate=decelerator.rate,
                amount=line_amount(part, decelerator.rate),
            )
        )
    return lines


def statement_build(
    *,
    actual: Decimal,
    target: Decimal,
    brackets: Sequence[Bracket],
    mode: str,
    decelerator: Bracket | None = None,
    extra_lines: Sequence[Line] = (),
    cap: Decimal | None = None,
) -> Statement:
    """Bracket lines, then the extra lines (SPIF, award, clawback); total = Σ lines, capped."""
    lines = [
        *bracket_lines(
            actual=actual, target=target, brackets=brackets, mode=mode, decelerator=decelerator
        ),
        *extra_lines,
    ]
    subtotal = sum((line.amount for line in lines), Decimal("0.00"))
    total = subtotal if cap is None else min(subtotal, cap)
    return Statement(
        actual=actual,
        target=target,
        attainment=attainment_of(actual, target),
        lines=lines,
        subtotal=subtotal,
        cap=cap,
        total=total,
    )


def effective_rate(lines: Sequence[Line], actual: Decimal) -> Decimal:
    """Σ bracket and decelerator amounts / actual to 6 places: the rate a clawback reverses."""
    if actual <= 0:
        return Decimal("0.000000")
    paid = sum((ln.amount for ln in lines if ln.kind in ("bracket", "decelerator")), Decimal(0))
    with localcontext() as ctx:
        ctx.prec = _PRECISION
        return (paid / actual).quantize(Decimal("0.000001"), rounding=ROUND_HALF_UP)


def award_split(amount: Decimal, winners: Sequence[str]) -> dict[str, Decimal]:
    """Split an award equally among tied winners, exactly to the cent.

    The allocation engine's largest-remainder split (DESIGN §3): everyone gets the floor,
    the leftover cents go one each to the winners in key order.
    """
    if not winners:
        return {}
    cents = int((amount / CENT).to_integral_value(rounding=ROUND_HALF_UP))
    if cents < 0:
        raise CommissionError("an award can't be negative")
    keys = sorted(winners)
    amounts = split(cents, [1] * len(keys), keys)
    return {key: Decimal(c) * CENT for key, c in zip(keys, amounts, strict=True)}


def best_attainment(attainments: dict[str, Fraction | None]) -> list[str]:
    """Keys with the highest (exact) attainment; people without a positive target never win."""
    scored = {k: v for k, v in attainments.items() if v is not None}
    if not scored:
        return []
    best = max(scored.values())
    return sorted(k for k, v in scored.items() if v == best)
