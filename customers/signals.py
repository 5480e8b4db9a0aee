"""The one documented signal of the import -> recompute workflow.

``orders_imported`` is sent after an import's transaction commits, with ``job_id``: the
``ImportJob`` whose ``affected_cells`` lists the (salesperson, month) cells to refresh.
``salesalloc.pipeline`` receives it and starts the recompute; this app does not know what
runs after it.
"""

from django.dispatch import Signal

orders_imported = Signal()
