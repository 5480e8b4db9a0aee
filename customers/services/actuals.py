"""Keep ``allocation``'s actuals equal to the sum of the order lines."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterable

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Count, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone

from allocation.services import actual_cells_replace
from customers.models import ImportJob, OrderLine


def _next_month(month: dt.date) -> dt.date:
    return dt.date(month.year + month.month // 12, month.month % 12 + 1, 1)


def order_actuals_refresh(
    *,
    cells: Iterable[tuple[int, dt.date]] | None = None,
    salesperson_ids: Collection[int] | None = None,
    actor: AbstractBaseUser | None = None,
) -> int:
    """Rebuild the actual cells from the order lines; returns the number of cells written.

    ``cells`` ((salesperson id, month) pairs) limits the work to the affected salespeople x
    the span of affected months, so an incremental import costs one indexed range scan and
    one ``INSERT ... SELECT``; cells of that block no import touched come out unchanged.
    ``salesperson_ids`` alone rebuilds every month of those people; neither rebuilds all.
    Idempotent and safe to run concurrently (``actual_cells_replace`` locks and replaces).
    """
    lines = OrderLine.objects.all()
    month_from = month_to = None
    people: list[int] | None = sorted(set(salesperson_ids)) if salesperson_ids is not None else None
    if cells is not None:
        pairs = list(cells)
        if not pairs:
            return 0
        people = sorted({sp for sp, _ in pairs})
        month_from = min(month for _, month in pairs)
        month_to = max(month for _, month in pairs)
        lines = lines.filter(order_date__gte=month_from, order_date__lt=_next_month(month_to))
    if people is not None:
        lines = lines.filter(salesperson_id__in=people)
    source = (
        lines.annotate(month=TruncMonth("order_date"))
        .values("salesperson_id", "product_line_id", "month")
        .annotate(amount=Sum("amount"), cost=Sum("cost"), lines=Count("id"))
        .order_by()
    )
    return actual_cells_replace(
        source=source,
        salesperson_ids=people,
        month_from=month_from,
        month_to=month_to,
        actor=actor,
    )


def import_job_affected_cells(*, job: ImportJob) -> list[tuple[int, dt.date]]:
    """The (salesperson id, month) cells an import touched, as recorded on the job."""
    return [(int(sp), dt.date.fromisoformat(month)) for sp, month in job.affected_cells]


def import_job_recompute_mark(*, job_id: int, status: str) -> None:
    """Record how the recompute after an import went (``ImportJob.recompute_status``)."""
    fields: dict[str, object] = {"recompute_status": status}
    if status in (ImportJob.RecomputeStatus.SUCCEEDED, ImportJob.RecomputeStatus.FAILED):
        fields["recomputed_at"] = timezone.now()
    ImportJob.objects.filter(pk=job_id).update(**fields, updated_at=timezone.now())
