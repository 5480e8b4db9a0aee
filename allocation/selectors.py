"""Reads of the plan grid's dimensions and actuals, always scoped to the viewer.

Visibility (DESIGN §1): an admin (superuser or ``allocation.manage_all``) sees everything; a
manager sees the subtrees of the org units they manage; a salesperson sees only their own
rows. A user can be both a manager and a salesperson; the scopes add up. Everyone else sees
nothing.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import reduce
from operator import or_

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Q, QuerySet

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
