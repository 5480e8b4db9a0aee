"""What each change of a plan's grid moved, kept so the change can be undone.

``PlanChange`` audits the cells a change *set*; an ``EditBatch`` keeps every *leaf* it moved
(the rebalanced siblings too), before and after, so ``allocation.services.undo`` can put them
back exactly and can tell whether a later change has touched them since.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from allocation.models.plans import Plan, PlanChange
from salesalloc.core.models import TimeStampedModel


class EditBatch(TimeStampedModel):
    """The leaves one grid change (an edit, a paste, an uploaded sheet) moved.

    ``leaves`` holds three int64 arrays (target cell ids, cents before, cents after),
    zlib-compressed: a change that re-splits a whole plan moves every leaf, and one row per
    leaf would cost more than the change itself. ``batch`` is the ``PlanChange.batch`` of the
    audit rows written with it. An undone batch records who undid it and when.
    """

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="edit_batches")
    batch = models.UUIDField(unique=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    action = models.CharField(max_length=20, choices=PlanChange.Action.choices)
    keep = models.CharField(max_length=20, blank=True, default="")
    revision = models.PositiveIntegerField(help_text=_("The plan's revision after the change."))
    leaf_count = models.PositiveIntegerField(default=0)
    leaves = models.BinaryField()
    undone_at = models.DateTimeField(null=True, blank=True)
    undone_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("edit batch")
        verbose_name_plural = _("edit batches")
        indexes = [
            models.Index(fields=["plan", "actor", "-created_at"], name="editbatch_plan_actor_idx")
        ]

    def __str__(self) -> str:
        return f"{self.plan_id} {self.action} {self.batch}"
