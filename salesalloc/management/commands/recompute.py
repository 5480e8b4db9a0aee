"""``manage.py recompute``: recompute everything derived from the orders."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from allocation.models import ActualCell
from performance.models import RecomputeRun
from salesalloc.pipeline import recompute_all


class Command(BaseCommand):
    help = "Recompute actuals (and everything built on them) from the stored order lines."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--chunks",
            type=int,
            default=None,
            help="Split the work into this many salesperson chunks (default: settings).",
        )
        parser.add_argument(
            "--async",
            dest="run_async",
            action="store_true",
            help="Hand the work to the Celery workers instead of running it here.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["run_async"]:
            run = recompute_all(kind=RecomputeRun.Kind.MANUAL, chunks=options["chunks"])
            self.stdout.write(f"Recompute run #{run.pk} queued with {run.steps_total} step(s).")
            return
        with tqdm(unit="steps", desc="recomputing") as bar:

            def progress(done: int, total: int) -> None:
                bar.total = total
                bar.update(done - bar.n)

            try:
                run = recompute_all(
                    kind=RecomputeRun.Kind.MANUAL,
                    chunks=options["chunks"],
                    inline=True,
                    progress=progress,
                )
            except Exception as exc:
                raise CommandError(f"Recompute failed: {exc}") from exc
        started, finished = run.started_at, run.finished_at
        seconds = (finished - started).total_seconds() if started and finished else 0.0
        self.stdout.write(
            self.style.SUCCESS(
                f"Recompute run #{run.pk} {run.status} in {seconds:.2f} s: "
                f"{run.rows_written:,} actual cells written "
                f"({ActualCell.objects.count():,} in total)."
            )
        )
