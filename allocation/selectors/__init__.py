"""Reads of the ``allocation`` app, always scoped to the viewer (``allocation.access``).

Import selectors from here (``from allocation.selectors import plan_list``); the modules
below group them by concern: ``dimensions`` (org tree, people, lines, actuals), ``totals``
(sums by month, person, line, unit), ``plans`` (plans, cells, structure, audit), ``frames``
(integer-cent frames for the services), ``edits`` (what an undo would undo), ``grid``
(editor grid, roll-ups, comparisons), ``targets`` (what salespeople see) and ``relief``
(quota relief requests and who decides). ``plans`` also answers "the published plan of year
Y for scope S" (``published_plan_get``). Who sees what lives in ``allocation.access``; the
plan's in-memory structure in ``allocation.structure``.
"""

from allocation.selectors.dimensions import (
    actual_cell_list,
    company_currency,
    managed_salesperson_list,
    org_unit_list,
    org_unit_tree_order,
    product_line_list,
    salesperson_list,
)
from allocation.selectors.edits import UndoState, last_edit_batch, plan_undo_get
from allocation.selectors.frames import plan_leaves_frame
from allocation.selectors.grid import (
    PLAN_ROLLUP_GROUPS,
    plan_compare,
    plan_grid_get,
    plan_rollup_list,
)
from allocation.selectors.plans import (
    PublishCheck,
    method_input_list,
    plan_actions,
    plan_change_list,
    plan_get,
    plan_list,
    plan_publish_preview,
    plan_scope_totals,
    plan_structure_get,
    plan_upload_get,
    publish_check,
    published_plan_get,
    published_plan_list,
    target_cell_list,
)
from allocation.selectors.relief import (
    relief_decide_problem,
    relief_may_decide,
    relief_request_get,
    relief_request_list,
    relief_requestable_people,
    relief_scope_role,
    relief_to_decide_count,
    relief_to_decide_list,
)
from allocation.selectors.targets import acknowledgement_list, my_target_list, plan_day_target_list
from allocation.selectors.totals import ACTUAL_TOTAL_GROUPS, actual_total_list, target_total_list

__all__ = [
    "ACTUAL_TOTAL_GROUPS",
    "PLAN_ROLLUP_GROUPS",
    "PublishCheck",
    "UndoState",
    "acknowledgement_list",
    "actual_cell_list",
    "actual_total_list",
    "company_currency",
    "last_edit_batch",
    "managed_salesperson_list",
    "method_input_list",
    "my_target_list",
    "org_unit_list",
    "org_unit_tree_order",
    "plan_actions",
    "plan_change_list",
    "plan_compare",
    "plan_day_target_list",
    "plan_get",
    "plan_grid_get",
    "plan_leaves_frame",
    "plan_list",
    "plan_publish_preview",
    "plan_rollup_list",
    "plan_scope_totals",
    "plan_structure_get",
    "plan_undo_get",
    "plan_upload_get",
    "product_line_list",
    "publish_check",
    "published_plan_get",
    "published_plan_list",
    "relief_decide_problem",
    "relief_may_decide",
    "relief_request_get",
    "relief_request_list",
    "relief_requestable_people",
    "relief_scope_role",
    "relief_to_decide_count",
    "relief_to_decide_list",
    "salesperson_list",
    "target_cell_list",
    "target_total_list",
]
