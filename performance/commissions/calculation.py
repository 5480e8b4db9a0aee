"""Build a plan's statements in memory from targets, actuals, SPIFs, awards and returns.

Read-only: the services persist the result. Kept apart from the writes so the order of the
steps (periods in order, so a clawback can reverse the rate an earlier period paid) reads
top to bottom.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from performance.commissions import engine
from performance.commissions.models import CommissionPlan, CommissionStatement
from performance.commissions.periods import PeriodSpan, fiscal_months
from performance.commissions.selectors import (
    LateReturn,
    StoredLine,
    commission_plan_periods,
    late_return_list,
    month_actuals,
    month_targets,
    org_unit_member_ids,
    spif_bases,
)

ZERO = Decimal("0")


@dataclass
class Computed:
    """One (salesperson, period) result: a fresh engine statement or a frozen row."""

    salesperson_id: int
    span: PeriodSpan
    statement: engine.Statement | None  # None when the stored row is frozen
    frozen: CommissionStatement | None = None
    frozen_lines: tuple[StoredLine, ...] = ()

    @property
    def rate_paid(self) -> Decimal:
        """The effective bracket rate this period paid (what a clawback reverses)."""
        if self.statement is not None:
            return engine.effective_rate(self.statement.lines, self.statement.actual)
        assert self.frozen is not None  # noqa: S101 - one of the two is always set
        lines = [
            engine.Line(kind=ln.kind, label=ln.label, base=ln.base, rate=ln.rate, amount=ln.amount)
            for ln in self.frozen_lines
        ]
        return engine.effective_rate(lines, self.frozen.actual)


def plan_brackets(plan: CommissionPlan) -> list[engine.Bracket]:
    return [
        engine.Bracket(start=Decimal(str(b["from"])), rate=Decimal(str(b["rate"])))
        for b in plan.brackets
    ]


def plan_decelerator(plan: CommissionPlan) -> engine.Bracket | None:
    if plan.decelerator_from is None or plan.decelerator_rate is None:
        return None
    return engine.Bracket(start=plan.decelerator_from, rate=plan.decelerator_rate)


def _period_of(spans: list[PeriodSpan], day: dt.date) -> PeriodSpan | None:
    return next((span for span in spans if span.start <= day <= span.end), None)


class PlanCalculation:
    """Every statement of ``plan`` for ``salesperson_ids``, period by period."""

    def __init__(
        self,
        *,
        plan: CommissionPlan,
        salesperson_ids: list[int],
        stored: dict[tuple[int, str], CommissionStatement],
        stored_lines: dict[int, list[StoredLine]],
    ) -> None:
        self.plan = plan
        self.people = salesperson_ids
        self.stored = stored
        self.stored_lines = stored_lines
        self.spans = commission_plan_periods(plan=plan)
        self.brackets = plan_brackets(plan)
        self.decelerator = plan_decelerator(plan)
        first, last = self.spans[0].start, self.spans[-1].end
        self.targets = month_targets(plan=plan, salesperson_ids=salesperson_ids)
        self.actuals = month_actuals(salesperson_ids=salesperson_ids, start=first, end=last)
        self.returns = self._late_returns(first, last) if plan.clawback else []

    def _frozen(self, salesperson_id: int, span: PeriodSpan) -> CommissionStatement | None:
        row = self.stored.get((salesperson_id, span.label))
        return row if row is not None and row.is_frozen else None

    def _late_returns(self, first: dt.date, last: dt.date) -> list[LateReturn]:
        """Returns whose original order lies in an earlier period of this plan."""
        out = []
        for item in late_return_list(salesperson_ids=self.people, start=first, end=last):
            booked = _period_of(self.spans, item.day)
            original = _period_of(self.spans, item.original_day)
            if booked is not None and original is not None and original.position < booked.position:
                out.append(item)
        return out

    def _sum(
        self, totals: dict[tuple[int, dt.date], Decimal], sp: int, span: PeriodSpan
    ) -> Decimal:
        return sum((totals.get((sp, month), ZERO) for month in span.months), ZERO)

    def _landing(
        self,
    ) -> tuple[dict[tuple[int, int], list[LateReturn]], dict[tuple[int, int], Decimal]]:
        """Where each late return is clawed back: its own period, or the next open one; and
        the late returns booked per (salesperson, period), which leave its actual.

        Returns already clawed back on a frozen statement are skipped, so each return is
        reversed exactly once.
        """
        done: set[tuple[int, int]] = set()  # (salesperson, line): a split line, once each
        for row in self.stored.values():
            if row.is_frozen:
                for line in self.stored_lines.get(row.pk, ()):
                    done.update((row.salesperson_id, int(i)) for i in line.source_ids)
        landing: dict[tuple[int, int], list[LateReturn]] = defaultdict(list)
        booked: dict[tuple[int, int], Decimal] = defaultdict(lambda: ZERO)
        for item in self.returns:
            span = _period_of(self.spans, item.day)
            assert span is not None  # noqa: S101 - filtered in _late_returns
            booked[(item.salesperson_id, span.position)] += item.amount
            if (item.salesperson_id, item.line_id) in done:
                continue
            for later in self.spans[span.position :]:
                if self._frozen(item.salesperson_id, later) is None:
                    landing[(item.salesperson_id, later.position)].append(item)
                    break
        return landing, booked

    def _spif_lines(self) -> dict[tuple[int, int], list[engine.Line]]:
        """The SPIF lines per (salesperson, period position)."""
        lines: dict[tuple[int, int], list[engine.Line]] = defaultdict(list)
        for spif in self.plan.spifs.select_related("product_line").order_by("pk"):
            bases = spif_bases(spif=spif, salesperson_ids=self.people, spans=self.spans)
            unit = "units" if spif.kind == spif.Kind.PER_UNIT else ""
            label = f"SPIF {spif.product_line.code} {spif.product_line.name} {unit}".strip()
            for key, base in sorted(bases.items()):
                if base:
                    lines[key].append(
                        engine.Line(
                            kind="spif",
                            label=label,
                            base=base,
                            rate=spif.value,
                            amount=engine.line_amount(base, spif.value),
                            reference=spif.product_line.code,
                        )
                    )
        return lines

    def _award_lines(self, codes: dict[int, str]) -> dict[tuple[int, int], list[engine.Line]]:
        """The quarterly award: best exact attainment in the group; ties share to the cent."""
        out: dict[tuple[int, int], list[engine.Line]] = defaultdict(list)
        if not self.plan.award_amount or self.plan.award_group is None:
            return out
        group = org_unit_member_ids(org_unit=self.plan.award_group, among=self.people)
        months = [m for span in self.spans for m in span.months]
        target_plan = self.plan.target_plan
        year_months = fiscal_months(target_plan.fiscal_year, target_plan.start_month)
        for q in range(4):
            quarter = year_months[3 * q : 3 * q + 3]
            if not set(quarter) <= set(months):
                continue
            attainments: dict[str, Fraction | None] = {}
            for sp in group:
                target = sum((self.targets.get((sp, m), ZERO) for m in quarter), ZERO)
                actual = sum((self.actuals.get((sp, m), ZERO) for m in quarter), ZERO)
                attainments[codes[sp]] = Fraction(actual) / Fraction(target) if target > 0 else None
            winners = engine.best_attainment(attainments)
            shares = engine.award_split(self.plan.award_amount, winners)
            span = _period_of(self.spans, quarter[-1])
            if span is None:
                continue
            by_code = {codes[sp]: sp for sp in group}
            for code, share in shares.items():
                label = f"award Q{q + 1}: best attainment in {self.plan.award_group.code}"
                if len(winners) > 1:
                    label += f" (shared by {len(winners)})"
                out[(by_code[code], span.position)].append(
                    engine.Line(
                        kind="award", label=label, base=share, rate=Decimal(1), amount=share
                    )
                )
        return out

    def run(self, codes: dict[int, str]) -> list[Computed]:
        """Compute every period in order for every person (frozen rows are kept as stored)."""
        landing, booked = self._landing()
        awards = self._award_lines(codes)
        spifs = self._spif_lines()
        results: dict[tuple[int, int], Computed] = {}
        for span in self.spans:
            for sp in self.people:
                frozen = self._frozen(sp, span)
                if frozen is not None:
                    lines = tuple(self.stored_lines.get(frozen.pk, ()))
                    results[(sp, span.position)] = Computed(sp, span, None, frozen, lines)
                    continue
                # Returns of earlier periods' orders are clawed back, not netted twice.
                actual = self._sum(self.actuals, sp, span) - booked.get((sp, span.position), ZERO)
                key = (sp, span.position)
                extra = [*spifs.get(key, []), *awards.get(key, [])]
                extra += self._clawback_lines(sp, landing.get((sp, span.position), []), results)
                statement = engine.statement_build(
                    actual=actual,
                    target=self._sum(self.targets, sp, span),
                    brackets=self.brackets,
                    mode=self.plan.mode,
                    decelerator=self.decelerator,
                    extra_lines=extra,
                    cap=self.plan.cap,
                )
                results[(sp, span.position)] = Computed(sp, span, statement)
        return list(results.values())

    def _clawback_lines(
        self, sp: int, items: list[LateReturn], results: dict[tuple[int, int], Computed]
    ) -> list[engine.Line]:
        """One line per original order: the returned amount at the rate that order earned."""
        by_order: dict[str, list[LateReturn]] = defaultdict(list)
        for item in items:
            by_order[item.original_order_no].append(item)
        lines = []
        for order_no in sorted(by_order):
            group = by_order[order_no]
            original = _period_of(self.spans, group[0].original_day)
            assert original is not None  # noqa: S101 - filtered in _late_returns
            rate = results[(sp, original.position)].rate_paid
            base = sum((item.amount for item in group), ZERO)
            lines.append(
                engine.Line(
                    kind="clawback",
                    label=f"clawback: return of order {order_no} ({original.label})",
                    base=base,
                    rate=rate,
                    amount=engine.line_amount(base, rate),
                    reference=order_no,
                    source_ids=tuple(sorted(item.line_id for item in group)),
                )
            )
        return lines
