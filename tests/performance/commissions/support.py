"""Small builders for commission tests: a target plan with cells, and sales."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from allocation.models import Plan, ProductLine, Salesperson, TargetCell
from customers.models import Customer
from customers.services import order_actuals_refresh
from tests.factories import CustomerFactory, OrderFactory, OrderLineFactory


def target_plan(company, targets: dict[tuple[Salesperson, str], str], year: int = 2019) -> Plan:
    """A published plan whose target cells are ``{(person, "2019-03"): "1000.00"}``."""
    plan = Plan.objects.create(
        name=f"FY{year}", fiscal_year=year, root_org_unit=company.root, status="published"
    )
    for (person, month), amount in targets.items():
        TargetCell.objects.create(
            plan=plan,
            salesperson=person,
            product_line=company.chairs,
            month=dt.date.fromisoformat(month + "-01"),
            amount=Decimal(amount),
        )
        plan.salespeople.add(person)
    return plan


def sell(
    person: Salesperson,
    day: str,
    amount: str,
    *,
    product_line: ProductLine,
    customer: Customer | None = None,
    order_no: str | None = None,
    quantity: str = "1",
):
    """One order line (an order of its own unless ``order_no`` names one), actuals refreshed."""
    extra = {"order_no": order_no} if order_no else {}
    order = OrderFactory(
        order_date=dt.date.fromisoformat(day), customer=customer or CustomerFactory(), **extra
    )
    line = OrderLineFactory(
        order=order,
        salesperson=person,
        product_line=product_line,
        amount=Decimal(amount),
        quantity=Decimal(quantity),
    )
    order_actuals_refresh(salesperson_ids=[person.pk])
    return line
