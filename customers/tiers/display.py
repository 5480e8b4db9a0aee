"""What the tier pages show per row: snapshot rows with their rule and segment name, rules
with their preview counts. Typed rows instead of attributes set on model instances."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from customers.tiers.labels import segment_label
from customers.tiers.models import CustomerTier, TierRule


@dataclass(frozen=True)
class TierRow:
    """A customer's snapshot row, its rule tier (None: no rule by that code) and segment."""

    snapshot: CustomerTier
    rule: TierRule | None
    segment_label: str


@dataclass
class TimelineStep:
    """Consecutive snapshots of a customer in the same tier, from the first one's date."""

    tier: str
    rule: TierRule | None
    since: dt.date
    runs: int = 0


@dataclass(frozen=True)
class RulePreview:
    """A rule tier and how many customers it takes on the latest snapshot (None: no run)."""

    rule: TierRule
    customers: int | None


def tier_rows(snapshots: Iterable[CustomerTier], rules: Mapping[str, TierRule]) -> list[TierRow]:
    return [
        TierRow(snapshot=row, rule=rules.get(row.tier), segment_label=segment_label(row.segment))
        for row in snapshots
    ]


def tier_timeline(history: Iterable[TierRow]) -> list[TimelineStep]:
    """The tier changes along a customer's history (oldest first)."""
    steps: list[TimelineStep] = []
    for row in history:
        if not steps or steps[-1].tier != row.snapshot.tier:
            steps.append(TimelineStep(row.snapshot.tier, row.rule, row.snapshot.run.as_of))
        steps[-1].runs += 1
    return steps


def rule_previews(rules: Iterable[TierRule], counts: Mapping[str, int]) -> list[RulePreview]:
    return [RulePreview(rule=rule, customers=counts.get(rule.code)) for rule in rules]
