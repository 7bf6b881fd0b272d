"""Report benchmark: `prima report --json` over 100,000 bookings and 10,000 sync results.

    python bench/report.py [--postgres ADMIN_URL] [--bookings 100000] [--results 10000]
                           [--venues 20] [--runs 7] [--check]

Seeds a temporary SQLite file and, with ``--postgres`` (or ``PRIMA_BENCH_POSTGRES_URL``), a
temporary PostgreSQL database: migrated with the real ``prima db migrate``, then filled in bulk
by ``prima_cli.core.demo_history`` (the demo's own generator: lunch and dinner at each venue,
every status, failover at venues with two platforms, sync runs with outages and rate limits)
and ANALYZEd. The default period (28 days) holds about a third of the bookings; ``--from/--to``
over the whole range is measured too.

For each store it prints, from fresh processes run interleaved (so drift hits all alike), the
median and spread (min-max) of wall and CPU time of ``prima --version`` (the start-up), of
``prima report --json`` for the default period and for the whole range, and of each minus the
start-up. Goal (issue 18): at most 1 s beyond start-up, on SQLite and PostgreSQL.
Exit 0 (a report), or with ``--check`` exit 1 when a goal is missed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # tests.scratch_databases

from _common import clean_env, prima_cmd, run_checked, table

from tests.scratch_databases import fresh_database

GOAL_SECONDS = 1.0
ZONES = ("Europe/Madrid", "Europe/Lisbon", "America/Mexico_City", "America/Bogota")
PAST_DAYS, AHEAD_DAYS = 120, 30


@contextmanager
def sqlite_store() -> Iterator[str]:
    with tempfile.TemporaryDirectory(prefix="prima-bench-report-") as tmp:
        yield f"sqlite:///{Path(tmp) / 'report.db'}"


def seed(url: str, *, bookings: int, results: int, venues: int) -> tuple[int, int]:
    """Migrate with the CLI, then bulk-insert; the bookings and results written."""
    run_checked([*prima_cmd(), "--db", url, "db", "migrate", "--json"], clean_env())

    import sqlalchemy as sa

    from prima_cli.core import demo_history
    from prima_cli.store.models import Venue, VenuePlatform
    from prima_cli.store.store import Store
    from prima_cli.store.types import utcnow

    now = utcnow()
    store = Store(url)
    rng = random.Random(18)
    v_table, c_table = Venue.__table__, VenuePlatform.__table__  # type: ignore[attr-defined]
    places: list[demo_history.HistoryVenue] = []
    with store.engine.begin() as conn:
        for i in range(venues):
            vid = conn.execute(
                sa.insert(v_table).returning(v_table.c.id),
                {
                    "name": f"Venue {i:03d}",
                    "slug": f"venue-{i:03d}",
                    "timezone": ZONES[i % 4],
                    "country": "ES",
                    "created_at": now,
                    "updated_at": now,
                    "uses_covermanager": False,
                    "covermanager_sync_enabled": False,
                },
            ).scalar_one()
            types = (
                ("covermanager", "restoo")
                if i % 2 == 0
                else (("covermanager",), ("restoo",))[i % 4 == 1]
            )
            connections = []
            for priority, platform in enumerate(types, start=1):
                cid = conn.execute(
                    sa.insert(c_table).returning(c_table.c.id),
                    {
                        "venue_id": vid,
                        "platform_type": platform,
                        "is_enabled": True,
                        "priority": priority,
                        "configuration": {},
                        "created_at": now,
                        "updated_at": now,
                        "last_synced_at": now - dt.timedelta(minutes=i),
                    },
                ).scalar_one()
                connections.append((cid, platform))
            places.append(
                demo_history.HistoryVenue(vid, f"venue-{i:03d}", ZONES[i % 4], tuple(connections))
            )
        days = PAST_DAYS + AHEAD_DAYS
        # about 2 x per_service bookings per venue and day (lunch 0.7, dinner 1, weekends 1.6)
        per_service = bookings / (venues * days * 2.0)
        first = now.date() - dt.timedelta(days=PAST_DAYS)
        history = demo_history.bookings(places, first, days, round(per_service), now, rng, "B")
        connections_count = sum(len(p.connections) for p in places)
        runs = max(1, results // connections_count)
        span = dt.timedelta(days=PAST_DAYS)
        demo_history.sync_runs(places, now - span, now, span / runs, rng, history)
        demo_history.insert(conn, history)
    with store.engine.begin() as conn:  # fresh statistics, as a live database has
        conn.execute(sa.text("ANALYZE"))
        if conn.dialect.name == "postgresql":
            conn.execute(sa.text("COMMIT"))
    if url.startswith("postgresql"):
        with store.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(sa.text("VACUUM ANALYZE"))  # the visibility map index-only scans need
    store.dispose()
    return len(history.bookings), sum(len(r) for r in history.results)


def run_cpu(cmd: Sequence[str], env: dict[str, str]) -> tuple[float, float]:
    """One fresh process, output discarded: (wall seconds, CPU seconds of the child)."""
    start = time.perf_counter()
    proc = subprocess.Popen(list(cmd), env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    err = proc.stderr.read() if proc.stderr else b""
    _pid, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"command failed: {' '.join(cmd)}\n{err.decode()[-2000:]}")
    return wall, usage.ru_utime + usage.ru_stime


def measure(url: str, runs: int) -> list[list[str]]:
    env = clean_env()
    today = dt.date.today()
    whole = [
        "--from",
        (today - dt.timedelta(days=PAST_DAYS)).isoformat(),
        "--to",
        (today + dt.timedelta(days=AHEAD_DAYS - 1)).isoformat(),
    ]
    cmds = {
        "prima --version (start-up)": [*prima_cmd(), "--version"],
        "prima report --json (28 days)": [*prima_cmd(), "--db", url, "report", "--json"],
        "prima report --json (150 days)": [*prima_cmd(), "--db", url, "report", "--json", *whole],
    }
    for cmd in cmds.values():  # warm-up: page cache, byte-compiled modules
        run_cpu(cmd, env)
    samples: dict[str, list[tuple[float, float]]] = {name: [] for name in cmds}
    for _ in range(runs):
        for name, cmd in cmds.items():
            samples[name].append(run_cpu(cmd, env))
    base_wall = statistics.median(w for w, _c in samples["prima --version (start-up)"])
    base_cpu = statistics.median(c for _w, c in samples["prima --version (start-up)"])
    rows = []
    for name, values in samples.items():
        walls, cpus = [w for w, _c in values], [c for _w, c in values]
        wall, cpu = statistics.median(walls), statistics.median(cpus)
        beyond = wall - base_wall
        verdict = "" if "version" in name else ("PASS" if beyond <= GOAL_SECONDS else "MISS")
        rows.append(
            [
                name,
                f"{wall * 1000:.0f}",
                f"{min(walls) * 1000:.0f}-{max(walls) * 1000:.0f}",
                f"{cpu * 1000:.0f}",
                f"{min(cpus) * 1000:.0f}-{max(cpus) * 1000:.0f}",
                "" if "version" in name else f"{beyond * 1000:.0f}",
                "" if "version" in name else f"{(cpu - base_cpu) * 1000:.0f}",
                verdict,
            ]
        )
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--postgres", default=os.environ.get("PRIMA_BENCH_POSTGRES_URL"))
    parser.add_argument("--bookings", type=int, default=100_000)
    parser.add_argument("--results", type=int, default=10_000)
    parser.add_argument("--venues", type=int, default=20)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args()
    stores = [("SQLite", sqlite_store())]
    if args.postgres:
        stores.append(("PostgreSQL", fresh_database(args.postgres, prefix="prima_bench")))
    missed = False
    for label, store in stores:
        with store as url:
            started = time.perf_counter()
            n_bookings, n_results = seed(
                url, bookings=args.bookings, results=args.results, venues=args.venues
            )
            print(
                f"== {label}: {n_bookings:,} bookings / {n_results:,} sync results / "
                f"{args.venues} venues (seeded in {time.perf_counter() - started:.1f} s)"
            )
            rows = measure(url, args.runs)
            print(
                table(
                    [
                        "command",
                        "wall ms",
                        "spread",
                        "cpu ms",
                        "spread",
                        "wall beyond start-up",
                        "cpu beyond start-up",
                        "goal <= 1 s",
                    ],
                    rows,
                )
            )
            print()
            missed |= any(r[-1] == "MISS" for r in rows)
    return 1 if (args.check and missed) else 0


if __name__ == "__main__":
    sys.exit(main())
