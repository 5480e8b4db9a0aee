"""GET /api/v1/attainment/: the §7 shape, worked figures, scoping and query counts."""

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from allocation.engine import calendars
from performance.tracking.services import tracking_cache_invalidate
from tests.factories import SalespersonFactory
from tests.performance.tracking.conftest import AS_OF, line

pytestmark = pytest.mark.django_db

URL = "/api/v1/attainment/"

# March 2019 in China has no holidays: its working days are the 21 weekdays.
MARCH_DAYS = [dt.date(2019, 3, d) for d in range(1, 32) if dt.date(2019, 3, d).weekday() < 5]
DAYS_TO_AS_OF = [d for d in MARCH_DAYS if d <= AS_OF]


def _day_share(month_cents: int) -> int:
    """Largest remainder over the working days, leftover cents to the earliest days."""
    base, left = divmod(month_cents, len(MARCH_DAYS))
    return sum(base + (1 if i < left else 0) for i in range(len(DAYS_TO_AS_OF)))


def _money(cents: int) -> str:
    return str((Decimal(cents) / 100).quantize(Decimal("0.01")))


def _ratio(value: Fraction) -> str:
    exact = Decimal(value.numerator) / Decimal(value.denominator)
    return str(exact.quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP))


def _round(value: Fraction) -> int:
    return int(value + Fraction(1, 2))


def _expected_person(target_month: int, actual_months: list[int], march_to_date: int) -> dict:
    target = target_month * 12
    expected = 2 * target_month + _day_share(target_month)
    to_date = actual_months[0] + actual_months[1] + march_to_date
    pace = Fraction(to_date, expected)
    return {
        "target": _money(target),
        "actual": _money(sum(actual_months)),
        "attainment": _ratio(Fraction(sum(actual_months), target)),
        "expected_to_date": _money(expected),
        "actual_to_date": _money(to_date),
        "pace": _ratio(pace),
        "forecast_run_rate": _money(to_date + _round((target - expected) * pace)),
        "forecast_statistical": _money(to_date + _round((target - expected) * pace)),
        "forecast_method": "run_rate",
    }


def test_salesperson_figures_follow_the_worked_example(tracked, client_as):
    # given S-N1: 1,000.00 a month; 900 in Jan, 1,100 in Feb, 600 on 5 Mar, 200 on 20 Mar
    response = client_as("manager").get(
        URL, {"year": 2019, "as_of": "2019-03-15", "salesperson": "S-N1"}
    )

    assert response.status_code == 200
    body = response.json()
    assert _day_share(100_000) == 11 * 4762  # 100,000 = 21 × 4761 + 19: early days get 4762
    want = _expected_person(100_000, [90_000, 110_000, 80_000], 60_000)
    assert {k: body[k] for k in want} == want
    assert body["node"] == {"kind": "salesperson", "code": "S-N1", "name": "Nora North"}
    assert [c["code"] for c in body["breadcrumbs"]] == ["NORTH", "N-T1", "S-N1"]
    assert body["plan"]["name"] == "FY2019"
    assert body["months"][0] == {
        "month": "2019-01",
        "target": "1000.00",
        "actual": "900.00",
        "forecast": "900.00",
    }
    assert body["months"][3]["forecast"] == _money(
        _round(100_000 * Fraction(260_000, 200_000 + _day_share(100_000)))
    )
    # a salesperson's children are product lines
    assert [(c["kind"], c["code"], c["actual"]) for c in body["children"]] == [
        ("product_line", "FUR", "2800.00"),
        ("product_line", "TEC", "0.00"),
    ]


def test_team_adds_up_its_people_and_lists_them_as_children(tracked, client_as):
    body = client_as("manager").get(URL, {"as_of": "2019-03-15", "org_unit": "N-T1"}).json()

    assert body["year"] == 2019
    assert body["node"] == {"kind": "org_unit", "code": "N-T1", "name": "North team"}
    assert [c["code"] for c in body["children"]] == ["S-N1", "S-N2"]
    rep, peer = body["children"]
    assert rep["pace"] == _expected_person(100_000, [90_000, 110_000, 80_000], 60_000)["pace"]
    assert peer["actual_to_date"] == "400.00"
    assert peer["expected_to_date"] == _money(2 * 50_000 + _day_share(50_000))
    assert body["target"] == "18000.00"
    assert body["actual"] == "3200.00"
    assert body["expected_to_date"] == _money(
        2 * 150_000 + _day_share(100_000) + _day_share(50_000)
    )
    assert body["actual_to_date"] == "3000.00"


def test_company_children_are_regions_and_a_product_line_narrows(tracked, client_as):
    body = client_as("director").get(URL, {"as_of": "2019-03-15"}).json()
    assert body["node"]["code"] == "ACME"
    assert [(c["code"], c["actual"]) for c in body["children"]] == [
        ("NORTH", "3200.00"),
        ("SOUTH", "3000.00"),
    ]
    assert body["target"] == "42000.00"

    phones = client_as("director").get(URL, {"as_of": "2019-03-15", "product_line": "TEC"}).json()
    assert phones["product_line"] == "TEC"
    assert phones["target"] == "6000.00"
    assert phones["actual"] == "400.00"


def test_a_year_without_orders_shows_from_its_first_day(tracked, client_as):
    from tests.performance.tracking.conftest import publish_plan

    publish_plan(tracked, year=2020)
    body = client_as("admin").get(URL, {"year": 2020, "as_of": "2020-01-02"}).json()

    # 2 January 2020 is the year's first working day: each person's first day target
    days = calendars.working_days(dt.date(2020, 1, 1), dt.date(2020, 1, 31), country="CN")
    assert days[0] == dt.date(2020, 1, 2)
    first_day = [t // len(days) + (1 if t % len(days) else 0) for t in (100_000, 50_000, 200_000)]
    assert body["target"] == "42000.00"
    assert body["actual"] == "0.00"
    assert body["expected_to_date"] == _money(sum(first_day))
    assert body["pace"] == "0.0000"
    assert body["forecast_run_rate"] == "0.00"
    assert len(body["months"]) == 12


def test_scope_manager_only_inside_the_subtree(tracked, client_as):
    manager = client_as("manager")
    assert manager.get(URL, {"as_of": "2019-03-15"}).json()["node"]["code"] == "NORTH"
    for params in ({"org_unit": "SOUTH"}, {"org_unit": "ACME"}, {"salesperson": "S-S1"}):
        response = manager.get(URL, {"as_of": "2019-03-15", **params})
        assert response.status_code == 404, params
    # the manager's breadcrumbs start at their own unit
    body = manager.get(URL, {"as_of": "2019-03-15", "salesperson": "S-N2"}).json()
    assert [c["code"] for c in body["breadcrumbs"]] == ["NORTH", "N-T1", "S-N2"]


def test_scope_salesperson_sees_only_themselves(tracked, client_as):
    rep = client_as("rep")
    assert rep.get(URL, {"as_of": "2019-03-15"}).json()["node"]["code"] == "S-N1"
    for params in ({"salesperson": "S-N2"}, {"org_unit": "N-T1"}, {"org_unit": "ACME"}):
        assert rep.get(URL, {"as_of": "2019-03-15", **params}).status_code == 404, params


def test_no_role_and_anonymous_are_refused(tracked, client_as, api_client):
    assert client_as("nobody").get(URL).status_code == 403
    assert api_client.get(URL).status_code == 401


def test_bad_input_is_a_400(tracked, client_as):
    admin = client_as("admin")
    response = admin.get(URL, {"org_unit": "ACME", "salesperson": "S-N1"})
    assert response.status_code == 400
    assert "salesperson" in response.json()["fields"]
    assert admin.get(URL, {"as_of": "2019-13-01"}).status_code == 400
    assert admin.get(URL, {"product_line": "NOPE"}).status_code == 404


def _count(client, params) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(URL, params).status_code == 200
    return len(queries)


def test_query_count_does_not_grow_with_the_data(tracked, client_as):
    params = {"as_of": "2019-03-15", "org_unit": "N-T1"}
    small = _count(client_as("manager"), params)
    assert small <= 14
    # given ten more people with orders in every month
    for k in range(10):
        person = SalespersonFactory(code=f"S-X{k}", org_unit=tracked.north_team)
        for month in range(1, 13):
            line(dt.date(2019, month, 3), person, tracked.chairs, "10.00")
    from customers.services import order_actuals_refresh

    order_actuals_refresh()
    assert _count(client_as("manager"), params) == small


def test_cached_until_the_recompute_invalidates(tracked, client_as, settings):
    settings.SALESALLOC_TRACKING_CACHE_SECONDS = 60
    cache.clear()
    admin = client_as("admin")
    params = {"as_of": "2019-03-15", "salesperson": "S-S1"}
    assert admin.get(URL, params).json()["actual"] == "3000.00"
    line(dt.date(2019, 2, 2), tracked.south_rep, tracked.chairs, "5.00")
    from customers.services import order_actuals_refresh

    order_actuals_refresh()
    assert admin.get(URL, params).json()["actual"] == "3000.00"  # still cached
    company = {"as_of": "2019-03-15"}
    assert admin.get(URL, company).json()["actual"] == "6205.00"
    line(dt.date(2019, 2, 3), tracked.rep, tracked.chairs, "1.00")
    order_actuals_refresh()
    assert admin.get(URL, company).json()["actual"] == "6205.00"  # the grid's sums, cached
    tracking_cache_invalidate()
    assert admin.get(URL, params).json()["actual"] == "3005.00"
    assert admin.get(URL, company).json()["actual"] == "6206.00"


def test_each_child_carries_the_same_figures_as_its_own_node(
    tracked, client_as, django_assert_max_num_queries
):
    manager = client_as("manager")
    params = {"as_of": "2019-03-15", "org_unit": "N-T1"}
    cache.clear()
    with django_assert_max_num_queries(14):
        body = manager.get(URL, params).json()

    rep, peer = body["children"]
    assert len(rep["months"]) == 12
    # S-N1: 1,000.00 a month; 900 in January, as in the worked example
    assert rep["months"][0] == {
        "month": "2019-01",
        "target": "1000.00",
        "actual": "900.00",
        "forecast": "900.00",
    }
    for child in (rep, peer):
        own = manager.get(URL, {"as_of": "2019-03-15", "salesperson": child["code"]}).json()
        figures = {k: own[k] for k in (*_FIGURES, "months")}
        assert {k: child[k] for k in figures} == figures
        assert set(child) == {"kind", "code", "name", *_FIGURES, "months"}
    # the children's months add up to the parent's
    for m, month in enumerate(body["months"]):
        assert Decimal(month["actual"]) == sum(
            Decimal(c["months"][m]["actual"]) for c in (rep, peer)
        )


_FIGURES = (
    "target",
    "actual",
    "attainment",
    "expected_to_date",
    "actual_to_date",
    "pace",
    "forecast_run_rate",
    "forecast_statistical",
    "forecast_method",
)
