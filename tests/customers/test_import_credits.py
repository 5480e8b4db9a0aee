"""Split credit through the import: the file's forms (one ``credit_split`` cell, or
``salesperson_N``/``share_N`` columns; English and Chinese headers; CSV in GBK and XLSX), the
credits stored set-based, re-imports, and the actuals of every credited salesperson to the
cent (the full rebuild and the incremental refresh).

Runs on both backends: the COPY store on PostgreSQL, the portable store on SQLite.
"""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from openpyxl import Workbook

from allocation.models import ActualCell
from customers.models import OrderLine, OrderLineCredit
from customers.services import import_job_affected_cells, order_actuals_refresh
from tests.customers.import_support import csv_text, run_import, shown

pytestmark = pytest.mark.django_db

SPLIT = "order_id,order_date,customer_code,salesperson_code,product_line,amount,cost,credit_split"


def credits() -> list[tuple]:
    """Every credit as (order, line, salesperson, weight, share, amount, cost)."""
    return list(
        OrderLineCredit.objects.order_by(
            "line__order__order_no", "line__line_no", "salesperson__code"
        ).values_list(
            "line__order__order_no",
            "line__line_no",
            "salesperson__code",
            "weight",
            "share",
            "amount",
            "cost",
        )
    )


def actuals() -> dict[str, Decimal]:
    """Each salesperson's actual over all cells."""
    totals: dict[str, Decimal] = {}
    for code, amount in ActualCell.objects.values_list("salesperson__code", "amount"):
        totals[code] = totals.get(code, Decimal(0)) + amount
    return {code: total for code, total in sorted(totals.items()) if total}


def test_a_split_cell_credits_each_salesperson_with_their_share(company):
    job = run_import(
        csv_text(
            "SO-1,2019-03-05,C-1,S-N1,FUR-CH,1000.00,600,S-N1:60;S-N2:40",
            "SO-2,2019-03-06,C-1,S-N1,FUR-CH,50.00,,",
            header=SPLIT,
        )
    )

    assert job.status == "succeeded", shown(job.errors)
    assert job.outcome == "clean"
    # 1,000.00 x 60 % = 600.00 and x 40 % = 400.00; the cost 600 x 60 % = 360, x 40 % = 240
    assert credits() == [
        ("SO-1", 1, "S-N1", 600_000, Decimal("60.0000"), Decimal("600.0000"), Decimal("360.0000")),
        ("SO-1", 1, "S-N2", 400_000, Decimal("40.0000"), Decimal("400.0000"), Decimal("240.0000")),
    ]
    line = OrderLine.objects.get(order__order_no="SO-1")
    assert (line.salesperson.code, line.amount, line.split_credit) == ("S-N1", 1000, True)
    assert OrderLine.objects.get(order__order_no="SO-2").split_credit is False
    order_actuals_refresh()
    assert actuals() == {"S-N1": Decimal("650.00"), "S-N2": Decimal("400.00")}


def test_equal_shares_split_100_in_thirds_with_the_cent_to_the_lowest_code(company):
    # 100.00 / 3: 33.33 each and one cent left; the remainders tie, the lowest code (S-N1)
    # takes it. The row names no salesperson: its split's first one is the line's.
    job = run_import(csv_text("SO-1,2019-03-05,C-1,,FUR-CH,100.00,,S-S1;S-N2;S-N1", header=SPLIT))

    assert job.status == "succeeded", shown(job.errors)
    assert [(sp, weight, amount) for _o, _l, sp, weight, _s, amount, _c in credits()] == [
        ("S-N1", 1, Decimal("33.3400")),
        ("S-N2", 1, Decimal("33.3300")),
        ("S-S1", 1, Decimal("33.3300")),
    ]
    assert OrderLine.objects.get().salesperson.code == "S-S1"
    order_actuals_refresh()
    assert actuals() == {
        "S-N1": Decimal("33.34"),
        "S-N2": Decimal("33.33"),
        "S-S1": Decimal("33.33"),
    }
    assert sum(actuals().values()) == Decimal("100.00")


def test_a_return_and_sub_cent_amounts_split_exactly(company):
    # -22.3680 in halves: 11.1840 each floors to 11.18, 0.0080 is left, below a cent: it goes
    # to the first in order (a tie, so the lower code S-N1): -11.1880 / -11.1800.
    run_import(csv_text("SO-1,2019-03-05,C-1,S-N1,FUR-CH,-22.368,,S-N1;S-N2", header=SPLIT))

    assert [(sp, amount) for _o, _l, sp, _w, _s, amount, _c in credits()] == [
        ("S-N1", Decimal("-11.1880")),
        ("S-N2", Decimal("-11.1800")),
    ]
    order_actuals_refresh()
    assert sum(ActualCell.objects.values_list("amount", flat=True)) == Decimal("-22.368")


def test_chinese_headers_in_a_gbk_csv_with_full_width_separators(company):
    header = "订单号,日期,客户编码,业务员,产品线,金额,分成"
    content = csv_text("SO-1,2019-03-05,C-1,S-N1,FUR-CH,200,S-N1：75%；S-N2：25%", header=header)

    job = run_import(content.encode("gbk"))

    assert job.status == "succeeded", shown(job.errors)
    assert [(sp, amount) for _o, _l, sp, _w, _s, amount, _c in credits()] == [
        ("S-N1", Decimal("150.0000")),
        ("S-N2", Decimal("50.0000")),
    ]


def _xlsx(rows: list[list[object]]) -> bytes:
    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_an_xlsx_with_repeated_salesperson_and_share_columns(company):
    # The second row's shares are Excel percentages (a cell formatted 70 % holds 0.7).
    data = _xlsx(
        [
            [
                "order_id",
                "order_date",
                "customer_code",
                "salesperson_code",
                "share",
                "salesperson_2",
                "share_2",
                "业务员3",
                "比例3",
                "product_line",
                "amount",
            ],
            ["SO-1", "2019-03-05", "C-1", "S-N1", 50, "S-N2", 30, "S-S1", 20, "FUR-CH", 99.99],
            ["SO-2", "2019-03-05", "C-1", "S-N2", 0.7, "S-N1", 0.3, None, None, "FUR-CH", 10],
            ["SO-3", "2019-03-05", "C-1", "S-N1", None, None, None, None, None, "FUR-CH", 5],
        ]
    )

    job = run_import(data, name="orders.xlsx")

    assert job.status == "succeeded", shown(job.errors)
    # 99.99: 50 % = 49.995 -> 49.99 (rem .005), 30 % = 29.997 -> 29.99 (rem .007), 20 % =
    # 19.998 -> 19.99 (rem .008); 99.97 given, two cents left for the two largest remainders
    # (S-S1, S-N2): 49.99 / 30.00 / 20.00.
    assert [(o, sp, amount) for o, _l, sp, _w, _s, amount, _c in credits()] == [
        ("SO-1", "S-N1", Decimal("49.9900")),
        ("SO-1", "S-N2", Decimal("30.0000")),
        ("SO-1", "S-S1", Decimal("20.0000")),
        ("SO-2", "S-N1", Decimal("3.0000")),
        ("SO-2", "S-N2", Decimal("7.0000")),
    ]
    assert OrderLine.objects.get(order__order_no="SO-3").split_credit is False


def test_reimporting_the_same_split_adds_nothing_and_skips_the_recompute(company):
    content = csv_text("SO-1,2019-03-05,C-1,S-N1,FUR-CH,100,,S-N1:60;S-N2:40", header=SPLIT)
    run_import(content)
    before = credits()

    again = run_import(content)

    assert (again.rows_inserted, again.rows_updated, again.rows_unchanged) == (0, 0, 1)
    assert again.recompute_status == "skipped"
    assert credits() == before
    assert OrderLineCredit.objects.count() == 2


def test_a_changed_split_replaces_the_line_credits_and_touches_old_and_new_cells(company):
    run_import(csv_text("SO-1,2019-03-05,C-1,S-N1,FUR-CH,100,,S-N1:60;S-N2:40", header=SPLIT))
    order_actuals_refresh()

    job = run_import(csv_text("SO-1,2019-03-05,C-1,S-N1,FUR-CH,100,,S-N1:50;S-S1:50", header=SPLIT))

    # the line's own values are the same, its credits are not: an update
    assert (job.rows_inserted, job.rows_updated, job.rows_unchanged) == (0, 1, 0)
    assert [(sp, amount) for _o, _l, sp, _w, _s, amount, _c in credits()] == [
        ("S-N1", Decimal("50.0000")),
        ("S-S1", Decimal("50.0000")),
    ]
    march = dt.date(2019, 3, 1)
    touched = set(import_job_affected_cells(job=job))
    assert {(company.rep.pk, march), (company.north_peer.pk, march)} <= touched
    assert (company.south_rep.pk, march) in touched
    order_actuals_refresh(cells=touched)  # the incremental refresh, as after an import
    assert actuals() == {"S-N1": Decimal("50.00"), "S-S1": Decimal("50.00")}
    assert OrderLine.objects.get().import_job_id == job.pk


def test_a_line_can_lose_its_split_and_gain_one(company):
    run_import(csv_text("SO-1,2019-03-05,C-1,S-N1,FUR-CH,100,,S-N1;S-N2", header=SPLIT))
    whole = run_import(csv_text("SO-1,2019-03-05,C-1,S-N1,FUR-CH,100,,", header=SPLIT))

    assert whole.rows_updated == 1
    assert credits() == []
    assert OrderLine.objects.get().split_credit is False
    order_actuals_refresh(cells=import_job_affected_cells(job=whole))
    assert actuals() == {"S-N1": Decimal("100.00")}

    split = run_import(
        csv_text("SO-1,2019-03-05,C-1,S-N2,FUR-CH,100,,S-N2:90;S-N1:10", header=SPLIT)
    )
    order_actuals_refresh(cells=import_job_affected_cells(job=split))
    assert actuals() == {"S-N1": Decimal("10.00"), "S-N2": Decimal("90.00")}


def test_a_changed_amount_resplits_and_a_redated_order_moves_the_credits(company):
    run_import(csv_text("SO-1,2019-03-05,C-1,S-N1,FUR-CH,100,,S-N1;S-N2", header=SPLIT))

    job = run_import(csv_text("SO-1,2019-04-02,C-1,S-N1,FUR-CH,10.01,,S-N1;S-N2", header=SPLIT))

    # 10.01 in halves: 5.00 each and one cent to the lower code
    assert [(sp, amount) for _o, _l, sp, _w, _s, amount, _c in credits()] == [
        ("S-N1", Decimal("5.0100")),
        ("S-N2", Decimal("5.0000")),
    ]
    assert set(OrderLineCredit.objects.values_list("order_date", flat=True)) == {
        dt.date(2019, 4, 2)
    }
    order_actuals_refresh()
    assert set(ActualCell.objects.values_list("month", flat=True)) == {dt.date(2019, 4, 1)}
    touched = set(import_job_affected_cells(job=job))
    assert (company.north_peer.pk, dt.date(2019, 3, 1)) in touched
    assert (company.north_peer.pk, dt.date(2019, 4, 1)) in touched


def test_the_incremental_refresh_equals_the_full_rebuild(company):
    run_import(
        csv_text(
            "SO-1,2019-03-05,C-1,S-N1,FUR-CH,100,,S-N1:70;S-N2:30",
            "SO-2,2019-03-09,C-1,S-N2,FUR-CH,33.33,,",
            "SO-3,2019-05-01,C-2,S-S1,TEC-PH,-12.5,,S-S1;S-N1",
            header=SPLIT,
        )
    )
    order_actuals_refresh()
    full = list(
        ActualCell.objects.order_by("salesperson", "product_line", "month").values_list(
            "salesperson__code", "product_line__code", "month", "amount", "lines"
        )
    )

    job = run_import(
        csv_text(
            "SO-1,2019-03-05,C-1,S-N1,FUR-CH,100,,S-N1:20;S-N2:80",
            "SO-4,2019-05-02,C-2,S-N2,TEC-PH,7,,S-N2;S-S1",
            header=SPLIT,
        )
    )
    order_actuals_refresh(cells=import_job_affected_cells(job=job))
    incremental = list(
        ActualCell.objects.order_by("salesperson", "product_line", "month").values_list(
            "salesperson__code", "product_line__code", "month", "amount", "lines"
        )
    )
    order_actuals_refresh()
    rebuilt = list(
        ActualCell.objects.order_by("salesperson", "product_line", "month").values_list(
            "salesperson__code", "product_line__code", "month", "amount", "lines"
        )
    )

    assert incremental == rebuilt != full
    # a split line counts as a line in each credited salesperson's cell
    march = {(sp, lines) for sp, _pl, month, _a, lines in rebuilt if month.month == 3}
    assert march == {("S-N1", 1), ("S-N2", 2)}


def test_a_split_line_credits_units_margin_and_new_customer_revenue_by_the_shares(company):
    # given: a new customer's first order, 3 units for 100.01 at a cost of 40.00, split 60/40
    header = (
        "order_id,order_date,customer_code,salesperson_code,product_line,quantity,amount,cost,"
        "credit_split"
    )
    job = run_import(
        csv_text("SO-1,2019-03-05,C-9,S-N1,FUR-CH,3,100.01,40.00,S-N1:60;S-N2:40", header=header)
    )
    assert job.status == "succeeded", shown(job.errors)
    order_actuals_refresh()

    # then: 100.01 x 60 % = 60.006 and x 40 % = 40.004: the leftover cent goes to the larger
    # remainder, 60.01 and 40.00; cost 24.00 and 16.00; units 1.8 and 1.2; and all of it is
    # new-customer revenue (the customer's first order ever)
    cells = {
        code: (amount, cost, quantity, new)
        for code, amount, cost, quantity, new in ActualCell.objects.values_list(
            "salesperson__code", "amount", "cost", "quantity", "new_customer_amount"
        )
    }
    assert cells == {
        "S-N1": (Decimal("60.01"), Decimal("24"), Decimal("1.8"), Decimal("60.01")),
        "S-N2": (Decimal("40.00"), Decimal("16"), Decimal("1.2"), Decimal("40.00")),
    }
