"""Money sums are exact on every database (SQLite sums decimals as floats)."""

import datetime as dt
import random
from decimal import Decimal

import pytest
from django.db.models import Sum

from allocation.models import ActualCell
from allocation.selectors import actual_total_list
from salesalloc.core.money import MoneySum, money_str, sheet_number_text

pytestmark = pytest.mark.django_db


def _amounts() -> list[Decimal]:
    """1,000 amounts with 4 places whose float sum reads back as 4891170.74650001."""
    rng = random.Random(0)
    return [Decimal(rng.randint(0, 99_999_999)) / 10_000 for _ in range(1000)]


@pytest.fixture
def many_amounts(company):
    ActualCell.objects.bulk_create(
        ActualCell(
            salesperson=company.rep,
            product_line=company.chairs,
            month=dt.date(2000 + i // 12, i % 12 + 1, 1),
            amount=amount,
            lines=1,
        )
        for i, amount in enumerate(_amounts())
    )
    return company


EXACT = Decimal("4891170.7465")


def test_money_sum_is_exact(many_amounts):
    assert sum(_amounts()) == EXACT
    assert ActualCell.objects.aggregate(s=MoneySum("amount"))["s"] == EXACT


def test_actual_totals_are_exact(many_amounts):
    totals = actual_total_list(user=many_amounts.users["admin"], group_by="salesperson")
    assert [(t.key, t.amount, t.lines) for t in totals] == [("S-N1", EXACT, 1000)]


def test_plain_sum_shows_why(many_amounts):
    # documents the backend behaviour MoneySum exists for (PostgreSQL is exact anyway)
    plain = ActualCell.objects.aggregate(s=Sum("amount"))["s"]
    assert plain.quantize(Decimal("0.0001")) == EXACT


def test_money_str_and_sheet_numbers():
    assert money_str(Decimal("261.9600")) == "261.96"
    assert money_str(Decimal("957.5775")) == "957.5775"
    assert sheet_number_text(589.8399999999999) == "589.84"
    assert sheet_number_text(1e20) == "100000000000000000000"
