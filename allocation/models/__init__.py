"""The allocation app's models: the plan grid's dimensions and actuals (``dimensions``) and
the plans with everything hanging off them (``plans``). Import them from here."""

from allocation.models.dimensions import ActualCell, OrgUnit, ProductLine, Salesperson
from allocation.models.plans import (
    PERIOD_MAX_LENGTH,
    Acknowledgement,
    CellConstraint,
    MethodInput,
    Plan,
    PlanChange,
    ProductLineTotal,
    TargetCell,
)

# The plan sheet upload concern keeps its model in its own package, under this app's label
# (CONVENTIONS §1); imported after the plans it points at.
from allocation.sheets.models import PlanUpload

__all__ = [
    "PERIOD_MAX_LENGTH",
    "Acknowledgement",
    "ActualCell",
    "CellConstraint",
    "MethodInput",
    "OrgUnit",
    "Plan",
    "PlanChange",
    "PlanUpload",
    "ProductLine",
    "ProductLineTotal",
    "Salesperson",
    "TargetCell",
]
