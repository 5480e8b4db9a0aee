"""Plans API: the editor's grid, cell edits, pastes, locks and bounds, roll-ups."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from allocation.access import HasRole, IsManagerOrAdmin, plan_scope_get
from allocation.api.plans.serializers.cells import (
    CellEditInputSerializer,
    CellLockInputSerializer,
    CellPasteInputSerializer,
    ConstraintOutputSerializer,
    EditResultOutputSerializer,
    GridInputSerializer,
    GridOutputSerializer,
    RollupInputSerializer,
    RollupOutputSerializer,
    UndoInputSerializer,
    UndoStateOutputSerializer,
    cell_data,
    constraint_data,
    edit_result_data,
    period_amounts,
)
from allocation.api.plans.serializers.common import actual_money, money
from allocation.api.plans.views.common import ERRORS, scoped_plan
from allocation.engine.fiscal import QUARTERS
from allocation.scoping import cell_resolve_visible
from allocation.selectors import (
    plan_grid_get,
    plan_rollup_list,
    plan_structure_get,
    plan_undo_get,
)
from allocation.services import (
    CellInput,
    cell_constraint_set,
    cell_edit,
    cells_edit,
    plan_edit_undo,
)
from salesalloc.core.money import from_cents
from salesalloc.core.users import acting_user

# --- the editor -------------------------------------------------------------------------------


class PlanGridApi(APIView):
    """GET: the editor's grid — org rows (units and salespeople, with parent, depth and
    has_children) x 12 months, 4 quarters and the year, with actuals alongside, locks and
    bounds per row, what you may edit, and the totals of your part of the plan."""

    permission_classes = [HasRole]

    @extend_schema(
        parameters=[GridInputSerializer], responses={200: GridOutputSerializer, **ERRORS}
    )
    def get(self, request: Request, pk: int) -> Response:
        plan = scoped_plan(request, pk)
        params = GridInputSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        grid = plan_grid_get(
            user=request.user,
            plan=plan,
            org_unit=params.validated_data.get("org_unit"),
            product_line=params.validated_data.get("product_line"),
            depth=params.validated_data["depth"],
        )
        return Response(
            {
                "plan": plan.pk,
                "revision": plan.revision,
                "status": plan.status,
                "mode": plan.mode,
                "product_line": grid.product_line.code if grid.product_line else None,
                "months": grid.month_labels,
                "quarters": list(QUARTERS),
                "editable": grid.editable,
                "rows": [
                    {
                        "type": row.kind,
                        "id": row.node.id,
                        "code": row.node.code,
                        "name": row.node.name,
                        "parent": row.parent,
                        "depth": row.node.depth,
                        "has_children": row.has_children,
                        "amounts": period_amounts(row.months),
                        "actuals": period_amounts(row.actual_months, actual_money),
                        "constraints": [
                            {
                                "period": info.cell.period,
                                "locked": info.locked,
                                "min_amount": money(info.min_cents),
                                "max_amount": money(info.max_cents),
                            }
                            for info in row.constraints
                        ],
                        "year_editable": row.year_editable,
                        "periods_editable": row.periods_editable,
                    }
                    for row in grid.rows
                ],
                "total": {
                    "amounts": period_amounts(grid.total_months),
                    "actuals": period_amounts(grid.total_actual_months, actual_money),
                },
            }
        )


def _coords(data: dict[str, Any]) -> dict[str, Any]:
    return {
        "org_unit": data.get("org_unit") or None,
        "salesperson": data.get("salesperson") or None,
        "product_line": data.get("product_line") or None,
        "period": data.get("period") or "year",
    }


class CellEditApi(APIView):
    """POST (managers, admins): set one cell. Top-down, ``keep`` says what stays the same:
    ``row_year`` (default) the row's year (the row's other months rebalance), or
    ``period_total`` the parent unit's total of that period (the sibling rows rebalance);
    the cell's own leaves keep their proportions. Bottom-up: the ancestors follow. The
    answer names the rule, the cells kept and the cells that rebalanced. A refused change
    is a 400 saying why and under which rule; nothing changes."""

    permission_classes = [IsManagerOrAdmin]

    @extend_schema(
        request=CellEditInputSerializer, responses={200: EditResultOutputSerializer, **ERRORS}
    )
    def post(self, request: Request, pk: int) -> Response:
        plan = scoped_plan(request, pk)
        data = CellEditInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        result = cell_edit(
            plan=plan,
            amount=data.validated_data["amount"],
            reason=data.validated_data["reason"],
            expected_revision=data.validated_data.get("revision"),
            actor=acting_user(request.user),
            keep=data.validated_data["keep"],
            **_coords(data.validated_data),
        )
        return Response(edit_result_data(result))


class CellPasteApi(APIView):
    """POST (managers, admins): set a block of cells at once (a paste from Excel), validated
    as a set and applied as one audited change under the keep rule ``keep`` — or refused
    whole, naming every bad cell (``errors``: index, ref, cell, message)."""

    permission_classes = [IsManagerOrAdmin]

    @extend_schema(
        request=CellPasteInputSerializer, responses={200: EditResultOutputSerializer, **ERRORS}
    )
    def post(self, request: Request, pk: int) -> Response:
        plan = scoped_plan(request, pk)
        data = CellPasteInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        cells = [
            CellInput(amount=row["amount"], ref=row.get("ref") or None, **_coords(row))
            for row in data.validated_data["cells"]
        ]
        result = cells_edit(
            plan=plan,
            cells=cells,
            reason=data.validated_data["reason"],
            expected_revision=data.validated_data.get("revision"),
            actor=acting_user(request.user),
            keep=data.validated_data["keep"],
        )
        return Response(edit_result_data(result))


class PlanUndoApi(APIView):
    """GET (managers, admins): your last change of the plan's grid that can be undone
    (``available`` false if none). POST: undo it — every leaf it moved goes back, as one
    audited ``undo`` change; refused (nothing changes) when the plan is no longer a draft
    (409), when later changes touched those cells, or when ``batch`` is not your last
    change (400)."""

    permission_classes = [IsManagerOrAdmin]

    @extend_schema(responses={200: UndoStateOutputSerializer, **ERRORS})
    def get(self, request: Request, pk: int) -> Response:
        plan = scoped_plan(request, pk)
        state = plan_undo_get(user=request.user, plan=plan)
        return Response(UndoStateOutputSerializer(state).data)

    @extend_schema(
        request=UndoInputSerializer, responses={200: EditResultOutputSerializer, **ERRORS}
    )
    def post(self, request: Request, pk: int) -> Response:
        plan = scoped_plan(request, pk)
        data = UndoInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        result = plan_edit_undo(
            plan=plan,
            actor=acting_user(request.user),
            batch=data.validated_data.get("batch"),
            expected_revision=data.validated_data.get("revision"),
        )
        return Response(edit_result_data(result))


class CellLockApi(APIView):
    """POST (managers, admins): lock/unlock a cell and/or set its min/max bounds (null
    clears a bound; omit a field to leave it)."""

    permission_classes = [IsManagerOrAdmin]

    @extend_schema(
        request=CellLockInputSerializer, responses={200: ConstraintOutputSerializer, **ERRORS}
    )
    def post(self, request: Request, pk: int) -> Response:
        plan = scoped_plan(request, pk)
        data = CellLockInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        bounds = None
        if "min_amount" in values or "max_amount" in values:
            current = plan_structure_get(plan=plan)
            window = plan_scope_get(user=request.user, structure=current)
            info = current.constraint_at(cell_resolve_visible(current, window, **_coords(values)))
            low = (
                values["min_amount"]
                if "min_amount" in values
                else (from_cents(info.min_cents) if info and info.min_cents is not None else None)
            )
            high = (
                values["max_amount"]
                if "max_amount" in values
                else (from_cents(info.max_cents) if info and info.max_cents is not None else None)
            )
            bounds = (low, high)
        cell_constraint_set(
            plan=plan,
            locked=values.get("locked"),
            bounds=bounds,
            reason=values["reason"],
            actor=acting_user(request.user),
            **_coords(values),
        )
        structure = plan_structure_get(plan=plan)
        cell = structure.resolve(**_coords(values))
        info = structure.constraint_at(cell)
        return Response(
            {
                **cell_data(cell),
                "locked": bool(info and info.locked),
                "min_amount": money(info.min_cents) if info else None,
                "max_amount": money(info.max_cents) if info else None,
            }
        )


class PlanConstraintListApi(APIView):
    """GET (managers, admins): every lock and bound of the plan in your part of it."""

    permission_classes = [IsManagerOrAdmin]

    @extend_schema(responses={200: ConstraintOutputSerializer(many=True), **ERRORS})
    def get(self, request: Request, pk: int) -> Response:
        plan = scoped_plan(request, pk)
        structure = plan_structure_get(plan=plan)
        window = plan_scope_get(user=request.user, structure=structure)
        return Response(
            [constraint_data(info) for info in structure.constraints if window.sees(info.cell.org)]
        )


class PlanRollupApi(APIView):
    """GET: the plan's targets (and actuals) summed by org unit (at ``level``), salesperson,
    product line, month or quarter, over your part of the plan. Not paginated."""

    permission_classes = [HasRole]

    @extend_schema(
        parameters=[RollupInputSerializer],
        responses={200: RollupOutputSerializer(many=True), **ERRORS},
    )
    def get(self, request: Request, pk: int) -> Response:
        plan = scoped_plan(request, pk)
        params = RollupInputSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        rows = plan_rollup_list(
            user=request.user,
            plan=plan,
            group_by=params.validated_data["group_by"],
            level=params.validated_data.get("level"),
        )
        return Response(
            [
                {
                    "key": r.key,
                    "name": r.name,
                    "amount": money(r.amount_cents),
                    "actual": actual_money(r.actual_units),
                }
                for r in rows
            ]
        )
