"""Start a new tracking cache generation when what the cached figures show changes.

The recompute does it for the actuals (``salesalloc.pipeline``); here: a published (or
archived) plan saved or deleted, and the org tree, salespeople and product lines, whose
names, structure and membership every cached dashboard and attainment response shows.
Drafts do not count (no tracking figure reads them), so editing a draft costs nothing.
The bump happens after the transaction commits, so no request caches the old figures
under the new generation.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from allocation.models import OrgUnit, Plan, ProductLine, Salesperson
from performance.tracking.services import tracking_cache_invalidate

_TRACKED_STATUSES = {Plan.Status.PUBLISHED, Plan.Status.ARCHIVED}


def _invalidate_on_commit() -> None:
    transaction.on_commit(tracking_cache_invalidate)


@receiver([post_save, post_delete], sender=Plan, dispatch_uid="tracking_cache_plan")
def plan_changed(sender: type[Plan], instance: Plan, **kwargs: Any) -> None:
    if instance.status in _TRACKED_STATUSES:
        _invalidate_on_commit()


@receiver([post_save, post_delete], sender=OrgUnit, dispatch_uid="tracking_cache_org_unit")
@receiver([post_save, post_delete], sender=Salesperson, dispatch_uid="tracking_cache_person")
@receiver([post_save, post_delete], sender=ProductLine, dispatch_uid="tracking_cache_line")
def structure_changed(sender: type[Any], **kwargs: Any) -> None:
    _invalidate_on_commit()
