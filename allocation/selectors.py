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

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Q, QuerySet, Sum
from django.db.models.functions import ExtractYear

from allocation.models import ActualCell, OrgUnit, ProductLine, Salesperson

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

    def org_unit_q(self, prefix: str = "") -> Q:
        """Filter for org units (or rows with an org unit at ``prefix``) the viewer may see."""
        if self.is_admin:
            return Q()
        parts = [Q(**{f"{prefix}path__startswith": path}) for path in self.managed_paths]
        if self.salesperson_id is not None:
            parts.append(Q(**{f"{prefix}salespeople__id": self.salesperson_id}))
        return reduce(or_, parts) if parts else Q(pk__in=[])

    def managed_org_unit_q(self, prefix: str = "") -> Q:
        """Filter for org units the viewer may *change* (admin: all; manager: subtrees)."""
        if self.is_admin:
            return Q()
        parts = [Q(**{f"{prefix}path__startswith": path}) for path in self.managed_paths]
        return reduce(or_, parts) if parts else Q(pk__in=[])

    def salesperson_q(self, prefix: str = "") -> Q:
        """Filter for salespeople (or rows with a salesperson at ``prefix``) the viewer sees."""
        if self.is_admin:
            return Q()
        parts = [Q(**{f"{prefix}org_unit__path__startswith": path}) for path in self.managed_paths]
        if self.salesperson_id is not None:
            parts.append(Q(**{f"{prefix}pk": self.salesperson_id}))
        return reduce(or_, parts) if parts else Q(pk__in=[])

    def managed_salesperson_q(self, prefix: str = "") -> Q:
        """Filter for salespeople whose numbers the viewer may *change*."""
        if self.is_admin:
            return Q()
        parts = [Q(**{f"{prefix}org_unit__path__startswith": path}) for path in self.managed_paths]
        return reduce(or_, parts) if parts else Q(pk__in=[])


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


def _sums() -> dict[str, Sum]:
    return {"amount": Sum("amount"), "cost": Sum("cost"), "lines": Sum("lines")}


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
    if group_by not in ACTUAL_TOTAL_GROUPS:
        raise ValueError(f"unknown grouping {group_by!r}")
    scope = viewer_scope(user=user)
    base = ActualCell.objects.all() if cells is None else cells
    cells = base.filter(scope.salesperson_q("salesperson__")).order_by()

    if group_by == "month":
        rows = cells.values("month").annotate(**_sums()).order_by("month")
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
        rows = (
            cells.annotate(year=ExtractYear("month")).values("year").annotate(**_sums())
        ).order_by("year")
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
            .annotate(**_sums())
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
        rows = list(cells.values("product_line_id").annotate(**_sums()))
        nodes = {
            node["pk"]: node
            for node in product_line_list(user=user).values("pk", "code", "name", "path")
        }
        if level is None:
            level = product_line.depth + 1 if product_line is not None else 0
        return _roll_up(rows, id_key="product_line_id", nodes=nodes, level=level)

    rows = list(cells.values("salesperson__org_unit_id").annotate(**_sums()))
    units = list(org_unit_list(user=user).values("pk", "code", "name", "path", "depth"))
    nodes = {unit["pk"]: unit for unit in units}
    if level is None:
        if org_unit is not None:
            level = org_unit.depth + 1
        else:
            level = min((unit["depth"] for unit in units), default=0) + 1
    return _roll_up(rows, id_key="salesperson__org_unit_id", nodes=nodes, level=level)
