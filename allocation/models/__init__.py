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
    PlanUpload,
    ProductLineTotal,
    TargetCell,
)

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
