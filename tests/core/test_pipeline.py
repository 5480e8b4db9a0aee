"""The recompute workflow keeps actuals equal to the sum of the order lines."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db.models import Sum

from allocation.models import ActualCell
from customers.models import ImportJob
from customers.services import order_actuals_refresh
from customers.signals import orders_imported
from performance.models import RecomputeRun
from salesalloc.pipeline import recompute_all
from tests.factories import OrderFactory, OrderLineFactory

pytestmark = pytest.mark.django_db


def _cells() -> set[tuple]:
    return set(
        ActualCell.objects.values_list(
            "salesperson__code", "product_line__code", "month", "amount", "cost", "lines"
        )
    )


@pytest.fixture
def lines(company):
    march = OrderFactory(order_no="SO-1", order_date=dt.date(2019, 3, 15))
    april = OrderFactory(order_no="SO-2", order_date=dt.date(2019, 4, 1))
    OrderLineFactory(
        order=march,
        line_no=1,
        salesperson=company.rep,
        product_line=company.chairs,
        amount=Decimal("100.1250"),
        cost=Decimal("60"),
    )
    OrderLineFactory(
        order=march,
        line_no=2,
        salesperson=company.rep,
        product_line=company.chairs,
        amount=Decimal("-20.0050"),
    )
    OrderLineFactory(
        order=april,
        line_no=1,
        salesperson=company.south_rep,
        product_line=company.phones,
        amount=Decimal("999.99"),
        cost=Decimal("500"),
    )
    return company


def test_refresh_builds_cells_equal_to_the_sum_of_lines(lines):
    written = order_actuals_refresh()

    assert written == 2
    assert _cells() == {
        ("S-N1", "FUR-CH", dt.date(2019, 3, 1), Decimal("80.1200"), Decimal("60.0000"), 2),
        ("S-S1", "TEC-PH", dt.date(2019, 4, 1), Decimal("999.9900"), Decimal("500.0000"), 1),
    }


def test_refresh_twice_gives_the_same_rows(lines):
    order_actuals_refresh()
    first = _cells()
    order_actuals_refresh()
    assert _cells() == first


def test_refresh_of_some_cells_leaves_the_others_alone(lines):
    order_actuals_refresh()
    ActualCell.objects.filter(salesperson=lines.south_rep).update(amount=Decimal("1"))

    order_actuals_refresh(cells=[(lines.rep.pk, dt.date(2019, 3, 1))])

    assert ActualCell.objects.get(salesperson=lines.south_rep).amount == Decimal("1")
    assert ActualCell.objects.get(salesperson=lines.rep).amount == Decimal("80.1200")


def test_refresh_removes_cells_whose_lines_moved_away(lines):
    order_actuals_refresh()
    from customers.models import OrderLine

    OrderLine.objects.filter(salesperson=lines.rep).update(salesperson=lines.north_peer)
    order_actuals_refresh(
        cells=[(lines.rep.pk, dt.date(2019, 3, 1)), (lines.north_peer.pk, dt.date(2019, 3, 1))]
    )

    assert not ActualCell.objects.filter(salesperson=lines.rep).exists()
    assert ActualCell.objects.get(salesperson=lines.north_peer).amount == Decimal("80.1200")


def test_import_signal_refreshes_affected_cells_and_marks_the_job(lines):
    job = ImportJob.objects.create(
        original_name="x.csv",
        status=ImportJob.Status.SUCCEEDED,
        affected_cells=[[lines.rep.pk, "2019-03-01"]],
    )

    orders_imported.send(sender=ImportJob, job_id=job.pk)

    job.refresh_from_db()
    assert job.recompute_status == ImportJob.RecomputeStatus.SUCCEEDED
    assert job.recomputed_at is not None
    assert ActualCell.objects.get(salesperson=lines.rep).lines == 2
    assert not ActualCell.objects.filter(salesperson=lines.south_rep).exists()
    run = RecomputeRun.objects.get(import_job=job)
    # the actuals; the tiers, the draft scorecards and the commission statements; the alerts
    assert (run.status, run.steps_done, run.steps_total) == ("succeeded", 5, 5)
    assert run.steps_completed == ["import", "tiers", "scorecards", "commissions", "alerts"]


def _names(signature) -> list:
    """A canvas as nested task names: a chain is a list, a group a tuple."""
    from celery.canvas import _chain, chord, group

    if isinstance(signature, chord):
        return [_names(group(signature.tasks)), *_names_of_body(signature.body)]
    if isinstance(signature, _chain):  # a chord inside a chain is spliced in: it is a stage
        out: list = []
        for task in signature.tasks:
            names = _names(task)
            out += names if isinstance(names, list) else [names]
        return out
    if isinstance(signature, group):
        return tuple(_names(task) for task in signature.tasks)
    return signature.task.removeprefix("salesalloc.")


def _names_of_body(body) -> list:
    names = _names(body)
    return names if isinstance(names, list) else [names]


def test_after_the_actuals_tiers_scorecards_and_statements_run_side_by_side():
    from salesalloc.pipeline import _flow

    steps = {
        "import": 7,
        "tiers": {"kind": "import", "job": 7},
        "scorecards": {"job": 7},
        "commissions": {"job": 7},
        "alerts": None,
    }
    assert _names(_flow(1, steps)) == [
        "refresh_actuals_for_import",
        ("refresh_tiers_today", "refresh_scorecards", "refresh_commissions"),
        "recompute_alerts",
        "recompute_finish",
    ]
    nightly = {"people-1": [1], "people-2": [2], **steps, "reminders": None}
    del nightly["import"]
    assert _names(_flow(1, nightly)) == [
        ("refresh_actuals_for_people", "refresh_actuals_for_people"),
        ("refresh_tiers_today", "refresh_scorecards", "refresh_commissions"),
        "recompute_alerts",
        "remind_unacknowledged",
        "recompute_finish",
    ]
    # a resumed run of the version before the split still runs its one incentives step
    resumed = {"incentives": {"job": 7}, "alerts": None}
    assert _names(_flow(1, resumed)) == [
        "refresh_incentives",
        "recompute_alerts",
        "recompute_finish",
    ]


@pytest.mark.parametrize("chunks", [1, 2])
def test_recompute_all_reports_progress_and_matches_the_lines(lines, chunks):
    seen = []
    run = recompute_all(chunks=chunks, inline=True, progress=lambda d, t: seen.append((d, t)))

    assert run.status == RecomputeRun.Status.SUCCEEDED
    assert seen[-1] == (run.steps_total, run.steps_total)
    assert ActualCell.objects.aggregate(s=Sum("amount"))["s"] == Decimal("1080.1100")


def test_a_failing_step_marks_the_run_failed(lines, monkeypatch):
    def boom(**kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr("salesalloc.pipeline.order_actuals_refresh", boom)
    with pytest.raises(RuntimeError):
        recompute_all(inline=True)

    run = RecomputeRun.objects.get()
    assert run.status == RecomputeRun.Status.FAILED
    assert "disk full" in run.error


def test_the_nightly_schedule_runs_the_registered_recompute_task():
    from salesalloc.celery import app

    app.loader.import_default_modules()
    entry = app.conf.beat_schedule["nightly-recompute"]

    assert entry["task"] == "salesalloc.recompute_all"
    assert entry["task"] in app.tasks
    assert (entry["schedule"].hour, entry["schedule"].minute) == ({2}, {30})


def test_nightly_task_recomputes_everything(lines):
    from salesalloc.pipeline import recompute_all_task

    run_id = recompute_all_task.apply().get()

    run = RecomputeRun.objects.get(pk=run_id)
    assert (run.kind, run.status) == ("nightly", "succeeded")
    assert ActualCell.objects.count() == 2


def test_recompute_command_prints_a_summary(lines):
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command("recompute", stdout=out)

    assert "succeeded" in out.getvalue()
    assert "2 actual cells written" in out.getvalue()
    assert ActualCell.objects.count() == 2
