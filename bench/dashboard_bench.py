"""Benchmark: the dashboard page and the attainment API under 20 concurrent clients (§8).

    .venv/bin/python bench/dashboard_bench.py [--rows 1000000] [--clients 20] [--seconds 60]
        [--workers 2] [--threads 4] [--database-url URL] [--redis-url URL] [--no-cache]
        [--keep-database]

1. generates (or reuses) the 1,000,000-line file of ``bench/import_bench.py`` (500
   salespeople in 5 regions x 25 teams, 50,000 customers, 20 product lines, 2022-2023);
2. (re)creates the PostgreSQL database, migrates it, imports the file through the real
   import path and recomputes (actuals, alerts) as the pipeline does;
3. creates, allocates and publishes an FY2023 plan for the 500 salespeople (submitted by
   one administrator, approved and published by another);
4. starts gunicorn with ``--workers`` processes (``--threads`` > 1: the threaded worker,
   which keeps connections alive) on 127.0.0.1 (``salesalloc.wsgi``, the
   production code path, PostgreSQL, Redis as the shared cache unless ``--no-cache``);
5. drives it with ``--clients`` threads for ``--seconds`` seconds: each request picks the
   dashboard page (a signed-in director) or the attainment API (token) for a random node
   (company, region, team or salesperson) as of 2023-06-30;
   after a warm-up that visits every node once (the first visitors after a recompute);
6. prints p50/p95/p99 per endpoint and overall, and requests/s, the CPU time the server
   (all gunicorn processes) and this client used per second of the run (on a 2-core
   machine a client near a core would itself be the bottleneck), and the load average.
   Budget: p95 < 150 ms.
   ``--no-cache`` measures every request computed afresh (no Redis cache) for comparison.

Traffic goes to 127.0.0.1 only and stops after ``--seconds``.
"""

from __future__ import annotations

import argparse
import http.client
import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import import_bench  # noqa: E402  (the shared data generator and company)

AS_OF = "2023-06-30"
YEAR = 2023


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4, help="gunicorn threads per worker")
    parser.add_argument(
        "--database-url", default="postgres://postgres@127.0.0.1:5432/salesalloc_tracking_bench"
    )
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/8")
    parser.add_argument("--no-cache", action="store_true", help="compute every request afresh")
    parser.add_argument("--keep-database", action="store_true", help="reuse it if loaded")
    return parser.parse_args()


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


def load(args: argparse.Namespace) -> dict[str, object]:
    """Load the data set and the plan; return the credentials and the nodes to ask for."""
    import django

    django.setup()
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.auth.models import User
    from django.contrib.sessions.backends.db import SessionStore
    from django.core.files import File
    from django.core.management import call_command

    from allocation.models import OrgUnit, Plan, Salesperson
    from customers.services.imports import import_job_create, import_job_run
    from customers.signals import orders_imported
    from salesalloc.core.tokens import auth_token_create

    loaded = args.keep_database and _database_exists(args.database_url)
    if not loaded:
        import_bench.OUT.mkdir(parents=True, exist_ok=True)
        path = import_bench.OUT / f"orders_{args.rows}.csv"
        if not path.exists():
            print(f"generating {args.rows:,} lines -> {path}")
            import_bench.generate(path, args.rows)
        import_bench.recreate_database(args.database_url)
        call_command("migrate", verbosity=0)
        import_bench.company_setup()
        orders_imported.receivers = []  # the recompute runs below, inline and timed
        orders_imported.sender_receivers_cache.clear()
        started = time.perf_counter()
        with path.open("rb") as handle:
            job = import_job_create(
                file=File(handle, name=path.name),
                original_name=path.name,
                actor=None,
                enqueue=False,
            )
        job = import_job_run(job=job)
        print(f"import: {job.message} ({time.perf_counter() - started:.1f} s)")
        _plan_publish()
        from salesalloc.pipeline import recompute_all

        started = time.perf_counter()
        run = recompute_all(inline=True)
        print(f"recompute (actuals, alerts): {run.status} ({time.perf_counter() - started:.1f} s)")

    director = User.objects.get(username="bench-director")
    session = SessionStore()
    session[SESSION_KEY] = str(director.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = director.get_session_auth_hash()
    session.create()
    token_key = auth_token_create(user=director)
    plan = Plan.objects.get(fiscal_year=YEAR, status=Plan.Status.PUBLISHED)
    nodes = [{"org_unit": code} for code in OrgUnit.objects.values_list("code", flat=True)]
    people = list(Salesperson.objects.values_list("code", flat=True))
    nodes += [{"salesperson": code} for code in random.Random(7).sample(people, 60)]
    print(f"plan {plan.name} v{plan.version}: {plan.cells.count():,} target cells")
    return {"session": session.session_key, "token": token_key, "nodes": nodes}


def _database_exists(url: str) -> bool:
    import psycopg

    try:
        with psycopg.connect(url) as conn:
            return bool(conn.execute("SELECT count(*) FROM allocation_plan").fetchone()[0])
    except psycopg.Error:
        return False


def _plan_publish() -> None:
    from decimal import Decimal

    from django.contrib.auth.models import User

    from allocation.models import OrgUnit
    from allocation.services import (
        plan_allocate,
        plan_approve,
        plan_create,
        plan_publish,
        plan_submit,
    )

    planner = User.objects.create_superuser("bench-planner", password="x")  # noqa: S106
    director = User.objects.create_superuser("bench-director", password="x")  # noqa: S106
    started = time.perf_counter()
    plan = plan_create(
        name=f"Bench FY{YEAR}",
        fiscal_year=YEAR,
        total_amount=Decimal("600000000.00"),
        root_org_unit=OrgUnit.objects.get(parent__isnull=True),
        method_config={
            "org": {"method": "equal"},
            "product_line": {"method": "equal"},
            "seasonality": {"method": "uniform"},
        },
        actor=planner,
    )
    plan = plan_allocate(plan=plan, actor=planner)
    plan = plan_submit(plan=plan, actor=planner)
    plan = plan_approve(plan=plan, actor=director)
    plan_publish(plan=plan, actor=director)
    print(f"plan allocated and published ({time.perf_counter() - started:.1f} s)")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def serve(args: argparse.Namespace, port: int) -> subprocess.Popen:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "salesalloc.settings.base",
        "DATABASE_URL": args.database_url,
        "REDIS_URL": "" if args.no_cache else args.redis_url,
        "CELERY_BROKER_URL": "",
        "SALESALLOC_TRACKING_CACHE_SECONDS": "0" if args.no_cache else "600",
        "DJANGO_DEBUG": "false",
    }
    command = [
        str(Path(sys.executable).parent / "gunicorn"),
        "salesalloc.wsgi",
        "--workers",
        str(args.workers),
        "--bind",
        f"127.0.0.1:{port}",
        "--log-level",
        "warning",
        "--timeout",
        "120",
        "--threads",
        str(args.threads),
        "--keep-alive",
        "5",
    ]
    server = subprocess.Popen(command, cwd=ROOT, env=env, start_new_session=True)
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return server
        except OSError:
            time.sleep(0.3)
    server.kill()
    sys.exit("gunicorn did not start")


def drive(port: int, auth: dict, seconds: float, clients: int) -> dict[str, list[float]]:
    results: dict[str, list[float]] = {"dashboard": [], "attainment": []}
    errors: list[str] = []
    lock = threading.Lock()
    stop_at = time.perf_counter() + seconds

    def client(seed: int) -> None:
        rng = random.Random(seed)
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        mine: dict[str, list[float]] = {"dashboard": [], "attainment": []}
        while time.perf_counter() < stop_at:
            node = rng.choice(auth["nodes"])
            query = urlencode({"year": YEAR, "as_of": AS_OF, **node})
            if rng.random() < 0.5:
                kind, path = "dashboard", f"/dashboard/?{query}"
                headers = {"Cookie": f"sessionid={auth['session']}"}
            else:
                kind, path = "attainment", f"/api/v1/attainment/?{query}"
                headers = {"Authorization": f"Token {auth['token']}"}
            started = time.perf_counter()
            try:
                conn.request("GET", path, headers=headers)
                response = conn.getresponse()
                response.read()
            except (OSError, http.client.HTTPException) as exc:
                errors.append(f"{path}: {exc}")
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
                continue
            elapsed = time.perf_counter() - started
            if response.status != 200:
                errors.append(f"{path}: HTTP {response.status}")
                continue
            mine[kind].append(elapsed)
        conn.close()
        with lock:
            for key, values in mine.items():
                results[key].extend(values)

    threads = [threading.Thread(target=client, args=(k,)) for k in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        print(f"{len(errors)} failed requests, e.g. {errors[:3]}")
    return results


def _cpu_seconds(master: int) -> float:
    """User + system CPU seconds of the gunicorn master and its workers so far (Linux)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        # after the command: state ppid ... utime (12th) stime (13th)
        if int(entry.name) == master or int(fields[1]) == master:
            total += (int(fields[11]) + int(fields[12])) / ticks
    return total


def warm(port: int, auth: dict) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    for node in auth["nodes"]:
        query = urlencode({"year": YEAR, "as_of": AS_OF, **node})
        for path, headers in (
            (f"/dashboard/?{query}", {"Cookie": f"sessionid={auth['session']}"}),
            (f"/api/v1/attainment/?{query}", {"Authorization": f"Token {auth['token']}"}),
        ):
            conn.request("GET", path, headers=headers)
            conn.getresponse().read()
    conn.close()


def report(results: dict[str, list[float]], seconds: float) -> None:
    everything = [v for values in results.values() for v in values]
    print()
    print(
        f"{'endpoint':<12}{'requests':>10}{'p50 ms':>10}{'p95 ms':>10}{'p99 ms':>10}{'req/s':>10}"
    )
    for name, values in [*results.items(), ("all", everything)]:
        print(
            f"{name:<12}{len(values):>10,}"
            f"{percentile(values, 50) * 1000:>10.1f}"
            f"{percentile(values, 95) * 1000:>10.1f}"
            f"{percentile(values, 99) * 1000:>10.1f}"
            f"{len(values) / seconds:>10.1f}"
        )
    p95 = percentile(everything, 95) * 1000
    print(f"\np95 {p95:.1f} ms (budget < 150 ms): {'OK' if p95 < 150 else 'OVER BUDGET'}")


def main() -> None:
    args = parse_args()
    os.environ["DATABASE_URL"] = args.database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "salesalloc.settings.base")
    os.environ["SALESALLOC_BACKGROUND_THREAD"] = "false"
    os.environ["REDIS_URL"] = ""
    os.environ["CELERY_BROKER_URL"] = ""
    auth = load(args)
    port = _free_port()
    server = serve(args, port)
    try:
        # Warm-up: every node once through each endpoint (as the first visitors after a
        # recompute would), then a few seconds of load for the workers' connections.
        started = time.perf_counter()
        warm(port, auth)
        print(f"warm-up over {len(auth['nodes'])} nodes: {time.perf_counter() - started:.1f} s")
        drive(port, auth, seconds=3, clients=args.workers)
        print(f"driving {args.clients} clients for {args.seconds:.0f} s on {args.workers} workers")
        started = time.perf_counter()
        server_cpu, client_cpu = _cpu_seconds(server.pid), time.process_time()
        results = drive(port, auth, seconds=args.seconds, clients=args.clients)
        elapsed = time.perf_counter() - started
        server_cpu = _cpu_seconds(server.pid) - server_cpu
        client_cpu = time.process_time() - client_cpu
        report(results, elapsed)
        total = sum(len(values) for values in results.values())
        print(
            f"CPU per second of the run: server {server_cpu / elapsed:.2f} cores "
            f"({server_cpu / max(total, 1) * 1000:.1f} ms a request), "
            f"this client {client_cpu / elapsed:.2f} cores; "
            f"load average {' '.join(f'{v:.2f}' for v in os.getloadavg())}"
        )
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
        if not args.keep_database:
            import_bench.drop_database(args.database_url)


if __name__ == "__main__":
    main()
