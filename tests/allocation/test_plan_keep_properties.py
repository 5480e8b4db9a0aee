"""Property tests (hypothesis) of both keep rules on a real plan in the database.

Random edits (any org node, any line node or all lines, any month, quarter or year, any
amount, either rule, with random locks) of the ``test_plan_support`` company's plan: each
is either refused and changes nothing, or it sets the cell to its amount and keeps, to the
cent, the plan total, the cell the rule keeps and every locked cell; the leaves stay whole
non-negative cents, so every node (a sum of leaves) is the sum of its children. Every
example runs in a savepoint that is rolled back, so all start from the same plan.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from allocation.models import CellConstraint, TargetCell
from allocation.selectors import plan_structure_get
from allocation.services import cell_constraint_set, cell_edit
from allocation.services.cell_rules import db_cell_sum
from allocation.services.common import PlanRuleError
from allocation.structure import Cell
from tests.allocation.test_plan_support import make_plan

pytestmark = pytest.mark.django_db

ORGS = [("org_unit", "ACME"), ("org_unit", "NORTH"), ("org_unit", "N-T1"), ("org_unit", "SOUTH"),
        ("salesperson", "S-N1"), ("salesperson", "S-N2"), ("salesperson", "S-S1")]  # fmt: skip
LINES = [None, "FUR", "TEC", "FUR-CH", "FUR-TA", "TEC-PH"]
PERIODS = ["year", "Q1", "Q3", "2019-01", "2019-02", "2019-07", "2019-12"]
coords = st.tuples(st.sampled_from(ORGS), st.sampled_from(LINES), st.sampled_from(PERIODS))


class _Rollback(Exception):  # noqa: N818 - leaves the savepoint after each example
    pass


def _cell_kwargs(coord) -> dict:
    (kind, code), line, period = coord
    return {kind: code, "product_line": line, "period": period}


def _cents(plan, structure, coord) -> int:
    return db_cell_sum(plan, structure, structure.resolve(**_cell_kwargs(coord)))


def _snapshot(plan) -> dict:
    return dict(TargetCell.objects.filter(plan=plan).values_list("pk", "amount"))


@pytest.fixture
def plan(company):
    return make_plan(company)


@settings(
    max_examples=70,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    edit=coords,
    amount_cents=st.integers(min_value=0, max_value=2_000_000),
    keep=st.sampled_from(["row_year", "period_total"]),
    locks=st.lists(coords, max_size=2, unique=True),
)
def test_both_rules_keep_the_plan_total_the_kept_cell_and_the_locks(
    company, plan, edit, amount_cents, keep, locks
):
    try:
        with transaction.atomic():
            _check_one_edit(company, plan, edit, amount_cents, keep, locks)
            raise _Rollback
    except _Rollback:
        pass


def _check_one_edit(company, plan, edit, amount_cents, keep, locks) -> None:
    for lock in locks:
        cell_constraint_set(plan=plan, locked=True, **_cell_kwargs(lock))
    structure = plan_structure_get(plan=plan)
    cell = structure.resolve(**_cell_kwargs(edit))
    found = structure.parent(cell, keep)
    kept: Cell | None = found[0] if found else None
    kept_before = db_cell_sum(plan, structure, kept) if kept else None
    locked = [info.cell for info in structure.constraints if info.locked]
    locked_before = [db_cell_sum(plan, structure, c) for c in locked]
    total_before = db_cell_sum(plan, structure, Cell(structure.root, None, "year"))
    before = _snapshot(plan)
    try:
        cell_edit(plan=plan, amount=Decimal(amount_cents).scaleb(-2), keep=keep,
                  actor=company.users["admin"], **_cell_kwargs(edit))  # fmt: skip
    except (PlanRuleError, ValidationError):
        assert _snapshot(plan) == before  # refused: nothing changed
        return
    after = _snapshot(plan)
    assert all(value >= 0 and value == value.quantize(Decimal("0.01")) for value in after.values())
    assert _cents(plan, structure, edit) == amount_cents
    for lock, amount_before in zip(locked, locked_before, strict=True):
        assert db_cell_sum(plan, structure, lock) == amount_before
    root_total = db_cell_sum(plan, structure, Cell(structure.root, None, "year"))
    if kept is None:  # the plan total itself was set
        assert root_total == amount_cents
        return
    assert db_cell_sum(plan, structure, kept) == kept_before
    assert root_total == total_before
    assert CellConstraint.objects.filter(plan=plan, locked=True).count() == len(locked)
