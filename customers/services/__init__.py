"""Writes for customers, orders and imports (see the modules of this package)."""

from customers.services.actuals import (
    import_job_affected_cells,
    import_job_recompute_mark,
    order_actuals_refresh,
)

__all__ = [
    "import_job_affected_cells",
    "import_job_recompute_mark",
    "order_actuals_refresh",
]
