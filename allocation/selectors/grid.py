"""Read models of a plan's grid: the editor grid, roll-ups and version comparisons."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from allocation.access import PlanScope, plan_scope_get
from allocation.engine.fiscal import MONTHS
from allocation.measures import actual_sum
from allocation.models import ActualCell, Plan, TargetCell
from allocation.scoping import cell_resolve_visible
from allocation.selectors.frames import (
    plan_person_month_actuals,
    plan_person_month_cents,
    sum_cents,
)
from allocation.selectors.plans import plan_structure_get
from allocation.structure import ConstraintInfo, OrgNode, PlanStructure, PlNode


@dataclass
class GridRow:
    kind: str  # "org_unit" | "salesperson"
    node: OrgNode
    parent: str | None
    has_children: bool
    months: list[int]  # cents
    actual_months: list[int]  # 1/10000
    constraints: list[ConstraintInfo]
    year_editable: bool
    periods_editable: bool


@dataclass
class PlanGrid:
    plan: Plan
    product_line: PlNode | None
    month_labels: list[str]
    rows: list[GridRow]
    total_months: list[int]
    total_actual_months: list[int]
    editable: bool


def _grid_tops(structure: PlanStructure, window: PlanScope, org_unit: str | None) -> list[OrgNode]:
    """The grid's top rows: ``org_unit`` if given (and visible), else the viewer's top nodes."""
    if not org_unit:
        return [structure.by_opath[p] for p in window.visible if p in structure.by_opath]
    top = cell_resolve_visible(structure, window, org_unit=org_unit).org
    if not window.sees(top):  # the plan's root, for a manager of part of it
        raise ValidationError(
            {
                "org_unit": _("No org unit with code “%(value)s” is visible to you.")
                % {"value": org_unit}
            }
        )
    return [top]


def _row_constraints(
    structure: PlanStructure, pl: PlNode | None
) -> dict[str, list[ConstraintInfo]]:
    """The constraints on the grid's product line (or all lines), by org node path."""
    pl_id = pl.id if pl is not None else None
    constraints: dict[str, list[ConstraintInfo]] = {}
    for info in structure.constraints:
        if (info.cell.pl.id if info.cell.pl is not None else None) == pl_id:
            constraints.setdefault(info.cell.org.opath, []).append(info)
    return constraints


def plan_grid_get(
    *,
    user: AbstractBaseUser | AnonymousUser,
    plan: Plan,
    org_unit: str | None = None,
    product_line: str | None = None,
    depth: int = 1,
) -> PlanGrid:
    """The editor's grid: org rows (units and salespeople) x months, with actuals alongside.

    Starts at ``org_unit`` (default: the viewer's top visible node(s)) and goes ``depth``
    levels down. Amounts are for ``product_line`` (a node; default all lines). Rows outside
    the viewer's part of the plan never appear. Four queries plus the structure's.
    """
    structure = plan_structure_get(plan=plan)
    window = plan_scope_get(user=user, structure=structure)
    pl = None
    if product_line:
        pl = structure.resolve(product_line=product_line).pl
    tops = _grid_tops(structure, window, org_unit)
    visible_members = np.array(
        sorted({int(x) for node in tops for x in structure.members_under(node)}), dtype=np.int64
    )
    targets = plan_person_month_cents(structure=structure, pl=pl, salesperson_ids=visible_members)
    actuals = plan_person_month_actuals(structure=structure, pl=pl, salesperson_ids=visible_members)
    member_index = pd.Index(structure.member_ids)
    editable_plan = plan.status == Plan.Status.DRAFT

    def sums(node: OrgNode, matrix: np.ndarray) -> list[int]:
        rows = member_index.get_indexer(pd.Index(structure.members_under(node)))
        return matrix[rows].sum(axis=0).astype(np.int64).tolist()

    constraints = _row_constraints(structure, pl)

    rows: list[GridRow] = []

    def visit(node: OrgNode, remaining: int) -> None:
        children = structure.org_children(node) if node.kind != "salesperson" else []
        parent = structure.org_parent(node)
        if pl is not None:
            year_editable = window.may_change(node)
        elif parent is None:
            year_editable = window.role == "admin"
        else:
            year_editable = window.may_change(parent)
        rows.append(
            GridRow(
                kind="salesperson" if node.kind == "salesperson" else "org_unit",
                node=node,
                parent=parent.code if parent is not None else None,
                has_children=bool(children),
                months=sums(node, targets),
                actual_months=sums(node, actuals),
                constraints=constraints.get(node.opath, []),
                year_editable=editable_plan and year_editable,
                periods_editable=editable_plan and window.may_change(node),
            )
        )
        if remaining > 0:
            for child in children:
                visit(child, remaining - 1)

    for top in tops:
        visit(top, max(depth, 0))
    total = np.zeros(MONTHS, np.int64)
    total_actual = np.zeros(MONTHS, np.int64)
    for top in tops:
        total += np.array(sums(top, targets), dtype=np.int64)
        total_actual += np.array(sums(top, actuals), dtype=np.int64)
    return PlanGrid(
        plan=plan,
        product_line=pl,
        month_labels=structure.fiscal.month_labels(),
        rows=rows,
        total_months=total.tolist(),
        total_actual_months=total_actual.tolist(),
        editable=editable_plan and bool(window.editable),
    )


PLAN_ROLLUP_GROUPS = ("org_unit", "salesperson", "product_line", "month", "quarter")


@dataclass(frozen=True)
class RollupRow:
    key: str
    name: str
    amount_cents: int
    actual_units: int  # 1/10000 of the currency unit


def plan_rollup_list(
    *,
    user: AbstractBaseUser | AnonymousUser,
    plan: Plan,
    group_by: str,
    level: int | None = None,
) -> list[RollupRow]:
    """A plan's targets (and actuals alongside) summed by org unit, salesperson, product line,
    fiscal month or fiscal quarter, over the viewer's part of the plan.

    Tree groupings roll up to one depth: ``level`` (org units: 1 = the units right below the
    plan's root; product lines: 1 = top-level lines) or, by default, the level below the
    viewer's top visible node (org) / the top level (product lines). A salesperson placed
    above that level counts in their own unit; a node above the viewer's part counts as the
    viewer's top node.
    """
    if group_by not in PLAN_ROLLUP_GROUPS:
        raise ValueError(f"unknown grouping {group_by!r}")
    structure = plan_structure_get(plan=plan, with_constraints=False)
    window = plan_scope_get(user=user, structure=structure)
    tops = [structure.by_opath[p] for p in window.visible if p in structure.by_opath]
    visible = np.array(
        sorted({int(x) for node in tops for x in structure.members_under(node)}), dtype=np.int64
    )
    if group_by == "product_line":
        return _rollup_product_lines(structure, visible, level)
    targets = plan_person_month_cents(structure=structure, salesperson_ids=visible)
    actuals = plan_person_month_actuals(structure=structure, salesperson_ids=visible)
    rows_of = pd.Index(structure.member_ids).get_indexer(pd.Index(visible))
    if group_by in {"month", "quarter"}:
        return _rollup_periods(
            structure, targets[rows_of].sum(axis=0), actuals[rows_of].sum(axis=0), group_by
        )
    per_person_t = targets.sum(axis=1)
    per_person_a = actuals.sum(axis=1)
    if group_by == "salesperson":
        return [
            RollupRow(
                key=structure.members[int(sp)].code,
                name=structure.members[int(sp)].name,
                amount_cents=int(per_person_t[i]),
                actual_units=int(per_person_a[i]),
            )
            for sp, i in sorted(
                zip(visible, rows_of, strict=True), key=lambda x: structure.members[int(x[0])].code
            )
        ]
    return _rollup_org_units(
        structure, window, tops, visible, rows_of, per_person_t, per_person_a, level
    )


def _rollup_periods(
    structure: PlanStructure, t: np.ndarray, a: np.ndarray, group_by: str
) -> list[RollupRow]:
    """Fiscal months or quarters of the summed targets ``t`` and actuals ``a``."""
    labels = structure.fiscal.month_labels()
    if group_by == "month":
        return [
            RollupRow(key=labels[m], name=labels[m], amount_cents=int(t[m]), actual_units=int(a[m]))
            for m in range(MONTHS)
        ]
    return [
        RollupRow(
            key=f"Q{q + 1}",
            name=f"Q{q + 1}",
            amount_cents=int(t[3 * q : 3 * q + 3].sum()),
            actual_units=int(a[3 * q : 3 * q + 3].sum()),
        )
        for q in range(4)
    ]


def _rollup_org_units(
    structure: PlanStructure,
    window: PlanScope,
    tops: list[OrgNode],
    visible: np.ndarray,
    rows_of: np.ndarray,
    per_person_t: np.ndarray,
    per_person_a: np.ndarray,
    level: int | None,
) -> list[RollupRow]:
    """Per-person sums rolled up to the org units at ``level`` (see ``plan_rollup_list``)."""
    if level is None:
        level = min((node.depth for node in tops), default=0) + 1
    groups: dict[str, list[int]] = {}
    for sp, i in zip(visible, rows_of, strict=True):
        member = structure.members[int(sp)]
        unit = structure.by_opath[member.parent_opath or structure.root.opath]
        chain = []
        node: OrgNode | None = unit
        while node is not None:
            chain.append(node)
            node = structure.org_parent(node)
        chain.reverse()  # root first
        target_node = chain[min(level, len(chain) - 1)]
        if not window.sees(target_node):
            target_node = next((n for n in chain if window.sees(n)), unit)
        acc = groups.setdefault(target_node.opath, [0, 0])
        acc[0] += int(per_person_t[i])
        acc[1] += int(per_person_a[i])
    out = [
        RollupRow(
            key=structure.by_opath[opath].code,
            name=structure.by_opath[opath].name,
            amount_cents=t,
            actual_units=a,
        )
        for opath, (t, a) in groups.items()
    ]
    return sorted(out, key=lambda row: row.key)


def _rollup_product_lines(
    structure: PlanStructure, visible: np.ndarray, level: int | None
) -> list[RollupRow]:
    plan = structure.plan
    cells = TargetCell.objects.filter(plan=plan)
    actual = ActualCell.objects.filter(
        month__gte=structure.fiscal.months[0],
        month__lte=structure.fiscal.months[-1],
        product_line_id__in=[int(x) for x in structure.leaf_ids],
    )
    if len(visible) < len(structure.member_ids):
        cells = cells.filter(salesperson_id__in=[int(x) for x in visible])
        actual = actual.filter(salesperson_id__in=[int(x) for x in visible])
    else:
        actual = actual.filter(salesperson__in=plan.salespeople.all())
    t_rows = dict(
        cells.order_by()
        .values("product_line_id")
        .annotate(c=sum_cents())
        .values_list("product_line_id", "c")
    )
    a_rows = dict(
        actual.order_by()
        .values("product_line_id")
        .annotate(c=actual_sum(plan.measure, scale=10000))
        .values_list("product_line_id", "c")
    )
    level = level or 1
    groups: dict[int, list[int]] = {}
    for leaf in structure.leaf_ids:
        node = structure.pl_nodes[int(leaf)]
        chain = [node]
        parent = structure.pl_parent(node)
        while parent is not None:
            chain.append(parent)
            parent = structure.pl_parent(parent)
        chain.reverse()
        target = chain[min(level, len(chain)) - 1]
        acc = groups.setdefault(target.id, [0, 0])
        acc[0] += int(t_rows.get(int(leaf)) or 0)
        acc[1] += int(a_rows.get(int(leaf)) or 0)
    return sorted(
        (
            RollupRow(
                key=structure.pl_nodes[pk].code,
                name=structure.pl_nodes[pk].name,
                amount_cents=t,
                actual_units=a,
            )
            for pk, (t, a) in groups.items()
        ),
        key=lambda row: row.key,
    )


@dataclass(frozen=True)
class CompareRow:
    key: str
    name: str
    amounts_cents: list[int | None]
    differences_cents: list[int]


def plan_compare(
    *,
    user: AbstractBaseUser | AnonymousUser,
    plans: list[Plan],
    group_by: str,
    level: int | None = None,
) -> list[CompareRow]:
    """Several plans side by side per node: each plan's amount and the difference to the first.

    A node missing from a plan has no amount (null) and counts as 0 in the differences.
    """
    per_plan = [
        {
            row.key: row
            for row in plan_rollup_list(user=user, plan=p, group_by=group_by, level=level)
        }
        for p in plans
    ]
    keys: list[str] = []
    names: dict[str, str] = {}
    for rows in per_plan:
        for key, row in rows.items():
            if key not in names:
                keys.append(key)
                names[key] = row.name
    if group_by not in {"month", "quarter"}:
        keys.sort()
    out = []
    for key in keys:
        amounts = [rows[key].amount_cents if key in rows else None for rows in per_plan]
        base = amounts[0] or 0
        out.append(
            CompareRow(
                key=key,
                name=names[key],
                amounts_cents=amounts,
                differences_cents=[(a or 0) - base for a in amounts],
            )
        )
    return out
