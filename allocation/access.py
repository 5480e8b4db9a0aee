"""Who may see and change what: the viewer's scope on the org tree and the API's role checks.

Visibility (DESIGN §1): an admin (superuser or ``allocation.manage_all``) sees everything; a
manager sees the subtrees of the org units they manage; a salesperson sees only their own
rows. A user can be both a manager and a salesperson; the scopes add up. Everyone else sees
nothing. :func:`viewer_scope` resolves that once per user; :func:`plan_scope_get` narrows it
to one plan's org nodes.

The DRF permission classes below only gate *which operations* a role may call; *which rows*
a user sees is decided by the selectors, so a permission class never replaces a scoped
selector. An anonymous request fails every class here, and DRF answers 401 because token
authentication is listed first.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import reduce
from operator import or_
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.request import Request

from allocation.models import OrgUnit, Plan, Salesperson
from allocation.structure import OrgNode, PlanStructure
from salesalloc.core.users import acting_user

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
    account = acting_user(user)
    if account is None or not account.is_active:
        scope = ViewerScope(user_id=None, is_admin=False, managed_paths=(), salesperson_id=None)
    else:
        is_admin = bool(account.is_superuser or account.has_perm("allocation.manage_all"))
        paths = tuple(
            OrgUnit.objects.filter(managers=account).order_by("path").values_list("path", flat=True)
        )
        # Drop paths already covered by an ancestor path.
        managed: list[str] = []
        for path in paths:
            if not any(path.startswith(kept) for kept in managed):
                managed.append(path)
        salesperson_id = (
            Salesperson.objects.filter(user=account).values_list("pk", flat=True).first()
        )
        scope = ViewerScope(
            user_id=user.pk,
            is_admin=is_admin,
            managed_paths=tuple(managed),
            salesperson_id=salesperson_id,
        )
    setattr(user, _SCOPE_ATTR, scope)
    return scope


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


# --- API permissions ---------------------------------------------------------------------------

NO_ROLE_MESSAGE = _(
    "Your account has no sales role yet (admin, manager or salesperson). Ask an administrator."
)
MANAGER_MESSAGE = _("Only managers and administrators may do this.")
ADMIN_MESSAGE = _("Only administrators may do this.")


def request_scope(request: Request) -> ViewerScope:
    """The viewer's scope, resolved once per request user."""
    return viewer_scope(user=request.user)


class HasRole(BasePermission):
    """Any role at all: admin, manager or salesperson."""

    message = NO_ROLE_MESSAGE

    def has_permission(self, request: Request, view: Any) -> bool:
        return request_scope(request).role != "none"


class IsManagerOrAdmin(BasePermission):
    """Managers (of any org unit) and admins."""

    message = MANAGER_MESSAGE

    def has_permission(self, request: Request, view: Any) -> bool:
        return request_scope(request).can_manage


class IsAdmin(BasePermission):
    """Superusers and holders of ``allocation.manage_all``."""

    message = ADMIN_MESSAGE

    def has_permission(self, request: Request, view: Any) -> bool:
        return request_scope(request).is_admin


class IsManagerOrAdminOrReadOnly(BasePermission):
    """Reads for any role; writes (unsafe methods) only for managers and admins."""

    message = MANAGER_MESSAGE

    def has_permission(self, request: Request, view: Any) -> bool:
        scope = request_scope(request)
        if request.method in SAFE_METHODS:
            self.message = NO_ROLE_MESSAGE
            return scope.role != "none"
        self.message = MANAGER_MESSAGE
        return scope.can_manage
