"""Codes of a plan resolved only inside the viewer's part of it (DESIGN §1).

Small rules that views, selectors and services apply alike:

* ``cell_resolve_visible``: outside the viewer's part of a plan an org unit or salesperson
  code answers exactly like a code that does not exist, so an error never tells whether a
  node exists elsewhere (nor names it).
* ``node_label_for``: the label of a node if the viewer may see it (or it is the plan's root,
  which every viewer of the plan sees), else ``None``.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from allocation.access import PlanScope
from allocation.structure import Cell, OrgNode, PlanStructure


def _hidden(field: str, code: str) -> ValidationError:
    if field == "salesperson":
        message = _("No salesperson with code “%(value)s” is visible to you.")
    else:
        message = _("No org unit with code “%(value)s” is visible to you.")
    return ValidationError({field: message % {"value": code}})


def cell_resolve_visible(
    structure: PlanStructure,
    window: PlanScope,
    *,
    org_unit: str | None = None,
    salesperson: str | None = None,
    product_line: str | None = None,
    period: str = "year",
) -> Cell:
    """``structure.resolve`` for a viewer: codes outside their window are "not visible".

    An unknown code and a code outside the viewer's part of the plan give the same
    ``ValidationError`` on the same field, so answers never reveal what exists elsewhere.
    Admins get ``resolve``'s own messages.
    """
    if window.role != "admin" and not (org_unit and salesperson):
        if salesperson:
            node = structure.member_by_code.get(salesperson)
            if node is None or not window.sees(node):
                raise _hidden("salesperson", salesperson)
        elif org_unit:
            node = structure.unit_by_code.get(org_unit)
            # the plan's root is no secret: every viewer of the plan sees it named
            if node is None or not (node.is_root or window.sees(node)):
                raise _hidden("org_unit", org_unit)
    return structure.resolve(
        org_unit=org_unit, salesperson=salesperson, product_line=product_line, period=period
    )


def node_label_for(structure: PlanStructure, window: PlanScope, cell: Cell) -> str | None:
    """``cell.label`` when its org node is the plan's root or inside the viewer's window."""
    node: OrgNode = cell.org
    if node.is_root or window.role == "admin" or window.sees(node):
        return cell.label
    return None
