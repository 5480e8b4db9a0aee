"""A plan's in-memory structure: its org nodes, product-line nodes, months and constraints.

:class:`PlanStructure` is loaded once per request or service call (a handful of queries) and
then answers every question about the plan's cube in memory: resolving codes to a
:class:`Cell`, a cell's parent and children, which leaves lie inside it, and the locks and
bounds on it. Services edit through it; selectors read through it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from allocation.engine.fiscal import FiscalYear
from allocation.engine.rebalance import KEEP_PERIOD_TOTAL, KEEP_ROW_YEAR
from allocation.models import CellConstraint, OrgUnit, Plan, ProductLine
from salesalloc.core.money import to_cents


def ancestor_paths(path: str) -> list[str]:
    """ "/1/4/9/" -> ["/1/", "/1/4/", "/1/4/9/"]."""
    parts = [part for part in path.strip("/").split("/") if part]
    return ["/" + "/".join(parts[:i]) + "/" for i in range(1, len(parts) + 1)]


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


def _org_nodes(plan: Plan, root: OrgUnit) -> tuple[dict[int, OrgNode], dict[int, OrgNode]]:
    """The plan's org units that hold plan salespeople (by id), and those salespeople."""
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
    used = {ancestor for path in used_paths for ancestor in ancestor_paths(path)}
    base_depth = root.depth
    units: dict[int, OrgNode] = {}
    for pk, code, name, path, _parent in unit_rows:
        if path not in used:
            continue
        units[pk] = OrgNode(
            kind="unit",
            id=pk,
            code=code,
            name=name,
            opath=path,
            depth=path.count("/") - 1 - 1 - base_depth,
            parent_opath=path[: path.rstrip("/").rfind("/") + 1],
            unit_id=pk,
        )
    members: dict[int, OrgNode] = {}
    for pk, code, name, unit_id, unit_path in member_rows:
        members[pk] = OrgNode(
            kind="salesperson",
            id=pk,
            code=code,
            name=name,
            opath=f"{unit_path}s{pk}/",
            depth=unit_path.count("/") - 2 - base_depth + 1,
            parent_opath=unit_path,
            unit_id=unit_id,
        )
    return units, members


def _pl_nodes(plan: Plan) -> dict[int, PlNode]:
    """The product-line nodes the plan covers: its leaf lines and their ancestors."""
    leaf_ids = set(plan.product_lines.values_list("pk", flat=True))
    lines = list(ProductLine.objects.values_list("pk", "code", "name", "path", "parent_id"))
    by_id = {row[0]: row for row in lines}
    leaf_paths = {by_id[pk][3] for pk in leaf_ids if pk in by_id}
    covered = {a for path in leaf_paths for a in ancestor_paths(path)}
    return {
        pk: PlNode(
            id=pk,
            code=code,
            name=name,
            path=path,
            depth=path.count("/") - 1,
            parent_id=parent_id or 0,
            is_leaf=pk in leaf_ids,
        )
        for pk, code, name, path, parent_id in lines
        if path in covered
    }


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
        self.units, self.members = _org_nodes(plan, root)
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

        self.pl_nodes = _pl_nodes(plan)
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

    def parent(self, cell: Cell, keep: str = KEEP_ROW_YEAR) -> tuple[Cell, str] | None:
        """The cell an edit of ``cell`` keeps under the keep rule ``keep``, and the dimension
        its siblings lie along (see ``allocation.engine.rebalance`` for the rules).

        ``row_year``: one step up along the finest non-root dimension, order org -> product
        line -> period, periods split year -> month (quarters are sums): a month or
        quarter's parent is the same row's year; a year cell with a product line has the
        parent line (or all lines) of the same org node; an all-lines year cell has the
        parent org node; the plan total has none.

        ``period_total``: the parent org node's same period and line; at the plan's org
        node, the parent line's same period (a year cell with no line is the plan total:
        none). The plan's all-lines month or quarter has none either, and can't be kept.
        """
        if keep == KEEP_PERIOD_TOTAL:
            above = self.org_parent(cell.org)
            if above is not None:
                return Cell(org=above, pl=cell.pl, period=cell.period), "org"
            if cell.pl is not None:
                return (
                    Cell(org=cell.org, pl=self.pl_parent(cell.pl), period=cell.period),
                    "product_line",
                )
            return None
        if cell.period != "year":
            return Cell(org=cell.org, pl=cell.pl, period="year"), "period"
        if cell.pl is not None:
            return Cell(org=cell.org, pl=self.pl_parent(cell.pl), period="year"), "product_line"
        parent = self.org_parent(cell.org)
        if parent is None:
            return None
        return Cell(org=parent, pl=None, period="year"), "org"

    def is_plan_total(self, cell: Cell) -> bool:
        """The plan's own total: its org node, all lines, the year."""
        return cell.org.is_root and cell.pl is None and cell.period == "year"

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
