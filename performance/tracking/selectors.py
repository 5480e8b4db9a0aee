"""Reads for tracking: attainment, pace and forecasts of one node and its children.

A node is the company, an org unit or a salesperson (DESIGN §7 "Attainment"), optionally
narrowed to one product line. Its children are the org units and the salespeople directly
under it (a salesperson's children are product lines). All sums are ``GROUP BY`` queries
over the plan grid (``TargetCell``) and the actuals grid (``ActualCell``) at month grain,
grouped straight into the children with a ``CASE``; only the month ``as_of`` falls in reads
order lines, and only that month's, through the (salesperson, order date) index. So a
request costs the same dozen small queries whatever the data size; the result is cached
until the next recompute (``performance.tracking.services.tracking_cache_invalidate``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.cache import cache
from django.db.models import (
    DecimalField,
    F,
    Max,
    Min,
    Q,
)
from django.http import Http404
from django.utils.translation import gettext as _

from allocation.access import ViewerScope, viewer_scope
from allocation.engine import calendars
from allocation.measures import actual_sum
from allocation.models import ActualCell, OrgUnit, Plan, ProductLine, Salesperson, TargetCell
from allocation.selectors import published_plan_get
from customers.credit.selectors import credited_parts
from customers.measures import order_line_measure
from performance.tracking import engine
from performance.tracking.engine import Figures
from performance.tracking.grid import CACHE_VERSION_KEY, grid_totals
from performance.tracking.grid import cents as _cents
from salesalloc.core.money import MoneySum

NODE_COMPANY = "company"
NODE_ORG_UNIT = "org_unit"
NODE_SALESPERSON = "salesperson"
NODE_PRODUCT_LINE = "product_line"
OTHER = -1  # rows under the node but under none of its children
_LINE_SUM = DecimalField(max_digits=18, decimal_places=4)  # a sum of order-line figures


@dataclass(frozen=True)
class Node:
    """A point of the tree the figures are about."""

    kind: str  # NODE_COMPANY, NODE_ORG_UNIT, NODE_SALESPERSON or NODE_PRODUCT_LINE
    code: str
    name: str
    org_kind: str = ""  # an org unit's kind (region, team...), for labels

    @property
    def query(self) -> dict[str, str]:
        """The query parameter that selects this node (a product line selects nothing)."""
        if self.kind == NODE_SALESPERSON:
            return {"salesperson": self.code}
        if self.kind in (NODE_COMPANY, NODE_ORG_UNIT):
            return {"org_unit": self.code}
        return {}


@dataclass(frozen=True)
class NodeFigures:
    node: Node
    figures: Figures


@dataclass(frozen=True)
class Attainment:
    year: int
    as_of: dt.date
    plan: Plan | None
    node: Node
    breadcrumbs: list[Node]
    product_line: ProductLine | None
    figures: Figures
    children: list[NodeFigures] = field(default_factory=list)
    # What the children are: "org_unit" (units and people) or "product_line".
    children_kind: str = NODE_ORG_UNIT
    measure: str = Plan.Measure.REVENUE  # what target and actual count


def _not_found(what: str, code: str) -> Http404:
    return Http404(
        _("No %(what)s with code “%(code)s” is visible to you.") % {"what": what, "code": code}
    )


def _sees_unit(scope: ViewerScope, unit: OrgUnit) -> bool:
    return scope.is_admin or any(unit.path.startswith(path) for path in scope.managed_paths)


def _sees_person(scope: ViewerScope, person: Salesperson) -> bool:
    return _sees_unit(scope, person.org_unit) or person.pk == scope.salesperson_id


def _unit_node(unit: OrgUnit) -> Node:
    kind = NODE_COMPANY if unit.parent_id is None else NODE_ORG_UNIT
    return Node(kind=kind, code=unit.code, name=unit.name, org_kind=unit.kind)


def tracking_node_get(
    *,
    user: AbstractBaseUser | AnonymousUser,
    org_unit: str | None = None,
    salesperson: str | None = None,
) -> OrgUnit | Salesperson:
    """The org unit or salesperson asked for, or the viewer's own node by default.

    Default: the company for admins, the (first) managed unit for managers, themselves for
    salespeople. A code outside the viewer's scope answers 404, like a missing one.
    """
    scope = viewer_scope(user=user)
    if salesperson:
        person = Salesperson.objects.select_related("org_unit").filter(code=salesperson).first()
        if person is None or not _sees_person(scope, person):
            raise _not_found(_("salesperson"), salesperson)
        return person
    if org_unit:
        return tracking_unit_get(user=user, code=org_unit)
    if scope.is_admin:
        unit = OrgUnit.objects.filter(parent__isnull=True).order_by("path").first()
    elif scope.is_manager:
        unit = OrgUnit.objects.filter(path=scope.managed_paths[0]).first()
    elif scope.salesperson_id is not None:
        return Salesperson.objects.select_related("org_unit").get(pk=scope.salesperson_id)
    else:
        unit = None
    if unit is None:
        raise Http404(_("There is nothing for you to track yet."))
    return unit


def tracking_unit_get(*, user: AbstractBaseUser | AnonymousUser, code: str) -> OrgUnit:
    """The org unit with ``code``; 404 when it is missing or outside the viewer's scope."""
    unit = OrgUnit.objects.filter(code=code).first()
    if unit is None or not _sees_unit(viewer_scope(user=user), unit):
        raise _not_found(_("org unit"), code)
    return unit


def tracking_plan_get(
    *,
    year: int,
    target: OrgUnit | Salesperson | None = None,
    measure: str = Plan.Measure.REVENUE,
) -> Plan | None:
    """The published plan of fiscal year ``year`` that counts for ``target`` (an org unit or
    a salesperson; default the top of the org tree): ``published_plan_get``, one truth per
    year and scope, so no reader guesses between several published plans.

    For another ``measure``: that measure plan of the published revenue plan (None when the
    revenue plan has none)."""
    unit = target.org_unit if isinstance(target, Salesperson) else target
    plan = published_plan_get(fiscal_year=year, org_unit=unit)
    if plan is None or measure == Plan.Measure.REVENUE:
        return plan
    return plan.measures.filter(measure=measure).first()


def _breadcrumbs(scope: ViewerScope, target: OrgUnit | Salesperson) -> list[Node]:
    """The visible ancestors of the node, top first, ending with the node itself."""
    unit = target.org_unit if isinstance(target, Salesperson) else target
    ids = [int(part) for part in unit.path.strip("/").split("/") if part]
    units = sorted(OrgUnit.objects.filter(pk__in=ids), key=lambda u: u.depth)
    crumbs = [_unit_node(u) for u in units if _sees_unit(scope, u)]
    if isinstance(target, Salesperson):
        crumbs.append(Node(kind=NODE_SALESPERSON, code=target.code, name=target.name))
    return crumbs


@dataclass(frozen=True)
class _Grouping:
    """How rows under the node map to its children: a base filter and a CASE key."""

    base: Q
    key: Any
    children: list[Node]
    kind: str
    remap: dict[int, int]  # raw key (a salesperson or product line id) -> child index

    def slot(self, raw: int) -> int:
        return self.remap.get(raw, OTHER)


def _grouping(
    target: OrgUnit | Salesperson, product_line: ProductLine | None, *, people: bool = False
) -> _Grouping:
    """Children of the node and how grid rows map to them; ``people``: every salesperson
    under an org unit instead of the units and people directly below it.

    Rows are filtered by id lists and grouped by ``salesperson_id`` (or ``product_line_id``
    under a salesperson), columns the grids' unique keys cover; ``remap`` turns each id into
    its child, so no query joins the org tree.
    """
    base = Q()
    if product_line is not None:
        line_ids = ProductLine.objects.filter(path__startswith=product_line.path)
        base &= Q(product_line_id__in=list(line_ids.values_list("pk", flat=True)))
    children: list[Node] = []
    remap: dict[int, int] = {}
    if isinstance(target, Salesperson):
        parent_path = product_line.path if product_line else ""
        tops = list(ProductLine.objects.filter(parent=product_line).order_by("code"))
        children = [Node(kind=NODE_PRODUCT_LINE, code=line.code, name=line.name) for line in tops]
        for pk, path in ProductLine.objects.filter(path__startswith=parent_path).values_list(
            "pk", "path"
        ):
            for index, line in enumerate(tops):
                if path.startswith(line.path):
                    remap[pk] = index
        return _Grouping(
            base=base & Q(salesperson_id=target.pk),
            key=F("product_line_id"),
            children=children,
            kind=NODE_PRODUCT_LINE,
            remap=remap,
        )
    persons = list(
        Salesperson.objects.filter(org_unit__path__startswith=target.path)
        .order_by("code")
        .values_list("pk", "code", "name", "org_unit_id", "org_unit__path")
    )
    base &= Q(salesperson_id__in=[pk for pk, *_ in persons])
    if people:
        for pk, code, name, *_ in persons:
            remap[pk] = len(children)
            children.append(Node(kind=NODE_SALESPERSON, code=code, name=name))
        kind = NODE_SALESPERSON
    else:
        units = list(OrgUnit.objects.filter(parent=target).order_by("code"))
        children = [_unit_node(unit) for unit in units]
        for pk, code, name, unit_id, path in persons:
            if unit_id == target.pk:
                remap[pk] = len(children)
                children.append(Node(kind=NODE_SALESPERSON, code=code, name=name))
                continue
            for index, unit in enumerate(units):
                if path.startswith(unit.path):
                    remap[pk] = index
                    break
        kind = NODE_ORG_UNIT
    return _Grouping(base=base, key=F("salesperson_id"), children=children, kind=kind, remap=remap)


@dataclass(frozen=True)
class Resolved:
    """A node and plan the caller already looked up (``tracking_node_get``, ``..._plan_get``)."""

    target: OrgUnit | Salesperson
    plan: Plan | None


def attainment_get(
    *,
    user: AbstractBaseUser | AnonymousUser,
    year: int,
    as_of: dt.date,
    org_unit: str | None = None,
    salesperson: str | None = None,
    product_line: str | None = None,
    resolved: Resolved | None = None,
    measure: str = Plan.Measure.REVENUE,
) -> Attainment:
    """Attainment, pace and forecasts of one visible node and its children (DESIGN §7), of
    ``measure``: its published measure plan against its actuals (revenue by default).

    Raises ``Http404`` for a node or product line the viewer cannot see. Cached per viewer
    and arguments until the next recompute or a newly published plan.
    """
    scope = viewer_scope(user=user)
    target = (
        resolved.target
        if resolved
        else tracking_node_get(user=user, org_unit=org_unit, salesperson=salesperson)
    )
    line = None
    if product_line:
        line = ProductLine.objects.filter(code=product_line).first()
        if line is None:
            raise _not_found(_("product line"), product_line)
    plan = (
        resolved.plan if resolved else tracking_plan_get(year=year, target=target, measure=measure)
    )
    timeout = settings.SALESALLOC_TRACKING_CACHE_SECONDS
    key = None
    if timeout:
        version = cache.get_or_set(CACHE_VERSION_KEY, 1, None)
        raw = ":".join(
            str(part)
            for part in (
                scope.is_admin,
                scope.managed_paths,
                scope.salesperson_id,
                year,
                as_of,
                type(target).__name__,
                target.pk,
                line.pk if line else "",
                plan.pk if plan else "",
                plan.revision if plan else "",
                measure,
            )
        )
        key = f"tracking:attainment:{version}:{hashlib.sha256(raw.encode()).hexdigest()}"
        cached = cache.get(key)
        if cached is not None:
            return cached
    result = attainment_compute(
        scope=scope, target=target, line=line, plan=plan, year=year, as_of=as_of, measure=measure
    )
    if key is not None:
        cache.set(key, result, timeout)
    return result


def attainment_compute(
    *,
    scope: ViewerScope,
    target: OrgUnit | Salesperson,
    line: ProductLine | None,
    plan: Plan | None,
    year: int,
    as_of: dt.date,
    people: bool = False,
    measure: str = Plan.Measure.REVENUE,
) -> Attainment:
    """The figures of ``target`` and its children, uncached (``attainment_get`` caches); the
    actuals are ``measure``'s (the plan, when given, is that measure's plan)."""
    months = engine.fiscal_months(year, plan.start_month if plan else 1)
    whole = engine.whole_months(months, as_of)
    partial = whole < len(months) and months[whole] <= as_of
    current = months[whole] if partial else None
    history_end = as_of.replace(day=1)  # months before it are over (or as_of's month is)
    if engine.month_end(history_end) <= as_of:
        history_end = engine.add_months(history_end, 1)

    group = _grouping(target, line, people=people)
    keys = [*range(len(group.children)), OTHER]
    targets: dict[int, list[int]] | None = None
    current_totals: dict[int, list[int]] = {}
    if plan is not None:
        targets, current_totals = _target_totals(
            group=group, keys=keys, plan=plan, line=line, months=months, current=current
        )
    actuals, history = _actual_totals(
        group=group, keys=keys, line=line, months=months, history_end=history_end, measure=measure
    )
    current_actual: dict[int, int] = {}
    current_expected: dict[int, int] = {}
    if current is not None:
        current_actual, current_expected = _current_month(
            group=group,
            plan=plan,
            current=current,
            as_of=as_of,
            current_totals=current_totals,
            measure=measure,
        )

    def figures(selected: list[int]) -> Figures:
        series: dict[dt.date, int] = defaultdict(int)
        for key in selected:
            for month, value in history[key].items():
                series[month] += value
        return engine.node_figures(
            months=months,
            as_of=as_of,
            targets=None
            if targets is None
            else [sum(targets[k][m] for k in selected) for m in range(len(months))],
            actuals=[sum(actuals[k][m] for k in selected) for m in range(len(months))],
            current_actual=sum(current_actual.get(k, 0) for k in selected),
            current_expected=sum(current_expected.get(k, 0) for k in selected),
            history=_monthly_series(series, history_end),
        )

    children = [
        NodeFigures(node=node, figures=figures([k])) for k, node in enumerate(group.children)
    ]
    return Attainment(
        year=year,
        as_of=as_of,
        plan=plan,
        node=_node_of(target),
        breadcrumbs=_breadcrumbs(scope, target),
        product_line=line,
        figures=figures(keys),
        children=children,
        children_kind=group.kind,
        measure=measure,
    )


def _node_of(target: OrgUnit | Salesperson) -> Node:
    if isinstance(target, Salesperson):
        return Node(kind=NODE_SALESPERSON, code=target.code, name=target.name)
    return _unit_node(target)


def _target_totals(
    *,
    group: _Grouping,
    keys: list[int],
    plan: Plan,
    line: ProductLine | None,
    months: list[dt.date],
    current: dt.date | None,
) -> tuple[dict[int, list[int]], dict[int, list[int]]]:
    """Each child's target per fiscal month, and (when the year has a current month with a
    target) each child's per-salesperson month totals of that month, for the day split."""
    first, after = months[0], engine.add_months(months[-1], 1)
    index = {month: k for k, month in enumerate(months)}
    by_person = group.kind != NODE_PRODUCT_LINE  # rows keyed by salesperson id
    targets = {key: [0] * len(months) for key in keys}
    current_totals: dict[int, list[int]] = defaultdict(list)
    if by_person:
        target_rows = [
            (raw, month, cents)
            for raw, month, cents in grid_totals(kind="targets", plan=plan, line=line)
            if raw in group.remap and first <= month < after
        ]
    else:
        target_rows = list(
            TargetCell.objects.filter(group.base, plan=plan, month__gte=first, month__lt=after)
            .annotate(child=group.key)
            .order_by()
            .values_list("child", "month")
            .annotate(c=_cents())
        )
    for raw, month, cents in target_rows:
        targets[group.slot(raw)][index[month]] += int(cents or 0)
    if current is None or targets_sum(targets, index[current]) <= 0:
        return targets, current_totals
    if by_person:  # the rows are already one per salesperson and month
        for raw, month, cents in target_rows:
            if month == current:
                current_totals[group.slot(raw)].append(int(cents or 0))
    else:
        per_person = (
            TargetCell.objects.filter(group.base, plan=plan, month=current)
            .annotate(child=group.key)
            .order_by()
            .values_list("child", "salesperson_id")
            .annotate(c=_cents())
        )
        for raw, _person, cents in per_person:
            current_totals[group.slot(raw)].append(int(cents or 0))
    return targets, current_totals


def _actual_totals(
    *,
    group: _Grouping,
    keys: list[int],
    line: ProductLine | None,
    months: list[dt.date],
    history_end: dt.date,
    measure: str = Plan.Measure.REVENUE,
) -> tuple[dict[int, list[int]], dict[int, dict[dt.date, int]]]:
    """Each child's actual per fiscal month, and its monthly history before ``history_end``
    (for the statistical forecast)."""
    index = {month: k for k, month in enumerate(months)}
    actuals = {key: [0] * len(months) for key in keys}
    history: dict[int, dict[dt.date, int]] = {key: {} for key in keys}
    until = max(engine.add_months(months[-1], 1), history_end)
    if group.kind != NODE_PRODUCT_LINE:  # rows keyed by salesperson id
        actual_rows = [
            row
            for row in grid_totals(kind="actuals", plan=None, line=line, measure=measure)
            if row[0] in group.remap and row[1] < until
        ]
    else:
        actual_rows = list(
            ActualCell.objects.filter(group.base, month__lt=until)
            .annotate(child=group.key)
            .order_by()
            .values_list("child", "month")
            .annotate(c=actual_sum(measure))
        )
    for raw, month, cents in actual_rows:
        child = group.slot(raw)
        value = int(cents or 0)
        if month in index:
            actuals[child][index[month]] += value
        if month < history_end:
            history[child][month] = history[child].get(month, 0) + value
    return actuals, history


def _current_month(
    *,
    group: _Grouping,
    plan: Plan | None,
    current: dt.date,
    as_of: dt.date,
    current_totals: dict[int, list[int]],
    measure: str = Plan.Measure.REVENUE,
) -> tuple[dict[int, int], dict[int, int]]:
    """Each child's actual and day-target share of the month containing ``as_of``, up to
    and including it (the only read of order lines)."""
    exact: dict[int, Decimal] = {}
    # Split lines count for each credited salesperson with their part (the credits); the
    # parts add up exactly before the total is rounded to the hundredth, as one sum would be.
    window = group.base & Q(order_date__gte=current, order_date__lte=as_of)
    for part in credited_parts(where=window):
        if part is None:
            continue
        rows = part.annotate(child=group.key).order_by().values_list("child")
        total = MoneySum(order_line_measure(measure), output_field=_LINE_SUM)
        for raw, amount in rows.annotate(total=total):
            slot = group.slot(raw)
            exact[slot] = exact.get(slot, Decimal(0)) + (amount or Decimal(0))
    current_actual = {
        slot: int((total * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))
        for slot, total in exact.items()
    }
    country = (plan.method_config or {}).get("country", "CN") if plan else "CN"
    days = calendars.working_days(current, engine.month_end(current), country=country)
    current_expected = {
        child: engine.day_targets_to_date(month_totals=totals, working_days=days, as_of=as_of)
        for child, totals in current_totals.items()
    }
    return current_actual, current_expected


def targets_sum(targets: dict[int, list[int]], month_index: int) -> int:
    """The total target of one fiscal month over every child."""
    return sum(values[month_index] for values in targets.values())


def _monthly_series(values: dict[dt.date, int], end: dt.date) -> list[int]:
    """Monthly values from the first month with a figure up to (not including) ``end``."""
    nonzero = [month for month, value in values.items() if value]
    if not nonzero:
        return []
    month = min(nonzero)
    out = []
    while month < end:
        out.append(values.get(month, 0))
        month = engine.add_months(month, 1)
    return out


def tracking_years(*, user: AbstractBaseUser | AnonymousUser, today: dt.date) -> list[int]:
    """Fiscal years worth offering: published plans, years with actuals and this year.

    Cached per scope until the next recompute.
    """
    from allocation.selectors import actual_cell_list

    scope = viewer_scope(user=user)
    timeout = settings.SALESALLOC_TRACKING_CACHE_SECONDS
    key = None
    if timeout:
        version = cache.get_or_set(CACHE_VERSION_KEY, 1, None)
        raw = f"{scope.is_admin}:{scope.managed_paths}:{scope.salesperson_id}:{today}"
        key = f"tracking:years:{version}:{hashlib.sha256(raw.encode()).hexdigest()}"
        cached = cache.get(key)
        if cached is not None:
            return cached

    years = set(
        Plan.objects.filter(status=Plan.Status.PUBLISHED, scenario_of__isnull=True)
        .order_by()
        .values_list("fiscal_year", flat=True)
        .distinct()
    )
    span = actual_cell_list(user=user).order_by().aggregate(first=Min("month"), last=Max("month"))
    if span["first"] is not None:
        years.update(range(span["first"].year, span["last"].year + 1))
    years.add(today.year)
    result = sorted(years, reverse=True)
    if key is not None:
        cache.set(key, result, timeout)
    return result
