"""All writes to the ``allocation`` app: dimensions and actuals (``dimensions``), plans.

Import services from here (``from allocation.services import plan_allocate``); the modules
below are an implementation detail.
"""

from allocation.services.allocate import plan_allocate
from allocation.services.cells import CellChange, EditResult, PlannedEdit, cells_apply, cells_plan
from allocation.services.dimensions import (
    actual_cells_replace,
    org_unit_create,
    org_unit_update,
    product_line_create,
    product_line_update,
    salesperson_create,
    tree_save,
)
from allocation.services.editing import CellInput, cell_constraint_set, cell_edit, cells_edit
from allocation.services.lifecycle import (
    acknowledgement_record,
    plan_approve,
    plan_archive,
    plan_new_version,
    plan_publish,
    plan_reject,
    plan_respread,
    plan_scenario_create,
    plan_submit,
)
from allocation.services.measures import measure_plan_create
from allocation.services.plans import (
    MethodInputData,
    plan_create,
    plan_method_config_update,
    plan_method_inputs_set,
    plan_product_line_totals_set,
    plan_update,
)
from allocation.services.relief import (
    ReliefInput,
    relief_approve,
    relief_request_create,
    relief_request_reject,
    relief_request_withdraw,
)
from allocation.services.sheet_preview import plan_sheet_preview, plan_sheet_upload
from allocation.services.sheet_uploads import (
    plan_upload_confirm,
    plan_upload_create,
    plan_upload_discard,
    plan_upload_run,
    plan_uploads_sweep,
)
from allocation.services.sheets import plan_sheet_csv, plan_sheet_xlsx
from allocation.services.undo import plan_edit_undo

__all__ = [
    "CellChange",
    "CellInput",
    "EditResult",
    "MethodInputData",
    "PlannedEdit",
    "ReliefInput",
    "acknowledgement_record",
    "actual_cells_replace",
    "cell_constraint_set",
    "cell_edit",
    "cells_apply",
    "cells_edit",
    "cells_plan",
    "measure_plan_create",
    "org_unit_create",
    "org_unit_update",
    "plan_allocate",
    "plan_approve",
    "plan_archive",
    "plan_create",
    "plan_edit_undo",
    "plan_method_config_update",
    "plan_method_inputs_set",
    "plan_new_version",
    "plan_product_line_totals_set",
    "plan_publish",
    "plan_reject",
    "plan_respread",
    "plan_scenario_create",
    "plan_sheet_csv",
    "plan_sheet_preview",
    "plan_sheet_upload",
    "plan_sheet_xlsx",
    "plan_submit",
    "plan_update",
    "plan_upload_confirm",
    "plan_upload_create",
    "plan_upload_discard",
    "plan_upload_run",
    "plan_uploads_sweep",
    "product_line_create",
    "product_line_update",
    "relief_approve",
    "relief_request_create",
    "relief_request_reject",
    "relief_request_withdraw",
    "salesperson_create",
    "tree_save",
]
