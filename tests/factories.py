"""factory_boy factories. Tree nodes go through the services so their paths are right."""

import datetime as dt
from decimal import Decimal

import factory
from django.contrib.auth import get_user_model
from django.db.models import Min

from allocation.models import OrgUnit, ProductLine, Salesperson
from allocation.services import org_unit_create, product_line_create, salesperson_create
from customers.models import Customer, Order, OrderLine, Product

User = get_user_model()


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.django.Password("pw-secret-123")


class OrgUnitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OrgUnit

    code = factory.Sequence(lambda n: f"OU{n:03d}")
    name = factory.Faker("city")
    kind = OrgUnit.Kind.TEAM
    parent = None

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        managers = kwargs.pop("managers", ())
        return org_unit_create(managers=managers, **kwargs)


class ProductLineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProductLine

    code = factory.Sequence(lambda n: f"PL{n:03d}")
    name = factory.Sequence(lambda n: f"Product line {n}")
    parent = None

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        return product_line_create(**kwargs)


class SalespersonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Salesperson

    code = factory.Sequence(lambda n: f"S{n:03d}")
    name = factory.Faker("name")
    org_unit = factory.SubFactory(OrgUnitFactory)
    user = None

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        return salesperson_create(**kwargs)


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Customer

    code = factory.Sequence(lambda n: f"C{n:05d}")
    name = factory.Faker("company")
    state = "California"
    region = "West"


class ProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Product

    sku = factory.Sequence(lambda n: f"SKU{n:05d}")
    name = factory.Faker("word")
    product_line = factory.SubFactory(ProductLineFactory)


class OrderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Order

    order_no = factory.Sequence(lambda n: f"SO-{n:06d}")
    order_date = dt.date(2019, 3, 15)
    customer = factory.SubFactory(CustomerFactory)

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        """Keep the customer's first order date, as every import does."""
        order = super()._create(model_class, *args, **kwargs)
        first = Order.objects.filter(customer_id=order.customer_id).aggregate(d=Min("order_date"))
        Customer.objects.filter(pk=order.customer_id).update(first_order_date=first["d"])
        order.customer.first_order_date = first["d"]
        return order


class OrderLineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OrderLine

    order = factory.SubFactory(OrderFactory)
    line_no = factory.Sequence(lambda n: n + 1)
    order_date = factory.SelfAttribute("order.order_date")
    customer = factory.SelfAttribute("order.customer")
    salesperson = factory.SubFactory(SalespersonFactory)
    product_line = factory.SubFactory(ProductLineFactory)
    quantity = Decimal(1)
    amount = Decimal("100.00")
