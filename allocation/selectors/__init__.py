"""Reads of the ``allocation`` app, always scoped to the viewer (``allocation.access``).

Import selectors from here (``from allocation.selectors import plan_list``); the modules
below group them by concern: ``dimensions`` (org tree, people, lines, actuals), ``totals``
(sums by month, person, line, unit), ``plans`` (plans, cells, structure, audit), ``frames``
(integer-cent frames for the services), ``grid`` (editor grid, roll-ups, comparisons) and
``targets`` (what salespeople see). Who sees what lives in ``allocation.access``; the plan's
in-memory structure in ``allocation.structure``.
"""

from allocation.selectors.dimensions import (
    actual_cell_list,
    managed_salesperson_list,
    org_unit_list,
    product_line_list,
    salesperson_list,
)
from allocation.selectors.frames import plan_leaves_frame
from allocation.selectors.grid import (
    PLAN_ROLLUP_GROUPS,
    plan_compare,
    plan_grid_get,
    plan_rollup_list,
)
from allocation.selectors.plans import (
    method_input_list,
    plan_actions,
    plan_change_list,
    plan_get,
    plan_list,
    plan_scope_totals,
    plan_structure_get,
    plan_upload_get,
    target_cell_list,
)
from allocation.selectors.targets import acknowledgement_list, my_target_list, plan_day_target_list
from allocation.selectors.totals import ACTUAL_TOTAL_GROUPS, actual_total_list, target_total_list

__all__ = [
    "ACTUAL_TOTAL_GROUPS",
    "PLAN_ROLLUP_GROUPS",
    "acknowledgement_list",
    "actual_cell_list",
    "actual_total_list",
    "managed_salesperson_list",
    "method_input_list",
    "my_target_list",
    "org_unit_list",
    "plan_actions",
    "plan_change_list",
    "plan_compare",
    "plan_day_target_list",
    "plan_get",
    "plan_grid_get",
    "plan_leaves_frame",
    "plan_list",
    "plan_rollup_list",
    "plan_scope_totals",
    "plan_structure_get",
    "plan_upload_get",
    "product_line_list",
    "salesperson_list",
    "target_cell_list",
    "target_total_list",
]
