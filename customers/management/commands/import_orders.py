"""``manage.py import_orders FILE [--mapping NAME] [--mode partial] [--user USERNAME]``.

Runs the import synchronously (the same services as uploads) with a progress bar, then
prints a summary. Exits non-zero when the file is refused or the job fails.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.files import File
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _
from tqdm import tqdm

from customers.importing.issues import issues_render
from customers.models import ColumnMapping, ImportJob
from customers.services.imports import FileRejected, import_job_create, import_job_run
from salesalloc.core.exceptions import ApplicationError
from salesalloc.core.texts import text_render

ERRORS_SHOWN = 10


class Command(BaseCommand):
    help = "Import an order file (CSV, XLSX or XLS) and print a summary."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="the order file")
        parser.add_argument("--mapping", help="the name of a saved column mapping")
        parser.add_argument(
            "--mode",
            choices=[choice.value for choice in ImportJob.Mode],
            default=ImportJob.Mode.ALL_OR_NOTHING,
            help="all_or_nothing (default) or partial (store the good rows)",
        )
        parser.add_argument("--user", help="import as this user (default: the system)")

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(_("No such file: %(path)s") % {"path": path})
        mapping = None
        if options["mapping"]:
            mapping = ColumnMapping.objects.filter(name=options["mapping"]).first()
            if mapping is None:
                raise CommandError(
                    _("No saved column mapping named %(name)s.") % {"name": options["mapping"]}
                )
        actor = None
        if options["user"]:
            actor = get_user_model().objects.filter(username=options["user"]).first()
            if actor is None:
                raise CommandError(_("No user named %(name)s.") % {"name": options["user"]})

        started = time.monotonic()
        try:
            with path.open("rb") as handle:
                job = import_job_create(
                    file=File(handle, name=path.name),
                    original_name=path.name,
                    mode=options["mode"],
                    mapping=mapping,
                    actor=actor,
                    enqueue=False,
                )
        except FileRejected as exc:
            raise CommandError(exc.message) from exc
        except ApplicationError as exc:
            raise CommandError(exc.message) from exc

        show_bar = options.get("verbosity", 1) > 0
        # tqdm redraws in place, so it needs the raw stream (OutputWrapper adds newlines).
        stream = getattr(self.stderr, "_out", sys.stderr)
        with tqdm(total=0, unit="rows", desc=path.name, disable=not show_bar, file=stream) as bar:

            def progress(done: int, total: int) -> None:
                if bar.total != total:
                    bar.total = total
                bar.n = done
                bar.refresh()

            job = import_job_run(job=job, progress=progress)
        self._summary(job, time.monotonic() - started)
        if job.status != ImportJob.Status.SUCCEEDED:
            raise CommandError(_("Import #%(id)s failed.") % {"id": job.pk})

    def _summary(self, job: ImportJob, seconds: float) -> None:
        out = self.stdout
        outcome = job.outcome
        styles: dict[str, Any] = {
            ImportJob.Outcome.CLEAN: self.style.SUCCESS,
            ImportJob.Outcome.FAILED: self.style.ERROR,
        }
        style = styles.get(outcome, self.style.WARNING)
        out.write(
            style(
                _("Import #%(id)s: %(status)s (%(outcome)s)")
                % {"id": job.pk, "status": job.status, "outcome": job.get_outcome_display()}
            )
        )
        out.write(_("  rows in file:  %(n)s") % {"n": f"{job.rows_total:,}"})
        out.write(
            _("  imported:      %(n)s (%(ins)s new, %(upd)s changed, %(same)s unchanged)")
            % {
                "n": f"{job.rows_imported:,}",
                "ins": f"{job.rows_inserted:,}",
                "upd": f"{job.rows_updated:,}",
                "same": f"{job.rows_unchanged:,}",
            }
        )
        out.write(_("  rejected:      %(n)s") % {"n": f"{job.rows_rejected:,}"})
        out.write(_("  warnings:      %(n)s") % {"n": f"{job.warnings_total:,}"})
        out.write(_("  time:          %(s)s s") % {"s": f"{seconds:.1f}"})
        message = text_render(job.summary) or job.message
        if message:
            out.write("  " + message)
        self._issues(issues_render(job.errors), job.errors_total, _("errors"))
        self._issues(issues_render(job.warnings), job.warnings_total, _("warnings"))

    def _issues(self, issues: list[dict], total: int, kind: str) -> None:
        """Each row error (or warning): its row, order number, column and message."""
        for issue in issues[:ERRORS_SHOWN]:
            self.stdout.write(
                _("  row %(row)s, %(column)s: %(message)s")
                % {
                    "row": issue["row"]
                    if issue["order"] is None
                    else _("%(row)s (order %(order)s)") % issue,
                    "column": issue["column"] or "-",
                    "message": issue["message"],
                }
            )
        more = max(total - ERRORS_SHOWN, 0)
        if more:
            self.stdout.write(_("  ... and %(n)s more %(kind)s") % {"n": f"{more:,}", "kind": kind})
