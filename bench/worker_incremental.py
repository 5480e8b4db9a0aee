"""Benchmark: an incremental import end to end on the real stack (DESIGN §8, §9).

    .venv/bin/python bench/worker_incremental.py --database-url URL [--redis-url URL]
        [--lines 1000] [--concurrency 2] [--repeat 3]

Runs against a database that ``bench/recompute_bench.py --keep-database`` left behind (the
1,000,000 lines, the plan, the scorecard template and the commission plan, a recompute
done). Starts a real Celery worker (prefork, ``--concurrency`` processes) on Redis and that
database, warms it up with one small import, then submits ``--lines`` more lines (half
re-priced, half new orders) the way the API does (``import_job_create``: stored, queued) and
times until the import's recompute has succeeded: the worker imports, the signal starts the
recompute (the touched actual cells; then today's tier snapshot, the affected scorecards
and the affected commission statements side by side; then the alerts). Prints each run
and the steps' own times from the run rows (budget: under 2 s end to end).
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT))

import import_bench as ib  # noqa: E402 - a sibling script: the same generated data


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--database-url",
        default="postgres://postgres@127.0.0.1:5432/salesalloc_recompute_bench",
    )
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/9")
    parser.add_argument("--rows", type=int, default=1_000_000, help="the data set's size")
    parser.add_argument("--lines", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=3)
    return parser.parse_args()


def lines_file(source: Path, lines: int, run: int, tag: str) -> Path:
    """``lines`` lines taken from a slice of ``source`` of its own per run: half re-priced
    (a few cents more, by the time of day), half new orders (``tag`` in their numbers); so
    every run of every invocation changes something."""
    out = ib.OUT / f"worker_incremental_{lines}_{run}.csv"
    start = 1 + run * lines
    frame = pd.read_csv(source, skiprows=range(1, start), nrows=lines, dtype=str)
    half = lines // 2
    extra = 1 + int(time.time()) % 997
    cents = frame["amount"].str.replace(".", "", regex=False).astype(int) + extra
    frame.loc[: half - 1, "amount"] = cents[:half].map(lambda c: f"{c // 100}.{c % 100:02d}")
    frame.loc[half:, "order_id"] = f"{tag}-{run}-" + frame.loc[half:, "order_id"]
    frame.to_csv(out, index=False)
    return out


def worker_start(env: dict[str, str], queue: str, concurrency: int) -> subprocess.Popen:
    command = [
        sys.executable, "-m", "celery", "-A", "salesalloc", "worker", "-Q", queue,
        "-n", f"{queue}@localhost", "-c", str(concurrency), "--pool", "prefork",
        "--loglevel", os.environ.get("BENCH_WORKER_LOGLEVEL", "WARNING"),
        "--without-gossip", "--without-mingle",
    ]  # fmt: skip
    return subprocess.Popen(command, cwd=ROOT, env=env, start_new_session=True)


def submit(path: Path) -> tuple[float, object]:
    """Queue the file like the API does; wait for its recompute; seconds and the job."""
    from django.core.files import File

    from customers.models import ImportJob
    from customers.services.imports import import_job_create

    started = time.perf_counter()
    with path.open("rb") as handle:
        job = import_job_create(
            file=File(handle, name=path.name), original_name=path.name, actor=None
        )
    while True:
        job = ImportJob.objects.get(pk=job.pk)
        if job.status == "failed" or job.recompute_status in ("succeeded", "failed", "skipped"):
            return time.perf_counter() - started, job
        if time.perf_counter() - started > 120:
            sys.exit(f"import {job.pk} did not finish: {job.status} / {job.recompute_status}")
        time.sleep(0.005)


def step_report(job: object) -> str:
    """The run's step keys in the order they finished, with the import's own duration."""
    from performance.models import RecomputeRun

    run = RecomputeRun.objects.filter(import_job=job).order_by("-pk").first()
    if run is None:
        return "no recompute run"
    took = (run.finished_at - run.started_at).total_seconds()
    imported = (job.finished_at - job.started_at).total_seconds()
    return (
        f"import on the worker {imported:.2f} s; recompute run {took:.2f} s "
        f"({', '.join(run.steps_completed)})"
    )


def main() -> None:
    args = parse_args()
    queue = f"bench-{uuid.uuid4().hex[:6]}"
    env = {
        **os.environ,
        "DATABASE_URL": args.database_url,
        "REDIS_URL": args.redis_url,
        "CELERY_BROKER_URL": args.redis_url,
        "CELERY_TASK_DEFAULT_QUEUE": queue,
        "DJANGO_SETTINGS_MODULE": "salesalloc.settings.base",
        "SALESALLOC_BACKGROUND_THREAD": "false",
    }
    os.environ.update(env)
    import django

    django.setup()
    from salesalloc.celery import app

    source = ib.OUT / f"orders_{args.rows}.csv"
    if not source.exists():
        sys.exit(f"{source} is missing: run bench/recompute_bench.py --keep-database first")
    worker = worker_start(env, queue, args.concurrency)
    try:
        deadline = time.monotonic() + 60
        while not app.control.ping(destination=[f"{queue}@localhost"], timeout=0.5):
            if time.monotonic() > deadline or worker.poll() is not None:
                sys.exit("the worker did not start")
        tag = uuid.uuid4().hex[:6]
        warm, job = submit(lines_file(source, 20, 90, tag))
        print(f"warm-up import of 20 lines: {warm:.2f} s ({job.recompute_status})")
        times = []
        for run in range(args.repeat):
            seconds, job = submit(lines_file(source, args.lines, run, tag))
            times.append(seconds)
            print(
                f"run {run + 1}: {args.lines:,} lines committed and recomputed in "
                f"{seconds:.2f} s end to end ({job.recompute_status}; {step_report(job)})"
            )
        print(
            f"end to end: best {min(times):.2f} s, median {sorted(times)[len(times) // 2]:.2f} s"
            f" (budget < 2 s); worker concurrency {args.concurrency}"
        )
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        worker.wait(timeout=30)


if __name__ == "__main__":
    main()
