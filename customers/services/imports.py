"""Order imports: accept a file (checked before parsing), then read, validate and store it.

``import_job_create`` refuses a file that cannot be an order file before anything is
parsed (size, format, encoding, header), stores it and queues the job.
``import_job_run`` (the task and ``manage.py import_orders``) does the work in two phases:

1. **reading** (no transaction held): rows are parsed and checked chunk by chunk; progress
   (``rows_done``/``rows_total``) is committed after every chunk so pages can poll it;
2. **writing**: one transaction stores every good row (``customers.importing.store``), sets
   the job's counts and ``affected_cells``, and, after commit, sends
   ``customers.signals.orders_imported`` when any line was inserted or changed.

In ``all_or_nothing`` mode any bad row fails the job and nothing is written; in ``partial``
mode the good rows are stored and the bad ones reported. Either way nothing already stored is
lost or half-written.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import PurePath
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import SuspiciousFileOperation, ValidationError
from django.core.files import File
from django.core.files.base import ContentFile
from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone, translation
from django.utils.text import get_valid_filename
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from allocation.access import ViewerScope, viewer_scope
from allocation.models import Salesperson
from customers.importing.amounts import AmountCheck
from customers.importing.fields import ColumnPlan, column_plan
from customers.importing.issues import issue_entry
from customers.importing.reading import (
    FileFormatError,
    OrderSource,
    SourceWidened,
    UploadFacts,
    source_open,
    upload_check,
)
from customers.importing.staging import Staging, staging_build
from customers.importing.store_copy import import_store
from customers.importing.store_tables import MergeResult, StoreConflict
from customers.importing.validation import Lookups, OrderFileValidator, ValidatedFile
from customers.models import ColumnMapping, CreditRule, ImportJob, TerritoryRule
from customers.services.import_reference import import_lookups, stored_lines_check
from customers.signals import orders_imported
from customers.tasks import import_orders_task
from salesalloc.core.background import enqueue_on_commit
from salesalloc.core.exceptions import ApplicationError, ScopeError
from salesalloc.core.filelimits import FileLimits, UploadTooLargeError, upload_read
from salesalloc.core.heartbeat import heartbeat, pause_for_crash_tests, stale_q, worker_name
from salesalloc.core.outages import BrokerUnavailableError
from salesalloc.core.texts import Text, text_json
from salesalloc.core.users import acting_user

logger = logging.getLogger(__name__)

Progress = Callable[[int, int], None]
WIDEN_ATTEMPTS = 10  # re-reads of a CSV whose rows have extra fields (the width doubles)
SYSTEM_SCOPE = ViewerScope(user_id=None, is_admin=True, managed_paths=(), salesperson_id=None)


class FileRejected(ApplicationError):  # noqa: N818 - public name of the contract
    """The upload cannot be an order file (format, encoding or header); nothing was queued.

    ``text`` keeps the message untranslated (a job that fails the same way shows it later).
    """

    status_code = 400
    code = "file_rejected"

    def __init__(self, text: Text, *, extra: dict[str, Any] | None = None) -> None:
        super().__init__(text.render(), extra=extra)
        self.text = text


class FileTooLarge(FileRejected):
    """The upload is larger than ``SALESALLOC_IMPORT_MAX_BYTES``."""

    status_code = 413
    code = "file_too_large"


class _JobFailed(Exception):  # noqa: N818 - internal control flow
    def __init__(self, message: Text, **fields: Any) -> None:
        super().__init__(message.render())
        self.text = message
        self.fields = fields


# --- Accepting a file -------------------------------------------------------------------------
def import_job_create(
    *,
    file: File,
    original_name: str,
    mode: str = ImportJob.Mode.ALL_OR_NOTHING,
    mapping: ColumnMapping | None = None,
    actor: AbstractBaseUser | None,
    enqueue: bool = True,
) -> ImportJob:
    """Check an uploaded order file, store it and queue its import (after commit).

    Refused before any row is parsed: larger than ``SALESALLOC_IMPORT_MAX_BYTES``
    (``FileTooLarge``); not CSV/XLSX/XLS, binary, text whose first MB is not
    UTF-8/GBK/GB18030, a workbook whose zip directory or declared sheet dimensions are over
    the limits, text with too many lines or too long a line (``FileRejected`` naming the
    limit); a CSV header lacking a required field even after ``mapping`` (``FileRejected``
    naming the missing fields and the headers found). A workbook's header, and everything
    else that needs parsing, is checked by the job (which then fails with the same message).
    Only admins and managers may import (``ScopeError``); ``actor=None`` is the system.
    ``enqueue=False`` leaves the job queued for the caller to run (the management command).
    """
    _importer_scope(actor)
    if mode not in {choice.value for choice in ImportJob.Mode}:
        raise ValidationError({"mode": _("Unknown import mode %(mode)s.") % {"mode": mode}})
    data = _upload_read(file)
    facts = _upload_facts(data, original_name)
    if facts.header is not None:
        _plan_checked(facts.header, mapping)
    job = ImportJob(
        mode=mode,
        original_name=(original_name or "upload")[:255],
        size_bytes=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        mapping=mapping,
        created_by=acting_user(actor),
        language=translation.get_language() or "",
    )
    try:
        with transaction.atomic():
            job.file.save(_storage_name(original_name), ContentFile(data), save=False)
            job.full_clean()
            job.save()
            if enqueue:
                enqueue_on_commit(import_orders_task, job.pk)
    except BrokerUnavailableError:
        # Nothing can run the job: leave no queued job and no stored file behind.
        _job_discard(job)
        raise
    return job


def _job_discard(job: ImportJob) -> None:
    """Remove a job whose task could not be queued, and its stored file."""
    if job.file.name:
        job.file.delete(save=False)
    if job.pk is not None:
        ImportJob.objects.filter(pk=job.pk).delete()


def _importer_scope(actor: AbstractBaseUser | None) -> ViewerScope:
    if actor is None:
        return SYSTEM_SCOPE
    scope = viewer_scope(user=actor)
    if not scope.can_manage:
        raise ScopeError(_("Only admins and managers may import orders."))
    return scope


def _upload_read(file: File) -> bytes:
    try:
        return upload_read(file, limit=settings.SALESALLOC_IMPORT_MAX_BYTES)
    except UploadTooLargeError as exc:
        raise _too_large(exc.size, exc.limit) from None


def _too_large(size: int, limit: int) -> FileTooLarge:
    return FileTooLarge(
        Text(
            gettext_noop("The file is %(size)s bytes; imports are limited to %(limit)s bytes."),
            {"size": f"{size:,}", "limit": f"{limit:,}"},
        ),
        extra={"size_bytes": size, "limit_bytes": limit},
    )


def _upload_facts(data: bytes, name: str) -> UploadFacts:
    """Bounded checks only (no sheet is parsed in the request; see ``upload_check``)."""
    try:
        return upload_check(data=data, name=name or "", limits=FileLimits.from_settings())
    except FileFormatError as exc:
        raise FileRejected(exc.text) from exc


def _plan_checked(header: tuple[str, ...], mapping: ColumnMapping | None) -> ColumnPlan:
    """The file's column plan; ``FileRejected`` when a required field has no column."""
    plan = column_plan(header, mapping.columns if mapping is not None else None)
    rules = TerritoryRule.objects.exists() or CreditRule.objects.exists()
    missing = plan.missing_required(has_territory_rules=rules)
    if missing:
        hints = {
            "amount": Text(gettext_noop("amount (or quantity and unit_price)")),
            "salesperson_code": Text(gettext_noop("salesperson_code (or territory rules)")),
        }
        headers: object = [h for h in header if h] or Text(gettext_noop("(none)"))
        message = Text(
            gettext_noop("The file has no column for %(fields)s. Headers found: %(headers)s."),
            {"fields": [hints.get(name, name) for name in missing], "headers": headers},
        )
        raise FileRejected(message, extra={"missing": missing, "headers": list(header)})
    return plan


def _storage_name(original_name: str) -> str:
    name = PurePath(original_name or "upload").name
    try:
        return get_valid_filename(name)[:120] or "upload"
    except SuspiciousFileOperation:  # names like ".."
        return "upload"


# --- Running a job ----------------------------------------------------------------------------
def import_job_run(*, job: ImportJob, progress: Progress | None = None) -> ImportJob:
    """Parse, validate and store the job's file; return the finished job.

    Claimed by compare-and-swap to ``running``: a ``queued`` job, or a ``running`` one whose
    worker died (stale heartbeat, fewer than ``SALESALLOC_RECOVERY_MAX_ATTEMPTS`` starts;
    the broker redelivers such a task). So a duplicate delivery of a live job does nothing,
    and a job whose worker died mid-way starts over: its write transaction was rolled back
    with the worker, so running it again imports cleanly. While it runs, a heartbeat keeps
    the job alive for the sweeper. Failures end as ``status = failed`` with a ``message``
    (and row errors); the database is unchanged by a failed job.
    """
    if not _job_claim(job):
        job.refresh_from_db()
        return job
    job.refresh_from_db()
    started = time.monotonic()
    with translation.override(job.language or settings.LANGUAGE_CODE), heartbeat(ImportJob, job.pk):
        try:
            _job_execute(job, progress, started)
        except _JobFailed as failure:
            _job_fail(job, failure.text, **failure.fields)
        except Exception:
            logger.exception("import job %s failed", job.pk)
            _job_fail(
                job,
                Text(
                    gettext_noop("The import failed with an internal error; nothing was imported.")
                ),
            )
    job.refresh_from_db()
    return job


def _job_claim(job: ImportJob) -> bool:
    now = timezone.now()
    orphaned = Q(status=ImportJob.Status.RUNNING, attempts__lt=_max_attempts()) & stale_q(now)
    return bool(
        ImportJob.objects.filter(Q(status=ImportJob.Status.QUEUED) | orphaned, pk=job.pk).update(
            status=ImportJob.Status.RUNNING,
            phase=ImportJob.Phase.READING,
            started_at=now,
            finished_at=None,
            rows_done=0,
            message="",
            summary=[],
            warnings=[],
            warnings_total=0,
            attempts=F("attempts") + 1,
            heartbeat_at=now,
            worker=worker_name(),
            updated_at=now,
        )
    )


def _max_attempts() -> int:
    return max(int(settings.SALESALLOC_RECOVERY_MAX_ATTEMPTS), 1)


def _job_update(job: ImportJob, **fields: Any) -> None:
    """Save progress fields at once (outside any write transaction, so others see them)."""
    for name, value in fields.items():
        setattr(job, name, value)
    fields["updated_at"] = timezone.now()
    ImportJob.objects.filter(pk=job.pk).update(**fields)


def _job_fail(job: ImportJob, message: Text, **fields: Any) -> None:
    _job_update(
        job,
        status=ImportJob.Status.FAILED,
        phase=ImportJob.Phase.DONE,
        finished_at=timezone.now(),
        message=message.render(),
        summary=[text_json(message)],
        rows_imported=0,
        rows_inserted=0,
        rows_updated=0,
        rows_unchanged=0,
        recompute_status=ImportJob.RecomputeStatus.SKIPPED,
        **fields,
    )


def _job_execute(job: ImportJob, progress: Progress | None, started: float) -> None:
    actor = job.created_by
    scope = SYSTEM_SCOPE if actor is None else viewer_scope(user=actor)
    if not scope.can_manage:
        raise _JobFailed(Text(gettext_noop("Only admins and managers may import orders.")))
    try:
        with job.file.open("rb") as handle:
            data = handle.read()
    except OSError as exc:
        raise _JobFailed(Text(gettext_noop("The uploaded file is no longer available."))) from exc
    try:
        source = source_open(data=data, name=job.original_name)
    except FileFormatError as exc:
        raise _JobFailed(exc.text) from exc
    try:
        plan = _plan_checked(source.header, job.mapping)
    except FileRejected as exc:  # the mapping or the rules changed since the upload
        raise _JobFailed(exc.text) from exc
    date_order = job.mapping.date_order if job.mapping is not None else "auto"

    last: list[tuple[int, int]] = []

    def report(done: int, total: int) -> None:
        if last and last[-1] == (done, total):
            return
        last.append((done, total))
        _job_update(job, rows_done=done, rows_total=total)
        if progress is not None:
            progress(done, total)

    lookups = import_lookups(scope=scope)
    validated = _file_validate(source, plan, lookups, date_order, report)
    total = validated.rows_total
    if not total:
        raise _JobFailed(
            Text(gettext_noop("The file has no order lines below its header.")), rows_total=0
        )
    if not scope.is_admin:
        stored_lines_check(validated=validated, scope=scope)
    error_fields = _issue_fields(validated)
    bad = error_fields["rows_rejected"]
    if bad and job.mode == ImportJob.Mode.ALL_OR_NOTHING:
        raise _JobFailed(
            Text(
                gettext_noop(
                    "%(bad)s of %(total)s rows have errors (%(errors)s errors); nothing was "
                    "imported. Fix the rows listed, or import in partial mode."
                ),
                {"bad": f"{bad:,}", "total": f"{total:,}", "errors": f"{validated.errors.total:,}"},
            ),
            **error_fields,
        )
    if bad == total:
        raise _JobFailed(
            Text(
                gettext_noop("None of the %(total)s rows can be imported; see the errors."),
                {"total": f"{total:,}"},
            ),
            **error_fields,
        )
    staging = staging_build(validated, codes=lookups.salesperson_labels)
    _job_update(job, phase=ImportJob.Phase.WRITING, **error_fields)
    try:
        _job_write(job, staging, scope, plan, started)
    except StoreConflict as exc:
        raise _JobFailed(exc.text, **error_fields) from exc


def _issue_fields(validated: ValidatedFile) -> dict[str, Any]:
    """The job's counts, row errors and warnings (the first SALESALLOC_IMPORT_MAX_ERRORS)."""
    total = validated.rows_total
    limit = settings.SALESALLOC_IMPORT_MAX_ERRORS
    return {
        "rows_total": total,
        "rows_done": total,
        "rows_rejected": int(validated.bad_mask().sum()),
        "errors": validated.issues(validated.errors, limit),
        "errors_total": validated.errors.total,
        "warnings": validated.issues(validated.warnings, limit),
        "warnings_total": validated.warnings.total,
    }


def _amount_check() -> AmountCheck:
    return AmountCheck(
        tolerance=Decimal(str(settings.SALESALLOC_IMPORT_AMOUNT_TOLERANCE)),
        tolerance_percent=Decimal(str(settings.SALESALLOC_IMPORT_AMOUNT_TOLERANCE_PERCENT)),
        as_error=settings.SALESALLOC_IMPORT_AMOUNT_MISMATCH == "error",
    )


def _file_validate(
    source: OrderSource, plan: ColumnPlan, lookups: Lookups, date_order: str, report: Progress
) -> ValidatedFile:
    chunk_rows = max(int(settings.SALESALLOC_IMPORT_CHUNK_ROWS), 1)
    for _attempt in range(WIDEN_ATTEMPTS):
        estimate = source.rows_estimate()
        report(0, estimate)
        validator = OrderFileValidator(
            plan=plan,
            lookups=lookups,
            date_order=date_order,
            allow_serial_dates=source.allow_serial_dates,
            amount_check=_amount_check(),
        )
        done = 0
        try:
            for chunk in source.chunks(chunk_rows):
                validator.add(chunk)
                done += len(chunk.rows)
                report(done, max(estimate, done))
        except SourceWidened:
            continue
        except FileFormatError as exc:
            raise _JobFailed(exc.text) from exc
        validated = validator.finish()
        report(validated.rows_total, validated.rows_total)
        return validated
    raise _JobFailed(Text(gettext_noop("The file's rows have too many fields to read.")))


def _job_write(
    job: ImportJob, staging: Staging, scope: ViewerScope, plan: ColumnPlan, started: float
) -> None:
    allowed = None
    if not scope.is_admin:
        allowed = frozenset(
            Salesperson.objects.filter(scope.managed_salesperson_q()).values_list("pk", flat=True)
        )
    store = import_store(connection)
    with transaction.atomic():
        result = store.write(
            staging=staging, job_id=job.pk, now=timezone.now(), allowed_salespeople=allowed
        )
        pause_for_crash_tests()  # testing only (the crash tests kill the worker here)
        imported = result.inserted + result.updated + result.unchanged
        changed = result.inserted + result.updated + result.orders_synced_lines
        job.status = ImportJob.Status.SUCCEEDED
        job.phase = ImportJob.Phase.DONE
        job.finished_at = timezone.now()
        job.rows_imported = imported
        job.rows_inserted = result.inserted
        job.rows_updated = result.updated
        job.rows_unchanged = result.unchanged
        job.affected_cells = result.cells
        job.first_order_moves = result.first_order_moves
        job.recompute_status = (
            ImportJob.RecomputeStatus.PENDING if changed else ImportJob.RecomputeStatus.SKIPPED
        )
        job.notices = _kept_customer_notices(staging, plan, result.kept_customers)
        job.summary = [
            text.as_json() for text in _summary(job, plan, time.monotonic() - started, result)
        ]
        job.message = " ".join(Text.from_json(text).render() for text in job.summary)
        job.save(
            update_fields=[
                "notices",
                "status",
                "phase",
                "finished_at",
                "rows_imported",
                "rows_inserted",
                "rows_updated",
                "rows_unchanged",
                "affected_cells",
                "first_order_moves",
                "recompute_status",
                "message",
                "summary",
                "updated_at",
            ]
        )
        if changed:
            job_id = job.pk
            transaction.on_commit(lambda: orders_imported.send(sender=ImportJob, job_id=job_id))


def _kept_customer_notices(
    staging: Staging, plan: ColumnPlan, codes: tuple[str, ...]
) -> list[dict[str, Any]]:
    """One notice per shared customer whose details a manager's file would have changed."""
    if not codes:
        return []
    customers = staging.customers
    rows = customers.loc[customers["code"].isin(codes), ["code", "row"]].sort_values("row")
    column = plan.label("customer_code")
    message = gettext_noop(
        "Customer %(code)s is also sold to by other parts of the company, so its stored name, "
        "region and other details were kept; an administrator can change them."
    )
    return [
        issue_entry(
            row=int(row), column=column, code="customer_kept", text=Text(message, {"code": code})
        )
        for code, row in rows.head(settings.SALESALLOC_IMPORT_MAX_ERRORS).itertuples(
            index=False, name=None
        )
    ]


def _summary(job: ImportJob, plan: ColumnPlan, seconds: float, result: MergeResult) -> list[Text]:
    """The job's summary as sentences kept untranslated (shown in the viewer's language)."""
    texts = [
        Text(
            gettext_noop(
                "Imported %(imported)s of %(total)s rows (%(inserted)s new, %(updated)s "
                "changed, %(unchanged)s unchanged); %(rejected)s rejected; %(seconds)s s."
            ),
            {
                "imported": f"{job.rows_imported:,}",
                "total": f"{job.rows_total:,}",
                "inserted": f"{job.rows_inserted:,}",
                "updated": f"{job.rows_updated:,}",
                "unchanged": f"{job.rows_unchanged:,}",
                "rejected": f"{job.rows_rejected:,}",
                "seconds": f"{seconds:.1f}",
            },
        )
    ]
    if job.warnings_total:
        texts.append(
            Text(
                gettext_noop("%(count)s warnings: the rows were stored; see the list."),
                {"count": f"{job.warnings_total:,}"},
            )
        )
    if plan.unknown:
        texts.append(
            Text(gettext_noop("Ignored columns: %(columns)s."), {"columns": list(plan.unknown)})
        )
    if plan.mapping_unmatched:
        texts.append(
            Text(
                gettext_noop("Mapped headers not in the file: %(headers)s."),
                {"headers": list(plan.mapping_unmatched.values())},
            )
        )
    if result.kept_customers:
        texts.append(
            Text(
                gettext_noop(
                    "Kept the stored details of %(count)s customers that other parts of the "
                    "company also sell to; see the notices."
                ),
                {"count": f"{len(result.kept_customers):,}"},
            )
        )
    return texts
