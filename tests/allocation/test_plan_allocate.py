"""plan_allocate: DESIGN §3 split rules at every level, two-way, locks, bounds, storage."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

import pytest
from django.db import connection
from django.db.models import Sum

from allocation.engine.allocate import empty_leaves
from allocation.engine.seasonality import season_historical
from allocation.engine.split import split
from allocation.engine.weights import fractions_to_int_weights
from allocation.models import (
    ActualCell,
    CellConstraint,
    OrgUnit,
    Plan,
    PlanChange,
    ProductLine,
    TargetCell,
)
from allocation.selectors import plan_structure_get
from allocation.services import (
    cell_constraint_set,
    plan_allocate,
    plan_create,
    plan_product_line_totals_set,
    plan_submit,
)
from allocation.services.common import PlanNotEditableError, PlanRuleError
from allocation.services.storage import target_cells_insert
from tests.allocation.test_plan_support import (
    CENT,
    EQUAL,
    add_actuals,
    amount,
    by,
    cents,
    leaves,
    make_plan,
)
from tests.factories import OrgUnitFactory, ProductLineFactory, SalespersonFactory

pytestmark = pytest.mark.django_db

# --- the split rule at every level, on a demo-like company ------------------------------------


@pytest.fixture
def demo_like(db):
    """4 regions x 2 teams x 2-3 people, 3 categories x 2-3 lines, 3 years of random actuals."""
    rng = random.Random(2019)
    root = OrgUnitFactory(code="CO", kind=OrgUnit.Kind.COMPANY)
    people = []
    for r in range(4):
        region = OrgUnitFactory(code=f"R{r}", kind=OrgUnit.Kind.REGION, parent=root)
        for t in range(2):
            team = OrgUnitFactory(code=f"R{r}T{t}", parent=region)
            for p in range(2 + (r + t) % 2):
                people.append(SalespersonFactory(code=f"P{r}{t}{p}", org_unit=team))
        # One salesperson placed directly in the region, next to its teams.
        people.append(SalespersonFactory(code=f"P{r}X", org_unit=region))
    lines = []
    for c in range(3):
        category = ProductLineFactory(code=f"C{c}")
        lines += [ProductLineFactory(code=f"C{c}-{k}", parent=category) for k in range(2 + c % 2)]
    rows = []
    for person in people:
        for line in rng.sample(lines, k=rng.randint(2, len(lines))):
            base = rng.randint(1_000, 90_000)
            for year in (2016, 2017, 2018):
                for month in range(1, 13):
                    value = Decimal(base * rng.randint(50, 150)) / 100
                    rows.append(
                        ActualCell(
                            salesperson=person,
                            product_line=line,
                            month=dt.date(year, month, 1),
                            amount=value,
                        )
                    )
    ActualCell.objects.bulk_create(rows)
    return root


def _history(people: list[int], lines: list[int], start: dt.date, end: dt.date) -> dict:
    rows = (
        ActualCell.objects.filter(
            salesperson_id__in=people, product_line_id__in=lines, month__gte=start, month__lte=end
        )
        .values_list("salesperson_id", "product_line_id")
        .annotate(total=Sum("amount"))
    )
    return {(sp, pl): max(cents(Decimal(total).quantize(CENT)), 0) for sp, pl, total in rows}


def test_every_node_is_the_exact_split_of_its_parent_on_a_demo_like_company(demo_like):
    # given: last year's share for the org, own history for lines, 3 years of seasonality
    plan = plan_create(
        name="FY2019",
        fiscal_year=2019,
        total_amount=Decimal("10000000.07"),
        method_config={
            "org": {"method": "historical", "base_from": "2016-01", "base_to": "2018-12"}
        },
    )

    # when
    plan = plan_allocate(plan=plan)

    # then: Σ leaves is the total to the cent ...
    structure = plan_structure_get(plan=plan)
    assert amount(plan) == Decimal("10000000.07")
    cells = {
        (sp, pl, m.month - 1): cents(Decimal(a).quantize(CENT))
        for sp, pl, m, a in TargetCell.objects.filter(plan=plan).values_list(
            "salesperson_id", "product_line_id", "month", "amount"
        )
    }
    leaf_ids = [int(x) for x in structure.leaf_ids]
    history = _history(
        [int(x) for x in structure.member_ids], leaf_ids, dt.date(2016, 1, 1), dt.date(2018, 12, 1)
    )

    def node_amount(node) -> int:
        members = {int(x) for x in structure.members_under(node)}
        return sum(c for (sp, _, _), c in cells.items() if sp in members)

    # ... every org node's children are split of it by their history ...
    checked = 0
    for parent in [structure.root, *structure.units.values()]:
        children = structure.org_children(parent)
        if not children:
            continue
        weights = [
            sum(
                h
                for (sp, _), h in history.items()
                if sp in set(structure.members_under(c).tolist())
            )
            for c in children
        ]
        expected = split(node_amount(parent), weights, [c.code for c in children])
        assert [node_amount(c) for c in children] == expected
        checked += 1
    assert checked == 1 + 4 + 8

    # ... every salesperson's lines are split by category, then by line, by own history of
    # the product-line method's base period (the default: the last fiscal year) ...
    history = _history(
        [int(x) for x in structure.member_ids], leaf_ids, dt.date(2018, 1, 1), dt.date(2018, 12, 1)
    )
    for sp in structure.member_ids:
        sp = int(sp)
        total = sum(c for (s, _, _), c in cells.items() if s == sp)
        categories = structure.pl_children(None)
        cat_amounts = [
            sum(
                c
                for (s, pl, _), c in cells.items()
                if s == sp and pl in set(structure.leaves_under(cat).tolist())
            )
            for cat in categories
        ]
        cat_weights = [
            sum(history.get((sp, int(pl)), 0) for pl in structure.leaves_under(cat))
            for cat in categories
        ]
        assert cat_amounts == split(total, cat_weights, [c.code for c in categories])
        for cat, cat_amount in zip(categories, cat_amounts, strict=True):
            kids = structure.pl_children(cat)
            got = [sum(cells[(sp, k.id, m)] for m in range(12)) for k in kids]
            weights = [history.get((sp, k.id), 0) for k in kids]
            assert got == split(cat_amount, weights, [k.code for k in kids])

    # ... and every (salesperson, line) row by the line's 3-year company profile.
    for pl in leaf_ids:
        table = [[0] * 12 for _ in range(3)]
        rows = (
            ActualCell.objects.filter(product_line_id=pl, month__year__in=[2016, 2017, 2018])
            .values_list("month")
            .annotate(total=Sum("amount"))
        )
        for month, total in rows:
            table[month.year - 2016][month.month - 1] = cents(Decimal(total).quantize(CENT))
        season = fractions_to_int_weights(season_historical(table))
        for sp in structure.member_ids[:6]:
            row = [cells[(int(sp), pl, m)] for m in range(12)]
            assert row == split(sum(row), season, [f"{m:02d}" for m in range(12)])


# --- two-way ----------------------------------------------------------------------------------


def test_fixed_product_line_totals_meet_both_margins_exactly(company):
    add_actuals(company)
    plan = make_plan(
        company,
        methods={**EQUAL, "product_line": {"method": "historical"}},
        total="10000.01",
        allocate=False,
    )
    plan_product_line_totals_set(
        plan=plan,
        totals=[(company.furniture, Decimal("6000.00")), (company.phones, Decimal("4000.01"))],
    )

    plan = plan_allocate(plan=plan)

    lines = by(plan, "product_line")
    assert lines["FUR-CH"] + lines["FUR-TA"] == Decimal("6000.00")
    assert lines["TEC-PH"] == Decimal("4000.01")
    # The org margins still hold: equal regions.
    assert amount(plan, salesperson__org_unit__path__startswith=company.north.path) == Decimal(
        "5000.01"
    )
    assert amount(plan) == Decimal("10000.01")


def test_fixed_totals_above_the_plan_total_are_refused(company):
    plan = make_plan(company, allocate=False, total="100.00")

    with pytest.raises(Exception, match=r"more than the plan total"):
        plan_product_line_totals_set(plan=plan, totals=[(company.phones, Decimal("100.01"))])


# --- locks and bounds -------------------------------------------------------------------------


def test_reallocation_keeps_locked_cells_and_resplits_the_rest(company):
    plan = make_plan(company)
    cell_constraint_set(plan=plan, salesperson="S-N1", locked=True)
    cell_constraint_set(
        plan=plan, salesperson="S-S1", product_line="TEC-PH", period="Q1", locked=True
    )
    q1_phones = amount(
        plan,
        salesperson=company.south_rep,
        product_line=company.phones,
        month__lte=dt.date(2019, 3, 1),
    )
    Plan.objects.filter(pk=plan.pk).update(total_amount=Decimal("72000.00"))
    plan.refresh_from_db()

    plan = plan_allocate(plan=plan)

    assert amount(plan, salesperson=company.rep) == Decimal("9000.00")
    assert amount(plan, salesperson=company.south_rep, product_line=company.phones,
                  month__lte=dt.date(2019, 3, 1)) == q1_phones  # fmt: skip
    assert amount(plan) == Decimal("72000.00")
    # NORTH gets at least its locked 9,000 and the split goes on by weight around it.
    assert amount(plan, salesperson=company.north_peer) == Decimal("27000.00")


def test_a_minimum_on_an_org_cell_is_met_by_clip_and_resplit(company):
    plan = make_plan(company, allocate=False)
    CellConstraint.objects.create(
        plan=plan, salesperson=company.rep, period="year", min_amount=Decimal("15000")
    )

    plan = plan_allocate(plan=plan)

    assert amount(plan, salesperson=company.rep) == Decimal("15000.00")
    assert amount(plan, salesperson=company.north_peer) == Decimal("3000.00")


def test_bounds_off_the_split_levels_are_checked_on_the_result(company):
    plan = make_plan(company, allocate=False)
    CellConstraint.objects.create(
        plan=plan, org_unit=company.north, period="2019-01", max_amount=Decimal("100")
    )

    with pytest.raises(
        PlanRuleError,
        match=r"NORTH · all lines · 2019-01 would be 1,500.00, above its maximum 100.00",
    ):
        plan_allocate(plan=plan)

    assert not TargetCell.objects.filter(plan=plan).exists()


def test_locked_amounts_above_the_total_are_refused_and_nothing_changes(company):
    plan = make_plan(company)
    cell_constraint_set(plan=plan, org_unit="SOUTH", locked=True)
    Plan.objects.filter(pk=plan.pk).update(total_amount=Decimal("10000.00"))
    plan.refresh_from_db()
    before = leaves(plan)
    revision = plan.revision

    with pytest.raises(PlanRuleError, match=r"Nothing was changed: .*locked"):
        plan_allocate(plan=plan)

    plan.refresh_from_db()
    assert leaves(plan).equals(before)
    assert plan.revision == revision


# --- who is in, drafts only, audit, storage ---------------------------------------------------


def test_people_inactive_or_gone_before_the_year_are_left_out_new_hires_are_in(company):
    gone = SalespersonFactory(
        code="S-OLD",
        org_unit=company.north_team,
        end_date=dt.date(2018, 12, 31),
        start_date=dt.date(2015, 1, 1),
    )
    SalespersonFactory(code="S-OFF", org_unit=company.north_team, is_active=False)
    hire = SalespersonFactory(
        code="S-NEW", org_unit=company.north_team, start_date=dt.date(2019, 11, 1)
    )

    plan = make_plan(company)

    assert set(by(plan, "salesperson")) == {"S-N1", "S-N2", "S-S1", "S-NEW"}
    assert not TargetCell.objects.filter(plan=plan, salesperson=gone).exists()
    assert plan.salespeople.filter(pk=hire.pk).exists()


def test_only_drafts_are_allocated(company):
    plan = make_plan(company)
    plan_submit(plan=plan, actor=company.users["admin"])

    with pytest.raises(PlanNotEditableError, match=r"only drafts can be changed"):
        plan_allocate(plan=plan)


def test_allocation_is_audited_with_old_and_new_totals(company):
    plan = make_plan(company)
    Plan.objects.filter(pk=plan.pk).update(total_amount=Decimal("1000.00"))
    plan.refresh_from_db()

    plan_allocate(plan=plan, actor=company.users["director"])

    change = PlanChange.objects.filter(plan=plan, action="allocate").first()
    assert change.actor == company.users["director"]
    assert (change.old_amount, change.new_amount, change.leaf_count) == (
        Decimal("36000.00"),
        Decimal("1000.00"),
        3 * 3 * 12,
    )


@pytest.mark.parametrize("use_copy", [True, False], ids=["copy", "bulk_create"])
def test_both_storage_paths_write_the_same_exact_rows(company, use_copy):
    if use_copy and connection.vendor != "postgresql":
        pytest.skip("COPY is the PostgreSQL path")
    plan = make_plan(company, allocate=False)
    frame = empty_leaves()
    frame = frame.reindex(range(3))
    frame["salesperson_id"] = [company.rep.pk, company.rep.pk, company.south_rep.pk]
    frame["pl_id"] = [company.chairs.pk, company.phones.pk, company.chairs.pk]
    frame["m"] = [0, 11, 5]
    frame["cents"] = [0, 1, 99_999_999_999_999]
    frame = frame.astype("int64")

    written = target_cells_insert(
        plan_id=plan.pk,
        leaves=frame,
        months=plan_structure_get(plan=plan).fiscal.months,
        use_copy=use_copy,
    )

    assert written == 3
    rows = sorted(
        TargetCell.objects.filter(plan=plan).values_list(
            "salesperson__code", "product_line__code", "month", "amount"
        )
    )
    assert [(s, p, m, Decimal(a).quantize(CENT)) for s, p, m, a in rows] == [
        ("S-N1", "FUR-CH", dt.date(2019, 1, 1), Decimal("0.00")),
        ("S-N1", "TEC-PH", dt.date(2019, 12, 1), Decimal("0.01")),
        ("S-S1", "FUR-CH", dt.date(2019, 6, 1), Decimal("999999999999.99")),
    ]


@pytest.mark.parametrize("use_copy", [True, False], ids=["copy", "bulk_create"])
def test_a_whole_allocation_through_either_storage_path(company, use_copy):
    if use_copy and connection.vendor != "postgresql":
        pytest.skip("COPY is the PostgreSQL path")
    plan = make_plan(company, allocate=False, total="36000.00")

    plan = plan_allocate(plan=plan, use_copy=use_copy)

    assert amount(plan) == Decimal("36000.00")
    assert TargetCell.objects.filter(plan=plan).count() == 108
    assert ProductLine.objects.filter(target_cells__plan=plan).distinct().count() == 3
