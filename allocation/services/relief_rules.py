"""The checks of a quota relief request: months, product lines, amount or share, overlaps,
who approves it; and closing the pending requests of a plan that is archived."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import BigIntegerField, Sum
from django.db.models.functions import Cast, Round
from django.utils import timezone
from django.utils.translation import gettext as _

from allocation.access import ViewerScope
from allocation.engine.exact import format_cents
from allocation.models import Plan, ProductLine, ReliefRequest, Salesperson, TargetCell
from allocation.structure import PlanStructure
from salesalloc.core.fields import DecimalInputError, parse_decimal
from salesalloc.core.money import to_cents

MAX_MONEY = Decimal("999999999999.99")


@dataclass(frozen=True)
class Coverage:
    """The cells a request covers: fiscal month indexes and leaf product-line ids."""

    months: tuple[int, ...]
    line_ids: tuple[int, ...]
    all_lines: bool

    def month_labels(self, structure: PlanStructure) -> list[str]:
        labels = structure.fiscal.month_labels()
        return [labels[m] for m in self.months]


def months_parse(structure: PlanStructure, months: Sequence[Any]) -> tuple[int, ...]:
    """``YYYY-MM`` strings -> sorted fiscal month indexes, or ``ValidationError`` on months."""
    if not months:
        raise ValidationError({"months": _("Choose at least one month.")})
    labels = structure.fiscal.month_labels()
    found: set[int] = set()
    for value in months:
        text = str(value).strip()
        if text not in labels:
            raise ValidationError(
                {
                    "months": _(
                        "%(month)s is not a month of fiscal year %(year)s (%(first)s to %(last)s)."
                    )
                    % {
                        "month": text[:20] or "“”",
                        "year": structure.plan.fiscal_year,
                        "first": labels[0],
                        "last": labels[-1],
                    }
                }
            )
        found.add(labels.index(text))
    return tuple(sorted(found))


def lines_parse(
    structure: PlanStructure, lines: Sequence[ProductLine]
) -> tuple[tuple[int, ...], bool]:
    """Product lines (nodes expand to the plan's leaves below) -> (leaf ids, all lines?)."""
    if not lines:
        return tuple(int(x) for x in structure.leaf_ids), True
    ids: set[int] = set()
    for line in lines:
        node = structure.pl_nodes.get(line.pk)
        if node is None:
            raise ValidationError(
                {
                    "product_lines": _("The plan doesn't cover product line %(code)s.")
                    % {"code": line.code}
                }
            )
        ids.update(int(x) for x in structure.leaves_under(node))
    every = len(ids) == len(structure.leaf_ids)
    return tuple(sorted(ids)), every


def covered_cents(
    *, plan: Plan, structure: PlanStructure, salesperson_id: int, cover: Coverage
) -> int:
    """The person's target in the covered cells, in cents (one aggregate query)."""
    months = structure.fiscal.months
    cells = TargetCell.objects.filter(
        plan=plan, salesperson_id=salesperson_id, month__in=[months[m] for m in cover.months]
    )
    if not cover.all_lines:
        cells = cells.filter(product_line_id__in=list(cover.line_ids))
    total = cells.aggregate(c=Cast(Round(Sum("amount") * 100), BigIntegerField()))["c"]
    return int(total or 0)


def amount_parse(value: Any) -> Decimal:
    """A relief amount: strict decimal, more than 0, at most 2 places (field ``amount``)."""
    try:
        number = parse_decimal(
            value, max_digits=14, decimal_places=2, min_value=Decimal("0.01"), max_value=MAX_MONEY
        )
    except DecimalInputError as error:
        raise ValidationError({"amount": error.message}) from None
    return number


def share_parse(value: Any) -> Decimal:
    """A relief share in percent: strict decimal in (0, 100] with 2 places (``share``)."""
    try:
        number = parse_decimal(
            value,
            max_digits=5,
            decimal_places=2,
            min_value=Decimal("0.01"),
            max_value=Decimal(100),
        )
    except DecimalInputError as error:
        raise ValidationError({"share": error.message}) from None
    return number


def relief_size_check(*, amount: Decimal | None, share: Decimal | None, target_cents: int) -> None:
    """Exactly one of amount and share; the amount at most the target; a target to relieve."""
    if (amount is None) == (share is None):
        raise ValidationError({"amount": _("Give an amount or a share of the target, not both.")})
    if target_cents <= 0:
        raise ValidationError({"months": _("There is no target in those months to relieve.")})
    if amount is not None and to_cents(amount) > target_cents:
        raise ValidationError(
            {
                "amount": _("%(amount)s is more than the target of those months, %(target)s.")
                % {"amount": format_cents(to_cents(amount)), "target": format_cents(target_cents)}
            }
        )


def overlapping_pending(
    *, plan: Plan, salesperson: Salesperson, cover: Coverage, structure: PlanStructure
) -> ReliefRequest | None:
    """A pending request of the same person and plan covering any of the same cells."""
    labels = set(cover.month_labels(structure))
    wanted = set(cover.line_ids)
    pending = (
        ReliefRequest.objects.filter(
            plan=plan, salesperson=salesperson, status=ReliefRequest.Status.PENDING
        )
        .prefetch_related("product_lines")
        .order_by("pk")
    )
    for other in pending:
        if not labels & set(other.months):
            continue
        lines = {line.pk for line in other.product_lines.all()}
        if not lines or not wanted or lines & wanted:
            return other
    return None


def approval_path_for(*, role: str, scope: ViewerScope, salesperson: Salesperson) -> str:
    """Where the deciding managers sit (see ``allocation.selectors.relief``); "" = admins."""
    unit_path = salesperson.org_unit.path
    if role == ReliefRequest.Role.SALESPERSON:
        return unit_path
    if role == ReliefRequest.Role.MANAGER:
        top = min((p for p in scope.managed_paths if unit_path.startswith(p)), key=len)
        parent = top[: top.rstrip("/").rfind("/") + 1]
        return "" if parent in {"", "/"} else parent
    return ""


def relief_requests_close(*, plan: Plan) -> int:
    """Withdraw the pending requests of a plan that is no longer published (archived)."""
    now = timezone.now()
    return ReliefRequest.objects.filter(plan=plan, status=ReliefRequest.Status.PENDING).update(
        status=ReliefRequest.Status.WITHDRAWN,
        decided_at=now,
        decision_comment=_(
            "The plan was archived before a decision; ask again on the current plan."
        ),
        updated_at=now,
    )
