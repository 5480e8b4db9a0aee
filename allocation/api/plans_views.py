"""REST API of plans: lifecycle, allocation, the editor's grid and cells, the Excel round trip,
comparisons, audit, acknowledgements and the salespeople's own targets.

Every view reads through a scoped selector (a plan out of scope is a 404, like a missing
one), checks the role with a permission class (403), validates with an input serializer and
calls one service. Services check the actor again (a manager edits only cells whose parent
lies in their subtree).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpResponse, HttpResponseBase, StreamingHttpResponse
from django.utils.translation import gettext as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.generics import ListAPIView
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.parsers import MultiPartParser
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from allocation.access import HasRole, IsAdmin, IsManagerOrAdmin, plan_scope_get, viewer_scope
from allocation.api import plans_serializers as s
from allocation.api.plans_filters import PlanFilterSet, TargetFilterSet
from allocation.engine.fiscal import QUARTERS
from allocation.models import OrgUnit, Plan, PlanChange, ProductLine, Salesperson, TargetCell
from allocation.selectors import (
    acknowledgement_list,
    my_target_list,
    plan_actions,
    plan_change_list,
    plan_compare,
    plan_day_target_list,
    plan_get,
    plan_grid_get,
    plan_list,
    plan_rollup_list,
    plan_scope_totals,
    plan_structure_get,
    target_cell_list,
)
from allocation.services import (
    CellInput,
    MethodInputData,
    acknowledgement_record,
    cell_constraint_set,
    cell_edit,
    cells_edit,
    plan_allocate,
    plan_approve,
    plan_archive,
    plan_create,
    plan_method_config_update,
    plan_method_inputs_set,
    plan_new_version,
    plan_product_line_totals_set,
    plan_publish,
    plan_reject,
    plan_respread,
    plan_scenario_create,
    plan_sheet_csv,
    plan_sheet_upload,
    plan_sheet_xlsx,
    plan_submit,
    plan_update,
)
from salesalloc.core.export import CSV_CONTENT_TYPE, XLSX_CONTENT_TYPE, csv_rows, xlsx_bytes

ERRORS = {
    400: OpenApiResponse(description=_("Invalid input or a rule refuses the change.")),
    403: OpenApiResponse(description=_("Your role may not do this.")),
    404: OpenApiResponse(description=_("No such plan (or not visible to you).")),
    409: OpenApiResponse(description=_("The plan's state doesn't allow it.")),
}


def _plan(request: Request, pk: int) -> Plan:
    return plan_get(user=request.user, plan_id=pk)


def _detail(request: Request, plan: Plan, status: int = 200) -> Response:
    plan = (
        Plan.objects.select_related(
            "root_org_unit",
            "created_by",
            "submitted_by",
            "approved_by",
            "published_by",
            "archived_by",
        )
        .prefetch_related("product_lines")
        .get(pk=plan.pk)
    )
    context = _list_context(request, [plan.pk])
    context["actions"] = plan_actions(user=request.user, plan=plan)
    return Response(s.PlanDetailOutputSerializer(plan, context=context).data, status=status)


def _list_context(request: Request, plan_ids: list[int]) -> dict[str, Any]:
    scope = viewer_scope(user=request.user)
    totals = plan_scope_totals(user=request.user, plan_ids=plan_ids)
    if totals is None:
        return {"scope_totals": None, "scope_name": "plan"}
    from salesalloc.core.money import from_cents

    return {
        "scope_totals": {pk: from_cents(c) for pk, c in totals.items()},
        "scope_name": "subtree" if scope.is_manager else "own",
    }


def _code_objects(model: Any, codes: Sequence[str], field: str) -> list[Any]:
    found = {obj.code: obj for obj in model.objects.filter(code__in=list(codes))}
    missing = [code for code in codes if code not in found]
    if missing:
        raise ValidationError(
            {field: _("Unknown codes: %(codes)s.") % {"codes": ", ".join(missing)}}
        )
    return [found[code] for code in codes]


# --- plans ------------------------------------------------------------------------------------


class PlanListCreateApi(ListAPIView):
    """GET: plans you may open, newest fiscal year first. POST: create a draft (admins)."""

    serializer_class = s.PlanOutputSerializer
    filter_backends = [DjangoFilterBackend]
    filterset_class = PlanFilterSet

    def get_permissions(self) -> list[Any]:
        return [IsAdmin()] if self.request.method == "POST" else [HasRole()]

    def get_queryset(self) -> QuerySet[Plan]:
        return plan_list(user=self.request.user).order_by("-fiscal_year", "name", "-version", "pk")

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        queryset = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(queryset)
        plans = list(page if page is not None else queryset)
        context = {**self.get_serializer_context(), **_list_context(request, [p.pk for p in plans])}
        data = s.PlanOutputSerializer(plans, many=True, context=context).data
        return self.get_paginated_response(data) if page is not None else Response(data)

    @extend_schema(
        request=s.PlanCreateInputSerializer,
        responses={201: s.PlanDetailOutputSerializer, **ERRORS},
    )
    def post(self, request: Request) -> Response:
        data = s.PlanCreateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        if "root_org_unit" in values:
            values["root_org_unit"] = _code_objects(
                OrgUnit, [values["root_org_unit"]], "root_org_unit"
            )[0]
        if "product_lines" in values:
            values["product_lines"] = _code_objects(
                ProductLine, values["product_lines"], "product_lines"
            )
        plan = plan_create(actor=request.user, **values)
        return _detail(request, plan, status=201)


class PlanDetailApi(APIView):
    """GET: one plan with its methods, transitions and your possible actions. PATCH: change a
    draft's settings (admins)."""

    def get_permissions(self) -> list[Any]:
        return [IsAdmin()] if self.request.method == "PATCH" else [HasRole()]

    @extend_schema(responses={200: s.PlanDetailOutputSerializer, **ERRORS})
    def get(self, request: Request, pk: int) -> Response:
        return _detail(request, _plan(request, pk))

    @extend_schema(
        request=s.PlanUpdateInputSerializer,
        responses={200: s.PlanDetailOutputSerializer, **ERRORS},
    )
    def patch(self, request: Request, pk: int) -> Response:
        plan = _plan(request, pk)
        data = s.PlanUpdateInputSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        values.pop("reason", None)
        if "root_org_unit" in values:
            values["root_org_unit"] = _code_objects(
                OrgUnit, [values["root_org_unit"]], "root_org_unit"
            )[0]
        if "product_lines" in values:
            values["product_lines"] = _code_objects(
                ProductLine, values["product_lines"], "product_lines"
            )
        plan = plan_update(
            plan=plan, actor=request.user, reason=data.validated_data.get("reason", ""), **values
        )
        return _detail(request, plan)


class PlanMethodConfigApi(APIView):
    """PUT: replace a draft's allocation methods (validated; defaults filled in)."""

    permission_classes = [IsAdmin]

    @extend_schema(
        request=s.MethodConfigInputSerializer,
        responses={200: s.PlanDetailOutputSerializer, **ERRORS},
    )
    def put(self, request: Request, pk: int) -> Response:
        plan = _plan(request, pk)
        data = s.MethodConfigInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        plan = plan_method_config_update(plan=plan, config=request.data, actor=request.user)
        return _detail(request, plan)


class PlanMethodInputsApi(APIView):
    """GET (managers, admins) / PUT (admins): per-node method inputs — manual %, growth rate,
    potential index, FTE override. PUT replaces them all."""

    def get_permissions(self) -> list[Any]:
        return [IsAdmin()] if self.request.method == "PUT" else [IsManagerOrAdmin()]

    @staticmethod
    def _data(plan: Plan) -> dict[str, Any]:
        rows = plan.method_inputs.select_related(
            "org_unit", "salesperson", "product_line"
        ).order_by("pk")
        return {
            "inputs": [
                {
                    "org_unit": r.org_unit.code if r.org_unit else None,
                    "salesperson": r.salesperson.code if r.salesperson else None,
                    "product_line": r.product_line.code if r.product_line else None,
                    "manual_percent": _dec(r.manual_percent),
                    "growth_rate": _dec(r.growth_rate),
                    "potential_index": _dec(r.potential_index),
                    "fte_override": _dec(r.fte_override),
                }
                for r in rows
            ]
        }

    @extend_schema(responses={200: s.MethodInputsInputSerializer, **ERRORS})
    def get(self, request: Request, pk: int) -> Response:
        return Response(self._data(_plan(request, pk)))

    @extend_schema(
        request=s.MethodInputsInputSerializer,
        responses={200: s.MethodInputsInputSerializer, **ERRORS},
    )
    def put(self, request: Request, pk: int) -> Response:
        plan = _plan(request, pk)
        data = s.MethodInputsInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        items = [_method_input(row) for row in data.validated_data["inputs"]]
        plan_method_inputs_set(plan=plan, inputs=items, actor=request.user)
        return Response(self._data(plan))


def _one(model: Any, code: str | None, field: str) -> Any:
    return _code_objects(model, [code], field)[0] if code else None


def _method_input(row: dict[str, Any]) -> MethodInputData:
    return MethodInputData(
        org_unit=_one(OrgUnit, row.get("org_unit"), "org_unit"),
        salesperson=_one(Salesperson, row.get("salesperson"), "salesperson"),
        product_line=_one(ProductLine, row.get("product_line"), "product_line"),
        manual_percent=row.get("manual_percent"),
        growth_rate=row.get("growth_rate"),
        potential_index=row.get("potential_index"),
        fte_override=row.get("fte_override"),
    )


def _dec(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


class PlanProductLineTotalsApi(APIView):
    """GET / PUT (admins): fixed product-line totals; with them the plan is split two-way
    (org x product line, both margins exact). PUT with an empty list releases them."""

    permission_classes = [IsAdmin]

    @staticmethod
    def _data(plan: Plan) -> dict[str, Any]:
        rows = plan.product_line_totals.select_related("product_line").order_by(
            "product_line__code"
        )
        return {
            "totals": [
                {"product_line": r.product_line.code, "amount": f"{r.amount:.2f}"} for r in rows
            ]
        }

    @extend_schema(responses={200: s.ProductLineTotalsInputSerializer, **ERRORS})
    def get(self, request: Request, pk: int) -> Response:
        return Response(self._data(_plan(request, pk)))

    @extend_schema(
        request=s.ProductLineTotalsInputSerializer,
        responses={200: s.ProductLineTotalsInputSerializer, **ERRORS},
    )
    def put(self, request: Request, pk: int) -> Response:
        plan = _plan(request, pk)
        data = s.ProductLineTotalsInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        rows = data.validated_data["totals"]
        lines = _code_objects(ProductLine, [r["product_line"] for r in rows], "product_line")
        plan_product_line_totals_set(
            plan=plan,
            totals=[(line, r["amount"]) for line, r in zip(lines, rows, strict=True)],
            actor=request.user,
        )
        return Response(self._data(plan))


class PlanAllocateApi(APIView):
    """POST (admins): allocate the draft's total down the org tree, product lines and months
    with its methods; locked cells keep their amounts. Synchronous (seconds at most)."""

    permission_classes = [IsAdmin]

    @extend_schema(request=None, responses={200: s.PlanDetailOutputSerializer, **ERRORS})
    def post(self, request: Request, pk: int) -> Response:
        plan = plan_allocate(plan=_plan(request, pk), actor=request.user)
        return _detail(request, plan)


def _transition_view(
    service: Any, doc: str, *, admin: bool = True, reject: bool = False
) -> type[APIView]:
    input_serializer = s.RejectInputSerializer if reject else s.CommentInputSerializer

    class TransitionApi(APIView):
        permission_classes = [IsAdmin] if admin else [IsManagerOrAdmin]

        @extend_schema(
            request=input_serializer,
            responses={200: s.PlanDetailOutputSerializer, **ERRORS},
            description=doc,
        )
        def post(self, request: Request, pk: int) -> Response:
            plan = _plan(request, pk)
            data = input_serializer(data=request.data)
            data.is_valid(raise_exception=True)
            if reject:
                plan = service(plan=plan, reason=data.validated_data["reason"], actor=request.user)
            else:
                plan = service(
                    plan=plan, comment=data.validated_data["comment"], actor=request.user
                )
            return _detail(request, plan)

    return TransitionApi


PlanSubmitApi = _transition_view(
    plan_submit, "Draft → submitted, for approval (managers of the plan and admins).", admin=False
)
PlanSubmitApi.__name__ = PlanSubmitApi.__qualname__ = "PlanSubmitApi"
PlanApproveApi = _transition_view(plan_approve, "Submitted → approved (admins).")
PlanApproveApi.__name__ = PlanApproveApi.__qualname__ = "PlanApproveApi"
PlanRejectApi = _transition_view(
    plan_reject, "Submitted or approved → draft, with a reason (admins).", reject=True
)
PlanRejectApi.__name__ = PlanRejectApi.__qualname__ = "PlanRejectApi"
PlanPublishApi = _transition_view(
    plan_publish, "Approved → published; the version it replaces is archived (admins)."
)
PlanPublishApi.__name__ = PlanPublishApi.__qualname__ = "PlanPublishApi"
PlanArchiveApi = _transition_view(plan_archive, "Any non-archived plan → archived (admins).")
PlanArchiveApi.__name__ = PlanArchiveApi.__qualname__ = "PlanArchiveApi"


class PlanNewVersionApi(APIView):
    """POST (admins): open a draft copy (version + 1) of a published plan."""

    permission_classes = [IsAdmin]

    @extend_schema(
        request=s.VersionInputSerializer, responses={201: s.PlanDetailOutputSerializer, **ERRORS}
    )
    def post(self, request: Request, pk: int) -> Response:
        data = s.VersionInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        plan = plan_new_version(
            plan=_plan(request, pk), actor=request.user, reason=data.validated_data["reason"]
        )
        return _detail(request, plan, status=201)


class PlanScenarioCreateApi(APIView):
    """POST (admins): clone the plan into a what-if scenario (a draft that never publishes)."""

    permission_classes = [IsAdmin]

    @extend_schema(
        request=s.ScenarioInputSerializer, responses={201: s.PlanDetailOutputSerializer, **ERRORS}
    )
    def post(self, request: Request, pk: int) -> Response:
        data = s.ScenarioInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        plan = plan_scenario_create(
            plan=_plan(request, pk), name=data.validated_data["name"], actor=request.user
        )
        return _detail(request, plan, status=201)


class PlanRespreadApi(APIView):
    """POST (admins): mid-year re-spread of a published plan into a new draft version."""

    permission_classes = [IsAdmin]

    @extend_schema(
        request=s.RespreadInputSerializer, responses={201: s.PlanDetailOutputSerializer, **ERRORS}
    )
    def post(self, request: Request, pk: int) -> Response:
        data = s.RespreadInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        plan = plan_respread(
            plan=_plan(request, pk),
            as_of=data.validated_data["as_of"],
            reason=data.validated_data["reason"],
            actor=request.user,
        )
        return _detail(request, plan, status=201)


class PlanCompareApi(APIView):
    """GET (managers, admins): plans side by side per org unit, salesperson, product line,
    month or quarter — each plan's amount and its difference to the first plan."""

    permission_classes = [IsManagerOrAdmin]

    @extend_schema(
        parameters=[s.CompareInputSerializer], responses={200: s.CompareOutputSerializer, **ERRORS}
    )
    def get(self, request: Request) -> Response:
        params = s.CompareInputSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        visible = {
            p.pk: p
            for p in plan_list(user=request.user).filter(pk__in=params.validated_data["plans"])
        }
        missing = [pk for pk in params.validated_data["plans"] if pk not in visible]
        if missing:
            raise ValidationError(
                {
                    "plans": _("No plan with id %(ids)s is visible to you.")
                    % {"ids": ", ".join(map(str, missing))}
                }
            )
        plans = [visible[pk] for pk in params.validated_data["plans"]]
        rows = plan_compare(
            user=request.user,
            plans=plans,
            group_by=params.validated_data["group_by"],
            level=params.validated_data.get("level"),
        )
        return Response(
            {
                "group_by": params.validated_data["group_by"],
                "plans": [
                    {
                        "id": p.pk,
                        "name": p.name,
                        "version": p.version,
                        "status": p.status,
                        "scenario_of": p.scenario_of_id,
                    }
                    for p in plans
                ],
                "rows": [
                    {
                        "key": row.key,
                        "name": row.name,
                        "amounts": [s.money(a) for a in row.amounts_cents],
                        "differences": [s.money(d) for d in row.differences_cents],
                    }
                    for row in rows
                ],
            }
        )


class PlanChangeListApi(ListAPIView):
    """GET (managers, admins): the plan's audit trail, newest first; filter by cell
    coordinates (exact cell), action or batch."""

    permission_classes = [IsManagerOrAdmin]
    serializer_class = s.PlanChangeOutputSerializer
    filter_backends = []

    def get_queryset(self) -> QuerySet[PlanChange]:
        plan = _plan(self.request, self.kwargs["pk"])
        params = s.PlanChangeFilterSerializer(data=self.request.query_params)
        params.is_valid(raise_exception=True)
        changes = plan_change_list(user=self.request.user, plan=plan).order_by("-created_at", "-id")
        data = params.validated_data
        if any(data.get(k) for k in ("org_unit", "salesperson", "product_line", "period")):
            structure = plan_structure_get(plan=plan, with_constraints=False)
            cell = structure.resolve(
                org_unit=data.get("org_unit") or None,
                salesperson=data.get("salesperson") or None,
                product_line=data.get("product_line") or None,
                period=data.get("period") or "year",
            )
            changes = changes.filter(
                org_unit_id=cell.org.id if cell.org.kind == "unit" else None,
                salesperson_id=cell.org.id if cell.org.kind == "salesperson" else None,
                product_line_id=cell.pl.id if cell.pl is not None else None,
                period=cell.period,
            )
        if data.get("action"):
            changes = changes.filter(action=data["action"])
        if data.get("batch"):
            changes = changes.filter(batch=data["batch"])
        return changes

    @extend_schema(parameters=[s.PlanChangeFilterSerializer])
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)


# --- the editor -------------------------------------------------------------------------------


class PlanGridApi(APIView):
    """GET: the editor's grid — org rows (units and salespeople, with parent, depth and
    has_children) x 12 months, 4 quarters and the year, with actuals alongside, locks and
    bounds per row, what you may edit, and the totals of your part of the plan."""

    permission_classes = [HasRole]

    @extend_schema(
        parameters=[s.GridInputSerializer], responses={200: s.GridOutputSerializer, **ERRORS}
    )
    def get(self, request: Request, pk: int) -> Response:
        plan = _plan(request, pk)
        params = s.GridInputSerializer(data=request.query_params)
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
                        "amounts": s.period_amounts(row.months),
                        "actuals": s.period_amounts(row.actual_months, s.actual_money),
                        "constraints": [
                            {
                                "period": info.cell.period,
                                "locked": info.locked,
                                "min_amount": s.money(info.min_cents),
                                "max_amount": s.money(info.max_cents),
                            }
                            for info in row.constraints
                        ],
                        "year_editable": row.year_editable,
                        "periods_editable": row.periods_editable,
                    }
                    for row in grid.rows
                ],
                "total": {
                    "amounts": s.period_amounts(grid.total_months),
                    "actuals": s.period_amounts(grid.total_actual_months, s.actual_money),
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
    """POST (managers, admins): set one cell. Top-down: its unlocked siblings rebalance so
    the parent is unchanged and its own leaves keep their proportions; bottom-up: the
    ancestors follow. A refused change is a 400 saying why; nothing changes."""

    permission_classes = [IsManagerOrAdmin]

    @extend_schema(
        request=s.CellEditInputSerializer, responses={200: s.EditResultOutputSerializer, **ERRORS}
    )
    def post(self, request: Request, pk: int) -> Response:
        plan = _plan(request, pk)
        data = s.CellEditInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        result = cell_edit(
            plan=plan,
            amount=data.validated_data["amount"],
            reason=data.validated_data["reason"],
            expected_revision=data.validated_data.get("revision"),
            actor=request.user,
            **_coords(data.validated_data),
        )
        return Response(s.edit_result_data(result))


class CellPasteApi(APIView):
    """POST (managers, admins): set a block of cells at once (a paste from Excel), validated
    as a set and applied as one audited change — or refused whole, naming every bad cell
    (``errors``: index, ref, cell, message)."""

    permission_classes = [IsManagerOrAdmin]

    @extend_schema(
        request=s.CellPasteInputSerializer, responses={200: s.EditResultOutputSerializer, **ERRORS}
    )
    def post(self, request: Request, pk: int) -> Response:
        plan = _plan(request, pk)
        data = s.CellPasteInputSerializer(data=request.data)
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
            actor=request.user,
        )
        return Response(s.edit_result_data(result))


class CellLockApi(APIView):
    """POST (managers, admins): lock/unlock a cell and/or set its min/max bounds (null
    clears a bound; omit a field to leave it)."""

    permission_classes = [IsManagerOrAdmin]

    @extend_schema(
        request=s.CellLockInputSerializer, responses={200: s.ConstraintOutputSerializer, **ERRORS}
    )
    def post(self, request: Request, pk: int) -> Response:
        plan = _plan(request, pk)
        data = s.CellLockInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        bounds = None
        if "min_amount" in values or "max_amount" in values:
            current = plan_structure_get(plan=plan)
            info = current.constraint_at(current.resolve(**_coords(values)))
            from salesalloc.core.money import from_cents

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
            actor=request.user,
            **_coords(values),
        )
        structure = plan_structure_get(plan=plan)
        cell = structure.resolve(**_coords(values))
        info = structure.constraint_at(cell)
        return Response(
            {
                **s.cell_data(cell),
                "locked": bool(info and info.locked),
                "min_amount": s.money(info.min_cents) if info else None,
                "max_amount": s.money(info.max_cents) if info else None,
            }
        )


class PlanConstraintListApi(APIView):
    """GET (managers, admins): every lock and bound of the plan in your part of it."""

    permission_classes = [IsManagerOrAdmin]

    @extend_schema(responses={200: s.ConstraintOutputSerializer(many=True), **ERRORS})
    def get(self, request: Request, pk: int) -> Response:
        plan = _plan(request, pk)
        structure = plan_structure_get(plan=plan)
        window = plan_scope_get(user=request.user, structure=structure)
        return Response(
            [
                s.constraint_data(info)
                for info in structure.constraints
                if window.sees(info.cell.org)
            ]
        )


class PlanRollupApi(APIView):
    """GET: the plan's targets (and actuals) summed by org unit (at ``level``), salesperson,
    product line, month or quarter, over your part of the plan. Not paginated."""

    permission_classes = [HasRole]

    @extend_schema(
        parameters=[s.RollupInputSerializer],
        responses={200: s.RollupOutputSerializer(many=True), **ERRORS},
    )
    def get(self, request: Request, pk: int) -> Response:
        plan = _plan(request, pk)
        params = s.RollupInputSerializer(data=request.query_params)
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
                    "amount": s.money(r.amount_cents),
                    "actual": s.actual_money(r.actual_units),
                }
                for r in rows
            ]
        )


# --- files ------------------------------------------------------------------------------------


class _FileNegotiation(DefaultContentNegotiation):
    """``?format=`` names the download's file type here, not a DRF renderer; errors are JSON."""

    def select_renderer(
        self, request: Request, renderers: Sequence[BaseRenderer], format_suffix: str | None = None
    ) -> tuple[BaseRenderer, str]:
        return renderers[0], renderers[0].media_type


FILE_RESPONSES = {
    (200, XLSX_CONTENT_TYPE): OpenApiTypes.BINARY,
    (200, CSV_CONTENT_TYPE): OpenApiTypes.BINARY,
}


def _download(fmt: str, filename: str, body: Any) -> HttpResponseBase:
    if fmt == "xlsx":
        response: HttpResponseBase = HttpResponse(body, content_type=XLSX_CONTENT_TYPE)
    else:
        response = StreamingHttpResponse(body, content_type=CSV_CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{filename}.{fmt}"'
    return response


class PlanExportApi(APIView):
    """GET: your part of the plan as XLSX (default; a ``SUM`` total, locked cells shaded, an
    About sheet for the upload) or CSV: one row per salesperson x product line, 12 months."""

    permission_classes = [HasRole]
    renderer_classes = [JSONRenderer]
    content_negotiation_class = _FileNegotiation

    @extend_schema(parameters=[s.ExportInputSerializer], responses=FILE_RESPONSES)
    def get(self, request: Request, pk: int) -> HttpResponseBase:
        plan = _plan(request, pk)
        params = s.ExportInputSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        fmt = params.validated_data["format"]
        name = f"plan-{plan.pk}-v{plan.version}-fy{plan.fiscal_year}"
        if fmt == "xlsx":
            return _download(fmt, name, plan_sheet_xlsx(plan=plan, user=request.user))
        return _download(fmt, name, plan_sheet_csv(plan=plan, user=request.user))


class PlanUploadApi(APIView):
    """POST (managers, admins): upload an edited XLSX of the plan (multipart ``file``),
    applied as one audited change or refused whole; ``errors`` name the sheet cells."""

    permission_classes = [IsManagerOrAdmin]
    parser_classes = [MultiPartParser]

    @extend_schema(
        request=s.UploadInputSerializer, responses={200: s.EditResultOutputSerializer, **ERRORS}
    )
    def post(self, request: Request, pk: int) -> Response:
        plan = _plan(request, pk)
        data = s.UploadInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        result = plan_sheet_upload(
            plan=plan,
            file=data.validated_data["file"],
            reason=data.validated_data["reason"],
            actor=request.user,
        )
        return Response(s.edit_result_data(result))


def _month_param(value: str) -> dt.date:
    from allocation.api.filters import MonthFormField

    try:
        month = MonthFormField().clean(value)
    except ValidationError as error:
        raise ValidationError({"month": error.messages}) from None
    if month is None:
        raise ValidationError({"month": _("This field is required.")})
    return month


def _day_rows(request: Request, plan: Plan, data: dict[str, Any]) -> list[Any]:
    month = _month_param(data["month"])
    if plan_structure_get(plan=plan, with_constraints=False).fiscal.month_index(month) is None:
        raise ValidationError({"month": _("The month is outside the plan's fiscal year.")})
    return plan_day_target_list(
        user=request.user,
        plan=plan,
        month=month,
        salesperson=data.get("salesperson"),
        product_line=data.get("product_line"),
    )


class PlanDayListApi(APIView):
    """GET: day-level targets — each visible salesperson's month target (optionally one
    product line) split exactly over the month's working days (the plan's calendar)."""

    permission_classes = [HasRole]

    @extend_schema(
        parameters=[s.DayInputSerializer],
        responses={200: s.DayTargetsOutputSerializer(many=True), **ERRORS},
    )
    def get(self, request: Request, pk: int) -> Response:
        plan = _plan(request, pk)
        params = s.DayInputSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        rows = _day_rows(request, plan, params.validated_data)
        return Response(
            [
                {
                    "salesperson": row.salesperson.code,
                    "salesperson_name": row.salesperson.name,
                    "month": f"{row.month:%Y-%m}",
                    "product_line": row.product_line.code if row.product_line else None,
                    "amount": s.money(row.amount_cents),
                    "days": [{"date": day, "amount": s.money(c)} for day, c in row.days],
                }
                for row in rows
            ]
        )


class PlanDayExportApi(APIView):
    """GET: the day-level targets of a month as CSV or XLSX (salesperson x working day)."""

    permission_classes = [HasRole]
    renderer_classes = [JSONRenderer]
    content_negotiation_class = _FileNegotiation

    @extend_schema(parameters=[s.DayExportInputSerializer], responses=FILE_RESPONSES)
    def get(self, request: Request, pk: int) -> HttpResponseBase:
        plan = _plan(request, pk)
        params = s.DayExportInputSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        rows = _day_rows(request, plan, params.validated_data)
        header = [_("Salesperson"), _("Name"), _("Product line"), _("Date"), _("Target")]
        from salesalloc.core.money import from_cents

        body = [
            [
                row.salesperson.code,
                row.salesperson.name,
                row.product_line.code if row.product_line else "",
                day,
                from_cents(c),
            ]
            for row in rows
            for day, c in row.days
        ]
        fmt = params.validated_data["format"]
        name = f"plan-{plan.pk}-days-{params.validated_data['month']}"
        if fmt == "xlsx":
            return _download(fmt, name, xlsx_bytes(header, body, sheet="Days"))
        return _download(fmt, name, csv_rows(header, body))


# --- acknowledgements and own targets ------------------------------------------------------


class PlanAcknowledgementListApi(ListAPIView):
    """GET (managers, admins): every salesperson you manage in the plan with their answer:
    pending, acknowledged or disputed (with the comment). Filter with ``status``."""

    permission_classes = [IsManagerOrAdmin]
    serializer_class = s.AcknowledgementOutputSerializer
    filter_backends = []

    def get_queryset(self) -> list[Any]:  # type: ignore[override]
        plan = _plan(self.request, self.kwargs["pk"])
        params = s.AcknowledgementFilterSerializer(data=self.request.query_params)
        params.is_valid(raise_exception=True)
        rows = acknowledgement_list(
            user=self.request.user, plan=plan, status=params.validated_data.get("status")
        )
        return [
            {
                "salesperson": r.salesperson.code,
                "salesperson_name": r.salesperson.name,
                "org_unit": r.org_unit_code,
                "status": r.status,
                "comment": r.comment,
                "acted_by": r.acted_by,
                "acted_at": r.acted_at,
            }
            for r in rows
        ]

    @extend_schema(parameters=[s.AcknowledgementFilterSerializer])
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)


class PlanAcknowledgeApi(APIView):
    """POST (salespeople): acknowledge your published targets, or dispute them with a comment."""

    permission_classes = [HasRole]

    @extend_schema(
        request=s.AcknowledgeInputSerializer,
        responses={200: s.AcknowledgeOutputSerializer, **ERRORS},
    )
    def post(self, request: Request, pk: int) -> Response:
        plan = _plan(request, pk)
        data = s.AcknowledgeInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        row = acknowledgement_record(plan=plan, actor=request.user, **data.validated_data)
        return Response(s.AcknowledgeOutputSerializer(row).data)


class MyTargetListApi(ListAPIView):
    """GET: your own targets in every published plan — year, quarters, months, per product
    line — and whether you acknowledged them. Empty for users who aren't salespeople."""

    permission_classes = [HasRole]
    serializer_class = s.MyTargetsOutputSerializer
    filter_backends = []

    def get_queryset(self) -> list[Any]:  # type: ignore[override]
        out = []
        for item in my_target_list(user=self.request.user):
            ack = item.acknowledgement
            out.append(
                {
                    "plan": {
                        "id": item.plan.pk,
                        "name": item.plan.name,
                        "fiscal_year": item.plan.fiscal_year,
                        "version": item.plan.version,
                        "currency": item.plan.currency,
                    },
                    "salesperson": item.salesperson.code,
                    **s.breakdown(item.month_labels, item.months),
                    "product_lines": [
                        {
                            "code": line.code,
                            "name": line.name,
                            **s.breakdown(item.month_labels, months),
                        }
                        for line, months in item.product_lines
                    ],
                    "acknowledgement": {
                        "status": ack.status,
                        "comment": ack.comment,
                        "acted_at": ack.acted_at,
                    }
                    if ack
                    else None,
                }
            )
        return out


class TargetListApi(ListAPIView):
    """GET: targets at grid grain (salesperson x product line x month) with ``amount`` —
    the same filters as ``/actuals/``, plus ``plan`` (default: the published plans)."""

    permission_classes = [HasRole]
    serializer_class = s.TargetOutputSerializer
    filter_backends = [DjangoFilterBackend]
    filterset_class = TargetFilterSet

    def get_queryset(self) -> QuerySet[TargetCell]:
        cells = target_cell_list(user=self.request.user).order_by(
            "plan_id", "month", "salesperson__code", "product_line__code"
        )
        if "plan" not in self.request.query_params:
            cells = cells.filter(plan__status=Plan.Status.PUBLISHED)
        return cells
