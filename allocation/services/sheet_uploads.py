"""Plan-sheet uploads run in the background: the request stores, the job reads and applies.

``plan_upload_create`` (the request) checks only what costs nothing (the plan is a draft, the
file's size, its zip directory and declared sheet dimensions) and queues the job after
commit. ``plan_upload_run`` (the task) streams the workbook through every bound in
``salesalloc.core.filelimits`` before openpyxl opens it, then applies it with
``plan_sheet_upload``, the same service (and the same rules) as before; a refusal is kept on
the row with the cells it names, for the editor to show.
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

from allocation.models import Plan, PlanUpload
from allocation.services.common import CellsRejectedError, ensure_editable
from allocation.services.sheets import plan_sheet_upload
from allocation.tasks import plan_upload_task
from salesalloc.core.background import enqueue_on_commit
from salesalloc.core.exceptions import ApplicationError
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
) -> PlanUpload:
    """Store an edited plan sheet and queue its application (after commit).

    Refused at once, nothing stored: the plan is not a draft (``PlanNotEditableError``);
    the file is over ``SALESALLOC_PLAN_UPLOAD_MAX_BYTES`` (``SheetTooLargeError``); it is not
    a zip, or its directory or declared sheet dimensions are over the file limits
    (``CellsRejectedError``). The workbook itself is only opened by the job.
    """
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
    """Apply a queued plan sheet (``plan_sheet_upload``) and record how it ended.

    Runs once: only a ``queued`` upload is claimed (compare-and-swap to ``running``), so a
    duplicate delivery does nothing. While it runs, a heartbeat keeps it alive for
    ``plan_uploads_sweep``. The workbook is streamed through the file limits before it is
    opened. Refusals (cells, a stale or locked plan, limits) end ``failed`` with the
    message and the cells; the plan is unchanged by a failed upload.
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
            result = _upload_apply(upload)
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
        else:
            _finish(upload, PlanUpload.Status.SUCCEEDED, result=result)
    upload.refresh_from_db()
    return upload


def _upload_apply(upload: PlanUpload) -> dict[str, Any]:
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
    result = plan_sheet_upload(
        plan=upload.plan, file=io.BytesIO(data), actor=upload.created_by, reason=upload.reason
    )
    return {
        "revision": result.plan.revision,
        "total_amount": f"{result.plan.total_amount:.2f}",
        "leaf_count": result.leaf_count,
        "batch": str(result.batch) if result.batch else None,
    }


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
