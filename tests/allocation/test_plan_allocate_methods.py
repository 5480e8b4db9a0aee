"""plan_allocate: every weight method and seasonality, as they reach the stored plan."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from fractions import Fraction

import pytest

from allocation.engine.calendars import month_working_days
from allocation.engine.split import split
from allocation.models import (
    Plan,
    Salesperson,
)
from allocation.services import (
    MethodInputData,
    plan_allocate,
    plan_method_config_update,
    plan_method_inputs_set,
)
from allocation.services.common import PlanRuleError
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
from tests.factories import OrgUnitFactory, SalespersonFactory

pytestmark = pytest.mark.django_db

# --- methods ----------------------------------------------------------------------------------


def test_default_method_is_last_fiscal_years_share(company):
    add_actuals(company, years=(2017, 2018))

    plan = make_plan(company, methods={}, total="9000.00")

    # 2018 history: S-N1 150/month, S-N2 75, S-S1 300 -> NORTH 225 : SOUTH 300.
    assert by(plan, "salesperson") == {
        "S-N1": Decimal("2571.43"),
        "S-N2": Decimal("1285.71"),
        "S-S1": Decimal("5142.86"),
    }
    assert plan.method_config["org"] == {
        "method": "historical",
        "base_from": "2018-01",
        "base_to": "2018-12",
        "smoothing": "0",
        "floor_share": "0",
    }


def test_a_salesperson_without_history_falls_back_to_the_unit_mix_then_the_company_mix(company):
    add_actuals(company)  # S-N2 sold only tables; give a newcomer in N-T1 nothing
    newcomer = SalespersonFactory(code="S-N3", org_unit=company.north_team)
    loner_unit = OrgUnitFactory(code="S-T2", parent=company.south)
    loner = SalespersonFactory(code="S-S2", org_unit=loner_unit)
    methods = {**EQUAL, "product_line": {"method": "historical"}}

    plan = make_plan(company, methods=methods, total="12000.00")

    frame = leaves(plan)

    def mix(code):
        rows = frame.query(f"salesperson == '{code}'").groupby("product_line")["amount"].sum()
        return {k: v for k, v in rows.items() if v}

    # N-T1's mix (everyone in the team): chairs 1,200, tables 900, phones 600 a year.
    assert mix(newcomer.code) == {
        "FUR-CH": Decimal("888.89"),
        "FUR-TA": Decimal("666.67"),
        "TEC-PH": Decimal("444.44"),
    }
    # S-T2 has no history at all: the company mix, chairs 300, tables 75, phones 150.
    assert mix(loner.code) == {
        "FUR-CH": Decimal("1714.29"),
        "FUR-TA": Decimal("428.57"),
        "TEC-PH": Decimal("857.14"),
    }


def test_historical_floor_gives_a_new_salesperson_a_minimum_share(company):
    add_actuals(company)
    SalespersonFactory(code="S-N3", org_unit=company.north_team)
    methods = {**EQUAL, "org": {"method": "historical", "floor_share": "0.2"}}

    plan = make_plan(company, methods=methods, total="10000.00")

    people = by(plan, "salesperson")
    north = people["S-N1"] + people["S-N2"] + people["S-N3"]
    assert abs(people["S-N3"] - north / 5) <= CENT


def test_manual_percentages_per_node(company):
    plan = make_plan(
        company, methods={**EQUAL, "org": {"method": "manual"}}, total="10000.00", allocate=False
    )
    plan_method_inputs_set(
        plan=plan,
        inputs=[
            MethodInputData(org_unit=company.north, manual_percent=Decimal("30")),
            MethodInputData(org_unit=company.south, manual_percent=Decimal("70")),
            MethodInputData(salesperson=company.rep, manual_percent=Decimal("25")),
            MethodInputData(salesperson=company.north_peer, manual_percent=Decimal("75")),
            MethodInputData(org_unit=company.north_team, manual_percent=Decimal("100")),
            MethodInputData(org_unit=company.south_team, manual_percent=Decimal("100")),
            MethodInputData(salesperson=company.south_rep, manual_percent=Decimal("100")),
        ],
    )

    plan = plan_allocate(plan=plan)

    assert by(plan, "salesperson") == {
        "S-N1": Decimal("750.00"),
        "S-N2": Decimal("2250.00"),
        "S-S1": Decimal("7000.00"),
    }


def test_manual_percentages_not_adding_up_name_the_parent_and_change_nothing(company):
    plan = make_plan(company, total="10000.00")
    before = leaves(plan)
    plan_method_config_update(
        plan=plan, config={**EQUAL, "org_levels": {"1": {"method": "manual"}}}
    )
    plan_method_inputs_set(
        plan=plan,
        inputs=[
            MethodInputData(org_unit=company.north, manual_percent=Decimal("30")),
            MethodInputData(org_unit=company.south, manual_percent=Decimal("60")),
        ],
    )

    with pytest.raises(
        PlanRuleError, match=r"manual percentages under ACME: percentages add up to 90"
    ):
        plan_allocate(plan=plan)

    assert leaves(plan).equals(before)


def test_growth_applies_each_nodes_rate_to_last_year(company):
    add_actuals(company)
    plan = make_plan(
        company,
        methods={**EQUAL, "org_levels": {"1": {"method": "growth", "growth": "0"}}},
        total="10000.00",
        allocate=False,
    )
    plan_method_inputs_set(
        plan=plan, inputs=[MethodInputData(org_unit=company.north, growth_rate=Decimal("1"))]
    )

    plan = plan_allocate(plan=plan)

    # NORTH: 225 x 12 x 2 = 5,400 vs SOUTH 300 x 12 = 3,600.
    assert amount(plan, salesperson__org_unit__path__startswith=company.north.path) == Decimal(
        "6000.00"
    )


def test_potential_index_needs_every_child(company):
    plan = make_plan(
        company, methods={**EQUAL, "org_levels": {"1": {"method": "potential"}}}, allocate=False
    )
    plan_method_inputs_set(
        plan=plan, inputs=[MethodInputData(org_unit=company.north, potential_index=Decimal(3))]
    )
    with pytest.raises(PlanRuleError, match=r"potential index of 'SOUTH' is missing"):
        plan_allocate(plan=plan)

    plan_method_inputs_set(
        plan=plan,
        inputs=[
            MethodInputData(org_unit=company.north, potential_index=Decimal(3)),
            MethodInputData(org_unit=company.south, potential_index=Decimal(1)),
        ],
    )
    plan = plan_allocate(plan=plan)
    assert amount(plan, salesperson=company.south_rep) == Decimal("9000.00")


def test_capacity_prorates_fte_and_ramps_up_new_hires(company):
    Salesperson.objects.filter(pk=company.rep.pk).update(fte=Decimal("0.5"))
    Salesperson.objects.filter(pk=company.north_peer.pk).update(start_date=dt.date(2019, 10, 1))
    methods = {**EQUAL, "org": {"method": "capacity"}}

    plan = make_plan(company, methods=methods, total="100000.00", allocate=False)
    plan_method_inputs_set(
        plan=plan,
        inputs=[MethodInputData(salesperson=company.south_rep, fte_override=Decimal("2"))],
    )
    plan = plan_allocate(plan=plan)

    # Capacity: S-N1 0.5 x 12 = 6; S-N2 Oct-Dec at 25/50/75 % = 1.5; S-S1 2 x 12 = 24.
    north, south = split(10_000_000, [Fraction(15, 2), Fraction(24)], ["NORTH", "SOUTH"])
    rep, peer = split(north, [Fraction(6), Fraction(3, 2)], ["S-N1", "S-N2"])
    assert by(plan, "salesperson") == {
        "S-N1": Decimal(rep) / 100,
        "S-N2": Decimal(peer) / 100,
        "S-S1": Decimal(south) / 100,
    }
    assert by(plan, "salesperson")["S-N2"] == Decimal("4761.90")


def test_blend_of_history_and_equal(company):
    add_actuals(company)
    methods = {
        **EQUAL,
        "org_levels": {
            "1": {
                "method": "blend",
                "alpha": "0.5",
                "a": {"method": "historical"},
                "b": {"method": "equal"},
            }
        },
    }

    plan = make_plan(company, methods=methods, total="12000.00")

    # NORTH 225/525 blended with 1/2: (3/7 + 1/2) / 2 = 13/28.
    north = amount(plan, salesperson__org_unit__path__startswith=company.north.path)
    assert north == Decimal("5571.43")


# --- seasonality ------------------------------------------------------------------------------


def _months(plan: Plan) -> list[Decimal]:
    frame = leaves(plan)
    return [frame.query(f"month == '{m}'")["amount"].sum() for m in sorted(set(frame["month"]))]


def test_working_day_seasonality_follows_chinas_calendar_with_make_up_days(company):
    methods = {**EQUAL, "seasonality": {"method": "working_days"}}

    plan = make_plan(company, methods=methods, total="25000.00")

    days = month_working_days(dt.date(2019, 1, 1))
    assert days[9] == 19  # October 2019: the Golden Week off, Saturday the 12th worked
    row = leaves(plan).query("salesperson == 'S-S1' and product_line == 'TEC-PH'")
    expected = split(cents(row["amount"].sum()), days, [f"{m:02d}" for m in range(12)])
    assert [cents(a) for a in row["amount"]] == expected
    months = _months(plan)
    assert sum(months) == Decimal("25000.00")
    assert months[9] < months[7]  # October has fewer working days than August


def test_custom_curve_and_uniform_seasonality(company):
    curve = [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 13]
    plan = make_plan(
        company,
        methods={**EQUAL, "seasonality": {"method": "custom", "curve": curve}},
        total="7200.00",
    )
    uniform = make_plan(company, name="flat", total="7200.00")

    months = _months(plan)

    assert months[11] == Decimal("3900.00")
    assert months[0] == Decimal("300.00")
    assert set(_months(uniform)) == {Decimal("600.00")}


def test_historical_seasonality_averages_the_base_years_per_line(company):
    add_actuals(company, years=(2017, 2018), season=[2, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1])
    methods = {**EQUAL, "seasonality": {"method": "historical", "base_years": 2}}

    plan = make_plan(company, methods=methods, total="46800.00")

    months = _months(plan)
    assert months[0] == Decimal("7200.00")
    assert months[1:] == [Decimal("3600.00")] * 11
