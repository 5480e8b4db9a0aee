"""What an import checks its rows against: codes, territory and credit rules, stored lines.

Read once per import, before the rows are validated; a manager's import sees only what lies
in their part of the company (rules of other regions neither apply nor show).
"""

from __future__ import annotations

import unicodedata
from decimal import Decimal

import numpy as np
import pandas as pd
from django.db.models import Exists, OuterRef, Prefetch, Q
from django.utils.translation import gettext_noop

from allocation.access import ViewerScope
from allocation.models import ProductLine, Salesperson
from customers.credit.models import SHARE_SCALE, CreditRule, CreditRuleShare, OrderLineCredit
from customers.importing.credits import CreditRules
from customers.importing.validation import AMBIGUOUS, Lookups, ValidatedFile
from customers.models import OrderLine, TerritoryRule
from salesalloc.core.texts import Text

# The attribute of a rule as messages name it (the same words as the rule pages).
ATTRIBUTE_LABELS = {
    "customer_code": gettext_noop("Customer code"),
    "city": gettext_noop("City"),
    "state": gettext_noop("State / province"),
    "region": gettext_noop("Region"),
    "country": gettext_noop("Country"),
}


def code_key(text: str) -> str:
    """Match codes and names the way the validator cleans cells (NFKC, trimmed, lower)."""
    return unicodedata.normalize("NFKC", str(text)).strip().lower()


def share_text(shares: list[tuple[str, Decimal | None]]) -> str:
    """``W01:60;W02:40`` (or ``W01;W02`` for equal shares), as a file would write it."""
    return ";".join(
        code if share is None else f"{code}:{format(share.normalize(), 'f')}"
        for code, share in shares
    )


def _credit_rules(in_scope: frozenset[int] | None) -> CreditRules:
    rules = CreditRules()
    shares = CreditRuleShare.objects.select_related("salesperson").order_by("position", "pk")
    for rule in CreditRule.objects.prefetch_related(Prefetch("shares", queryset=shares)):
        members = list(rule.shares.all())
        if not members or (
            in_scope is not None and any(m.salesperson_id not in in_scope for m in members)
        ):
            continue  # a manager's file never takes a rule that reaches outside their part
        equal = all(m.share is None for m in members)
        rules.parties[rule.pk] = tuple(
            (m.salesperson_id, 1 if equal else int((m.share or Decimal(0)).scaleb(SHARE_SCALE)))
            for m in members
        )
        rules.by_attribute.setdefault(rule.attribute, {})[code_key(rule.value)] = rule.pk
        rules.labels[rule.pk] = Text(
            gettext_noop("%(attribute)s “%(value)s”"),
            {"attribute": Text(ATTRIBUTE_LABELS[rule.attribute]), "value": rule.value},
        )
        rules.texts[rule.pk] = share_text([(m.salesperson.code, m.share) for m in members])
    return rules


def import_lookups(*, scope: ViewerScope) -> Lookups:
    """Product lines, salespeople and rules for validating an import by ``scope``'s user."""
    lines = list(ProductLine.objects.values_list("pk", "code", "name"))
    codes = {code_key(code): pk for pk, code, _name in lines}
    names: dict[str, int] = {}
    for pk, _code, name in lines:
        key = code_key(name)
        names[key] = AMBIGUOUS if key in names and names[key] != pk else pk
    people = list(Salesperson.objects.values_list("pk", "code", "is_active"))
    in_scope = None
    if not scope.is_admin:
        in_scope = frozenset(
            Salesperson.objects.filter(scope.managed_salesperson_q()).values_list("pk", flat=True)
        )
    rules: dict[str, dict[str, int]] = {}
    for attribute, value, salesperson in TerritoryRule.objects.values_list(
        "attribute", "value", "salesperson_id"
    ):
        # A manager's file never matches another region's rules (nor learns of them).
        if in_scope is None or salesperson in in_scope:
            rules.setdefault(attribute, {})[code_key(value)] = salesperson
    return Lookups(
        product_line_codes=codes,
        product_line_names=names,
        salesperson_codes={code_key(code): pk for pk, code, _active in people},
        salesperson_labels={pk: code for pk, code, _active in people},
        inactive=frozenset(pk for pk, _code, active in people if not active),
        in_scope=in_scope,
        rules=rules,
        credit_rules=_credit_rules(in_scope),
    )


def stored_lines_check(*, validated: ValidatedFile, scope: ViewerScope) -> None:
    """Reject rows that would overwrite stored lines of salespeople outside a manager's
    scope: lines of someone else, or credited in part to someone else."""
    keys = validated.keys()
    if keys.empty:
        return
    order_numbers = keys["order_id"].unique().tolist()
    found: list[tuple[str, int]] = []
    batch = 2000
    foreign_credit = OrderLineCredit.objects.filter(line_id=OuterRef("pk")).exclude(
        scope.managed_salesperson_q("salesperson__")
    )
    outside = OrderLine.objects.filter(
        ~Q(scope.managed_salesperson_q("salesperson__")) | Q(Exists(foreign_credit))
    )
    for start in range(0, len(order_numbers), batch):
        numbers = order_numbers[start : start + batch]
        found += outside.filter(order__order_no__in=numbers).values_list(
            "order__order_no", "line_no"
        )
    if not found:
        return
    stored = pd.DataFrame(found, columns=["order_id", "line_no"])
    stored["line_no"] = stored["line_no"].astype(np.int64)
    conflicts = keys.merge(stored, on=["order_id", "line_no"], how="inner")
    validated.reject_stored_out_of_scope(conflicts)
