"""Cross-cutting abstract models. This app has no tables of its own."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(auto_now_add=True, db_index=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class HeartbeatModel(models.Model):
    """Background work a worker may die in the middle of (jobs, runs).

    The running task refreshes ``heartbeat_at`` (``salesalloc.core.heartbeat``) and names
    itself in ``worker``; ``attempts`` counts the times the work was started. A per-app
    sweeper resumes or fails rows whose heartbeat is stale (the worker is gone).
    """

    heartbeat_at = models.DateTimeField(_("last sign of life"), null=True, blank=True)
    worker = models.CharField(_("worker"), max_length=200, blank=True, default="")
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)

    class Meta:
        abstract = True
