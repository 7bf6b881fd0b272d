"""Scale benchmark: `prima bookings list` on 100,000 bookings across 500 venues.

    python bench/scale.py [--postgres ADMIN_URL] [--bookings 100000] [--venues 500] [--runs 5]

Runs on a temporary SQLite file and, when ``--postgres`` (or ``PRIMA_BENCH_POSTGRES_URL``)
names a server, on a temporary PostgreSQL database created and dropped there. The store is
migrated with the real ``prima db migrate``, then loaded with bulk inserts (one attempt per
booking; 85% confirmed, 10% cancelled, 5% unknown; dates over 90 days).

For each query it prints the median wall time of fresh ``prima --db URL ...`` processes and
that time minus the same command returning one row (the start-up, run interleaved with
the query so that load drifting meanwhile weighs on both alike), the in-process times of
``core.bookings.list_bookings`` and of the JSON rendering, and the number of SQL
statements the call ran; then the peak RSS of ``--json`` runs returning 1, 1,000 and
10,000 rows. Goals (issue 7): each query at most 0.3 s beyond start-up (both measured
ways); peak memory growing at most 16 MB from 1,000 to 10,000 rows (streamed, not held).
When a query misses its goal, its query plans are printed.
Exit 0 (a report), or with ``--check`` exit 1 when a goal is missed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import os
import random
import re
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # tests.scratch_databases

from _common import (
    clean_env,
    measure,
    measure_interleaved,
    median_call,
    ms,
    prima_cmd,
    run_checked,
    table,
)

from tests.scratch_databases import fresh_database

GOAL_SECONDS = 0.3
#: peak RSS may grow at most this much from 1,000 to 10,000 rows (streamed output)
GOAL_RSS_GROWTH_MB = 16
ZONES = ("Europe/Madrid", "Europe/Lisbon", "America/Bogota", "America/Mexico_City")
STATUS_MIX = (("confirmed", 0.85), ("cancelled", 0.10), ("unknown", 0.05))
CHUNK = 5_000


# --- the store ------------------------------------------------------------------------


@contextmanager
def sqlite_store() -> Iterator[str]:
    with tempfile.TemporaryDirectory(prefix="prima-bench-") as tmp:
        yield f"sqlite:///{Path(tmp) / 'scale.db'}"


def postgres_store(admin_url: str) -> AbstractContextManager[str]:
    """A fresh database on the server of ``admin_url``, dropped afterwards."""
    return fresh_database(admin_url, prefix="prima_bench")


def _chunks(rows: list[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    for start in range(0, len(rows), CHUNK):
        yield rows[start : start + CHUNK]


def load(url: str, *, venues: int, bookings: int, seed: int = 7) -> dt.date:
    """Migrate with the real CLI, then bulk-insert; returns the first booking date."""
    run_checked([*prima_cmd(), "--db", url, "db", "migrate", "--json"], clean_env())

    import sqlalchemy as sa

    from prima_cli.store.booking_tables import Booking, PlatformReservation
    from prima_cli.store.models import Venue, VenuePlatform
    from prima_cli.store.store import Store
    from prima_cli.store.types import utcnow

    rng = random.Random(seed)
    now = utcnow()
    first_day = dt.date.today() + dt.timedelta(days=1)
    zones = [ZONES[v % len(ZONES)] for v in range(venues)]
    venue_rows = [
        {"id": v + 1, "name": f"Venue {v:04d}", "slug": f"venue-{v:04d}", "timezone": zones[v],
         "country": "ES", "created_at": now, "updated_at": now, "uses_covermanager": False,
         "covermanager_sync_enabled": False}
        for v in range(venues)
    ]  # fmt: skip
    connection_rows = [
        {"id": v + 1, "venue_id": v + 1, "platform_type": "covermanager", "is_enabled": True,
         "priority": 1, "configuration": {"restaurant_id": f"venue-{v:04d}",
                                          "api_key": "env:PRIMA_BENCH_CM_KEY"},
         "created_at": now, "updated_at": now}
        for v in range(venues)
    ]  # fmt: skip
    booking_rows: list[dict[str, Any]] = []
    attempt_rows: list[dict[str, Any]] = []
    tzinfos = {name: ZoneInfo(name) for name in ZONES}
    for i in range(bookings):
        b_id = i + 1
        v = rng.randrange(venues)
        day = first_day + dt.timedelta(days=rng.randrange(90))
        at = dt.time(12 + rng.randrange(11), rng.choice((0, 15, 30, 45)))
        starts = dt.datetime.combine(day, at, tzinfos[zones[v]]).astimezone(dt.UTC)
        roll, status = rng.random(), "confirmed"
        for name, share in STATUS_MIX:
            if roll < share:
                status = name
                break
            roll -= share
        reference = f"PRM-{i:010d}"
        booking_rows.append(
            {"id": b_id, "reference": reference, "idempotency_key": None,
             "fingerprint": f"{i:064x}", "venue_id": v + 1, "local_date": day, "local_time": at,
             "timezone": zones[v], "starts_at": starts, "party_size": 1 + rng.randrange(8),
             "first_name": f"Guest{i}", "last_name": "Bench", "email": f"guest{i}@example.org",
             "phone_e164": f"+3461{i:07d}", "notes": "", "force": False,
             "requested_platform": None, "status": status, "status_detail": None,
             "cancel_reason": "CHANGED_PLANS" if status == "cancelled" else None,
             "cancelled_at": now if status == "cancelled" else None,
             "created_at": now, "updated_at": now}
        )  # fmt: skip
        landed = status != "unknown"
        attempt_rows.append(
            {"id": b_id, "booking_id": b_id, "venue_platform_id": v + 1,
             "platform_type": "covermanager", "attempt": 1, "idempotency_key": f"{reference}-1",
             "state": status, "external_id": f"cm-{i}" if landed else None,
             "raw_status": "1" if landed else None, "status": status if landed else None,
             "raw_response": {"resp": 1, "id_reserv": f"cm-{i}"} if landed else None,
             "error_type": None, "error_message": None, "attention": None, "owner": None,
             "requested_at": now, "created_at": now, "updated_at": now}
        )  # fmt: skip

    store = Store(url)
    with store.engine.begin() as conn:
        for model, rows in (
            (Venue, venue_rows),
            (VenuePlatform, connection_rows),
            (Booking, booking_rows),
            (PlatformReservation, attempt_rows),
        ):
            for chunk in _chunks(rows):
                conn.execute(sa.insert(model.__table__), chunk)  # type: ignore[attr-defined]
        if conn.dialect.name == "postgresql":  # explicit ids: move the sequences past them
            for name in ("venues", "venue_platforms", "bookings", "platform_reservations"):
                conn.execute(
                    sa.text(
                        f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                        f"(SELECT max(id) FROM {name}))"
                    )
                )
    with store.engine.begin() as conn:  # fresh statistics, as a live database would have
        conn.execute(sa.text("ANALYZE"))
    store.dispose()
    return first_day


# --- measuring -----------------------------------------------------------------------


@dataclass
class Query:
    name: str
    args: list[str]
    filter: dict[str, Any]


@dataclass
class Figures:
    rows: int
    wall: float  # median wall seconds of the real executable
    beyond_startup: float  # wall minus the same command returning one row
    in_process: float  # list_bookings() in this process
    render: float  # views.booking() + to_json() of the result in this process
    statements: int
    statements_seen: list[tuple[str, Any]]


def queries(first_day: dt.date, venues: int) -> list[Query]:
    d1 = first_day + dt.timedelta(days=30)
    d2 = d1 + dt.timedelta(days=13)
    venue = f"venue-{42 % venues:04d}"  # venue-0042 in the full run; one that exists in any
    return [
        Query(
            f"--venue {venue} --from D --to D+13",
            ["--venue", venue, "--from", d1.isoformat(), "--to", d2.isoformat()],
            {"venue": venue, "date_from": d1.isoformat(), "date_to": d2.isoformat()},
        ),
        Query(
            "--status unknown --limit 1000",
            ["--status", "unknown", "--limit", "1000"],
            {"status": "unknown", "limit": 1000},
        ),
        Query("--limit 10000", ["--limit", "10000"], {"limit": 10000}),
    ]


@contextmanager
def counting(engine: Any) -> Iterator[list[tuple[str, Any]]]:
    """Record every SQL statement the engine runs inside the block."""
    from sqlalchemy import event

    seen: list[tuple[str, Any]] = []

    def record(_conn: Any, _cursor: Any, statement: str, params: Any, *_a: Any) -> None:
        seen.append((statement, params))

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


def measure_query(url: str, query: Query, runs: int, one_row: list[str]) -> Figures:
    """The query's figures; its start-up is ``one_row`` (the same command returning one
    row) run interleaved with it, so load that drifts meanwhile weighs on both alike."""
    from prima_cli.cli.main import GC_THRESHOLDS
    from prima_cli.cli.output import to_json
    from prima_cli.cli.views import bookings as views
    from prima_cli.core import bookings
    from prima_cli.store.store import Store

    cmd = [*prima_cmd(), "--db", url, "bookings", "list", *query.args, "--json"]
    env = clean_env()
    rows = run_checked(cmd, env).stdout.count('"reference"')
    walls = measure_interleaved({"query": cmd, "one row": one_row}, env, runs=runs, warmups=1)
    wall, baseline = walls["query"], walls["one row"]

    # in-process figures under the collector settings the prima process runs with
    gc.set_threshold(*GC_THRESHOLDS)
    store = Store(url)
    flt = bookings.BookingFilter(**query.filter)
    found: list[Any] = []

    def call() -> None:
        found[:] = bookings.list_bookings(store, flt)

    in_process = median_call(call, runs)
    with counting(store.engine) as seen:
        call()
    render = median_call(lambda: to_json([views.booking(b, attempts=False) for b in found]), runs)
    store.dispose()
    return Figures(rows, wall, wall - baseline, in_process, render, len(seen), seen)


def peak_rss(url: str, limit: int, runs: int) -> float:
    """Max RSS in MB of ``bookings list --limit N --json`` (median over runs)."""
    import statistics

    from _common import peak_rss_kib

    cmd = [*prima_cmd(), "--db", url, "bookings", "list", "--limit", str(limit), "--json"]
    return statistics.median(peak_rss_kib(cmd, clean_env()) for _ in range(runs)) / 1024


def _short(text: str, width: int) -> str:
    text = re.sub(r"\((\?, )+\?\)", "(?, ?, ...)", text)
    text = re.sub(r"(\d+,){8,}[\d,]*", "...", text)
    return text if len(text) <= width else text[: width - 3] + "..."


def explain(url: str, seen: list[tuple[str, Any]]) -> list[str]:
    """Plans of the first bookings query and of the first per-booking follow-up query."""
    from prima_cli.store.engine import create_engine

    picked: list[tuple[str, Any]] = []
    main = next((s for s in seen if "FROM bookings" in s[0]), None)
    if main:
        picked.append(main)
    follow = [s for s in seen if "FROM platform_reservations" in s[0]]
    if follow:
        picked.append(follow[0])
    engine = create_engine(url)
    out: list[str] = []
    with engine.connect() as conn:
        for statement, params in picked:
            if engine.dialect.name == "postgresql":
                prefix = "EXPLAIN (ANALYZE, BUFFERS) "
            elif engine.dialect.name == "sqlite":
                prefix = "EXPLAIN QUERY PLAN "
            else:
                prefix = "EXPLAIN "
            result = conn.exec_driver_sql(prefix + statement, params)
            out.append("  " + _short(" ".join(statement.split()), 400))
            out.append("  params: " + _short(repr(params), 160))
            for row in result:
                out.append("    " + _short(" | ".join(str(c) for c in row), 160))
    engine.dispose()
    return out


def run_backend(label: str, store_cm: Callable[[], Any], args: argparse.Namespace) -> bool:
    """Load, measure and print one backend; True when every goal is met."""
    ok = True
    with store_cm() as url:
        started = time.perf_counter()
        first_day = load(url, venues=args.venues, bookings=args.bookings)
        loaded = time.perf_counter() - started
        print(
            f"\n== {label}: {args.bookings:,} bookings / {args.venues} venues "
            f"(loaded in {loaded:.1f} s); median of {args.runs} fresh processes"
        )
        one_row = [*prima_cmd(), "--db", url, "bookings", "list", "--limit", "1", "--json"]
        baseline, _rss = measure(one_row, clean_env(), runs=args.runs, warmups=1)
        print(f"start-up baseline (bookings list --limit 1 --json): {ms(baseline)} ms")
        rows: list[list[object]] = []
        planned: list[tuple[Query, Figures]] = []
        for query in queries(first_day, args.venues):
            fig = measure_query(url, query, args.runs, one_row)
            cost = max(fig.beyond_startup, fig.in_process + fig.render)
            verdict = "PASS" if cost <= GOAL_SECONDS else "FAIL"
            ok = ok and verdict == "PASS"
            if verdict == "FAIL" or args.explain:
                planned.append((query, fig))
            rows.append(
                [f"bookings list {query.name} --json", fig.rows, ms(fig.wall),
                 ms(fig.beyond_startup), ms(fig.in_process), ms(fig.render), fig.statements,
                 f"<= {ms(GOAL_SECONDS)}", verdict]
            )  # fmt: skip
        print(
            table(
                ["query", "rows", "wall ms", "- start-up", "list_bookings", "render",
                 "SQL stmts", "goal ms", "result"],
                rows,
            )
        )  # fmt: skip

        rss = {limit: peak_rss(url, limit, 3) for limit in (1, 1000, 10000)}
        growth = rss[10000] - rss[1000]
        verdict = "PASS" if growth <= GOAL_RSS_GROWTH_MB else "FAIL"
        ok = ok and verdict == "PASS"
        print()
        print(
            table(
                ["peak RSS of bookings list --json", "--limit 1", "--limit 1000",
                 "--limit 10000", "growth 1k->10k", "goal", "result"],
                [["MB", f"{rss[1]:.1f}", f"{rss[1000]:.1f}", f"{rss[10000]:.1f}",
                  f"{growth:+.1f}", f"<= +{GOAL_RSS_GROWTH_MB}", verdict]],
            )
        )  # fmt: skip
        for query, fig in planned:
            print(f"\nplans for `{query.name}` ({fig.statements} statements ran):")
            print("\n".join(explain(url, fig.statements_seen)))
    return ok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--postgres",
        metavar="ADMIN_URL",
        default=os.environ.get("PRIMA_BENCH_POSTGRES_URL"),
        help="PostgreSQL server URL (a temporary database is created there)",
    )
    parser.add_argument("--bookings", type=int, default=100_000)
    parser.add_argument("--venues", type=int, default=500)
    parser.add_argument("--runs", type=int, default=5, help="measured runs per query")
    parser.add_argument("--no-sqlite", action="store_true", help="only PostgreSQL")
    parser.add_argument("--explain", action="store_true", help="plans of every query")
    parser.add_argument("--check", action="store_true", help="exit 1 when a goal is missed")
    args = parser.parse_args(argv)

    ok = True
    if not args.no_sqlite:
        ok = run_backend("SQLite", sqlite_store, args) and ok
    if args.postgres:
        ok = run_backend("PostgreSQL", lambda: postgres_store(args.postgres), args) and ok
    else:
        print("\n(PostgreSQL skipped: pass --postgres URL or set PRIMA_BENCH_POSTGRES_URL)")
    return 1 if args.check and not ok else 0


if __name__ == "__main__":
    sys.exit(main())
