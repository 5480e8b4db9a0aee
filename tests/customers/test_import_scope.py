"""A manager's import stays inside their part of the company: its errors never name what lies
outside it, and it cannot rename or re-home a customer that other regions also sell to.

Runs on both backends: the COPY store on PostgreSQL, the portable store on SQLite.
"""

from __future__ import annotations

import pytest

from customers.models import Customer, TerritoryRule
from tests.customers.import_support import csv_text, run_import, shown
from tests.factories import CustomerFactory, OrderFactory, OrderLineFactory

pytestmark = pytest.mark.django_db

HEADER = (
    "order_id,order_date,customer_code,customer_name,region,state,phone,salesperson_code,"
    "product_line,amount"
)
KEPT = (
    "Customer {code} is also sold to by other parts of the company, so its stored name, "
    "region and other details were kept; an administrator can change them."
)


def _details(code: str) -> tuple:
    customer = Customer.objects.get(code=code)
    return (customer.name, customer.region, customer.state, customer.phone)


@pytest.fixture
def shared(company):
    """C-SHARED: bought from the south (S-S1); C-NORTH: bought from the north only."""
    south = CustomerFactory(
        code="C-SHARED", name="Shared Ltd", region="South", state="Guangdong", phone="020-1"
    )
    OrderLineFactory(
        order=OrderFactory(order_no="SO-S", customer=south),
        salesperson=company.south_rep,
        product_line=company.chairs,
    )
    north = CustomerFactory(code="C-NORTH", name="North Ltd", region="North", state="Hebei")
    OrderLineFactory(
        order=OrderFactory(order_no="SO-N", customer=north),
        salesperson=company.north_peer,
        product_line=company.chairs,
    )
    return south, north


FILE = csv_text(
    "SO-1,2019-03-05,C-NORTH,North Renamed,East,Shanxi,010-9,S-N1,FUR-CH,5",
    "SO-2,2019-03-05,C-SHARED,Stolen Ltd,North,Hebei,010-8,S-N1,FUR-CH,7",
    "SO-3,2019-03-06,C-NEW,New Ltd,North,Hebei,,S-N1,FUR-CH,1",
    header=HEADER,
)


def test_a_managers_import_keeps_the_details_of_a_customer_other_regions_sell_to(
    company, shared
) -> None:
    job = run_import(FILE, actor=company.users["manager"])

    # the lines are stored; only the shared customer keeps its stored details
    assert job.status == "succeeded", job.message
    assert job.rows_imported == 3
    assert _details("C-SHARED") == ("Shared Ltd", "South", "Guangdong", "020-1")
    assert _details("C-NORTH") == ("North Renamed", "East", "Shanxi", "010-9")
    assert _details("C-NEW") == ("New Ltd", "North", "Hebei", "")
    assert shown(job.notices) == [
        {"row": 3, "column": "customer_code", "message": KEPT.format(code="C-SHARED")}
    ]
    assert shown(job.errors) == []
    assert job.message.endswith(
        "Kept the stored details of 1 customers that other parts of the company also sell to; "
        "see the notices."
    )


def test_an_unchanged_shared_customer_gets_no_notice(company, shared) -> None:
    job = run_import(
        csv_text("SO-2,2019-03-05,C-SHARED,Shared Ltd,,Guangdong,,S-N1,FUR-CH,7", header=HEADER),
        actor=company.users["manager"],
    )

    assert job.status == "succeeded"
    assert shown(job.notices) == []
    assert "Kept the stored details" not in job.message


def test_a_customer_shared_within_the_managers_subtree_may_change(company, shared) -> None:
    # S-N2 and S-N1 are both in the manager's subtree
    job = run_import(
        csv_text("SO-1,2019-03-05,C-NORTH,Renamed,North,Hebei,,S-N1,FUR-CH,5", header=HEADER),
        actor=company.users["manager"],
    )

    assert shown(job.notices) == []
    assert _details("C-NORTH")[0] == "Renamed"


@pytest.mark.parametrize("username", ["admin", "director"])
def test_admins_may_rename_and_rehome_shared_customers(company, shared, username) -> None:
    job = run_import(FILE, actor=company.users[username])

    assert job.status == "succeeded"
    assert shown(job.notices) == []
    assert _details("C-SHARED") == ("Stolen Ltd", "North", "Hebei", "010-8")


def test_a_managers_file_never_matches_another_regions_territory_rules(company) -> None:
    for value, salesperson in (("Guangdong", company.south_rep), ("Hebei", company.north_peer)):
        TerritoryRule.objects.create(attribute="state", value=value, salesperson=salesperson)
    header = "order_id,order_date,customer_code,state,product_line,amount"

    job = run_import(
        csv_text(
            "SO-1,2019-03-05,C-1,Hebei,FUR-CH,1",
            "SO-2,2019-03-05,C-2,Guangdong,FUR-CH,1",
            header=header,
        ),
        actor=company.users["manager"],
        mode="partial",
    )

    # the south's rule is not used, and the error says nothing of it
    assert shown(job.errors) == [
        {
            "row": 3,
            "column": "salesperson_code",
            "message": "No salesperson given, and no territory rule matches state 'Guangdong'.",
        }
    ]
    assert job.rows_imported == 1


def test_errors_about_other_regions_name_no_salesperson(company) -> None:
    inactive = company.south_rep
    inactive.is_active = False
    inactive.save(update_fields=["is_active"])

    job = run_import(
        csv_text("SO-1,2019-03-05,C-1,,,,,S-S1,FUR-CH,1", header=HEADER),
        actor=company.users["manager"],
        mode="partial",
    )

    # an inactive salesperson of another region is not reported as inactive
    assert [error["message"] for error in shown(job.errors)] == [
        "Salesperson 'S-S1' is unknown or not in your scope."
    ]
