"""``plan_allocate``: build a draft's whole target grid from its total and methods."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from fractions import Fraction

import numpy as np
import pandas as pd
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import BigIntegerField, Q, Sum
from django.db.models.functions import Cast, Round
from django.utils import timezone
from django.utils.translation import gettext as _

from allocation.engine.allocate import AllocationInput, allocate, empty_leaves
from allocation.engine.calendars import season_working_days
from allocation.engine.errors import AllocationError
from allocation.engine.exact import format_cents
from allocation.engine.fiscal import MONTHS, FiscalYear, month_add
from allocation.engine.seasonality import season_custom, season_historical, season_uniform
from allocation.engine.split import split
from allocation.engine.weights import fractions_to_int_weights, weights_capacity
from allocation.measures import actual_sum, measure_label, measure_step
from allocation.models import (
    ActualCell,
    MethodInput,
    Plan,
    PlanChange,
    ProductLineTotal,
    Salesperson,
    TargetCell,
)
from allocation.selectors import plan_leaves_frame, plan_structure_get
from allocation.services.common import PlanRuleError, audit, ensure_editable, plan_lock, rule_error
from allocation.services.methods import method_config_clean, org_method_for_level
from allocation.services.storage import target_cells_delete, target_cells_insert
from allocation.structure import Cell, PlanStructure, ancestor_paths
from salesalloc.core.money import to_cents


def _month(text: str) -> dt.date:
    year, month = text.split("-")
    return dt.date(int(year), int(month), 1)


def _cents_expr() -> Cast:
    return Cast(Round(Sum("amount") * 100), BigIntegerField())


def actual_history_frame(
    *,
    month_from: dt.date,
    month_to: dt.date,
    pl_ids: np.ndarray,
    salesperson_ids: np.ndarray | None,
    measure: str = Plan.Measure.REVENUE,
) -> pd.DataFrame:
    """Actual cents of ``measure`` per (salesperson, product line) over
    ``month_from``..``month_to`` (a measure plan's shares follow its own measure's history)."""
    cells = ActualCell.objects.filter(
        month__gte=month_from, month__lte=month_to, product_line_id__in=[int(x) for x in pl_ids]
    )
    if salesperson_ids is not None:
        cells = cells.filter(salesperson_id__in=[int(x) for x in salesperson_ids])
    rows = list(
        cells.order_by()
        .values("salesperson_id", "product_line_id")
        .annotate(cents=actual_sum(measure))
        .values_list("salesperson_id", "product_line_id", "cents")
    )
    return pd.DataFrame(rows, columns=["salesperson_id", "pl_id", "cents"]).astype(np.int64)


def plan_candidates(*, plan: Plan) -> list[int]:
    """Active salespeople below the plan's org unit employed at some point of its year."""
    fiscal = FiscalYear(plan.fiscal_year, plan.start_month)
    people = Salesperson.objects.filter(
        is_active=True, org_unit__path__startswith=plan.root_org_unit.path
    ).filter(
        Q(start_date__isnull=True) | Q(start_date__lte=fiscal.end),
        Q(end_date__isnull=True) | Q(end_date__gte=fiscal.first_month),
    )
    return list(people.order_by("pk").values_list("pk", flat=True))


def frozen_leaves(*, structure: PlanStructure, leaves: pd.DataFrame) -> pd.DataFrame:
    """Every leaf inside a locked cell, with its current amount (0 where none is stored)."""
    locked = [info.cell for info in structure.constraints if info.locked]
    if not locked:
        return empty_leaves()
    parts = []
    for cell in locked:
        sp = structure.members_under(cell.org)
        pl = structure.leaves_under(cell.pl)
        months = np.array(structure.months(cell), dtype=np.int64)
        grid = np.array(np.meshgrid(sp, pl, months, indexing="ij")).reshape(3, -1)
        parts.append(pd.DataFrame({"salesperson_id": grid[0], "pl_id": grid[1], "m": grid[2]}))
    cells = pd.concat(parts, ignore_index=True).drop_duplicates()
    current = leaves.set_index(["salesperson_id", "pl_id", "m"])["cents"]
    hit = current.reindex(pd.MultiIndex.from_frame(cells[["salesperson_id", "pl_id", "m"]]))
    cells["cents"] = hit.fillna(0).to_numpy(dtype=np.int64)
    return cells.astype(np.int64).reset_index(drop=True)


def _pl_nodes_frame(s: PlanStructure) -> pd.DataFrame:
    """The plan's product-line nodes as the engine reads them, with their level (1 = top)."""
    pl_nodes = pd.DataFrame(
        [
            (n.id, n.code, n.parent_id if n.parent_id in s.pl_nodes else 0, n.is_leaf)
            for n in s.pl_nodes.values()
        ],
        columns=["pl_id", "code", "parent_id", "is_leaf"],
    )
    depth = {}
    for n in s.pl_nodes.values():
        d, node = 1, n
        while node.parent_id in s.pl_nodes:
            node = s.pl_nodes[node.parent_id]
            d += 1
        depth[n.id] = d
    pl_nodes["level"] = pl_nodes["pl_id"].map(depth)
    return pl_nodes


def _own_mix(s: PlanStructure, company: pd.DataFrame, company_row: pd.Series) -> np.ndarray:
    """Each salesperson's leaf-line mix from their own history (members x leaves).

    Without history of their own, their unit's mix (everyone in its subtree); without that
    either, the company's.
    """
    members, leaves = s.member_ids, s.leaf_ids
    own = company.loc[company["salesperson_id"].isin(set(members.tolist()))]
    own = own.assign(cents=own["cents"].clip(lower=0))
    own_grid = (
        own.pivot_table(index="salesperson_id", columns="pl_id", values="cents", aggfunc="sum")
        .reindex(index=members, columns=leaves)
        .fillna(0)
        .astype(np.int64)
    )
    # Fallback: the salesperson's unit mix (everyone in their unit's subtree).
    unit_of = pd.Series([s.members[int(sp)].parent_opath for sp in members], index=members)
    unit_mix = {
        unit_path: own_grid.loc[s.members_under(s.by_opath[unit_path])].sum(axis=0).to_numpy()
        for unit_path in set(unit_of)
    }
    unit_grid = np.vstack([unit_mix[unit_of[int(sp)]] for sp in members])
    own_values = own_grid.to_numpy()
    empty = own_values.sum(axis=1) == 0
    values = np.where(empty[:, None], unit_grid, own_values)
    empty = values.sum(axis=1) == 0
    values = np.where(empty[:, None], company_row.to_numpy()[None, :], values)
    return values


class _Inputs:
    """Builds :class:`AllocationInput` from the database for one plan."""

    def __init__(self, plan: Plan, structure: PlanStructure, config: dict) -> None:
        self.plan = plan
        self.s = structure
        self.config = config
        self.fiscal = structure.fiscal
        self.step = measure_step(plan.measure)  # cents per engine step (whole units: 100)
        inputs = MethodInput.objects.filter(plan=plan)
        self.unit_inputs = {m.org_unit_id: m for m in inputs if m.org_unit_id}
        self.person_inputs = {m.salesperson_id: m for m in inputs if m.salesperson_id}
        self.line_inputs = {m.product_line_id: m for m in inputs if m.product_line_id}
        self._history: dict[tuple[str, str], pd.Series] = {}
        # Ancestors (org-node keys) of every member, for roll-ups to units.
        rows = [(sp, node.opath) for sp, node in structure.members.items()]
        rows += [
            (sp, path)
            for sp, node in structure.members.items()
            for path in ancestor_paths(node.parent_opath or "")
            if path in structure.by_opath
        ]
        self.ancestors = pd.DataFrame(rows, columns=["salesperson_id", "node"])

    def roll_up(self, per_person: pd.Series) -> pd.Series:
        """Per-salesperson numbers summed into every org node (keyed by opath)."""
        frame = self.ancestors.assign(
            value=per_person.reindex(self.ancestors["salesperson_id"]).fillna(0).to_numpy()
        )
        return frame.groupby("node")["value"].sum()

    def history(self, spec: dict) -> pd.Series:
        """Actual cents per salesperson in the spec's base period (covered lines)."""
        key = (spec["base_from"], spec["base_to"])
        if key in self._history:
            return self._history[key]
        frame = actual_history_frame(
            month_from=_month(spec["base_from"]),
            month_to=_month(spec["base_to"]),
            pl_ids=self.s.leaf_ids,
            salesperson_ids=self.s.member_ids,
            measure=self.plan.measure,
        )
        per_person = frame.groupby("salesperson_id")["cents"].sum()
        if self.plan.measure == Plan.Measure.GROSS_MARGIN:
            per_person = per_person.clip(lower=0)  # a loss-making year weighs nothing
        self._history[key] = per_person
        return self._history[key]

    def capacity(self, spec: dict) -> pd.Series:
        people = list(
            Salesperson.objects.filter(pk__in=[int(x) for x in self.s.member_ids])
            .order_by("pk")
            .values_list("pk", "code", "fte", "start_date", "end_date")
        )
        fte = []
        for pk, _code, value, _start, _end in people:
            override = self.person_inputs.get(pk)
            fte.append(
                override.fte_override if override and override.fte_override is not None else value
            )
        weights = weights_capacity(
            fte=fte,
            start=[row[3] for row in people],
            end=[row[4] for row in people],
            period_start=self.fiscal.first_month,
            ramp=[Decimal(x) for x in spec.get("ramp", ["0.25", "0.5", "0.75", "1"])],
            keys=[row[1] for row in people],
        )
        return pd.Series(weights, index=[row[0] for row in people], dtype=object)

    def org_nodes(self) -> pd.DataFrame:
        s = self.s
        rows: list[tuple[str, str, str, str | None, int, str, int, int]] = [
            (s.root.opath, s.root.code, s.root.name, "", 0, "root", -1, s.root.id)
        ]
        rows += [
            (n.opath, n.code, n.name, n.parent_opath, n.depth, "unit", -1, n.id)
            for n in s.units.values()
        ]
        rows += [
            (n.opath, n.code, n.name, n.parent_opath, n.depth, "salesperson", n.id, n.id)
            for n in s.members.values()
        ]
        nodes = pd.DataFrame(
            rows,
            columns=["key", "code", "name", "parent", "level", "kind", "salesperson_id", "id"],
        )
        names = dict(zip(nodes["key"], nodes["code"], strict=True))
        nodes["parent_code"] = nodes["parent"].map(names).fillna("")
        return nodes

    def add_weight_inputs(self, nodes: pd.DataFrame) -> dict[int, dict]:
        """Fill the columns every level's method reads; return level -> spec."""
        levels = range(1, int(nodes["level"].max()) + 1)
        specs = {level: org_method_for_level(self.config, level) for level in levels}
        nodes["history"] = 0
        nodes["last_year"] = 0
        nodes["capacity"] = pd.Series(Fraction(0), index=nodes.index, dtype=object)
        people = nodes["kind"] == "salesperson"
        units = nodes["kind"] == "unit"

        def node_input(row_kind: str, node_id: int, name: str) -> object:
            source = self.person_inputs if row_kind == "salesperson" else self.unit_inputs
            item = source.get(node_id)
            return getattr(item, name) if item is not None else None

        for name in ("growth", "potential", "manual"):
            field = {
                "growth": "growth_rate",
                "potential": "potential_index",
                "manual": "manual_percent",
            }[name]
            nodes[name] = pd.Series(
                [
                    node_input(kind, int(node_id), field)
                    for kind, node_id in zip(nodes["kind"], nodes["id"], strict=True)
                ],
                index=nodes.index,
                dtype=object,
            )
        for level, spec in specs.items():
            at_level = nodes["level"] == level
            for part in self._spec_parts(spec):
                method = part["method"]
                if method == "historical":
                    values = self.roll_up(self.history(part))
                    nodes.loc[at_level, "history"] = (
                        nodes.loc[at_level, "key"].map(values).fillna(0).astype(np.int64)
                    )
                elif method == "growth":
                    values = self.roll_up(self.history(part))
                    nodes.loc[at_level, "last_year"] = (
                        nodes.loc[at_level, "key"].map(values).fillna(0).astype(np.int64)
                    )
                elif method == "capacity":
                    per_person = self.capacity(part)
                    totals = {
                        key: sum(
                            (
                                per_person.get(int(sp), Fraction(0))
                                for sp in self.s.members_under(self.s.by_opath[key])
                            ),
                            Fraction(0),
                        )
                        for key in nodes.loc[at_level & (people | units), "key"]
                    }
                    nodes.loc[at_level, "capacity"] = nodes.loc[at_level, "key"].map(totals)
        return specs

    @staticmethod
    def _spec_parts(spec: dict) -> list[dict]:
        return [spec["a"], spec["b"]] if spec["method"] == "blend" else [spec]

    def product_line_inputs(self) -> tuple[pd.DataFrame, pd.DataFrame, dict | None]:
        s = self.s
        pl_nodes = _pl_nodes_frame(s)
        spec = self.config["product_line"]
        method = spec["method"]
        members = s.member_ids
        leaves = s.leaf_ids
        if method == "manual":
            manual = {
                pk: item.manual_percent
                for pk, item in self.line_inputs.items()
                if item.manual_percent is not None
            }
            weights = pd.DataFrame(columns=["salesperson_id", "pl_id", "weight"])
            return pl_nodes, weights, manual
        grid = pd.DataFrame(0, index=members, columns=leaves, dtype=np.int64)
        if method == "equal":
            grid[:] = 1
        else:
            month_from, month_to = _month(spec["base_from"]), _month(spec["base_to"])
            company = actual_history_frame(
                month_from=month_from,
                month_to=month_to,
                pl_ids=leaves,
                salesperson_ids=None,
                measure=self.plan.measure,
            )
            company_row = (
                company.assign(cents=company["cents"].clip(lower=0))
                .groupby("pl_id")["cents"]
                .sum()
                .reindex(leaves)
                .fillna(0)
                .astype(np.int64)
            )
            if method == "company":
                grid[:] = company_row.to_numpy()[None, :]
            else:
                grid[:] = _own_mix(s, company, company_row)
        weights = pd.DataFrame(
            {
                "salesperson_id": np.repeat(members, len(leaves)),
                "pl_id": np.tile(leaves, len(members)),
                "weight": grid.to_numpy(dtype=np.int64).reshape(-1),
            }
        )
        return pl_nodes, weights.astype(np.int64), None

    def pl_seed(self, weights: pd.DataFrame) -> pd.DataFrame:
        """Org node x leaf line seed of the two-way fits: the leaf mix of everyone below."""
        merged = self.ancestors.merge(weights, on="salesperson_id")
        return merged.pivot_table(
            index="node", columns="pl_id", values="weight", aggfunc="sum"
        ).fillna(0)

    def season(self) -> dict[int, list[int]]:
        spec = self.config["seasonality"]
        leaves = [int(x) for x in self.s.leaf_ids]
        method = spec["method"]
        if method == "uniform":
            shares = season_uniform()
            return dict.fromkeys(leaves, fractions_to_int_weights(shares))
        if method == "working_days":
            shares = season_working_days(self.fiscal.first_month, country=self.config["country"])
            return dict.fromkeys(leaves, fractions_to_int_weights(shares))
        if method == "custom":
            shares = season_custom([Decimal(v) for v in spec["curve"]])
            return dict.fromkeys(leaves, fractions_to_int_weights(shares))
        years = int(spec["base_years"])
        first = month_add(self.fiscal.first_month, -12 * years)
        last = month_add(self.fiscal.first_month, -1)
        rows = list(
            ActualCell.objects.filter(month__gte=first, month__lte=last, product_line_id__in=leaves)
            .order_by()
            .values("product_line_id", "month")
            .annotate(cents=actual_sum(self.plan.measure))
            .values_list("product_line_id", "month", "cents")
        )
        table = {pl: np.zeros((years, MONTHS), dtype=np.int64) for pl in leaves}
        base = first.year * 12 + first.month - 1
        for pl, month, cents in rows:
            index = month.year * 12 + month.month - 1 - base
            # A month of negative history (margin) weighs nothing, like a month without any.
            table[pl][index // MONTHS, index % MONTHS] += max(int(cents or 0), 0)
        return {
            pl: fractions_to_int_weights(season_historical(table[pl].tolist())) for pl in leaves
        }

    def bounds(self) -> tuple[dict, dict, dict]:
        """Bounds in engine steps: a whole-unit measure's minimum rounds up, its maximum down."""
        org, line, month = {}, {}, {}
        for info in self.s.constraints:
            if info.min_cents is None and info.max_cents is None:
                continue
            low = None if info.min_cents is None else -(-info.min_cents // self.step)
            pair = (low, None if info.max_cents is None else info.max_cents // self.step)
            cell = info.cell
            if cell.period == "year" and cell.pl is None and not cell.org.is_root:
                org[cell.org.opath] = pair
            elif cell.period == "year" and cell.pl is not None and cell.org.kind == "salesperson":
                line[(cell.org.id, cell.pl.id)] = pair
            elif (
                cell.org.kind == "salesperson"
                and cell.pl is not None
                and cell.pl.is_leaf
                and len(self.s.months(cell)) == 1
            ):
                month[(cell.org.id, cell.pl.id, self.s.months(cell)[0])] = pair
        return org, line, month

    def pl_totals(self, pl_nodes: pd.DataFrame, weights: pd.DataFrame) -> dict[int, int] | None:
        """Leaf totals when the plan fixes product-line totals: the plan total split down the
        product-line tree with the fixed lines locked, the rest by the company mix."""
        fixed = {
            row.product_line_id: to_cents(row.amount) // self.step
            for row in ProductLineTotal.objects.filter(plan=self.plan)
        }
        if not fixed:
            return None
        mix = (
            weights.groupby("pl_id")["weight"].sum()
            if not weights.empty
            else pd.Series(dtype=np.int64)
        )
        chains = {}
        for leaf in self.s.leaf_ids:
            chain = [int(leaf)]
            while self.s.pl_nodes[chain[-1]].parent_id in self.s.pl_nodes:
                chain.append(self.s.pl_nodes[chain[-1]].parent_id)
            chains[int(leaf)] = chain[::-1]

        def node_weight(node: int) -> int:
            return int(
                sum(int(mix.get(leaf, 0)) for leaf, chain in chains.items() if node in chain)
            )

        amounts: dict[int, int] = {}
        todo = [(0, int(to_cents(self.plan.total_amount)) // self.step)]
        while todo:
            parent, total = todo.pop()
            kids = sorted(self.s.pl_children(self.s.pl_nodes.get(parent)), key=lambda n: n.code)
            # A fixed node below a child counts as part of that child's lock floor.
            locked = [fixed.get(k.id) for k in kids]
            floors = [
                sum(
                    v
                    for pk, v in fixed.items()
                    if self.s.pl_nodes[pk].path.startswith(k.path) and pk != k.id
                )
                for k in kids
            ]
            shares = split(
                total,
                [node_weight(k.id) for k in kids],
                [k.code for k in kids],
                locked=locked,
                mins=[f if f else None for f in floors],
            )
            for kid, share in zip(kids, shares, strict=True):
                if kid.is_leaf:
                    amounts[kid.id] = share
                else:
                    todo.append((kid.id, share))
        return amounts


def check_constraints(*, structure: PlanStructure, leaves: pd.DataFrame, cents: np.ndarray) -> None:
    """Every bound holds on the complete grid ``leaves`` (with ``cents``); else AllocationError."""
    for info in structure.constraints:
        if info.min_cents is None and info.max_cents is None:
            continue
        total = int(cents[structure.mask(info.cell, leaves)].sum())
        _bound_check(info.cell, total, info.min_cents, info.max_cents)


def _bound_check(cell: Cell, total: int, low: int | None, high: int | None) -> None:
    if low is not None and total < low:
        raise AllocationError(
            f"{cell.label} would be {format_cents(total)}, below its minimum {format_cents(low)}"
        )
    if high is not None and total > high:
        raise AllocationError(
            f"{cell.label} would be {format_cents(total)}, above its maximum {format_cents(high)}"
        )


def _allocation_input(build: _Inputs, frozen: pd.DataFrame) -> AllocationInput:
    """Everything the engine's ``allocate`` reads, gathered from the database."""
    nodes = build.org_nodes()
    specs = build.add_weight_inputs(nodes)
    pl_nodes, weights, manual = build.product_line_inputs()
    org_bounds, pl_bounds, month_bounds = build.bounds()
    totals = build.pl_totals(pl_nodes, weights)
    step = build.step
    frozen = frozen.loc[frozen["salesperson_id"].isin(set(build.s.members))]
    return AllocationInput(
        total=to_cents(build.plan.total_amount) // step,
        org_nodes=nodes,
        org_methods=specs,
        pl_nodes=pl_nodes,
        pl_weights=weights,
        pl_manual=manual,
        season=build.season(),
        frozen=frozen.assign(cents=frozen["cents"] // step),
        org_bounds=org_bounds,
        pl_bounds=pl_bounds,
        month_bounds=month_bounds,
        pl_totals=totals,
        pl_seed=build.pl_seed(weights) if totals is not None else None,
    )


@transaction.atomic
def plan_allocate(
    *, plan: Plan, actor: AbstractBaseUser | None = None, use_copy: bool | None = None
) -> Plan:
    """Allocate a draft's total down the org tree, product lines and months (DESIGN §3).

    1. Lock the plan; the salespeople are the active ones below its org unit employed
       during its fiscal year (plus anyone with locked targets).
    2. Leaves inside locked cells keep their amounts; bounds are met by clip-and-resplit
       where they sit on a split (org cells, a salesperson's product lines, months) and
       checked on the result everywhere else.
    3. Replace all leaves at once (COPY on PostgreSQL). Every node equals the sum of its
       children to the cent; an infeasible plan raises ``PlanRuleError`` and changes nothing.
    """
    plan = plan_lock(plan=plan)
    ensure_editable(plan)
    config = method_config_clean(
        plan.method_config, fiscal=FiscalYear(plan.fiscal_year, plan.start_month)
    )
    old = plan_structure_get(plan=plan)
    locked = [info.cell for info in old.constraints if info.locked]
    old_leaves = empty_leaves()
    if locked and plan.allocated_at is not None:
        people = {int(x) for cell in locked for x in old.members_under(cell.org)}
        old_leaves = plan_leaves_frame(
            plan=plan, structure=old, salesperson_ids=np.array(sorted(people), dtype=np.int64)
        )
    frozen = frozen_leaves(structure=old, leaves=old_leaves)
    members = set(plan_candidates(plan=plan)) | set(frozen["salesperson_id"].astype(int).tolist())
    plan.salespeople.set(sorted(members))
    structure = plan_structure_get(plan=plan)
    if not structure.members:
        raise PlanRuleError(
            _("Nothing was changed: there is nobody to allocate to under %(unit)s.")
            % {"unit": plan.root_org_unit.code}
        )
    step = measure_step(plan.measure)
    if to_cents(plan.total_amount) % step:
        raise PlanRuleError(
            _("Nothing was changed: a %(measure)s target is a whole number of units.")
            % {"measure": measure_label(plan.measure).lower()}
        )
    try:
        leaves = allocate(_allocation_input(_Inputs(plan, structure, config), frozen))
        leaves["cents"] *= step  # engine steps back to cents (whole units: .00)
        check_constraints(structure=structure, leaves=leaves, cents=leaves["cents"].to_numpy())
    except AllocationError as error:
        raise rule_error(error) from error
    old_total = None
    if plan.allocated_at is not None:
        old_total = int(TargetCell.objects.filter(plan=plan).aggregate(c=_cents_expr())["c"] or 0)
    target_cells_delete(plan_id=plan.pk)
    written = target_cells_insert(
        plan_id=plan.pk, leaves=leaves, months=structure.fiscal.months, use_copy=use_copy
    )
    plan.allocated_at = timezone.now()
    plan.revision += 1
    plan.save(update_fields=["allocated_at", "revision", "updated_at"])
    audit(
        plan=plan,
        actor=actor,
        action=PlanChange.Action.ALLOCATE,
        old_cents=old_total,
        new_cents=int(leaves["cents"].sum()),
        leaf_count=written,
        details={"method_config": config, "salespeople": len(structure.members)},
    )
    return plan
