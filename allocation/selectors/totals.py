"""Actuals and targets summed by month, year, salesperson, product line or org unit."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import DecimalField, IntegerField, QuerySet, Sum, Value
from django.db.models.functions import ExtractYear

from allocation.access import viewer_scope
from allocation.models import ActualCell, OrgUnit, ProductLine, TargetCell
from allocation.selectors.dimensions import org_unit_list, product_line_list
from allocation.selectors.plans import target_cell_list
from salesalloc.core.money import MoneySum

ACTUAL_TOTAL_GROUPS = ("month", "year", "salesperson", "product_line", "org_unit")


@dataclass(frozen=True)
class ActualTotal:
    key: str
    name: str
    amount: Decimal
    cost: Decimal
    lines: int


def _sums(model: type[ActualCell] | type[TargetCell]) -> dict[str, Any]:
    if model is TargetCell:  # targets have no cost and no order lines
        return {
            "amount": MoneySum("amount"),
            "cost": Value(Decimal(0), output_field=DecimalField()),
            "lines": Value(0, output_field=IntegerField()),
        }
    return {"amount": MoneySum("amount"), "cost": MoneySum("cost"), "lines": Sum("lines")}


def _total(row: Mapping[str, Any], *, key: str, name: str) -> ActualTotal:
    return ActualTotal(
        key=key, name=name, amount=row["amount"], cost=row["cost"], lines=row["lines"]
    )


def _roll_up(
    rows: Iterable[Mapping[str, Any]],
    *,
    id_key: str,
    nodes: Mapping[int, Mapping[str, Any]],
    level: int,
) -> list[ActualTotal]:
    """Add rows keyed by a tree node id into their node's ancestor at depth ``level``.

    A node shallower than ``level`` stands for itself. Only ``nodes`` (the viewer's visible
    nodes) may become keys: when the ancestor at ``level`` is not visible, the row goes to the
    shallowest visible node on its path below that depth, so a manager never sees a total
    labelled with a unit above their subtree.
    """
    groups: dict[int, list[Any]] = {}
    for row in rows:
        node = nodes.get(row[id_key])
        if node is None:
            continue
        path_ids = [int(part) for part in node["path"].strip("/").split("/")]
        candidates = path_ids[level:] if level < len(path_ids) else path_ids[-1:]
        target = next((pk for pk in candidates if pk in nodes), path_ids[-1])
        total = groups.setdefault(target, [Decimal(0), Decimal(0), 0])
        total[0] += row["amount"] or 0
        total[1] += row["cost"] or 0
        total[2] += row["lines"] or 0
    out = [
        ActualTotal(key=nodes[pk]["code"], name=nodes[pk]["name"], amount=a, cost=c, lines=n)
        for pk, (a, c, n) in groups.items()
    ]
    return sorted(out, key=lambda total: total.key)


def actual_total_list(
    *,
    user: AbstractBaseUser | AnonymousUser,
    group_by: str,
    cells: QuerySet[ActualCell] | None = None,
    level: int | None = None,
    org_unit: OrgUnit | None = None,
    product_line: ProductLine | None = None,
) -> list[ActualTotal]:
    """Sum the viewer's actual cells by month, year, salesperson, product line or org unit.

    ``cells`` narrows the rows (e.g. a filtered ``actual_cell_list``); visibility is applied
    here again either way. Tree groupings roll up to one depth (0 = root): ``level`` if
    given, else the level below the ``org_unit``/``product_line`` filter, else for org units
    the level below the viewer's top visible unit and for product lines the top level. Org
    units are the salesperson's current unit. One aggregate query plus one for tree nodes.
    """
    base = ActualCell.objects.all() if cells is None else cells
    return grid_total_list(
        user=user,
        group_by=group_by,
        cells=base,
        level=level,
        org_unit=org_unit,
        product_line=product_line,
    )


def target_total_list(
    *,
    user: AbstractBaseUser | AnonymousUser,
    group_by: str,
    cells: QuerySet[TargetCell] | None = None,
    level: int | None = None,
    org_unit: OrgUnit | None = None,
    product_line: ProductLine | None = None,
) -> list[ActualTotal]:
    """Sum the viewer's target cells exactly like ``actual_total_list`` sums actuals.

    The same groupings and roll-up levels, so targets and actuals line up key by key;
    ``cost`` and ``lines`` are 0. ``cells`` defaults to every target the viewer may read.
    """
    base = target_cell_list(user=user) if cells is None else cells
    return grid_total_list(
        user=user,
        group_by=group_by,
        cells=base,
        level=level,
        org_unit=org_unit,
        product_line=product_line,
    )


def grid_total_list(
    *,
    user: AbstractBaseUser | AnonymousUser,
    group_by: str,
    cells: QuerySet[ActualCell] | QuerySet[TargetCell],
    level: int | None = None,
    org_unit: OrgUnit | None = None,
    product_line: ProductLine | None = None,
) -> list[ActualTotal]:
    """Sum grid cells (actuals or targets) by a dimension; see ``actual_total_list``."""
    if group_by not in ACTUAL_TOTAL_GROUPS:
        raise ValueError(f"unknown grouping {group_by!r}")
    scope = viewer_scope(user=user)
    sums = _sums(cells.model)
    cells = cells.filter(scope.salesperson_q("salesperson__")).order_by()
    rows: Iterable[Mapping[str, Any]]
    if group_by == "month":
        rows = cells.values("month").annotate(**sums).order_by("month")
        return [
            _total(row, key=f"{row['month']:%Y-%m}", name=f"{row['month']:%Y-%m}") for row in rows
        ]
    if group_by == "year":
        rows = (cells.annotate(year=ExtractYear("month")).values("year").annotate(**sums)).order_by(
            "year"
        )
        return [_total(row, key=str(row["year"]), name=str(row["year"])) for row in rows]
    if group_by == "salesperson":
        rows = (
            cells.values("salesperson__code", "salesperson__name")
            .annotate(**sums)
            .order_by("salesperson__code")
        )
        return [
            _total(row, key=row["salesperson__code"], name=row["salesperson__name"]) for row in rows
        ]
    if group_by == "product_line":
        rows = list(cells.values("product_line_id").annotate(**sums))
        nodes: dict[int, Mapping[str, Any]] = {
            node["pk"]: node
            for node in product_line_list(user=user).values("pk", "code", "name", "path")
        }
        if level is None:
            level = product_line.depth + 1 if product_line is not None else 0
        return _roll_up(rows, id_key="product_line_id", nodes=nodes, level=level)

    rows = list(cells.values("salesperson__org_unit_id").annotate(**sums))
    units = list(org_unit_list(user=user).values("pk", "code", "name", "path", "depth"))
    nodes = {int(unit["pk"]): unit for unit in units}
    if level is None:
        if org_unit is not None:
            level = org_unit.depth + 1
        else:
            level = min((unit["depth"] for unit in units), default=0) + 1
    return _roll_up(rows, id_key="salesperson__org_unit_id", nodes=nodes, level=level)
