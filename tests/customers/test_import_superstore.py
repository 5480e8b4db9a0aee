"""The real Superstore file (salesalloc/demo/superstore.csv) through the real import path."""

from __future__ import annotations

from decimal import Decimal

import pandas as pd
import pytest

from allocation.models import OrgUnit
from allocation.services import org_unit_create, product_line_create, salesperson_create
from customers.importing import SUPERSTORE_MAPPING
from customers.models import ColumnMapping, Customer, Order, OrderLine, Product, TerritoryRule
from tests.customers.import_support import run_import, superstore_path

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(superstore_path() is None, reason="the Superstore file is not here"),
]


@pytest.fixture
def superstore_company(db) -> pd.DataFrame:
    """The demo company's shape: 4 regions x 3 salespeople, 17 sub-categories, state rules."""
    frame = pd.read_csv(superstore_path(), encoding="utf-8-sig", dtype=str)
    root = org_unit_create(code="SUPERSTORE", name="Superstore", kind=OrgUnit.Kind.COMPANY)
    people = {}
    for region in sorted(frame["Region"].unique()):
        unit = org_unit_create(code=region.upper(), name=region, kind="region", parent=root)
        people[region] = [
            salesperson_create(code=f"{region[0]}{i:02d}", name=f"{region} {i}", org_unit=unit)
            for i in range(1, 4)
        ]
    subs = frame.drop_duplicates("Sub-Category").assign(code=lambda f: f["Product ID"].str[:6])
    for category, rows in subs.sort_values("code").groupby("Category"):
        parent = product_line_create(code=rows["code"].iloc[0][:3], name=category)
        for code, name in zip(rows["code"], rows["Sub-Category"], strict=True):
            product_line_create(code=code, name=name, parent=parent)
    states = frame.drop_duplicates("State").sort_values("State")
    for i, (state, region) in enumerate(zip(states["State"], states["Region"], strict=True)):
        TerritoryRule.objects.create(
            attribute="state", value=state, salesperson=people[region][i % 3]
        )
    return frame


def test_superstore_file_imports_every_line_to_the_exact_total(superstore_company) -> None:
    mapping = ColumnMapping.objects.create(name="superstore", **SUPERSTORE_MAPPING)
    data = superstore_path().read_bytes()

    job = run_import(data, name="superstore.csv", mapping=mapping)

    assert job.status == "succeeded", job.errors[:5]
    assert (job.rows_total, job.rows_imported, job.rows_inserted, job.rows_rejected) == (
        9994,
        9994,
        9994,
        0,
    )
    assert OrderLine.objects.count() == 9994
    assert Order.objects.count() == 5009
    assert Customer.objects.count() == 793
    assert Product.objects.count() == superstore_company["Product ID"].nunique()
    total = sum(OrderLine.objects.values_list("amount", flat=True), Decimal(0))
    assert total == Decimal("2297200.8603")
    assert sorted(OrderLine.objects.values_list("line_no", flat=True)) == list(range(1, 9995))
    first = OrderLine.objects.select_related("order", "customer", "product_line").get(line_no=4)
    assert (first.order.order_no, first.order_date.isoformat(), first.amount) == (
        "US-2017-108966",
        "2017-10-11",
        Decimal("957.5775"),
    )
    customer_rows = superstore_company[superstore_company["Customer ID"] == "SO-20335"]
    assert (first.customer.code, first.customer.state, first.product_line.name) == (
        "SO-20335",
        customer_rows["State"].iloc[-1],  # the customer's last row in the file wins
        "Tables",
    )
    # The file has Profit, not cost: cost = Sales - Profit = 957.5775 - (-383.031).
    assert (first.quantity, first.cost) == (Decimal(5), Decimal("957.5775") + Decimal("383.031"))
    assert first.amount - first.cost == Decimal("-383.0310")
    assert job.message.endswith(
        "Ignored columns: Ship Date, Ship Mode, Postal Code, Category, Discount."
    )

    again = run_import(data, name="superstore.csv", mapping=mapping)

    assert (again.rows_inserted, again.rows_updated, again.rows_unchanged) == (0, 0, 9994)
    assert again.affected_cells == []
