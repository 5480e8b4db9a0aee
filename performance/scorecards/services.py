"""Writes for scorecards: KPIs, templates, evaluation, and imported metric values."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from allocation.models import Plan, Salesperson
from customers.importing.reading import FileFormatError, source_open
from performance.periods import Period, periods_of_year
from performance.scorecards import engine
from performance.scorecards.models import Kpi, KpiValue, Scorecard, ScorecardItem, ScorecardTemplate
from performance.scorecards.selectors import (
    KpiData,
    peer_groups,
    scorecard_pairs_affected,
    template_people,
)
from salesalloc.core.money import money_str
from salesalloc.core.users import acting_user

DEFAULT_KPIS = [
    # Stored names; the page shows each KPI's code and its translated kind.
    ("revenue", "Revenue", Kpi.Kind.REVENUE),
    ("attainment", "Attainment %", Kpi.Kind.ATTAINMENT),
    ("gross_margin", "Gross margin", Kpi.Kind.GROSS_MARGIN),
    ("new_customers", "New customers", Kpi.Kind.NEW_CUSTOMERS),
    ("retention", "Retention", Kpi.Kind.RETENTION),
    ("aov", "Average order value", Kpi.Kind.AOV),
]


def kpi_library_ensure() -> list[Kpi]:
    """Create the built-in KPIs that are missing (idempotent)."""
    out = []
    for code, name, kind in DEFAULT_KPIS:
        kpi, _created = Kpi.objects.get_or_create(
            code=code, defaults={"name": str(name), "kind": kind}
        )
        out.append(kpi)
    return out


def kpi_create(*, code: str, name: str, kind: str = Kpi.Kind.IMPORTED) -> Kpi:
    kpi = Kpi(code=code.strip(), name=name.strip(), kind=kind)
    kpi.full_clean()
    kpi.save()
    return kpi


def _bands(raw: Sequence[dict[str, Any]]) -> list[engine.Band]:
    try:
        return [engine.Band(Decimal(str(b["from"])), Decimal(str(b["points"]))) for b in raw]
    except (KeyError, InvalidOperation, TypeError) as exc:
        raise ValidationError({"items": _("Each band needs a 'from' and 'points'.")}) from exc


@transaction.atomic
def scorecard_template_create(
    *,
    name: str,
    year: int,
    period: str,
    items: Sequence[dict[str, Any]],
    peer_group: str = ScorecardTemplate.PeerGroup.COMPANY,
    target_plan: Plan | None = None,
    actor: AbstractBaseUser | AnonymousUser | None = None,
) -> ScorecardTemplate:
    """Create a template; weights must sum to exactly 100 %. Evaluates it at once.

    ``items``: ``{"kpi": Kpi, "weight": Decimal, "rule": "linear"|"bands", "target"?,
    "cap"?, "bands"?: [{"from", "points"}]}``.
    """
    try:
        engine.check_weights([Decimal(item["weight"]) for item in items])
    except engine.ScoringError as exc:
        raise ValidationError({"items": str(exc)}) from exc
    template = ScorecardTemplate(
        name=name.strip(),
        year=year,
        period=period,
        peer_group=peer_group,
        target_plan=target_plan,
        created_by=acting_user(actor),
    )
    template.full_clean()
    template.save()
    for position, item in enumerate(items):
        if item.get("rule") == ScorecardItem.Rule.BANDS and not item.get("bands"):
            raise ValidationError({"items": _("Threshold bands need at least one band.")})
        _bands(item.get("bands") or [])
        row = ScorecardItem(
            template=template,
            kpi=item["kpi"],
            position=position,
            weight=Decimal(item["weight"]),
            rule=item.get("rule", ScorecardItem.Rule.LINEAR),
            target=item.get("target"),
            cap=item.get("cap"),
            bands=[
                {"from": str(b["from"]), "points": str(b["points"])}
                for b in item.get("bands") or []
            ],
        )
        row.full_clean()
        row.save()
    scorecards_evaluate(template=template, actor=actor)
    return template


def _target(item: ScorecardItem, data: KpiData, sp: int, period: Any) -> Decimal | None:
    """The item's own target per period, else the plan's revenue target (or 100 %)."""
    if item.target is not None:
        return item.target
    if item.kpi.kind == Kpi.Kind.REVENUE:
        return data.plan_target(sp, period)
    if item.kpi.kind == Kpi.Kind.ATTAINMENT:
        return Decimal(1)
    return None


def _fmt(value: Decimal | None) -> str | None:
    return money_str(value)


@transaction.atomic
def scorecards_evaluate(
    *,
    template: ScorecardTemplate,
    months: Collection[dt.date] | None = None,
    pairs: Mapping[str, Collection[int]] | None = None,
    actor: AbstractBaseUser | AnonymousUser | None = None,
) -> int:
    """Score, rank and percentile everyone for each period (touching ``months``); returns the
    number of scorecards of the periods evaluated.

    ``pairs`` (period label -> salesperson ids, from ``scorecard_pairs_affected``) evaluates
    only those periods, and in each only the people whose figures can have changed (plus
    anyone not scored yet): the others keep their stored score and KPIs, and the whole period
    is re-ranked, since one person's score moves everyone's rank. Idempotent: the template
    row is locked and each evaluated period's scorecards are brought to the result, writing
    only the rows that differ.
    """
    template = ScorecardTemplate.objects.select_for_update().get(pk=template.pk)
    items = list(template.items.select_related("kpi").order_by("position"))
    people = template_people(template=template)
    periods = periods_of_year(template.year, template.period)
    if months is not None:
        wanted = {m.replace(day=1) for m in months}
        periods = [p for p in periods if wanted & set(p.months)]
    if pairs is not None:
        periods = [p for p in periods if pairs.get(p.label)]
    if not items or not people or not periods:
        return 0
    kinds = {i.kpi.kind for i in items}
    groups = peer_groups(template=template, people=people)
    codes = dict(Salesperson.objects.filter(pk__in=people).values_list("pk", "code"))
    now = timezone.now()
    scoring = _Scoring(template=template, items=items, groups=groups, codes=codes, now=now)
    rows: list[Scorecard] = []
    if pairs is None:
        everyone = KpiData(template=template, kinds=kinds, people=people, periods=periods)
        for period in periods:
            rows += scoring.period_rows(period, everyone, people, kept={})
    else:
        for period in periods:
            kept = _kept_scores(template, period, people, set(pairs[period.label]))
            scored = [sp for sp in people if sp not in kept]
            data = (
                KpiData(template=template, kinds=kinds, people=scored, periods=[period])
                if scored
                else None
            )
            rows += scoring.period_rows(period, data, scored, kept=kept)
    _scorecards_write(template, [p.label for p in periods], rows, now)
    return len(rows)


def _kept_scores(
    template: ScorecardTemplate, period: Period, people: list[int], changed: set[int]
) -> dict[int, tuple[Decimal, list[dict[str, Any]]]]:
    """The stored score and KPIs of the period's people whose figures did not change."""
    members = set(people)
    return {
        sp: (score, kpis)
        for sp, score, kpis in Scorecard.objects.filter(template=template, period=period.label)
        .exclude(salesperson_id__in=changed)
        .values_list("salesperson_id", "score", "kpis")
        if sp in members
    }


@dataclass
class _Scoring:
    """Scores one period's people from their KPI figures, ranks them with the kept ones."""

    template: ScorecardTemplate
    items: list[ScorecardItem]
    groups: dict[int, str]
    codes: dict[int, str]
    now: dt.datetime
    position: dict[str, int] = field(init=False)

    def __post_init__(self) -> None:
        labels = periods_of_year(self.template.year, self.template.period)
        self.position = {p.label: i for i, p in enumerate(labels)}

    def person(self, data: KpiData, sp: int, period: Period) -> tuple[Decimal, list[dict]]:
        kpis, weighted = [], []
        for item in self.items:
            actual = data.actual(item.kpi, sp, period)
            target = _target(item, data, sp, period)
            points = engine.kpi_points(
                actual=actual, target=target, rule=item.rule, cap=item.cap, bands=_bands(item.bands)
            )
            weighted.append((item.weight, points))
            kpis.append(
                {
                    "kpi": item.kpi.code,
                    "actual": _fmt(actual),
                    "target": _fmt(target),
                    "weight": _fmt(item.weight),
                    "score": f"{points:.2f}",
                }
            )
        return engine.weighted_score(weighted), kpis

    def period_rows(
        self,
        period: Period,
        data: KpiData | None,
        scored: list[int],
        *,
        kept: dict[int, tuple[Decimal, list[dict[str, Any]]]],
    ) -> list[Scorecard]:
        fresh = {} if data is None else {sp: self.person(data, sp, period) for sp in scored}
        results = {**kept, **fresh}
        by_code = {self.codes[sp]: sp for sp in results}
        ranked = engine.rank_within_groups(
            {self.codes[sp]: score for sp, (score, _kpis) in results.items()},
            {self.codes[sp]: self.groups[sp] for sp in results},
        )
        return [
            Scorecard(
                template=self.template,
                salesperson_id=by_code[str(code)],
                period=period.label,
                position=self.position[period.label],
                peer_group=group,
                score=score,
                rank=int(rank),
                percentile=percentile,
                kpis=results[by_code[str(code)]][1],
                computed_at=self.now,
            )
            for code, group, score, rank, percentile in zip(
                ranked.index,
                ranked["group"],
                ranked["score"],
                ranked["rank"],
                ranked["percentile"],
                strict=True,
            )
        ]


SCORECARD_FIELDS = ("position", "peer_group", "score", "rank", "percentile", "kpis")


def _scorecards_write(
    template: ScorecardTemplate, labels: list[str], rows: list[Scorecard], now: dt.datetime
) -> None:
    """Make the stored scorecards of these periods equal ``rows``, writing only what
    changed: a scorecard that comes out the same only gets its ``computed_at`` (one UPDATE
    for all of them); changed, new and no longer scored ones are replaced."""
    existing = {
        (sp, period): (pk, values)
        for pk, sp, period, *values in Scorecard.objects.filter(
            template=template, period__in=labels
        ).values_list("pk", "salesperson_id", "period", *SCORECARD_FIELDS)
    }
    same: list[int] = []
    stale: list[int] = []
    fresh: list[Scorecard] = []
    for row in rows:
        pk, values = existing.pop((row.salesperson_id, row.period), (None, None))
        if pk is not None and values == [getattr(row, name) for name in SCORECARD_FIELDS]:
            same.append(pk)
            continue
        if pk is not None:
            stale.append(pk)
        fresh.append(row)
    stale += [pk for pk, _values in existing.values()]
    for start in range(0, max(len(same), len(stale)), 5000):
        Scorecard.objects.filter(pk__in=stale[start : start + 5000]).delete()
        Scorecard.objects.filter(pk__in=same[start : start + 5000]).update(computed_at=now)
    Scorecard.objects.bulk_create(fresh, batch_size=1000)


def scorecards_recompute_for_cells(
    *,
    cells: Collection[tuple[int, dt.date]],
    first_order_moves: Collection[tuple[int, dt.date, dt.date | None]] = (),
    actor: AbstractBaseUser | AnonymousUser | None = None,
) -> int:
    """Re-evaluate what an import touched: per template, only the people and periods whose
    figures it can have changed (``scorecard_pairs_affected``)."""
    months = {month.replace(day=1) for _sp, month in cells}
    years = {m.year for m in months} | {m.year + 1 for m in months if m.month == 12}
    written = 0
    for template in ScorecardTemplate.objects.filter(year__in=years).order_by("pk"):
        pairs = scorecard_pairs_affected(
            template=template, cells=cells, first_order_moves=first_order_moves
        )
        if pairs:
            written += scorecards_evaluate(template=template, pairs=pairs, actor=actor)
    return written


def scorecards_recompute_all(*, actor: AbstractBaseUser | AnonymousUser | None = None) -> int:
    written = 0
    for template in ScorecardTemplate.objects.order_by("pk"):
        written += scorecards_evaluate(template=template, actor=actor)
    return written


# --- imported metrics ----------------------------------------------------------------------

METRIC_COLUMNS = {
    "kpi": ("kpi", "指标"),
    "salesperson": ("salesperson", "salesperson_code", "业务员"),
    "month": ("month", "月份"),
    "value": ("value", "数值"),
}
METRIC_MAX_BYTES = 20 * 1024 * 1024
METRIC_CHUNK_ROWS = 10_000


@dataclass
class MetricImportResult:
    rows_total: int = 0
    rows_imported: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)


def _header_map(header: Sequence[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for index, text in enumerate(header):
        name = text.strip().lower()
        for column, aliases in METRIC_COLUMNS.items():
            if name in aliases and column not in found:
                found[column] = index
    return found


@transaction.atomic
def kpi_values_import(
    *, data: bytes, name: str, actor: AbstractBaseUser | AnonymousUser | None = None
) -> MetricImportResult:
    """Import metric values (kpi, salesperson, month, value) from CSV/XLSX, all or nothing.

    Every row is checked; errors name the file's line (header = 1), the column and why. If
    any row is bad nothing is stored. A row for an existing (kpi, salesperson, month)
    replaces its value, so re-importing a file is idempotent.
    """
    if len(data) > METRIC_MAX_BYTES:
        raise ValidationError({"file": _("The file is larger than 20 MB.")})
    try:
        source = source_open(data=data, name=name)
    except FileFormatError as exc:
        raise ValidationError({"file": exc.message}) from exc
    columns = _header_map(source.header)
    missing = [c for c in METRIC_COLUMNS if c not in columns]
    if missing:
        raise ValidationError(
            {"file": _("Missing columns: %(cols)s") % {"cols": ", ".join(missing)}}
        )
    kpis = {k.code: k for k in Kpi.objects.filter(kind=Kpi.Kind.IMPORTED)}
    people = dict(Salesperson.objects.values_list("code", "pk"))
    result = MetricImportResult()
    values: dict[tuple[int, int, dt.date], Decimal] = {}
    for chunk in source.chunks(METRIC_CHUNK_ROWS):
        frame = chunk.frame
        for i, line in enumerate(chunk.rows.tolist()):
            result.rows_total += 1
            cell = {c: str(frame.iat[i, columns[c]]).strip() for c in METRIC_COLUMNS}
            errors = _metric_row_errors(cell, kpis, people)
            for column, message in errors:
                result.errors.append({"row": int(line), "column": column, "message": message})
            if not errors:
                month = dt.date.fromisoformat(cell["month"][:7] + "-01")
                values[(kpis[cell["kpi"]].pk, people[cell["salesperson"]], month)] = Decimal(
                    cell["value"]
                )
    if result.errors:
        return result
    existing = {
        (v.kpi_id, v.salesperson_id, v.month): v
        for v in KpiValue.objects.filter(kpi_id__in=[k.pk for k in kpis.values()])
    }
    new, changed = [], []
    for (kpi, sp, month), value in values.items():
        row = existing.get((kpi, sp, month))
        if row is None:
            new.append(KpiValue(kpi_id=kpi, salesperson_id=sp, month=month, value=value))
        else:
            row.value = value
            changed.append(row)
    KpiValue.objects.bulk_create(new, batch_size=1000)
    KpiValue.objects.bulk_update(changed, ["value"], batch_size=1000)
    result.rows_imported = len(values)
    return result


def _metric_row_errors(
    cell: dict[str, str], kpis: dict[str, Kpi], people: dict[str, int]
) -> list[tuple[str, str]]:
    errors = []
    if cell["kpi"] not in kpis:
        errors.append(("kpi", _("Unknown imported KPI “%(v)s”.") % {"v": cell["kpi"]}))
    if cell["salesperson"] not in people:
        errors.append(
            ("salesperson", _("Unknown salesperson “%(v)s”.") % {"v": cell["salesperson"]})
        )
    try:
        dt.date.fromisoformat(cell["month"][:7] + "-01")
        if len(cell["month"]) not in (7, 10):
            raise ValueError
    except ValueError:
        errors.append(("month", _("A month is written YYYY-MM.")))
    try:
        value = Decimal(cell["value"])
        if not value.is_finite() or abs(value) >= Decimal("1e14"):
            raise InvalidOperation
        if value.as_tuple().exponent < -4:  # type: ignore[operator]
            errors.append(("value", _("At most 4 decimal places.")))
    except InvalidOperation:
        errors.append(("value", _("Not a number.")))
    return errors
