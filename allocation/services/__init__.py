"""All writes to the ``allocation`` app: dimensions and actuals (``dimensions``), plans.

Import services from here (``from allocation.services import plan_allocate``); the modules
below are an implementation detail.
"""

from allocation.services.dimensions import (
    actual_cells_replace,
    org_unit_create,
    org_unit_update,
    product_line_create,
    product_line_update,
    salesperson_create,
    tree_save,
)

__all__ = [
    "actual_cells_replace",
    "org_unit_create",
    "org_unit_update",
    "product_line_create",
    "product_line_update",
    "salesperson_create",
    "tree_save",
]
