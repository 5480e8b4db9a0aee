"""Import configuration: saved column mappings and territory rules.

Who may write: column mappings are shared company configuration that admins and managers
maintain; a territory rule sends rows to a salesperson, so a manager may only create or
delete rules for salespeople in their own subtree (admins: anyone).
"""

from __future__ import annotations

from collections.abc import Mapping

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from allocation.access import viewer_scope
from allocation.models import Salesperson
from allocation.selectors import managed_salesperson_list
from customers.importing.fields import FIELDS, is_field
from customers.models import ColumnMapping, TerritoryRule
from customers.selectors import territory_rule_list
from salesalloc.core.exceptions import ScopeError
from salesalloc.core.users import acting_user


def _require_manager(actor: AbstractBaseUser | None) -> None:
    if actor is None:
        return  # system calls (commands, demo loader)
    if not viewer_scope(user=actor).can_manage:
        raise ScopeError(_("Only managers and administrators may change import settings."))


def _clean_columns(columns: Mapping[str, str]) -> dict[str, str]:
    """Check a mapping's ``{field: header}`` against the import's field names."""
    unknown = sorted(name for name in columns if not is_field(name))
    if unknown:
        raise ValidationError(
            {
                "columns": _("Unknown order field(s): %(fields)s. Known fields: %(known)s.")
                % {
                    "fields": ", ".join(unknown),
                    "known": ", ".join([*FIELDS, "salesperson_2", "share_2", "…"]),
                }
            }
        )
    cleaned = {field: str(header).strip() for field, header in columns.items()}
    empty = sorted(field for field, header in cleaned.items() if not header)
    if empty:
        raise ValidationError(
            {"columns": _("Give a header for: %(fields)s.") % {"fields": ", ".join(empty)}}
        )
    return cleaned


def _check_name_free(name: str, *, exclude_pk: int | None = None) -> None:
    taken = ColumnMapping.objects.filter(name__iexact=name)
    if exclude_pk is not None:
        taken = taken.exclude(pk=exclude_pk)
    if taken.exists():
        raise ValidationError(
            {"name": _("A column mapping named “%(name)s” already exists.") % {"name": name}}
        )


@transaction.atomic
def column_mapping_create(
    *,
    name: str,
    columns: Mapping[str, str],
    description: str = "",
    date_order: str = ColumnMapping.DateOrder.AUTO,
    actor: AbstractBaseUser | None,
) -> ColumnMapping:
    """Save a named mapping from an ERP export's headers to the order fields."""
    _require_manager(actor)
    name = name.strip()
    _check_name_free(name)
    mapping = ColumnMapping(
        name=name,
        description=description.strip(),
        columns=_clean_columns(columns),
        date_order=date_order,
        created_by=acting_user(actor),
    )
    mapping.full_clean()
    mapping.save()
    return mapping


@transaction.atomic
def column_mapping_update(
    *,
    mapping: ColumnMapping,
    name: str,
    columns: Mapping[str, str],
    description: str = "",
    date_order: str = ColumnMapping.DateOrder.AUTO,
    actor: AbstractBaseUser | None,
) -> ColumnMapping:
    """Replace a saved mapping's name, description, columns and date order."""
    _require_manager(actor)
    locked = ColumnMapping.objects.select_for_update().get(pk=mapping.pk)
    name = name.strip()
    _check_name_free(name, exclude_pk=locked.pk)
    locked.name = name
    locked.description = description.strip()
    locked.columns = _clean_columns(columns)
    locked.date_order = date_order
    locked.full_clean()
    locked.save(update_fields=["name", "description", "columns", "date_order", "updated_at"])
    return locked


@transaction.atomic
def column_mapping_delete(*, mapping: ColumnMapping, actor: AbstractBaseUser | None) -> None:
    """Delete a saved mapping; past imports keep their rows and forget the mapping."""
    _require_manager(actor)
    ColumnMapping.objects.filter(pk=mapping.pk).delete()


def _require_manages(actor: AbstractBaseUser | None, salesperson: Salesperson) -> None:
    if actor is None:
        return
    if not managed_salesperson_list(user=actor).filter(pk=salesperson.pk).exists():
        raise ScopeError(
            _("You may only change territory rules of salespeople in your part of the company.")
        )


def _check_territory_free(
    attribute: str, value: str, actor: AbstractBaseUser | None, exclude_pk: int | None = None
) -> None:
    taken = TerritoryRule.objects.filter(attribute=attribute, value__iexact=value)
    if exclude_pk is not None:
        taken = taken.exclude(pk=exclude_pk)
    if taken.exists():
        # A rule is global, so the value stays refused; a rule outside the actor's part of the
        # company is neither shown nor echoed (its salesperson, its stored spelling).
        mine = territory_rule_list(user=actor).values("pk") if actor is not None else None
        visible = mine is None or taken.filter(pk__in=mine).exists()
        message = (
            _("There is already a territory rule for “%(value)s”.")
            if visible
            else _("“%(value)s” can't be assigned here; ask an administrator.")
        )
        raise ValidationError({"value": message % {"value": value}})


@transaction.atomic
def territory_rule_create(
    *,
    attribute: str,
    value: str,
    salesperson: Salesperson,
    actor: AbstractBaseUser | None,
) -> TerritoryRule:
    """Send rows without a salesperson whose customer ``attribute`` is ``value`` to them."""
    _require_manages(actor, salesperson)
    value = value.strip()
    _check_territory_free(attribute, value, actor)
    rule = TerritoryRule(attribute=attribute, value=value, salesperson=salesperson)
    rule.full_clean()
    rule.save()
    return rule


@transaction.atomic
def territory_rule_update(
    *,
    rule: TerritoryRule,
    attribute: str,
    value: str,
    salesperson: Salesperson,
    actor: AbstractBaseUser | None,
) -> TerritoryRule:
    """Change a rule's attribute, value or salesperson (both the old and the new salesperson
    must be the actor's to change); rows already imported keep their salesperson."""
    locked = TerritoryRule.objects.select_for_update().select_related("salesperson").get(pk=rule.pk)
    _require_manages(actor, locked.salesperson)
    _require_manages(actor, salesperson)
    value = value.strip()
    _check_territory_free(attribute, value, actor, exclude_pk=locked.pk)
    locked.attribute, locked.value, locked.salesperson = attribute, value, salesperson
    locked.full_clean()
    locked.save(update_fields=["attribute", "value", "salesperson", "updated_at"])
    return locked


@transaction.atomic
def territory_rule_delete(*, rule: TerritoryRule, actor: AbstractBaseUser | None) -> None:
    """Delete a territory rule; rows already imported keep their salesperson."""
    _require_manages(actor, rule.salesperson)
    TerritoryRule.objects.filter(pk=rule.pk).delete()
