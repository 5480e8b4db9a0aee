"""Reads of the org tree, salespeople, product lines and actuals, scoped to the viewer."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import QuerySet

from allocation.access import viewer_scope
from allocation.models import ActualCell, OrgUnit, ProductLine, Salesperson


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


def managed_salesperson_list(*, user: AbstractBaseUser | AnonymousUser) -> QuerySet[Salesperson]:
    """Salespeople whose numbers and settings the viewer may *change* (admin: everyone)."""
    scope = viewer_scope(user=user)
    return Salesperson.objects.filter(scope.managed_salesperson_q()).select_related("org_unit")


def actual_cell_list(*, user: AbstractBaseUser | AnonymousUser) -> QuerySet[ActualCell]:
    scope = viewer_scope(user=user)
    return ActualCell.objects.filter(scope.salesperson_q("salesperson__")).select_related(
        "salesperson", "product_line"
    )
