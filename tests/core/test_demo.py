"""``manage.py load_demo``: the demo company on the real Superstore orders."""

from decimal import Decimal
from io import StringIO

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.db.models import Sum
from django.test import RequestFactory

from allocation.models import ActualCell, OrgUnit, Plan, Salesperson, TargetCell
from allocation.selectors import salesperson_list
from customers.models import Customer, Order, OrderLine, TerritoryRule
from salesalloc.core.money import MoneySum

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    """Load the demo once for this module (it imports 9,994 real order lines)."""
    with django_db_blocker.unblock():
        out = StringIO()
        call_command("load_demo", stdout=out)
        yield out.getvalue()
        # leave the database as the other test modules expect it: empty
        from django.core.management import call_command as run

        run("flush", "--no-input", verbosity=0)


def test_demo_imports_every_superstore_line_to_the_exact_total(demo):
    assert OrderLine.objects.count() == 9_994
    assert Order.objects.count() == 5_009
    assert Customer.objects.count() == 793
    total = sum(OrderLine.objects.values_list("amount", flat=True), Decimal(0))
    assert total == Decimal("2297200.8603")
    assert "9,994 order lines (net sales 2,297,200.86)" in demo
    # Sales are after discount, but the mapping has no unit price to check them against, and
    # every shared state's rows belong to the rule's salespeople: a clean import
    from customers.models import ImportJob

    job = ImportJob.objects.get()
    assert (job.outcome, job.warnings_total, job.rows_rejected) == ("clean", 0, 0)


def test_demo_actuals_equal_the_order_lines(demo):
    from performance.models import RecomputeRun

    # computed once, by the import's own recompute (tasks run in-process here)
    assert list(RecomputeRun.objects.values_list("kind", "status")) == [("import", "succeeded")]
    cells = sum(ActualCell.objects.values_list("amount", flat=True), Decimal(0))
    assert cells == Decimal("2297200.8603")
    # a line shared by two salespeople is a line in each one's cell
    split = OrderLine.objects.filter(split_credit=True).count()
    assert ActualCell.objects.aggregate(n=Sum("lines"))["n"] == 9_994 + split


def test_demo_shares_the_largest_states_between_teammates(demo):
    # the rule matches each row's own State (a customer buys in several states)
    import pandas as pd

    from customers.models import OrderLineCredit
    from salesalloc.demo.loader import SUPERSTORE_CSV

    states = pd.read_csv(SUPERSTORE_CSV, encoding="utf-8-sig", usecols=["Row ID", "State"])
    shared = states[states["State"].isin(["California", "New York"])]
    split = OrderLine.objects.filter(split_credit=True)
    assert split.count() == len(shared) > 0
    ca_rows = states.loc[states["State"] == "California", "Row ID"].tolist()
    ca = OrderLine.objects.filter(line_no__in=ca_rows)
    # every split line's credits add up to it exactly, the state's salesperson among them
    for line in split.prefetch_related("credits"):
        credits = list(line.credits.all())
        assert len(credits) == 2
        assert sum(c.amount for c in credits) == line.amount
        assert line.salesperson_id in {c.salesperson_id for c in credits}
    shares = set(OrderLineCredit.objects.filter(line__in=ca).values_list("share", flat=True))
    assert shares == {Decimal("60.0000"), Decimal("40.0000")}


def test_demo_company_has_four_regions_with_their_managers_and_state_territories(demo):
    regions = OrgUnit.objects.filter(kind="region").order_by("code")
    assert [(r.code, [u.username for u in r.managers.all()]) for r in regions] == [
        ("CENTRAL", ["kelly"]),
        ("EAST", ["chuck"]),
        ("SOUTH", ["cassandra"]),
        ("WEST", ["anna"]),
    ]
    assert Salesperson.objects.count() == 14
    assert TerritoryRule.objects.filter(attribute="state").count() == 49
    # every salesperson sells: the states were dealt to all of them
    assert OrderLine.objects.values("salesperson").distinct().count() == 14


def test_demo_logins_work_with_their_roles(demo):
    # Sign-in throttling needs the request (its address) on every authenticate() call.
    request = RequestFactory().post("/login/")
    anna = authenticate(request, username="anna", password="demo1234")
    w01 = authenticate(request, username="w01", password="demo1234")
    assert authenticate(request, username="admin", password="demo1234").is_superuser
    assert set(salesperson_list(user=anna).values_list("code", flat=True)) == {
        "W01",
        "W02",
        "W03",
        "W04",
    }
    assert list(salesperson_list(user=w01).values_list("code", flat=True)) == ["W01"]


def test_demo_fy2019_plan_is_published_and_adds_up(demo):
    plan = Plan.objects.get(fiscal_year=2019, measure="revenue")
    assert plan.status == Plan.Status.PUBLISHED
    cells_2018 = ActualCell.objects.filter(month__year=2018)
    actual_2018 = sum(cells_2018.values_list("amount", flat=True), Decimal(0))
    assert plan.total_amount == (actual_2018 * Decimal("1.1")).quantize(Decimal(1))
    leaves = sum(TargetCell.objects.filter(plan=plan).values_list("amount", flat=True))
    assert leaves == plan.total_amount
    # Its measure plans: units and gross margin (Superstore's Profit) of 2018 + 10 %.
    quantity = plan.measures.get(measure="quantity")
    margin = plan.measures.get(measure="gross_margin")
    units_2018 = sum(cells_2018.values_list("quantity", flat=True), Decimal(0))
    margin_2018 = sum(c.amount - c.cost for c in cells_2018)
    assert quantity.total_amount == (units_2018 * Decimal("1.1")).quantize(Decimal(1))
    assert margin.total_amount == (margin_2018 * Decimal("1.1")).quantize(Decimal(1))
    for child in (quantity, margin):
        assert child.status == Plan.Status.PUBLISHED
        cells = list(TargetCell.objects.filter(plan=child).values_list("amount", flat=True))
        assert sum(cells) == child.total_amount
    assert {
        amount % 1
        for amount in TargetCell.objects.filter(plan=quantity).values_list("amount", flat=True)
    } == {Decimal("0.00")}


def test_demo_has_a_relief_request_waiting_for_anna(demo):
    from allocation.models import ReliefRequest
    from allocation.selectors import relief_to_decide_list

    request = ReliefRequest.objects.get()
    assert (request.salesperson.code, request.status, request.share) == (
        "W03",
        "pending",
        Decimal("20.00"),
    )
    q4 = TargetCell.objects.filter(
        plan=request.plan, salesperson=request.salesperson, month__month__gte=10
    ).aggregate(s=Sum("amount"))["s"]
    assert request.target_amount == q4
    request_anna = authenticate(
        RequestFactory().post("/login/"), username="anna", password="demo1234"
    )
    assert list(relief_to_decide_list(user=request_anna)) == [request]
    w01 = authenticate(RequestFactory().post("/login/"), username="w01", password="demo1234")
    assert list(relief_to_decide_list(user=w01)) == []


def test_load_demo_twice_changes_nothing(demo):
    out = StringIO()
    call_command("load_demo", stdout=out)
    assert "already loaded" in out.getvalue()
    assert OrderLine.objects.count() == 9_994
    # FY2019 published with its quantity and margin plans, FY2020 the draft
    assert Plan.objects.count() == 4


def test_demo_has_an_fy2020_draft_in_the_companys_currency_to_edit(demo):
    draft = Plan.objects.get(fiscal_year=2020)
    assert (draft.status, draft.currency) == (Plan.Status.DRAFT, "USD")
    assert draft.allocated_at is not None
    actual_2019 = sum(
        ActualCell.objects.filter(month__year=2019).values_list("amount", flat=True), Decimal(0)
    )
    assert draft.total_amount == (actual_2019 * Decimal("1.1")).quantize(Decimal(1))
    leaves = sum(TargetCell.objects.filter(plan=draft).values_list("amount", flat=True))
    assert leaves == draft.total_amount
    assert OrgUnit.objects.get(code="SUPERSTORE").currency == "USD"


def test_demo_has_quarterly_2019_tier_snapshots_with_migrations(demo):
    from customers.tiers.engine import migration_matrix
    from customers.tiers.models import CustomerTier, TierRule, TierRun
    from customers.tiers.selectors import tier_snapshot_frame

    runs = list(TierRun.objects.filter(kind="demo").order_by("as_of"))
    assert [run.as_of.isoformat() for run in runs] == [
        "2019-01-01",
        "2019-04-01",
        "2019-07-01",
        "2019-10-01",
        "2020-01-01",
    ]
    assert all(run.status == "succeeded" and run.window_days == 365 for run in runs)
    last = runs[-1]
    # every customer with an order in 2019 is in the last snapshot, their 2019 net exactly
    in_2019 = OrderLine.objects.filter(order_date__year=2019)
    assert last.customers == in_2019.values("customer").distinct().count()
    assert last.monetary_total == in_2019.aggregate(s=MoneySum("amount"))["s"]
    assert set(CustomerTier.objects.filter(run=last).values_list("abc", flat=True)) == {
        "A",
        "B",
        "C",
    }
    assert TierRule.objects.count() == 5
    assert CustomerTier.objects.filter(run=last).exclude(tier="").count() == last.customers
    cells = migration_matrix(
        tier_snapshot_frame(rows=CustomerTier.objects.filter(run=runs[0])),
        tier_snapshot_frame(rows=CustomerTier.objects.filter(run=last)),
        by="abc",
    )
    moved = cells[(cells["from"] != cells["to"])]["customers"].sum()
    assert moved > 0
    # the import's own recompute also made today's daily snapshot
    assert TierRun.objects.filter(daily=True, kind="import", status="succeeded").count() == 1


def test_demo_incentives_statements_match_an_independent_computation(demo):
    """Every quarter's statement, recomputed here from the targets and actuals by §7."""
    import datetime as dt
    from decimal import ROUND_HALF_UP

    from performance.commissions.models import CommissionStatement
    from performance.costs.models import CostPool
    from performance.scorecards.models import Scorecard

    cent = Decimal("0.01")
    statements = CommissionStatement.objects.filter(plan__name="2019 sales commission")
    people = Salesperson.objects.count()
    assert statements.count() == people * 4
    for row in statements.select_related("salesperson"):
        q = int(row.period[-1])
        months = [dt.date(2019, 3 * q - 2 + i, 1) for i in range(3)]
        target = TargetCell.objects.filter(
            salesperson=row.salesperson,
            month__in=months,
            plan__name__startswith="FY2019",
            plan__measure="revenue",
        ).aggregate(s=Sum("amount"))["s"] or Decimal(0)
        actual = sum(
            ActualCell.objects.filter(salesperson=row.salesperson, month__in=months).values_list(
                "amount", flat=True
            ),
            Decimal(0),
        )
        edges = [Decimal(0), Decimal("0.8") * target, target, None]
        rates = [Decimal("0.02"), Decimal("0.04"), Decimal("0.06")]
        expected = Decimal(0)
        for i, rate in enumerate(rates):
            top = actual if edges[i + 1] is None else min(actual, edges[i + 1])
            if top > edges[i]:
                expected += ((top - edges[i]) * rate).quantize(cent, ROUND_HALF_UP)
        if q == 3:
            from customers.models import OrderLineCredit

            window = {
                "salesperson": row.salesperson,
                "product_line__code": "FUR-CH",
                "order_date__gte": dt.date(2019, 7, 1),
                "order_date__lte": dt.date(2019, 9, 30),
            }
            # the SPIF pays on the lines as credited: unsplit lines and their part of the rest
            chairs = sum(
                OrderLine.objects.filter(split_credit=False, **window).values_list(
                    "amount", flat=True
                ),
                Decimal(0),
            ) + sum(OrderLineCredit.objects.filter(**window).values_list("amount", flat=True))
            if chairs:
                expected += (chairs * Decimal("0.03")).quantize(cent, ROUND_HALF_UP)
        assert row.target == target
        assert row.actual == actual
        assert row.subtotal == expected, row.period
        assert row.total == min(expected, Decimal(3000))
    assert Scorecard.objects.filter(template__name="2019 sales scorecard").count() == people * 4
    pool = CostPool.objects.get(name="Q4 2019 marketing")
    assert pool.lines.count() == 4
    assert sum(pool.lines.values_list("amount", flat=True)) == Decimal("25000.00")


def test_demo_has_account_targets_for_w01_adding_up_to_her_q1_target(demo):
    from customers.accounts.models import AccountPlan
    from customers.accounts.selectors import account_report, period_target_cents

    row = AccountPlan.objects.get(salesperson__code="W01", period="Q1")
    report = account_report(account_plan=row)
    kinds = [r.kind for r in report.rows]
    assert kinds[:2] == ["customer", "customer"]
    assert kinds[-1] == "other"
    assert "tier" in kinds
    target = period_target_cents(plan=row.plan, salesperson=row.salesperson, period="Q1")
    assert report.target == target == sum(r.target for r in report.rows)
    q1 = OrderLine.objects.filter(
        salesperson__code="W01", order_date__gte="2019-01-01", order_date__lt="2019-04-01"
    )
    # Actuals are exact (1/10000 of a dollar): the accounts' add up to her Q1 sales.
    assert report.actual == int(sum(q1.values_list("amount", flat=True), Decimal(0)) * 10_000)
