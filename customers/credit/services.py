"""Writes of credit rules: which salespeople share the lines of a customer or a territory.

A rule names 2 to ``MAX_CREDIT_PARTIES`` salespeople, each once, with shares (percent, up to
4 decimals, more than 0) adding up to exactly 100, or no shares at all (equal parts). An
admin may name anyone; a manager only salespeople of their subtrees, and may change or delete
only rules whose salespeople all are. Rules apply to rows imported afterwards: lines already
imported keep their credits (re-import a file to apply a changed rule to it).
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from allocation.models import Salesperson
from allocation.selectors import managed_salesperson_list
from customers.credit.models import MAX_CREDIT_PARTIES, SHARE_SCALE, CreditRule, CreditRuleShare
from customers.credit.selectors import credit_rule_list
from salesalloc.core.exceptions import ScopeError

Party = tuple[Salesperson, Decimal | None]


def _require_manages(actor: AbstractBaseUser | None, people: Sequence[Salesperson]) -> None:
    if actor is None:
        return  # system calls (commands, the demo loader)
    allowed = set(
        managed_salesperson_list(user=actor)
        .filter(pk__in=[p.pk for p in people])
        .values_list("pk", flat=True)
    )
    if not people or any(person.pk not in allowed for person in people):
        raise ScopeError(
            _("You may only change credit rules of salespeople in your part of the company.")
        )


def _clean_parties(parties: Sequence[Party]) -> list[Party]:
    """The rule's salespeople and shares, checked (see the module docstring)."""
    if len(parties) < 2:
        raise ValidationError(
            {"shares": _("A credit rule shares the credit between at least two salespeople.")}
        )
    if len(parties) > MAX_CREDIT_PARTIES:
        raise ValidationError(
            {
                "shares": _("At most %(limit)s salespeople may share a line.")
                % {"limit": MAX_CREDIT_PARTIES}
            }
        )
    codes = [person.code for person, _share in parties]
    twice = sorted({code for code in codes if codes.count(code) > 1})
    if twice:
        raise ValidationError(
            {"shares": _("%(codes)s named more than once.") % {"codes": ", ".join(twice)}}
        )
    inactive = sorted(person.code for person, _share in parties if not person.is_active)
    if inactive:
        raise ValidationError(
            {
                "shares": _("Inactive salespeople cannot be credited: %(codes)s.")
                % {"codes": ", ".join(inactive)}
            }
        )
    given = [share for _person, share in parties if share is not None]
    if given and len(given) != len(parties):
        raise ValidationError(
            {"shares": _("Give a share for every salesperson, or for none (equal shares).")}
        )
    for share in given:
        if share <= 0 or share != share.quantize(Decimal(1).scaleb(-SHARE_SCALE)):
            raise ValidationError(
                {
                    "shares": _(
                        "The share %(share)s must be more than 0 %% with at most 4 decimals."
                    )
                    % {"share": share}
                }
            )
    if given and sum(given, Decimal(0)) != 100:
        raise ValidationError(
            {
                "shares": _("The shares add up to %(total)s %%, not 100 %%.")
                % {"total": format(sum(given, Decimal(0)).normalize(), "f")}
            }
        )
    return list(parties)


def _check_value_free(
    attribute: str, value: str, actor: AbstractBaseUser | None, exclude_pk: int | None = None
) -> None:
    taken = CreditRule.objects.filter(attribute=attribute, value__iexact=value)
    if exclude_pk is not None:
        taken = taken.exclude(pk=exclude_pk)
    if not taken.exists():
        return
    # A rule is global; one outside the actor's part of the company is neither shown nor echoed.
    visible = (
        actor is None or taken.filter(pk__in=credit_rule_list(user=actor).values("pk")).exists()
    )
    message = (
        _("There is already a credit rule for “%(value)s”.")
        if visible
        else _("“%(value)s” can't be given a credit rule here; ask an administrator.")
    )
    raise ValidationError({"value": message % {"value": value}})


def _shares_write(rule: CreditRule, parties: list[Party]) -> None:
    rule.shares.all().delete()
    shares = [
        CreditRuleShare(rule=rule, position=position, salesperson=person, share=share)
        for position, (person, share) in enumerate(parties)
    ]
    for share in shares:
        share.full_clean(exclude=["rule"])
    CreditRuleShare.objects.bulk_create(shares)


@transaction.atomic
def credit_rule_create(
    *,
    attribute: str,
    value: str,
    parties: Sequence[Party],
    description: str = "",
    actor: AbstractBaseUser | None,
) -> CreditRule:
    """Share the lines of customers whose ``attribute`` is ``value`` between ``parties``."""
    cleaned = _clean_parties(parties)
    _require_manages(actor, [person for person, _share in cleaned])
    value = value.strip()
    _check_value_free(attribute, value, actor)
    rule = CreditRule(attribute=attribute, value=value, description=description.strip())
    rule.full_clean()
    rule.save()
    _shares_write(rule, cleaned)
    return rule


@transaction.atomic
def credit_rule_update(
    *,
    rule: CreditRule,
    attribute: str,
    value: str,
    parties: Sequence[Party],
    description: str = "",
    actor: AbstractBaseUser | None,
) -> CreditRule:
    """Replace a rule's attribute, value, description and shares."""
    locked = CreditRule.objects.select_for_update().get(pk=rule.pk)
    current = [share.salesperson for share in locked.shares.select_related("salesperson")]
    _require_manages(actor, current)
    cleaned = _clean_parties(parties)
    _require_manages(actor, [person for person, _share in cleaned])
    value = value.strip()
    _check_value_free(attribute, value, actor, exclude_pk=locked.pk)
    locked.attribute, locked.value = attribute, value
    locked.description = description.strip()
    locked.full_clean()
    locked.save(update_fields=["attribute", "value", "description", "updated_at"])
    _shares_write(locked, cleaned)
    return locked


@transaction.atomic
def credit_rule_delete(*, rule: CreditRule, actor: AbstractBaseUser | None) -> None:
    """Delete a credit rule; lines already imported keep their credits."""
    _require_manages(
        actor, [share.salesperson for share in rule.shares.select_related("salesperson")]
    )
    CreditRule.objects.filter(pk=rule.pk).delete()
