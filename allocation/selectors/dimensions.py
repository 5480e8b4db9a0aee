"""Reads of the org tree, salespeople, product lines and actuals, scoped to the viewer."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Case, IntegerField, QuerySet, Value, When

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


def company_currency(*, org_unit: OrgUnit | None = None) -> str:
    """The company's currency: set on the top unit of ``org_unit``'s tree (the first top
    unit for None), else the ``SALESALLOC_CURRENCY`` setting (default CNY)."""
    tops = OrgUnit.objects.filter(parent__isnull=True)
    if org_unit is not None:
        top_id = org_unit.path.strip("/").split("/")[0]
        tops = tops.filter(pk=int(top_id)) if top_id.isdigit() else tops.none()
    currency = tops.order_by("path").values_list("currency", flat=True).first()
    return currency or settings.SALESALLOC_CURRENCY


def org_unit_tree_order(units: QuerySet[OrgUnit]) -> QuerySet[OrgUnit]:
    """``units`` in tree order: each unit right after its parent, siblings by code.

    (Materialised paths hold ids, so ordering by path would put "/1/11/" before "/1/2/".)
    """
    rows = list(units.values_list("pk", "path"))
    ids = {int(part) for _pk, path in rows for part in path.strip("/").split("/") if part}
    codes = dict(OrgUnit.objects.filter(pk__in=ids).values_list("pk", "code"))

    def key(row: tuple[int, str]) -> list[str]:
        return [codes.get(int(part), "") for part in row[1].strip("/").split("/") if part]

    order = [pk for pk, _path in sorted(rows, key=key)]
    if not order:
        return units
    position = Case(
        *(When(pk=pk, then=Value(i)) for i, pk in enumerate(order)), output_field=IntegerField()
    )
    return units.order_by(position)
