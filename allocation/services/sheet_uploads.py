"""Plan-sheet uploads run in the background: the request stores, the job reads and previews.

``plan_upload_create`` (the request) checks only what costs nothing (the plan is a draft, the
file's size, its zip directory and declared sheet dimensions) and queues the job after
commit. ``plan_upload_run`` (the task) streams the workbook through every bound in
``salesalloc.core.filelimits`` before openpyxl opens it, then works the sheet out with
``plan_sheet_preview`` under the upload's keep rule: the upload ends ``previewed`` with every
cell that will change, or ``failed`` with the sheet cells it names. ``plan_upload_confirm``
then applies exactly the previewed batch (refused when the plan moved since the preview);
``plan_upload_discard`` drops it. An upload created with ``preview=False`` is applied by the
job at once.
"""

from __future__ import annotations

import io
import logging
from pathlib import PurePath
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.files import File
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import F
from django.utils import timezone, translation
from django.utils.text import get_valid_filename
from django.utils.translation import gettext as _

from allocation.engine.rebalance import KEEP_ROW_YEAR
from allocation.models import Plan, PlanUpload
from allocation.services.common import (
    CellsRejectedError,
    PlanStaleError,
    ensure_editable,
    keep_rule_check,
)
from allocation.services.editing import CellInput
from allocation.services.sheet_preview import plan_sheet_preview, sheet_batch_apply
from allocation.tasks import plan_upload_task
from salesalloc.core.background import enqueue_on_commit
from salesalloc.core.exceptions import ApplicationError, ConflictError, ScopeError
from salesalloc.core.filelimits import (
    FileLimitError,
    FileLimits,
    UploadTooLargeError,
    upload_read,
    xlsx_cells_check,
    xlsx_upload_check,
)
from salesalloc.core.heartbeat import heartbeat, is_stale, worker_name
from salesalloc.core.users import acting_user

logger = logging.getLogger(__name__)


class SheetTooLargeError(CellsRejectedError):
    """The upload is larger than ``SALESALLOC_PLAN_UPLOAD_MAX_BYTES``."""

    status_code = 413
    code = "file_too_large"


def _refused(message: str) -> CellsRejectedError:
    return CellsRejectedError(
        _("Nothing was changed: %(reason)s") % {"reason": message},
        errors=[{"cell": None, "message": message}],
    )


def plan_upload_create(
    *,
    plan: Plan,
    file: File,
    actor: AbstractBaseUser | AnonymousUser | None,
    reason: str = "",
    keep: str = KEEP_ROW_YEAR,
    preview: bool = True,
) -> PlanUpload:
    """Store an edited plan sheet and queue its reading (after commit).

    The job previews it under ``keep`` (or, with ``preview=False``, applies it at once).
    Refused at once, nothing stored: an unknown keep rule (``ValidationError``); the plan is
    not a draft (``PlanNotEditableError``);
    the file is over ``SALESALLOC_PLAN_UPLOAD_MAX_BYTES`` (``SheetTooLargeError``); it is not
    a zip, or its directory or declared sheet dimensions are over the file limits
    (``CellsRejectedError``). The workbook itself is only opened by the job.
    """
    keep = keep_rule_check(keep)
    ensure_editable(plan)
    data = _upload_read(file)
    try:
        xlsx_upload_check(data, FileLimits.from_settings())
    except FileLimitError as exc:
        message = exc.message if exc.setting else _("this is not an XLSX workbook.")
        raise _refused(message) from exc
    name = PurePath(getattr(file, "name", "") or "plan.xlsx").name
    with transaction.atomic():
        upload = PlanUpload(
            plan=plan,
            original_name=name[:255],
            size_bytes=len(data),
            reason=reason,
            keep=keep,
            with_preview=preview,
            created_by=acting_user(actor),
            language=translation.get_language() or "",
        )
        upload.file.save(get_valid_filename(name)[:120] or "plan.xlsx", ContentFile(data), False)
        upload.full_clean()
        upload.save()
        enqueue_on_commit(plan_upload_task, upload.pk)
    return upload


def _upload_read(file: File) -> bytes:
    try:
        return upload_read(file, limit=settings.SALESALLOC_PLAN_UPLOAD_MAX_BYTES)
    except UploadTooLargeError as exc:
        message = _("the file is %(size)s bytes; plan sheets are limited to %(limit)s bytes.") % {
            "size": f"{exc.size:,}",
            "limit": f"{exc.limit:,}",
        }
        raise SheetTooLargeError(
            _("Nothing was changed: %(reason)s") % {"reason": message},
            errors=[{"cell": None, "message": message}],
        ) from None


def plan_upload_run(*, upload: PlanUpload) -> PlanUpload:
    """Read a queued plan sheet into its preview (or apply it) and record how it ended.

    Runs once: only a ``queued`` upload is claimed (compare-and-swap to ``running``), so a
    duplicate delivery does nothing. While it runs, a heartbeat keeps it alive for
    ``plan_uploads_sweep``. The workbook is streamed through the file limits before it is
    opened. A preview ends ``previewed`` (nothing written yet); an upload without preview
    ends ``succeeded``. Refusals (cells, a stale or locked plan, limits) end ``failed`` with
    the message and the cells; the plan is unchanged by a failed upload.
    """
    now = timezone.now()
    claimed = PlanUpload.objects.filter(pk=upload.pk, status=PlanUpload.Status.QUEUED).update(
        status=PlanUpload.Status.RUNNING,
        started_at=now,
        updated_at=now,
        attempts=F("attempts") + 1,
        heartbeat_at=now,
        worker=worker_name(),
    )
    upload.refresh_from_db()
    if not claimed:
        return upload
    language = upload.language or settings.LANGUAGE_CODE
    with translation.override(language), heartbeat(PlanUpload, upload.pk):
        try:
            _upload_read_and_preview(upload)
        except ApplicationError as error:
            _finish(
                upload,
                PlanUpload.Status.FAILED,
                code=error.code,
                message=error.message,
                errors=list(getattr(error, "errors", []) or []),
            )
        except Exception:
            logger.exception("plan upload %s failed", upload.pk)
            _finish(
                upload,
                PlanUpload.Status.FAILED,
                code="internal_error",
                message=_("The upload failed with an internal error; nothing was changed."),
            )
    upload.refresh_from_db()
    return upload


def _upload_read_and_preview(upload: PlanUpload) -> None:
    try:
        with upload.file.open("rb") as handle:
            data = handle.read()
    except OSError as exc:
        raise _refused(_("the uploaded file is no longer available.")) from exc
    try:
        xlsx_cells_check(data, FileLimits.from_settings())
    except FileLimitError as exc:
        message = exc.message if exc.setting else _("this is not an XLSX workbook.")
        raise _refused(message) from exc
    batch = plan_sheet_preview(
        plan=upload.plan, file=io.BytesIO(data), actor=upload.created_by, keep=upload.keep
    )
    if upload.with_preview:
        _finish(
            upload, PlanUpload.Status.PREVIEWED, preview=batch.preview, edits=batch.edits_json()
        )
        return
    with transaction.atomic():
        result = _apply(upload, batch.edits_json(), batch.preview)
        _finish(
            upload,
            PlanUpload.Status.SUCCEEDED,
            preview=batch.preview,
            edits=batch.edits_json(),
            result=result,
        )


def _apply(upload: PlanUpload, edits: dict[str, Any], preview: dict[str, Any]) -> dict[str, Any]:
    result = sheet_batch_apply(
        plan=upload.plan,
        cells=[CellInput(**cell) for cell in edits.get("cells", [])],
        digest=edits.get("digest", ""),
        expected_revision=int(preview.get("revision", -1)),
        actor=upload.created_by,
        reason=upload.reason,
        keep=upload.keep,
    )
    return {
        "revision": result.plan.revision,
        "total_amount": f"{result.plan.total_amount:.2f}",
        "leaf_count": result.leaf_count,
        "batch": str(result.batch) if result.batch else None,
    }


def _may_settle(upload: PlanUpload, actor: AbstractBaseUser | None) -> None:
    """Only the uploader confirms or discards, and only a previewed upload."""
    account = acting_user(actor)
    if account is None or account.pk != upload.created_by_id:
        raise ScopeError(_("Only the person who uploaded the sheet may confirm or discard it."))
    if upload.status != PlanUpload.Status.PREVIEWED:
        raise UploadNotPreviewedError(
            _("This upload is %(status)s; only an upload ready to confirm can be.")
            % {"status": upload.get_status_display().lower()}
        )


class UploadNotPreviewedError(ConflictError):
    code = "upload_not_previewed"


def plan_upload_confirm(*, upload: PlanUpload, actor: AbstractBaseUser | None) -> PlanUpload:
    """Apply exactly the previewed batch of an upload as one audited change.

    Refused, changing nothing: not the uploader (``ScopeError``), not ``previewed``
    (``UploadNotPreviewedError``), the plan no longer a draft, or changed since the preview
    (``PlanStaleError``: the upload then ends ``failed`` saying so, so the editor asks for
    the sheet again). The upload ends ``succeeded`` with the new revision in ``result``.
    """
    try:
        with transaction.atomic():
            locked = PlanUpload.objects.select_for_update().get(pk=upload.pk)
            _may_settle(locked, actor)
            result = _apply(locked, locked.edits, locked.preview)
            _finish(locked, PlanUpload.Status.SUCCEEDED, result=result)
    except PlanStaleError as error:
        PlanUpload.objects.filter(pk=upload.pk, status=PlanUpload.Status.PREVIEWED).update(
            status=PlanUpload.Status.FAILED,
            code=error.code,
            message=error.message,
            errors=[{"cell": None, "message": error.message}],
            finished_at=timezone.now(),
            updated_at=timezone.now(),
        )
        raise
    upload.refresh_from_db()
    return upload


def plan_upload_discard(*, upload: PlanUpload, actor: AbstractBaseUser | None) -> PlanUpload:
    """Drop a previewed upload: nothing of it is applied (only the uploader may)."""
    with transaction.atomic():
        locked = PlanUpload.objects.select_for_update().get(pk=upload.pk)
        _may_settle(locked, actor)
        _finish(locked, PlanUpload.Status.DISCARDED)
    upload.refresh_from_db()
    return upload


def _finish(upload: PlanUpload, status: str, **fields: Any) -> None:
    now = timezone.now()
    PlanUpload.objects.filter(pk=upload.pk).update(
        status=status, finished_at=now, updated_at=now, **fields
    )


def worker_lost_message() -> str:
    return _(
        "The worker applying this sheet stopped unexpectedly; nothing was changed. "
        "Upload the sheet again."
    )


def plan_uploads_sweep() -> list[int]:
    """Fail the running uploads whose worker is gone (stale heartbeat); return their ids.

    An upload applies the sheet in one transaction, which died with the worker, so the plan
    is unchanged: the upload ends ``failed`` with a message telling the uploader to send the
    sheet again (the editor shows it). Not re-run: the plan may have moved on meanwhile.
    Runs from ``salesalloc.sweep_stale_work``.
    """
    failed: list[int] = []
    running = PlanUpload.objects.filter(status=PlanUpload.Status.RUNNING).only(
        "pk", "heartbeat_at", "updated_at", "worker", "language"
    )
    for upload in running:
        if not is_stale(upload.heartbeat_at, upload.updated_at, upload.worker):
            continue
        with translation.override(upload.language or settings.LANGUAGE_CODE):
            message = worker_lost_message()
        now = timezone.now()
        same = PlanUpload.objects.filter(
            pk=upload.pk, status=PlanUpload.Status.RUNNING, heartbeat_at=upload.heartbeat_at
        )
        if same.update(
            status=PlanUpload.Status.FAILED,
            code="worker_lost",
            message=message,
            errors=[{"cell": None, "message": message}],
            finished_at=now,
            updated_at=now,
        ):
            logger.error("plan upload %s: worker gone, failed", upload.pk)
            failed.append(upload.pk)
    return failed
