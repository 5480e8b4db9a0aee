"""Input and output shapes of the customers API: customers, order lines, imports, settings."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from customers.importing.issues import issues_render
from customers.models import ColumnMapping, CreditRule, ImportJob, TerritoryRule
from customers.selectors import import_job_message
from salesalloc.core.api import MoneyField
from salesalloc.core.fields import BoundedDecimalField

# --- customers and order lines --------------------------------------------------------------


class CustomerOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    name = serializers.CharField()
    region = serializers.CharField()
    state = serializers.CharField()
    city = serializers.CharField()
    country = serializers.CharField()
    segment = serializers.CharField()
    owner = serializers.CharField(
        source="owner.code", allow_null=True, help_text=_("Account owner's salesperson code.")
    )


class CustomerWithPersonalDataOutputSerializer(CustomerOutputSerializer):
    """The customer plus personal data, for users with ``customers.view_personal_data``.

    Without that permission the three keys are absent, not empty.
    """

    phone = serializers.CharField(required=False, help_text=_("Only with permission."))
    email = serializers.CharField(required=False, help_text=_("Only with permission."))
    address = serializers.CharField(required=False, help_text=_("Only with permission."))


@extend_schema_field({"type": "string", "format": "decimal", "nullable": True, "example": "2.5"})
class DecimalStringField(serializers.Field):
    """An exact decimal as a plain string without trailing zeros ("2", "2.5"), or null."""

    def to_representation(self, value: Decimal) -> str:
        return format(Decimal(value).normalize(), "f")


class OrderLineCreditOutputSerializer(serializers.Serializer):
    salesperson = serializers.CharField(source="salesperson_code")
    share = serializers.DecimalField(
        max_digits=7, decimal_places=4, coerce_to_string=True, help_text=_("Percent.")
    )
    amount = MoneyField(decimal_places=4, help_text=_("The amount credited to them."))


class OrderLineOutputSerializer(serializers.Serializer):
    """An order line as the viewer sees it (``context["shown"]``: line id -> ``LineShown``).

    A line credited to several salespeople lists them in ``credits``. A viewer who sees only
    some of them (a salesperson credited with a part, a manager whose part of the company
    holds some) gets that part: ``salesperson``, ``quantity``, ``amount`` and ``cost`` are
    the part's, ``share`` says how much of the line it is and ``credits`` lists only those
    salespeople.
    """

    id = serializers.IntegerField()
    order_no = serializers.CharField(source="order.order_no")
    line_no = serializers.IntegerField()
    order_date = serializers.DateField()
    customer = serializers.CharField(source="customer.code")
    customer_name = serializers.CharField(source="customer.name")
    salesperson = serializers.SerializerMethodField(help_text=_("Salesperson code."))
    product_line = serializers.CharField(source="product_line.code")
    sku = serializers.CharField(source="product.sku", allow_null=True)
    quantity = serializers.SerializerMethodField()
    unit_price = MoneyField(max_digits=18, decimal_places=6, allow_null=True)
    amount = serializers.SerializerMethodField(
        help_text=_("Net amount; returns are negative. Your part of a shared line.")
    )
    cost = serializers.SerializerMethodField()
    split_credit = serializers.BooleanField(help_text=_("Credited to several salespeople."))
    share = serializers.SerializerMethodField(
        help_text=_("Percent of the line shown (100 unless the line is shared outside your scope).")
    )
    credits = serializers.SerializerMethodField()

    def _shown(self, line: Any) -> Any:
        return self.context["shown"][line.pk]

    def get_salesperson(self, line: Any) -> str:
        return self._shown(line).salesperson_code

    @extend_schema_field(DecimalStringField(allow_null=True))
    def get_quantity(self, line: Any) -> str | None:
        value = self._shown(line).quantity
        return None if value is None else DecimalStringField().to_representation(value)

    @extend_schema_field(MoneyField(decimal_places=4))
    def get_amount(self, line: Any) -> str:
        return MoneyField(decimal_places=4).to_representation(self._shown(line).amount)

    @extend_schema_field(MoneyField(decimal_places=4, allow_null=True))
    def get_cost(self, line: Any) -> str | None:
        value = self._shown(line).cost
        return None if value is None else MoneyField(decimal_places=4).to_representation(value)

    @extend_schema_field(serializers.DecimalField(max_digits=7, decimal_places=4))
    def get_share(self, line: Any) -> str:
        return f"{self._shown(line).share:.4f}"

    @extend_schema_field(OrderLineCreditOutputSerializer(many=True))
    def get_credits(self, line: Any) -> list[dict[str, Any]]:
        return list(OrderLineCreditOutputSerializer(self._shown(line).credits, many=True).data)


class ExportInputSerializer(serializers.Serializer):
    format = serializers.ChoiceField(choices=["csv", "xlsx"], default="csv")


# --- imports --------------------------------------------------------------------------------


class ImportErrorSerializer(serializers.Serializer):
    row = serializers.IntegerField(allow_null=True, help_text=_("Line in the file; header = 1."))
    column = serializers.CharField(allow_null=True)
    message = serializers.CharField(help_text=_("In the request's language (Accept-Language)."))
    order = serializers.CharField(allow_null=True, help_text=_("The row's order number."))
    code = serializers.CharField(
        allow_null=True,
        help_text=_("What kind of problem, for programs (e.g. unknown_salesperson)."),
    )


@extend_schema_field(ImportErrorSerializer(many=True))
class ImportErrorsField(serializers.Field):
    """The stored row errors (or warnings, notices) as ``{"row", "column", "message",
    "order", "code"}``, the message rendered in the request's language."""

    def to_representation(self, value: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [
            {
                "row": issue["row"],
                "column": issue["column"],
                "message": issue["message"],
                "order": issue["order"],
                "code": issue["code"],
            }
            for issue in issues_render(value)
        ]


class ImportJobSummaryOutputSerializer(serializers.Serializer):
    """An import in a list: everything but the row errors (see the detail for those).

    ``status`` keeps DESIGN §7's four values; ``outcome`` says how a finished job ended at a
    glance: ``clean``, ``with_warnings``, ``with_errors`` (rows were rejected in partial
    mode), ``failed``, or ``pending`` while it runs.
    """

    id = serializers.IntegerField()
    status = serializers.ChoiceField(choices=ImportJob.Status.choices)
    outcome = serializers.ChoiceField(choices=ImportJob.Outcome.choices)
    phase = serializers.ChoiceField(choices=ImportJob.Phase.choices)
    mode = serializers.ChoiceField(choices=ImportJob.Mode.choices)
    file_name = serializers.CharField(source="original_name")
    mapping = serializers.CharField(source="mapping.name", allow_null=True)
    rows_total = serializers.IntegerField()
    rows_done = serializers.IntegerField()
    rows_imported = serializers.IntegerField()
    rows_rejected = serializers.IntegerField()
    rows_inserted = serializers.IntegerField()
    rows_updated = serializers.IntegerField()
    rows_unchanged = serializers.IntegerField()
    errors_total = serializers.IntegerField()
    warnings_total = serializers.IntegerField()
    message = serializers.SerializerMethodField(
        help_text=_("The summary, in the request's language (Accept-Language).")
    )
    created_by = serializers.CharField(source="created_by.username", allow_null=True)
    created_at = serializers.DateTimeField()
    started_at = serializers.DateTimeField(allow_null=True)
    finished_at = serializers.DateTimeField(allow_null=True)
    recompute_status = serializers.ChoiceField(choices=ImportJob.RecomputeStatus.choices)
    recomputed_at = serializers.DateTimeField(allow_null=True)

    def get_message(self, job: ImportJob) -> str:
        return import_job_message(job=job)


class ImportJobOutputSerializer(ImportJobSummaryOutputSerializer):
    """One import with its row errors (``row`` is the file's line number, header = 1)."""

    # A field named like Serializer.errors: DRF moves declared fields off the class, so the
    # property is untouched at run time; only the type checker sees the two names meet.
    errors = ImportErrorsField()  # type: ignore[assignment]
    warnings = ImportErrorsField(
        help_text=_(
            "Rows stored although something looks wrong, e.g. an amount that differs from "
            "quantity × unit price beyond SALESALLOC_IMPORT_AMOUNT_TOLERANCE."
        )
    )
    notices = ImportErrorsField(
        help_text=_(
            "Rows stored with a reservation, e.g. a customer that other parts of the company "
            "also sell to keeps its stored details when a manager imports it."
        )
    )


class ImportJobCreateInputSerializer(serializers.Serializer):
    file = serializers.FileField(help_text=_("The order file, CSV or XLSX."))
    mapping = serializers.CharField(
        required=False, allow_blank=True, help_text=_("Name of a saved column mapping.")
    )
    mode = serializers.ChoiceField(
        choices=ImportJob.Mode.choices, default=ImportJob.Mode.ALL_OR_NOTHING
    )


# --- column mappings and territory rules ----------------------------------------------------


class ColumnMappingOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    description = serializers.CharField()
    columns = serializers.DictField(
        child=serializers.CharField(), help_text=_("Order field -> header in the file.")
    )
    date_order = serializers.ChoiceField(choices=ColumnMapping.DateOrder.choices)


class ColumnMappingInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    description = serializers.CharField(max_length=300, required=False, allow_blank=True)
    columns = serializers.DictField(
        child=serializers.CharField(max_length=200),
        allow_empty=False,
        help_text=_('Order field -> header in the file, e.g. {"amount": "Sales"}.'),
    )
    date_order = serializers.ChoiceField(
        choices=ColumnMapping.DateOrder.choices, default=ColumnMapping.DateOrder.AUTO
    )


class TerritoryRuleOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    attribute = serializers.ChoiceField(choices=TerritoryRule.Attribute.choices)
    value = serializers.CharField()
    salesperson = serializers.CharField(source="salesperson.code")


class TerritoryRuleInputSerializer(serializers.Serializer):
    attribute = serializers.ChoiceField(choices=TerritoryRule.Attribute.choices)
    value = serializers.CharField(max_length=200)
    salesperson = serializers.CharField(max_length=50, help_text=_("Salesperson code."))


# --- credit rules ---------------------------------------------------------------------------


class CreditRuleShareSerializer(serializers.Serializer):
    salesperson = serializers.CharField(max_length=50, help_text=_("Salesperson code."))
    share = BoundedDecimalField(
        max_digits=7,
        decimal_places=4,
        min_value=Decimal("0.0001"),
        max_value=Decimal(100),
        required=False,
        allow_null=True,
        help_text=_("Percent; leave out (or null) for every salesperson for equal shares."),
    )


class CreditRuleOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    attribute = serializers.ChoiceField(choices=CreditRule.Attribute.choices)
    value = serializers.CharField()
    description = serializers.CharField()
    shares = serializers.SerializerMethodField()

    @extend_schema_field(CreditRuleShareSerializer(many=True))
    def get_shares(self, rule: CreditRule) -> list[dict[str, Any]]:
        return [
            {
                "salesperson": share.salesperson.code,
                "share": None if share.share is None else f"{share.share:.4f}",
            }
            for share in rule.shares.all()
        ]


class CreditRuleInputSerializer(serializers.Serializer):
    attribute = serializers.ChoiceField(choices=CreditRule.Attribute.choices)
    value = serializers.CharField(max_length=200)
    description = serializers.CharField(max_length=300, required=False, allow_blank=True)
    shares = CreditRuleShareSerializer(
        many=True,
        help_text=_("2 to 10 salespeople with shares adding up to 100, or no shares (equal)."),
    )


class TemplateInputSerializer(serializers.Serializer):
    format = serializers.ChoiceField(choices=["csv", "xlsx"], default="xlsx")
