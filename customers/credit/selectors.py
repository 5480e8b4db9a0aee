"""Reads of split credit: order lines as credited, credit rules, and lines as a viewer sees them.

**Lines as credited.** Everything that adds order lines up *by salesperson* reads two parts
with the same field names (``salesperson_id, customer_id, order_id, order_date,
product_line_id, amount, cost, quantity``): the lines credited to one salesperson (not
split) and the credits of the split ones (``credited_parts``). Sums by customer or product
line need no credits (a line's credits add up to the line).

**A viewer's share.** A salesperson credited with part of a line sees the line with their
part: its amount, cost and quantity are their credit's, and the split lists only them. A
manager sees the parts of the salespeople in their subtrees; an admin the whole line. The
page's salesperson filter narrows the window further (``CreditWindow``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet

from allocation.access import ViewerScope, viewer_scope
from customers.credit.models import FULL_WEIGHT, CreditRule, CreditRuleShare, OrderLineCredit
from customers.models import OrderLine
from salesalloc.core.money import MoneySum

User = AbstractBaseUser | AnonymousUser


def credited_parts(
    *, where: Q | None = None
) -> tuple[QuerySet[OrderLine], QuerySet[OrderLineCredit] | None]:
    """The order lines as credited to salespeople, in two parts filtered by ``where``: the
    unsplit lines and the credits of the split ones (None while no line is split, so the
    common case reads the lines alone, exactly as before split credit existed)."""
    where = where or Q()
    lines = OrderLine.objects.filter(where)
    if not OrderLineCredit.objects.exists():
        return lines, None
    return lines.filter(split_credit=False), OrderLineCredit.objects.filter(where)


def credit_rule_list(*, user: User) -> QuerySet[CreditRule]:
    """Admin: every rule; a manager: the rules all of whose salespeople are in their
    subtrees (a rule reaching outside is neither shown nor editable); others: none."""
    scope = viewer_scope(user=user)
    shares = CreditRuleShare.objects.select_related("salesperson").order_by("position", "pk")
    rules = CreditRule.objects.prefetch_related(Prefetch("shares", queryset=shares))
    if scope.is_admin:
        return rules
    if not scope.is_manager:
        return rules.none()
    foreign = CreditRuleShare.objects.filter(rule_id=OuterRef("pk")).exclude(
        scope.managed_salesperson_q("salesperson__")
    )
    return rules.filter(shares__isnull=False).exclude(Exists(foreign)).distinct()


@dataclass(frozen=True)
class CreditWindow:
    """Whose credits a viewer sees on order lines: their scope, narrowed to one salesperson
    by a filter (``salesperson_id``)."""

    scope: ViewerScope
    salesperson_id: int | None = None

    @property
    def everyone(self) -> bool:
        return self.scope.is_admin and self.salesperson_id is None

    def q(self, prefix: str = "") -> Q:
        """Salespeople (at ``prefix``) inside the window."""
        q = Q() if self.scope.is_admin else self.scope.salesperson_q(prefix)
        if self.salesperson_id is not None:
            q &= Q(**{f"{prefix}pk": self.salesperson_id})
        return q


def credit_window(*, user: User, salesperson_id: int | None = None) -> CreditWindow:
    return CreditWindow(scope=viewer_scope(user=user), salesperson_id=salesperson_id)


def lines_in_window_q(window: CreditWindow) -> Q:
    """Order lines whose salesperson, or one of whose credited salespeople, is inside."""
    own = window.q("salesperson__")
    if window.everyone:
        return own
    credits = OrderLineCredit.objects.filter(window.q("salesperson__"))
    if not credits.exists():  # no split line reaches the window: the plain, indexed filter
        return own
    return own | Q(Exists(credits.filter(line_id=OuterRef("pk"))))


def share_label(share: Decimal) -> str:
    """A share as people read it: ``60 %``, ``33.3333 %``."""
    return f"{format(share.normalize(), 'f')} %"


@dataclass(frozen=True)
class CreditShown:
    salesperson_code: str
    salesperson_name: str
    share: Decimal  # percent
    amount: Decimal

    @property
    def share_label(self) -> str:
        return share_label(self.share)


@dataclass
class LineShown:
    """An order line as the viewer sees it (see the module docstring)."""

    amount: Decimal
    cost: Decimal | None
    quantity: Decimal | None
    share: Decimal  # percent of the line inside the viewer's window
    salesperson_code: str
    salesperson_name: str
    partial: bool = False
    equal: bool = False  # the split's shares were given as equal (1/3 each, not 33.33 %)
    credits: list[CreditShown] = field(default_factory=list)

    @property
    def share_label(self) -> str:
        return share_label(self.share)

    @property
    def split_text(self) -> str:
        """The visible split as an order file writes it: ``W01:60;W02:40`` (``W01;W02;W03``
        for equal shares), so an export imports back to the same credits."""
        if self.equal and not self.partial:
            return ";".join(c.salesperson_code for c in self.credits)
        return split_text([(c.salesperson_code, c.share) for c in self.credits])


def split_text(parties: Iterable[tuple[str, Decimal]]) -> str:
    return ";".join(f"{code}:{format(share.normalize(), 'f')}" for code, share in parties)


def _sum(values: list[Decimal | None]) -> Decimal | None:
    known = [v for v in values if v is not None]
    return sum(known, Decimal(0)) if known else None


def _exact_share(weight: int, total: int) -> Decimal:
    """A party's share in percent: exact for shares given in percent, 4 places otherwise."""
    if total == FULL_WEIGHT:
        return Decimal(weight).scaleb(-4)
    return (Decimal(100) * weight / total).quantize(Decimal("0.0001"))


def lines_shown(*, window: CreditWindow, lines: Iterable[Any]) -> dict[int, LineShown]:
    """Each line (``pk, amount, cost, quantity, split_credit`` and its salesperson's code and
    name as ``sp_code``/``sp_name``) as the window sees it; one query for the credits."""
    rows = list(lines)
    split_ids = [row["pk"] for row in rows if row["split_credit"]]
    credits: dict[int, list[dict[str, Any]]] = defaultdict(list)
    if split_ids:
        inside = set(
            OrderLineCredit.objects.filter(
                window.q("salesperson__"), line_id__in=split_ids
            ).values_list("pk", flat=True)
        )
        for credit in (
            OrderLineCredit.objects.filter(line_id__in=split_ids)
            .order_by("line_id", "salesperson__code")
            .values(
                "pk",
                "line_id",
                "weight",
                "amount",
                "cost",
                "quantity",
                "salesperson__code",
                "salesperson__name",
            )
        ):
            credits[credit["line_id"]].append({**credit, "inside": credit["pk"] in inside})
    return {row["pk"]: _line_shown(window, row, credits.get(row["pk"], [])) for row in rows}


def line_rows(
    *, window: CreditWindow, lines: Iterable[OrderLine]
) -> list[tuple[OrderLine, LineShown]]:
    """Each line (instances with their salesperson joined) and how the window sees it."""
    instances = list(lines)
    shown = lines_shown(
        window=window,
        lines=[
            {
                "pk": line.pk,
                "amount": line.amount,
                "cost": line.cost,
                "quantity": line.quantity,
                "split_credit": line.split_credit,
                "sp_code": line.salesperson.code,
                "sp_name": line.salesperson.name,
            }
            for line in instances
        ],
    )
    return [(line, shown[line.pk]) for line in instances]


def _line_shown(window: CreditWindow, row: dict[str, Any], parts: list[dict]) -> LineShown:
    shown = LineShown(
        amount=row["amount"],
        cost=row["cost"],
        quantity=row["quantity"],
        share=Decimal(100),
        salesperson_code=row["sp_code"],
        salesperson_name=row["sp_name"],
    )
    if not parts:
        return shown
    total = sum(part["weight"] for part in parts)
    shown.equal = total != FULL_WEIGHT and len({part["weight"] for part in parts}) == 1
    visible = [part for part in parts if window.everyone or part["inside"]]
    shown.credits = [
        CreditShown(
            salesperson_code=part["salesperson__code"],
            salesperson_name=part["salesperson__name"],
            share=_exact_share(part["weight"], total),
            amount=part["amount"],
        )
        for part in visible
    ]
    if len(visible) == len(parts):
        return shown
    shown.partial = True
    shown.amount = sum((part["amount"] for part in visible), Decimal(0))
    shown.cost = _sum([part["cost"] for part in visible])
    shown.quantity = _sum([part["quantity"] for part in visible])
    shown.share = sum((credit.share for credit in shown.credits), Decimal(0))
    if visible and not any(c.salesperson_code == row["sp_code"] for c in shown.credits):
        shown.salesperson_code = shown.credits[0].salesperson_code
        shown.salesperson_name = shown.credits[0].salesperson_name
    return shown


def line_totals(*, window: CreditWindow, lines: QuerySet[OrderLine]) -> dict[str, Any]:
    """Count and net amount of ``lines`` as the window sees them: unsplit lines whole, split
    lines by the credits inside the window (set-based: one aggregate, and a second over the
    credits only when a split line is among them and the window is not everyone's)."""
    unsplit = Q(split_credit=False)
    totals = lines.order_by().aggregate(
        n_lines=Count("pk"),
        total=MoneySum("amount"),
        whole=MoneySum("amount", filter=unsplit),
        n_split=Count("pk", filter=~unsplit),
    )
    if window.everyone or not totals["n_split"]:
        return {"count": totals["n_lines"], "amount": totals["total"]}
    parts = OrderLineCredit.objects.filter(
        window.q("salesperson__"),
        line_id__in=lines.filter(split_credit=True).order_by().values("pk"),
    ).aggregate(total=MoneySum("amount"))
    found = [value for value in (totals["whole"], parts["total"]) if value is not None]
    return {"count": totals["n_lines"], "amount": sum(found, Decimal(0)) if found else None}
