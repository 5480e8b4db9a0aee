"""Reads of the plan grid's dimensions and actuals, always scoped to the viewer.

Visibility (DESIGN §1): an admin (superuser or ``allocation.manage_all``) sees everything; a
manager sees the subtrees of the org units they manage; a salesperson sees only their own
rows. A user can be both a manager and a salesperson; the scopes add up. Everyone else sees
nothing.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from functools import reduce
from operator import or_
from typing import Any

import numpy as np
import pandas as pd
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.exceptions import ValidationError
from django.db.models import DecimalField, F, IntegerField, Q, QuerySet, Sum, Value
from django.db.models.functions import ExtractYear
from django.utils.translation import gettext as _

from allocation.engine.calendars import working_days
from allocation.engine.fiscal import FiscalYear
from allocation.engine.split import split_days
from allocation.models import (
    Acknowledgement,
    ActualCell,
    CellConstraint,
    OrgUnit,
    Plan,
    PlanChange,
    ProductLine,
    Salesperson,
    TargetCell,
)
from salesalloc.core.money import MoneySum

_SCOPE_ATTR = "_salesalloc_scope"


@dataclass(frozen=True)
class ViewerScope:
    user_id: int | None
    is_admin: bool
    managed_paths: tuple[str, ...]
    salesperson_id: int | None

    @property
    def is_manager(self) -> bool:
        return bool(self.managed_paths)

    @property
    def is_salesperson(self) -> bool:
        return self.salesperson_id is not None

    @property
    def can_manage(self) -> bool:
        """Admins and managers: may import, edit plans and see other people's numbers."""
        return self.is_admin or self.is_manager

    @property
    def role(self) -> str:
        if self.is_admin:
            return "admin"
        if self.is_manager:
            return "manager"
        if self.is_salesperson:
            return "salesperson"
        return "none"

    def _any_of(self, parts: list[Q]) -> Q:
        if self.is_admin:
            return Q()
        return reduce(or_, parts) if parts else Q(pk__in=[])

    def _subtrees(self, path_lookup: str) -> list[Q]:
        return [Q(**{f"{path_lookup}__startswith": path}) for path in self.managed_paths]

    def _own(self, lookup: str) -> list[Q]:
        return [] if self.salesperson_id is None else [Q(**{lookup: self.salesperson_id})]

    def org_unit_q(self, prefix: str = "") -> Q:
        """Filter for org units (or rows with an org unit at ``prefix``) the viewer may see."""
        return self._any_of(self._subtrees(f"{prefix}path") + self._own(f"{prefix}salespeople__id"))

    def managed_org_unit_q(self, prefix: str = "") -> Q:
        """Filter for org units the viewer may *change* (admin: all; manager: subtrees)."""
        return self._any_of(self._subtrees(f"{prefix}path"))

    def salesperson_q(self, prefix: str = "") -> Q:
        """Filter for salespeople (or rows with a salesperson at ``prefix``) the viewer sees."""
        return self._any_of(self._subtrees(f"{prefix}org_unit__path") + self._own(f"{prefix}pk"))

    def managed_salesperson_q(self, prefix: str = "") -> Q:
        """Filter for salespeople whose numbers the viewer may *change*."""
        return self._any_of(self._subtrees(f"{prefix}org_unit__path"))


def viewer_scope(*, user: AbstractBaseUser | AnonymousUser) -> ViewerScope:
    """Resolve (once per user object) what the user may see."""
    cached = getattr(user, _SCOPE_ATTR, None)
    if cached is not None:
        return cached
    if not user.is_authenticated or not user.is_active:
        scope = ViewerScope(user_id=None, is_admin=False, managed_paths=(), salesperson_id=None)
    else:
        is_admin = bool(user.is_superuser or user.has_perm("allocation.manage_all"))
        paths = tuple(
            OrgUnit.objects.filter(managers=user).order_by("path").values_list("path", flat=True)
        )
        # Drop paths already covered by an ancestor path.
        managed: list[str] = []
        for path in paths:
            if not any(path.startswith(kept) for kept in managed):
                managed.append(path)
        salesperson_id = Salesperson.objects.filter(user=user).values_list("pk", flat=True).first()
        scope = ViewerScope(
            user_id=user.pk,
            is_admin=is_admin,
            managed_paths=tuple(managed),
            salesperson_id=salesperson_id,
        )
    setattr(user, _SCOPE_ATTR, scope)
    return scope


def org_unit_list(*, user: AbstractBaseUser | AnonymousUser) -> QuerySet[OrgUnit]:
    scope = viewer_scope(user=user)
    return OrgUnit.objects.filter(scope.org_unit_q()).select_related("parent").distinct()


def salesperson_list(*, user: AbstractBaseUser | AnonymousUser) -> QuerySet[Salesperson]:
    scope = viewer_scope(user=user)
    return Salesperson.objects.filter(scope.salesperson_q()).select_related("org_unit", "user")


def product_line_list(*, user: AbstractBaseUser | AnonymousUser) -> QuerySet[ProductLine]:
    """Product lines are shared reference data: every signed-in user with a role sees them."""
    scope = viewer_scope(user=user)
    if scope.role == "none":
        return ProductLine.objects.none()
    return ProductLine.objects.select_related("parent")


def actual_cell_list(*, user: AbstractBaseUser | AnonymousUser) -> QuerySet[ActualCell]:
    scope = viewer_scope(user=user)
    return ActualCell.objects.filter(scope.salesperson_q("salesperson__")).select_related(
        "salesperson", "product_line"
    )


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


# --- Actual totals (the API's /actuals/totals/ and the dashboard) ------------------------------

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


def _roll_up(
    rows: list[dict[str, Any]],
    *,
    id_key: str,
    nodes: dict[int, dict[str, Any]],
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

    if group_by == "month":
        rows = cells.values("month").annotate(**sums).order_by("month")
        return [
            ActualTotal(
                key=f"{row['month']:%Y-%m}",
                name=f"{row['month']:%Y-%m}",
                amount=row["amount"],
                cost=row["cost"],
                lines=row["lines"],
            )
            for row in rows
        ]
    if group_by == "year":
        rows = (cells.annotate(year=ExtractYear("month")).values("year").annotate(**sums)).order_by(
            "year"
        )
        return [
            ActualTotal(
                key=str(row["year"]),
                name=str(row["year"]),
                amount=row["amount"],
                cost=row["cost"],
                lines=row["lines"],
            )
            for row in rows
        ]
    if group_by == "salesperson":
        rows = (
            cells.values("salesperson__code", "salesperson__name")
            .annotate(**sums)
            .order_by("salesperson__code")
        )
        return [
            ActualTotal(
                key=row["salesperson__code"],
                name=row["salesperson__name"],
                amount=row["amount"],
                cost=row["cost"],
                lines=row["lines"],
            )
            for row in rows
        ]
    if group_by == "product_line":
        rows = list(cells.values("product_line_id").annotate(**sums))
        nodes = {
            node["pk"]: node
            for node in product_line_list(user=user).values("pk", "code", "name", "path")
        }
        if level is None:
            level = product_line.depth + 1 if product_line is not None else 0
        return _roll_up(rows, id_key="product_line_id", nodes=nodes, level=level)

    rows = list(cells.values("salesperson__org_unit_id").annotate(**sums))
    units = list(org_unit_list(user=user).values("pk", "code", "name", "path", "depth"))
    nodes = {unit["pk"]: unit for unit in units}
    if level is None:
        if org_unit is not None:
            level = org_unit.depth + 1
        else:
            level = min((unit["depth"] for unit in units), default=0) + 1
    return _roll_up(rows, id_key="salesperson__org_unit_id", nodes=nodes, level=level)


def managed_salesperson_list(*, user: AbstractBaseUser | AnonymousUser) -> QuerySet[Salesperson]:
    """Salespeople whose numbers and settings the viewer may *change* (admin: everyone)."""
    scope = viewer_scope(user=user)
    return Salesperson.objects.filter(scope.managed_salesperson_q()).select_related("org_unit")


# --- Plans ----------------------------------------------------------------------------------
#
# A plan is visible to admins; to a manager whose managed subtree overlaps the plan's org
# subtree (any status: managers work on drafts); to a salesperson only once it is published and
# only if they have targets in it. Within a plan a manager sees the rows of their subtree and a
# salesperson only their own.


def _ancestor_paths(path: str) -> list[str]:
    """ "/1/4/9/" -> ["/1/", "/1/4/", "/1/4/9/"]."""
    parts = [part for part in path.strip("/").split("/") if part]
    return ["/" + "/".join(parts[:i]) + "/" for i in range(1, len(parts) + 1)]


def plan_list(*, user: AbstractBaseUser | AnonymousUser) -> QuerySet[Plan]:
    """Plans the viewer may open (see the module notes), newest fiscal year first."""
    scope = viewer_scope(user=user)
    plans = Plan.objects.select_related("root_org_unit")
    if scope.is_admin:
        return plans
    parts = []
    for path in scope.managed_paths:
        parts.append(Q(root_org_unit__path__startswith=path))
        parts.append(Q(root_org_unit__path__in=_ancestor_paths(path)))
    if scope.salesperson_id is not None:
        member_of = Plan.salespeople.through.objects.filter(
            salesperson_id=scope.salesperson_id
        ).values("plan_id")
        parts.append(Q(status=Plan.Status.PUBLISHED, pk__in=member_of))
    if not parts:
        return plans.none()
    return plans.filter(reduce(or_, parts))


def plan_get(*, user: AbstractBaseUser | AnonymousUser, plan_id: int) -> Plan:
    """One visible plan or ``Http404`` (a plan out of scope looks like a missing one)."""
    from django.shortcuts import get_object_or_404

    return get_object_or_404(plan_list(user=user), pk=plan_id)


def target_cell_list(*, user: AbstractBaseUser | AnonymousUser) -> QuerySet[TargetCell]:
    """Target leaves the viewer may read: managed people in visible plans, own published ones."""
    scope = viewer_scope(user=user)
    cells = TargetCell.objects.select_related("plan", "salesperson__org_unit", "product_line")
    if scope.is_admin:
        return cells
    parts = []
    if scope.is_manager:
        parts.append(
            scope.managed_salesperson_q("salesperson__")
            & Q(plan__in=plan_list(user=user).values("pk"))
        )
    if scope.salesperson_id is not None:
        parts.append(Q(salesperson_id=scope.salesperson_id, plan__status=Plan.Status.PUBLISHED))
    if not parts:
        return cells.none()
    return cells.filter(reduce(or_, parts))


@dataclass(frozen=True)
class OrgNode:
    """A node of a plan's org dimension: the plan's root, an org unit or a salesperson.

    ``opath`` is the materialised path of the unit ("/1/4/") and, for a salesperson, their
    unit's path plus ``s<id>/``, so "at or below" is always a prefix test. ``depth`` is
    relative to the plan's root (0).
    """

    kind: str
    id: int
    code: str
    name: str
    opath: str
    depth: int
    parent_opath: str | None
    unit_id: int | None = None

    @property
    def is_root(self) -> bool:
        return self.kind == "root"


@dataclass(frozen=True)
class PlNode:
    """A product-line node the plan covers (a covered leaf line or one of its ancestors)."""

    id: int
    code: str
    name: str
    path: str
    depth: int
    parent_id: int
    is_leaf: bool


@dataclass(frozen=True)
class Cell:
    """A cell of a plan's cube: org node x product-line node (None = all lines) x period."""

    org: OrgNode
    pl: PlNode | None
    period: str

    @property
    def label(self) -> str:
        line = self.pl.code if self.pl is not None else str(_("all lines"))
        return f"{self.org.code} · {line} · {self.period}"

    @property
    def key(self) -> tuple[str, int | None, str]:
        return (self.org.opath, self.pl.id if self.pl is not None else None, self.period)


@dataclass(frozen=True)
class ConstraintInfo:
    id: int
    cell: Cell
    locked: bool
    min_cents: int | None
    max_cents: int | None


class PlanStructure:
    """The dimensions of one plan: org nodes, product-line nodes, months and constraints.

    Loaded in a handful of queries (no per-row queries); the cube helpers (resolving codes to
    cells, parents and siblings, leaf masks) work on it in memory. ``members`` are the plan's
    salespeople (their current org unit places them in the tree).
    """

    def __init__(self, plan: Plan, *, with_constraints: bool = True) -> None:

        self.plan = plan
        self.fiscal = FiscalYear(plan.fiscal_year, plan.start_month)
        root = plan.root_org_unit
        self.root = OrgNode(
            kind="root",
            id=root.pk,
            code=root.code,
            name=root.name,
            opath=root.path,
            depth=0,
            parent_opath=None,
            unit_id=root.pk,
        )
        member_rows = list(
            plan.salespeople.filter(org_unit__path__startswith=root.path)
            .order_by("code")
            .values_list("pk", "code", "name", "org_unit_id", "org_unit__path")
        )
        unit_rows = list(
            OrgUnit.objects.filter(path__startswith=root.path)
            .exclude(pk=root.pk)
            .order_by("path")
            .values_list("pk", "code", "name", "path", "parent_id")
        )
        used_paths = {unit_path for *_, unit_path in member_rows}
        used = {ancestor for path in used_paths for ancestor in _ancestor_paths(path)}
        base_depth = root.depth
        self.units: dict[int, OrgNode] = {}
        path_of = {root.pk: root.path}
        for pk, code, name, path, _parent in unit_rows:
            path_of[pk] = path
            if path not in used:
                continue
            depth = path.count("/") - 1 - 1 - base_depth
            parent_opath = path[: path.rstrip("/").rfind("/") + 1]
            self.units[pk] = OrgNode(
                kind="unit",
                id=pk,
                code=code,
                name=name,
                opath=path,
                depth=depth,
                parent_opath=parent_opath,
                unit_id=pk,
            )
        self.members: dict[int, OrgNode] = {}
        for pk, code, name, unit_id, unit_path in member_rows:
            unit_depth = unit_path.count("/") - 2 - base_depth
            self.members[pk] = OrgNode(
                kind="salesperson",
                id=pk,
                code=code,
                name=name,
                opath=f"{unit_path}s{pk}/",
                depth=unit_depth + 1,
                parent_opath=unit_path,
                unit_id=unit_id,
            )
        self.by_opath: dict[str, OrgNode] = {root.path: self.root}
        self.by_opath.update({node.opath: node for node in self.units.values()})
        self.by_opath.update({node.opath: node for node in self.members.values()})
        self.unit_by_code = {node.code: node for node in self.units.values()}
        self.unit_by_code[root.code] = self.root
        self.member_by_code = {node.code: node for node in self.members.values()}
        self.member_ids = np.array(sorted(self.members), dtype=np.int64)
        self._member_opaths = pd.Series(
            [self.members[pk].opath for pk in self.member_ids], index=self.member_ids, dtype=object
        )

        leaf_ids = set(plan.product_lines.values_list("pk", flat=True))
        lines = list(ProductLine.objects.values_list("pk", "code", "name", "path", "parent_id"))
        by_id = {row[0]: row for row in lines}
        leaf_paths = {by_id[pk][3] for pk in leaf_ids if pk in by_id}
        covered = {a for path in leaf_paths for a in _ancestor_paths(path)}
        self.pl_nodes: dict[int, PlNode] = {}
        for pk, code, name, path, parent_id in lines:
            if path not in covered:
                continue
            self.pl_nodes[pk] = PlNode(
                id=pk,
                code=code,
                name=name,
                path=path,
                depth=path.count("/") - 1,
                parent_id=parent_id or 0,
                is_leaf=pk in leaf_ids,
            )
        self.pl_by_code = {node.code: node for node in self.pl_nodes.values()}
        self.leaf_ids = np.array(
            sorted(pk for pk, node in self.pl_nodes.items() if node.is_leaf), dtype=np.int64
        )
        self._leaf_paths = pd.Series(
            [self.pl_nodes[pk].path for pk in self.leaf_ids], index=self.leaf_ids, dtype=object
        )
        self._members_under: dict[str, np.ndarray] = {}
        self._leaves_under: dict[int | None, np.ndarray] = {}
        self.constraints: list[ConstraintInfo] = []
        if with_constraints:
            self.constraints = self._load_constraints()

    # -- lookups -------------------------------------------------------------------------------

    def _load_constraints(self) -> list[ConstraintInfo]:
        from salesalloc.core.money import to_cents

        out = []
        rows = CellConstraint.objects.filter(plan=self.plan).order_by("pk")
        for row in rows.values_list(
            "pk", "org_unit_id", "salesperson_id", "product_line_id", "period", "locked",
            "min_amount", "max_amount",
        ):  # fmt: skip
            pk, unit_id, sp_id, pl_id, period, locked, low, high = row
            org = self.org_node(unit_id=unit_id, salesperson_id=sp_id)
            pl = self.pl_nodes.get(pl_id) if pl_id is not None else None
            if org is None or (pl_id is not None and pl is None):
                continue  # the node left the plan; the constraint no longer applies
            out.append(
                ConstraintInfo(
                    id=pk,
                    cell=Cell(org=org, pl=pl, period=period),
                    locked=locked,
                    min_cents=to_cents(low) if low is not None else None,
                    max_cents=to_cents(high) if high is not None else None,
                )
            )
        return out

    def org_node(self, *, unit_id: int | None, salesperson_id: int | None) -> OrgNode | None:
        if salesperson_id is not None:
            return self.members.get(salesperson_id)
        if unit_id is None or unit_id == self.root.id:
            return self.root
        return self.units.get(unit_id)

    def org_parent(self, node: OrgNode) -> OrgNode | None:
        if node.is_root or node.parent_opath is None:
            return None
        return self.by_opath.get(node.parent_opath)

    def org_children(self, node: OrgNode) -> list[OrgNode]:
        """Child units (with plan salespeople below) and the salespeople placed in ``node``."""
        units = [u for u in self.units.values() if u.parent_opath == node.opath]
        people = [m for m in self.members.values() if m.parent_opath == node.opath]
        return sorted(units, key=lambda n: n.code) + sorted(people, key=lambda n: n.code)

    def pl_parent(self, node: PlNode) -> PlNode | None:
        return self.pl_nodes.get(node.parent_id)

    def pl_children(self, node: PlNode | None) -> list[PlNode]:
        parent_id = node.id if node is not None else 0
        out = [
            n
            for n in self.pl_nodes.values()
            if (n.parent_id if n.parent_id in self.pl_nodes else 0) == parent_id
        ]
        return sorted(out, key=lambda n: n.code)

    def members_under(self, node: OrgNode) -> np.ndarray:
        """Salesperson ids at or below an org node (sorted)."""
        cached = self._members_under.get(node.opath)
        if cached is None:
            hit = self._member_opaths.str.startswith(node.opath).to_numpy(dtype=bool)
            cached = self.member_ids[hit]
            self._members_under[node.opath] = cached
        return cached

    def leaves_under(self, node: PlNode | None) -> np.ndarray:
        """Covered leaf product-line ids at or below a node (all of them for None)."""
        key = node.id if node is not None else None
        cached = self._leaves_under.get(key)
        if cached is None:
            if node is None:
                cached = self.leaf_ids
            else:
                hit = self._leaf_paths.str.startswith(node.path).to_numpy(dtype=bool)
                cached = self.leaf_ids[hit]
            self._leaves_under[key] = cached
        return cached

    def months(self, cell: Cell) -> tuple[int, ...]:
        return self.fiscal.period_months(cell.period)

    def leaf_count(self, cell: Cell) -> int:
        return (
            len(self.members_under(cell.org))
            * len(self.leaves_under(cell.pl))
            * len(self.months(cell))
        )

    def mask(self, cell: Cell, leaves: pd.DataFrame) -> np.ndarray:
        """Which rows of a leaf frame (``salesperson_id, pl_id, m``) lie inside ``cell``."""
        hit = np.ones(len(leaves), dtype=bool)
        if not cell.org.is_root:
            hit &= np.isin(leaves["salesperson_id"].to_numpy(), self.members_under(cell.org))
        if cell.pl is not None:
            hit &= np.isin(leaves["pl_id"].to_numpy(), self.leaves_under(cell.pl))
        if cell.period != "year":
            hit &= np.isin(leaves["m"].to_numpy(), self.months(cell))
        return hit

    # -- the cube ------------------------------------------------------------------------------

    def resolve(
        self,
        *,
        org_unit: str | None = None,
        salesperson: str | None = None,
        product_line: str | None = None,
        period: str = "year",
    ) -> Cell:
        """Codes -> a cell of this plan, or ``ValidationError`` naming the field."""
        if org_unit and salesperson:
            raise ValidationError(
                {"salesperson": _("Give an org unit or a salesperson, not both.")}
            )
        if salesperson:
            org = self.member_by_code.get(salesperson)
            if org is None:
                raise ValidationError(
                    {
                        "salesperson": _("%(code)s has no targets in this plan.")
                        % {"code": salesperson}
                    }
                )
        elif org_unit:
            org = self.unit_by_code.get(org_unit)
            if org is None:
                raise ValidationError(
                    {"org_unit": _("%(code)s is not part of this plan.") % {"code": org_unit}}
                )
        else:
            org = self.root
        pl = None
        if product_line:
            pl = self.pl_by_code.get(product_line)
            if pl is None:
                raise ValidationError(
                    {
                        "product_line": _("The plan doesn't cover product line %(code)s.")
                        % {"code": product_line}
                    }
                )
        try:
            canonical = self.fiscal.parse_period(period)
        except ValueError:
            raise ValidationError(
                {
                    "period": _(
                        "Enter a period as “year”, a fiscal quarter Q1-Q4 or a month YYYY-MM "
                        "of fiscal year %(year)s."
                    )
                    % {"year": self.plan.fiscal_year}
                }
            ) from None
        return Cell(org=org, pl=pl, period=canonical)

    def parent(self, cell: Cell) -> tuple[Cell, str] | None:
        """The cell one step up along the finest non-root dimension, and that dimension.

        Order org -> product line -> period, periods split year -> month (quarters are sums):
        a month or quarter's parent is the same row's year; a year cell with a product line
        has the parent line (or all lines) of the same org node; an all-lines year cell has
        the parent org node; the plan total has none.
        """
        if cell.period != "year":
            return Cell(org=cell.org, pl=cell.pl, period="year"), "period"
        if cell.pl is not None:
            return Cell(org=cell.org, pl=self.pl_parent(cell.pl), period="year"), "product_line"
        parent = self.org_parent(cell.org)
        if parent is None:
            return None
        return Cell(org=parent, pl=None, period="year"), "org"

    def children(self, cell: Cell, dimension: str) -> list[Cell]:
        """The children of ``cell`` along a dimension (months for the period)."""
        if dimension == "period":
            return [
                Cell(org=cell.org, pl=cell.pl, period=label) for label in self.fiscal.month_labels()
            ]
        if dimension == "product_line":
            return [
                Cell(org=cell.org, pl=child, period=cell.period)
                for child in self.pl_children(cell.pl)
            ]
        return [
            Cell(org=child, pl=cell.pl, period=cell.period) for child in self.org_children(cell.org)
        ]

    def contains(self, outer: Cell, inner: Cell) -> bool:
        """True if every leaf of ``inner`` is a leaf of ``outer``."""
        if not inner.org.opath.startswith(outer.org.opath):
            return False
        if outer.pl is not None and (
            inner.pl is None or not inner.pl.path.startswith(outer.pl.path)
        ):
            return False
        return set(self.months(inner)) <= set(self.months(outer))

    def overlaps(self, first: Cell, second: Cell) -> bool:
        org = first.org.opath.startswith(second.org.opath) or second.org.opath.startswith(
            first.org.opath
        )
        pl = (
            first.pl is None
            or second.pl is None
            or first.pl.path.startswith(second.pl.path)
            or second.pl.path.startswith(first.pl.path)
        )
        return org and pl and bool(set(self.months(first)) & set(self.months(second)))

    def constraint_at(self, cell: Cell) -> ConstraintInfo | None:
        for info in self.constraints:
            if info.cell.key == cell.key:
                return info
        return None


def plan_structure_get(*, plan: Plan, with_constraints: bool = True) -> PlanStructure:
    """Load a plan's dimensions (unscoped: callers apply the viewer's scope)."""
    return PlanStructure(plan, with_constraints=with_constraints)


@dataclass(frozen=True)
class PlanScope:
    """What part of one plan a viewer sees and may change (org-path prefixes)."""

    visible: tuple[str, ...]
    editable: tuple[str, ...]
    role: str

    def sees(self, node: OrgNode) -> bool:
        return any(node.opath.startswith(prefix) for prefix in self.visible)

    def may_change(self, node: OrgNode | None) -> bool:
        return node is not None and any(node.opath.startswith(p) for p in self.editable)


def plan_scope_get(
    *, user: AbstractBaseUser | AnonymousUser, structure: PlanStructure
) -> PlanScope:
    """The viewer's window on a plan: admin all; manager their subtrees; salesperson own row."""
    scope = viewer_scope(user=user)
    root = structure.root.opath
    if scope.is_admin:
        return PlanScope(visible=(root,), editable=(root,), role="admin")
    managed: list[str] = []
    for path in scope.managed_paths:
        if root.startswith(path):
            managed = [root]
            break
        if path.startswith(root):
            managed.append(path)
    visible = list(managed)
    if scope.salesperson_id is not None and scope.salesperson_id in structure.members:
        own = structure.members[scope.salesperson_id].opath
        if structure.plan.status == Plan.Status.PUBLISHED and not any(
            own.startswith(p) for p in visible
        ):
            visible.append(own)
    role = "manager" if managed else ("salesperson" if visible else "none")
    return PlanScope(visible=tuple(visible), editable=tuple(managed), role=role)


def plan_leaves_frame(
    *,
    plan: Plan,
    structure: PlanStructure,
    salesperson_ids: np.ndarray | None = None,
    pl_ids: np.ndarray | None = None,
    months: tuple[int, ...] | None = None,
) -> pd.DataFrame:
    """A plan's target leaves as ``id, salesperson_id, pl_id, m, cents`` (int64, cents)."""
    from django.db import connections
    from django.db.models import BigIntegerField
    from django.db.models.functions import Cast, ExtractMonth, Round

    cells = TargetCell.objects.filter(plan=plan)
    if salesperson_ids is not None and len(salesperson_ids) < len(structure.member_ids):
        cells = cells.filter(salesperson_id__in=[int(x) for x in salesperson_ids])
    if pl_ids is not None and len(pl_ids) < len(structure.leaf_ids):
        cells = cells.filter(product_line_id__in=[int(x) for x in pl_ids])
    if months is not None and len(months) < MONTHS_PER_YEAR:
        all_months = structure.fiscal.months
        cells = cells.filter(month__in=[all_months[m] for m in months])
    query = (
        cells.annotate(
            calendar_year=ExtractYear("month"),
            calendar_month=ExtractMonth("month"),
            cents=Cast(Round(F("amount") * 100), BigIntegerField()),
        )
        .order_by()
        .values_list(
            "id", "salesperson_id", "product_line_id", "calendar_year", "calendar_month", "cents"
        )
    )
    # Plain integers straight from the cursor: the ORM's per-row converters would double the
    # cost of reading the leaves under a large parent.
    sql, params = query.query.sql_with_params()
    with connections[query.db].cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    frame = pd.DataFrame(
        np.array(rows, dtype=np.int64).reshape(-1, 6),
        columns=["id", "salesperson_id", "pl_id", "year", "month", "cents"],
    )
    first = structure.fiscal.year * 12 + structure.fiscal.start_month - 1
    frame["m"] = frame["year"] * 12 + frame["month"] - 1 - first
    return frame[["id", "salesperson_id", "pl_id", "m", "cents"]].astype(np.int64)


MONTHS_PER_YEAR = 12


# --- Plan read models: grid, roll-ups, comparisons, audit, acknowledgements --------------------


def _sum_cents(field: str = "amount", scale: int = 100) -> Any:
    from django.db.models import BigIntegerField
    from django.db.models.functions import Cast, Round

    return Cast(Round(Sum(field) * scale), BigIntegerField())


def _month_index_frame(
    rows: list[tuple], structure: PlanStructure, columns: list[str]
) -> pd.DataFrame:
    """Rows of (key, month date, value) -> a frame with the fiscal month index ``m``."""
    frame = pd.DataFrame(rows, columns=columns)
    if frame.empty:
        frame["m"] = pd.Series([], dtype=np.int64)
        return frame
    first = structure.fiscal.year * 12 + structure.fiscal.start_month - 1
    frame["m"] = [d.year * 12 + d.month - 1 - first for d in frame["month"]]
    return frame


def plan_person_month_cents(
    *, structure: PlanStructure, pl: PlNode | None = None, salesperson_ids: np.ndarray | None = None
) -> np.ndarray:
    """Targets per (plan member, fiscal month) in cents: a members x 12 matrix.

    Rows follow ``structure.member_ids``. One aggregate query.
    """
    cells = TargetCell.objects.filter(plan=structure.plan)
    if pl is not None:
        cells = cells.filter(product_line_id__in=[int(x) for x in structure.leaves_under(pl)])
    if salesperson_ids is not None and len(salesperson_ids) < len(structure.member_ids):
        cells = cells.filter(salesperson_id__in=[int(x) for x in salesperson_ids])
    rows = list(
        cells.order_by()
        .values("salesperson_id", "month")
        .annotate(cents=_sum_cents())
        .values_list("salesperson_id", "month", "cents")
    )
    return _person_month_matrix(rows, structure)


def plan_person_month_actuals(
    *, structure: PlanStructure, pl: PlNode | None = None, salesperson_ids: np.ndarray | None = None
) -> np.ndarray:
    """Actuals per (plan member, fiscal month) in 1/10000 of the currency unit (exact)."""
    months = structure.fiscal.months
    cells = ActualCell.objects.filter(
        month__gte=months[0],
        month__lte=months[-1],
        product_line_id__in=[int(x) for x in structure.leaves_under(pl)],
    )
    if salesperson_ids is not None and len(salesperson_ids) < len(structure.member_ids):
        cells = cells.filter(salesperson_id__in=[int(x) for x in salesperson_ids])
    else:
        cells = cells.filter(salesperson__in=structure.plan.salespeople.all())
    rows = list(
        cells.order_by()
        .values("salesperson_id", "month")
        .annotate(units=_sum_cents(scale=10000))
        .values_list("salesperson_id", "month", "units")
    )
    return _person_month_matrix(rows, structure)


def _person_month_matrix(rows: list[tuple], structure: PlanStructure) -> np.ndarray:
    matrix = np.zeros((len(structure.member_ids), MONTHS_PER_YEAR), dtype=np.int64)
    if not rows:
        return matrix
    frame = _month_index_frame(rows, structure, ["salesperson_id", "month", "value"])
    position = pd.Index(structure.member_ids).get_indexer(frame["salesperson_id"])
    keep = (position >= 0) & (frame["m"].between(0, MONTHS_PER_YEAR - 1)).to_numpy()
    np.add.at(
        matrix,
        (position[keep], frame["m"].to_numpy()[keep]),
        frame["value"].fillna(0).to_numpy(dtype=np.int64)[keep],
    )
    return matrix


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
    if org_unit:
        top = structure.resolve(org_unit=org_unit).org
        if not window.sees(top):
            raise ValidationError(
                {
                    "org_unit": _("No org unit with code “%(value)s” is visible to you.")
                    % {"value": org_unit}
                }
            )
        tops = [top]
    else:
        tops = [structure.by_opath[p] for p in window.visible if p in structure.by_opath]
    visible_members = np.array(
        sorted({int(x) for node in tops for x in structure.members_under(node)}), dtype=np.int64
    )
    targets = plan_person_month_cents(structure=structure, pl=pl, salesperson_ids=visible_members)
    actuals = plan_person_month_actuals(structure=structure, pl=pl, salesperson_ids=visible_members)
    member_index = pd.Index(structure.member_ids)
    editable_plan = plan.status == Plan.Status.DRAFT

    def sums(node: OrgNode, matrix: np.ndarray) -> list[int]:
        rows = member_index.get_indexer(structure.members_under(node))
        return matrix[rows].sum(axis=0).astype(np.int64).tolist()

    pl_id = pl.id if pl is not None else None
    constraints: dict[str, list[ConstraintInfo]] = {}
    for info in structure.constraints:
        if (info.cell.pl.id if info.cell.pl is not None else None) == pl_id:
            constraints.setdefault(info.cell.org.opath, []).append(info)

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
    total = np.zeros(MONTHS_PER_YEAR, np.int64)
    total_actual = np.zeros(MONTHS_PER_YEAR, np.int64)
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
    rows_of = pd.Index(structure.member_ids).get_indexer(visible)
    if group_by in {"month", "quarter"}:
        t = targets[rows_of].sum(axis=0)
        a = actuals[rows_of].sum(axis=0)
        labels = structure.fiscal.month_labels()
        if group_by == "month":
            return [
                RollupRow(
                    key=labels[m], name=labels[m], amount_cents=int(t[m]), actual_units=int(a[m])
                )
                for m in range(MONTHS_PER_YEAR)
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
        .annotate(c=_sum_cents())
        .values_list("product_line_id", "c")
    )
    a_rows = dict(
        actual.order_by()
        .values("product_line_id")
        .annotate(c=_sum_cents(scale=10000))
        .values_list("product_line_id", "c")
    )
    level = level or 1
    groups: dict[int, list[int]] = {}
    for leaf in structure.leaf_ids:
        node = structure.pl_nodes[int(leaf)]
        chain = [node]
        while structure.pl_parent(chain[-1]) is not None:
            chain.append(structure.pl_parent(chain[-1]))
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


def plan_change_list(*, user: AbstractBaseUser | AnonymousUser, plan: Plan) -> QuerySet[PlanChange]:
    """A plan's audit trail as the viewer may see it: admins all of it; managers the changes
    of cells in their subtree plus plan-wide events (transitions, allocation)."""
    scope = viewer_scope(user=user)
    changes = PlanChange.objects.filter(plan=plan).select_related(
        "actor", "org_unit", "salesperson", "product_line"
    )
    if scope.is_admin:
        return changes
    if not scope.is_manager:
        return changes.none()
    plan_wide = Q(org_unit__isnull=True, salesperson__isnull=True, period="")
    inside = reduce(
        or_,
        [
            Q(org_unit__path__startswith=p) | Q(salesperson__org_unit__path__startswith=p)
            for p in scope.managed_paths
        ],
    )
    return changes.filter(plan_wide | inside)


@dataclass(frozen=True)
class AcknowledgementRow:
    salesperson: OrgNode
    org_unit_code: str
    status: str  # pending | acknowledged | disputed
    comment: str
    acted_by: str | None
    acted_at: dt.datetime | None


def acknowledgement_list(
    *, user: AbstractBaseUser | AnonymousUser, plan: Plan, status: str | None = None
) -> list[AcknowledgementRow]:
    """Every plan member the viewer manages, with their answer (or ``pending``)."""
    structure = plan_structure_get(plan=plan, with_constraints=False)
    window = plan_scope_get(user=user, structure=structure)
    answers = {
        row.salesperson_id: row
        for row in Acknowledgement.objects.filter(plan=plan).select_related("acted_by")
    }
    units = {node.id: node.code for node in structure.units.values()}
    units[structure.root.id] = structure.root.code
    out = []
    for sp in structure.member_ids:
        node = structure.members[int(sp)]
        if not window.may_change(node):
            continue
        answer = answers.get(int(sp))
        row = AcknowledgementRow(
            salesperson=node,
            org_unit_code=units.get(node.unit_id or 0, ""),
            status=answer.status if answer else "pending",
            comment=answer.comment if answer else "",
            acted_by=answer.acted_by.get_username() if answer and answer.acted_by else None,
            acted_at=answer.acted_at if answer else None,
        )
        if status is None or row.status == status:
            out.append(row)
    return sorted(out, key=lambda r: r.salesperson.code)


@dataclass
class MyTargets:
    plan: Plan
    salesperson: Salesperson
    month_labels: list[str]
    months: list[int]
    product_lines: list[tuple[ProductLine, list[int]]]
    acknowledgement: Acknowledgement | None


def my_target_list(*, user: AbstractBaseUser | AnonymousUser) -> list[MyTargets]:
    """The signed-in salesperson's targets in every published plan (newest first)."""
    scope = viewer_scope(user=user)
    if scope.salesperson_id is None:
        return []
    plans = list(
        Plan.objects.filter(
            status=Plan.Status.PUBLISHED, salespeople__id=scope.salesperson_id
        ).order_by("-fiscal_year", "name", "-version")
    )
    if not plans:
        return []
    person = Salesperson.objects.get(pk=scope.salesperson_id)
    rows = list(
        TargetCell.objects.filter(plan__in=plans, salesperson_id=scope.salesperson_id)
        .order_by()
        .values("plan_id", "product_line_id", "month")
        .annotate(cents=_sum_cents())
        .values_list("plan_id", "product_line_id", "month", "cents")
    )
    lines = {pl.pk: pl for pl in ProductLine.objects.filter(pk__in={r[1] for r in rows})}
    answers = {
        a.plan_id: a
        for a in Acknowledgement.objects.filter(plan__in=plans, salesperson_id=scope.salesperson_id)
    }
    out = []

    for plan in plans:
        fiscal = FiscalYear(plan.fiscal_year, plan.start_month)
        by_line: dict[int, list[int]] = {}
        for plan_id, pl_id, month, cents in rows:
            if plan_id != plan.pk:
                continue
            m = fiscal.month_index(month)
            if m is not None:
                by_line.setdefault(pl_id, [0] * MONTHS_PER_YEAR)[m] += int(cents or 0)
        totals = [sum(values[m] for values in by_line.values()) for m in range(MONTHS_PER_YEAR)]
        out.append(
            MyTargets(
                plan=plan,
                salesperson=person,
                month_labels=fiscal.month_labels(),
                months=totals,
                product_lines=sorted(
                    ((lines[pk], values) for pk, values in by_line.items()),
                    key=lambda item: item[0].code,
                ),
                acknowledgement=answers.get(plan.pk),
            )
        )
    return out


@dataclass(frozen=True)
class DayTargets:
    salesperson: OrgNode
    month: dt.date
    product_line: PlNode | None
    amount_cents: int
    days: list[tuple[dt.date, int]]


def plan_day_target_list(
    *,
    user: AbstractBaseUser | AnonymousUser,
    plan: Plan,
    month: dt.date,
    salesperson: str | None = None,
    product_line: str | None = None,
) -> list[DayTargets]:
    """Day-level targets: each visible salesperson's month target split over its working days.

    Working days follow the plan's calendar country (China with 调休 by default); the split
    is exact (``split_days``: equal shares, leftover cents to the earliest days).
    """

    structure = plan_structure_get(plan=plan, with_constraints=False)
    window = plan_scope_get(user=user, structure=structure)
    label = f"{month:%Y-%m}"
    cell = structure.resolve(salesperson=salesperson, product_line=product_line, period=label)
    people = (
        [cell.org] if salesperson else [structure.members[int(sp)] for sp in structure.member_ids]
    )
    people = [p for p in people if window.sees(p)]
    if salesperson and not people:
        raise ValidationError(
            {
                "salesperson": _("No salesperson with code “%(value)s” is visible to you.")
                % {"value": salesperson}
            }
        )
    cells = TargetCell.objects.filter(
        plan=plan,
        month=month,
        product_line_id__in=[int(x) for x in structure.leaves_under(cell.pl)],
    )
    if salesperson:
        cells = cells.filter(salesperson_id=cell.org.id)
    totals = dict(
        cells.order_by()
        .values("salesperson_id")
        .annotate(c=_sum_cents())
        .values_list("salesperson_id", "c")
    )
    country = (plan.method_config or {}).get("country", "CN")
    last = (month.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1)
    days = working_days(month, last, country=country)
    out = []
    for person in sorted(people, key=lambda p: p.code):
        total = int(totals.get(person.id) or 0)
        split = split_days(total, days) if days else {}
        out.append(
            DayTargets(
                salesperson=person,
                month=month,
                product_line=cell.pl,
                amount_cents=total,
                days=sorted(split.items()),
            )
        )
    return out


def plan_scope_totals(
    *, user: AbstractBaseUser | AnonymousUser, plan_ids: list[int]
) -> dict[int, int] | None:
    """Per plan, the cents of the part the viewer sees (None for admins: the plan total).

    One aggregate query for a whole page of plans.
    """
    scope = viewer_scope(user=user)
    if scope.is_admin:
        return None
    parts = []
    if scope.is_manager:
        parts.append(scope.managed_salesperson_q("salesperson__"))
    if scope.salesperson_id is not None:
        parts.append(Q(salesperson_id=scope.salesperson_id))
    if not parts or not plan_ids:
        return {}
    rows = (
        TargetCell.objects.filter(plan_id__in=plan_ids)
        .filter(reduce(or_, parts))
        .order_by()
        .values("plan_id")
        .annotate(cents=_sum_cents())
        .values_list("plan_id", "cents")
    )
    return {plan_id: int(cents or 0) for plan_id, cents in rows}


def plan_actions(*, user: AbstractBaseUser | AnonymousUser, plan: Plan) -> list[str]:
    """What the viewer may do with the plan in its current state (for the editor's buttons)."""
    scope = viewer_scope(user=user)
    status = plan.status
    draft = status == Plan.Status.DRAFT
    out: list[str] = []
    manages = scope.is_admin or any(
        plan.root_org_unit.path.startswith(p) or p.startswith(plan.root_org_unit.path)
        for p in scope.managed_paths
    )
    if draft and manages:
        out += ["edit", "lock", "upload"]
        if plan.allocated_at is not None:
            out.append("submit")
    if scope.is_admin:
        if draft:
            out.append("allocate")
        if status == Plan.Status.SUBMITTED:
            out += ["approve", "reject"]
        if status == Plan.Status.APPROVED:
            out.append("reject")
            if plan.scenario_of_id is None:
                out.append("publish")
        if status == Plan.Status.PUBLISHED and plan.scenario_of_id is None:
            out += ["new_version", "respread"]
        if status != Plan.Status.ARCHIVED:
            out.append("archive")
        out.append("scenario")
    if (
        status == Plan.Status.PUBLISHED
        and scope.salesperson_id is not None
        and plan.salespeople.filter(pk=scope.salesperson_id).exists()
    ):
        out.append("acknowledge")
    return out
