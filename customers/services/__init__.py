"""Writes for customers, orders and imports (see the modules of this package)."""

from customers.services.actuals import (
    customer_first_orders_refresh,
    import_job_affected_cells,
    import_job_first_order_moves,
    import_job_recompute_mark,
    order_actuals_refresh,
)
from customers.services.config import (
    column_mapping_create,
    column_mapping_delete,
    column_mapping_update,
    territory_rule_create,
    territory_rule_delete,
    territory_rule_update,
)
from customers.services.imports import (
    FileRejected,
    FileTooLarge,
    import_job_create,
    import_job_run,
)
from customers.services.recovery import (
    import_job_can_retry,
    import_job_retry,
    import_jobs_sweep,
)

__all__ = [
    "FileRejected",
    "FileTooLarge",
    "column_mapping_create",
    "column_mapping_delete",
    "column_mapping_update",
    "customer_first_orders_refresh",
    "import_job_affected_cells",
    "import_job_can_retry",
    "import_job_create",
    "import_job_first_order_moves",
    "import_job_recompute_mark",
    "import_job_retry",
    "import_job_run",
    "import_jobs_sweep",
    "order_actuals_refresh",
    "territory_rule_create",
    "territory_rule_delete",
    "territory_rule_update",
]
