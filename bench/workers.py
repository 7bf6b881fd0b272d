"""Worker benchmark: the job engine (procrastinate) on this machine's PostgreSQL, and the
sync of N connections by 1, 2 and 4 `prima worker run` processes.

1. Jobs per second through the engine: N no-op jobs deferred one by one (as a window's
   fan-out defers them, each with its own queueing lock), then run by one worker process
   (concurrency 10) until none is left. A floor: what the engine costs per job before any of
   prima's work.
2. The sync of N CoverManager connections (1,000 by default) against the simulator with a
   fixed latency per request: `prima platforms sync --enqueue`, then K `prima worker run
   --one-shot --concurrency C` processes started together, for K = 1, 2, 4; each on a fresh
   scratch database. Printed: wall time (first worker start to last exit), CPU seconds of
   the worker processes (user + system, from wait4), jobs each worker ran, and, for
   reference, the single-process `prima platforms sync --concurrency C*K` on the same data.

    python bench/workers.py --postgres postgresql://postgres@127.0.0.1:5432/test
                            [--connections 1000] [--latency-ms 50] [--concurrency 10]
                            [--jobs 2000] [--workers 1,2,4]

The simulator runs inside this script's process (threads), not in the measured ones; on a
machine with two cores, it and PostgreSQL share them with the workers.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import sqlalchemy as sa
import sync as sync_bench
from _common import PYTHON, clean_env, prima_cmd, table

from prima_cli.sandbox import Sandbox, SandboxConfig
from prima_cli.store.url import normalise


@contextmanager
def scratch(admin: str) -> Iterator[str]:
    """A fresh PostgreSQL database on the admin URL's server, dropped afterwards."""
    name = f"prima_bench_{uuid.uuid4().hex[:10]}"
    engine = sa.create_engine(normalise(admin), isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = normalise(admin).rsplit("/", 1)[0] + f"/{name}"
    try:
        yield url
    finally:
        with engine.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        engine.dispose()


def make_store(url: str, creds: dict, count: int) -> None:
    """Migrate (the engine's schema with it), then venues and connections in bulk."""
    if count:
        sync_bench.make_store(url, creds, count)
    else:
        subprocess.run([*prima_cmd(), "--db", url, "db", "migrate"], check=True,
                       capture_output=True, env=clean_env())  # fmt: skip


def cpu_of(proc: subprocess.Popen[bytes]) -> tuple[int, float]:
    """Wait for a child; (exit code, its user + system CPU seconds)."""
    _pid, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    return proc.returncode, usage.ru_utime + usage.ru_stime


def engine_rate(url: str, jobs: int) -> tuple[float, float, float]:
    """(jobs deferred per second one by one, jobs run per second by one worker, its CPU s)."""
    from procrastinate import App, PsycopgConnector

    app = App(connector=PsycopgConnector(conninfo=url.replace("+psycopg", "")))

    async def defer() -> float:
        async with app.open_async():
            started = time.perf_counter()
            for n in range(jobs):
                await app.configure_task("bench.noop", queueing_lock=f"noop:{n}").defer_async()
            return time.perf_counter() - started

    deferring = asyncio.run(defer())
    proc = subprocess.Popen([PYTHON, "-c", _NOOP_WORKER, url.replace("+psycopg", "")],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)  # fmt: skip
    code, cpu = cpu_of(proc)
    if code != 0:
        raise SystemExit(f"the no-op worker exited {code}")
    engine = sa.create_engine(url)
    with engine.connect() as conn:  # from the first job started to the last one finished
        running = conn.execute(sa.text(
            "SELECT EXTRACT(EPOCH FROM max(at) - min(at)) FROM procrastinate_events "
            "WHERE type IN ('started', 'succeeded')")).scalar()  # fmt: skip
    engine.dispose()
    return jobs / deferring, jobs / float(running), cpu


_NOOP_WORKER = """
import sys
from procrastinate import App, PsycopgConnector
app = App(connector=PsycopgConnector(conninfo=sys.argv[1]))
@app.task(name="bench.noop")
async def noop() -> None:
    return None
app.run_worker(concurrency=10, wait=False, install_signal_handlers=False)
"""


def workers_run(sb: Sandbox, admin: str, connections: int, workers: int, concurrency: int
                ) -> tuple[float, float, list[int]]:  # fmt: skip
    """(wall s, CPU s of the workers, jobs each ran) for one window over fresh connections."""
    with scratch(admin) as url:
        make_store(url, sb.credentials().to_dict(), connections)
        subprocess.run([*prima_cmd(), "--db", url, "platforms", "sync", "--enqueue", "--days",
                        "7"], check=True, capture_output=True, env=clean_env())  # fmt: skip
        started = time.perf_counter()
        procs = [subprocess.Popen([*prima_cmd(), "--db", url, "worker", "run", "--one-shot",
                                   "--json", "--days", "7", "--concurrency", str(concurrency)],
                                  stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                  env=clean_env()) for _ in range(workers)]  # fmt: skip
        results = [cpu_of(p) for p in procs]
        wall = time.perf_counter() - started
        shares = [json.loads(p.stdout.read() if p.stdout else b"{}")["jobs"].get(
            "prima.sync_connection", 0) for p in procs]  # fmt: skip
        if any(code for code, _ in results) or sum(shares) != connections:
            raise SystemExit(f"workers failed: {results} {shares}")
        status = sa.create_engine(url)
        with status.connect() as conn:
            ok = conn.execute(sa.text("SELECT count(*) FROM sync_results WHERE status = 'ok'")
                              ).scalar()  # fmt: skip
        status.dispose()
        if ok != connections:
            raise SystemExit(f"{ok} of {connections} connections synced ok")
    return wall, sum(cpu for _, cpu in results), shares


def single_run(sb: Sandbox, admin: str, connections: int, concurrency: int) -> tuple[float, float]:
    """(wall s, CPU s) of `prima platforms sync` in one process on the same data."""
    with scratch(admin) as url:
        make_store(url, sb.credentials().to_dict(), connections)
        started = time.perf_counter()
        proc = subprocess.Popen([*prima_cmd(), "--db", url, "platforms", "sync", "--days", "7",
                                 "--concurrency", str(concurrency), "--json"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                env=clean_env())  # fmt: skip
        code, cpu = cpu_of(proc)
        if code != 0:
            raise SystemExit(f"sync exited {code}")
        return time.perf_counter() - started, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres", default=os.environ.get("PRIMA_BENCH_POSTGRES_URL"))
    parser.add_argument("--connections", type=int, default=1000)
    parser.add_argument("--latency-ms", type=int, default=50)
    parser.add_argument("--concurrency", type=int, default=10)
    parser.add_argument("--jobs", type=int, default=2000)
    parser.add_argument("--workers", default="1,2,4")
    args = parser.parse_args()
    if not args.postgres:
        raise SystemExit("--postgres ADMIN_URL (or PRIMA_BENCH_POSTGRES_URL) is required")
    print(f"machine: {os.cpu_count()} CPU(s); PostgreSQL and the simulator share them")
    with scratch(args.postgres) as url:
        make_store(url, {}, 0)
        deferred, ran, cpu = engine_rate(url, args.jobs)
    print(table(["engine, no-op jobs", "jobs/s", "CPU ms/job (worker, start-up included)"],
                [[f"defer {args.jobs} one by one", f"{deferred:.0f}", ""],
                 [f"run {args.jobs}, 1 worker x 10", f"{ran:.0f}",
                  f"{cpu / args.jobs * 1000:.2f}"]]))  # fmt: skip
    counts = [int(n) for n in args.workers.split(",")]
    rows = []
    with Sandbox(SandboxConfig(seed=7, latency_ms=args.latency_ms)) as sb:
        for k in counts:
            wall, cpu, shares = workers_run(sb, args.postgres, args.connections, k,
                                            args.concurrency)  # fmt: skip
            rows.append([f"{k} worker(s) x {args.concurrency}", f"{wall:.1f}", f"{cpu:.1f}",
                         f"{cpu / args.connections * 1000:.1f}",
                         f"{args.connections / wall:.0f}", "/".join(map(str, shares))])  # fmt: skip
        for k in counts:
            wall, cpu = single_run(sb, args.postgres, args.connections, args.concurrency * k)
            rows.append([f"platforms sync --concurrency {args.concurrency * k}", f"{wall:.1f}",
                         f"{cpu:.1f}", f"{cpu / args.connections * 1000:.1f}",
                         f"{args.connections / wall:.0f}", "-"])  # fmt: skip
    print(f"\nsync of {args.connections} connections, {args.latency_ms} ms per request:")
    print(table(["who", "wall s", "CPU s", "CPU ms/conn", "conn/s", "jobs per worker"], rows))


if __name__ == "__main__":
    main()
