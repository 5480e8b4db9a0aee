"""Models of the ``allocation`` app: import them from here (``from allocation.models import Plan``).

``dimensions``: the org tree, salespeople, product lines and the actuals grid; ``plans``: plans
and everything that hangs off one (target cells, constraints, inputs, audit, uploads);
``relief``: quota relief requests on published plans; ``edits``: the leaves each grid change
moved, for undo.
"""

from allocation.models.dimensions import ActualCell, OrgUnit, ProductLine, Salesperson
from allocation.models.edits import EditBatch
from allocation.models.plans import (
    PERIOD_MAX_LENGTH,
    Acknowledgement,
    CellConstraint,
    MethodInput,
    Plan,
    PlanChange,
    PlanUpload,
    ProductLineTotal,
    ReliefDistribution,
    TargetCell,
)
from allocation.models.relief import ReliefRequest

__all__ = [
    "PERIOD_MAX_LENGTH",
    "Acknowledgement",
    "ActualCell",
    "CellConstraint",
    "EditBatch",
    "MethodInput",
    "OrgUnit",
    "Plan",
    "PlanChange",
    "PlanUpload",
    "ProductLine",
    "ProductLineTotal",
    "ReliefDistribution",
    "ReliefRequest",
    "Salesperson",
    "TargetCell",
]
