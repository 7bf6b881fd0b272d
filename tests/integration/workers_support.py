"""Helpers of the worker tests: connections in bulk, worker processes, the engine's tables."""

from __future__ import annotations

import json
import signal
import subprocess
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa

from prima_cli.sandbox import Sandbox
from prima_cli.store.types import utcnow
from prima_cli.store.url import normalise
from tests.conftest import CLI, prima_executable
from tests.reliability.lifecycle import wait_until


def wait_for(predicate: Callable[[], bool], seconds: float = 90.0, what: str = "") -> None:
    """Poll until ``predicate`` holds: the tests wait for what happened, not for time. Most
    predicates here query the database: every 0.1 s."""
    wait_until(predicate, seconds=seconds, what=what, every=0.1)


def rows(url: str, query: str, **params: Any) -> list[Any]:
    engine = sa.create_engine(normalise(url))
    try:
        with engine.connect() as conn:
            return list(conn.execute(sa.text(query), params).all())
    finally:
        engine.dispose()


def scalar(url: str, query: str, **params: Any) -> Any:
    return rows(url, query, **params)[0][0]


def bulk_connections(url: str, sb: Sandbox, count: int) -> CLI:
    """A migrated store with ``count`` venues, each with one CoverManager connection
    (inserted in bulk: N CLI calls would take minutes on a loaded machine)."""
    cli = CLI(url)
    cli.ok("db", "migrate")
    cm = sb.credentials().to_dict()["covermanager"]
    restaurants = [r["slug"] for r in cm["restaurants"] if r["can_book"]]
    now = utcnow()
    engine = sa.create_engine(normalise(url))
    with engine.begin() as conn:
        conn.execute(
            sa.text("INSERT INTO venues (id, name, slug, timezone, country, created_at, "
                    "updated_at, uses_covermanager, covermanager_sync_enabled) VALUES (:id, "
                    ":name, :slug, 'Europe/Madrid', 'ES', :now, :now, false, false)"),
            [{"id": i, "name": f"Venue {i}", "slug": f"w{i:04d}", "now": now}
             for i in range(1, count + 1)],
        )  # fmt: skip
        conn.execute(sa.text("SELECT setval('venues_id_seq', :n)"), {"n": count})
        conn.execute(
            sa.text("INSERT INTO venue_platforms (venue_id, platform_type, is_enabled, priority,"
                    " configuration, created_at, updated_at) VALUES (:v, 'covermanager', true,"
                    " 1, CAST(:config AS JSON), :now, :now)"),
            [{"v": i, "now": now, "config": json.dumps({
                "restaurant_id": restaurants[i % len(restaurants)],
                "api_key": cm["api_key"], "base_url": cm["base_url"]})}
             for i in range(1, count + 1)],
        )  # fmt: skip
    engine.dispose()
    return cli


def start_worker(url: str, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [*prima_executable(), "--db", url, "worker", "run", "--json", "--schedule", "off",
         "--days", "1", *args],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


def stop_worker(proc: subprocess.Popen[str], sig: int = signal.SIGTERM) -> dict[str, Any]:
    """Stop a worker as systemd does; its report (it must exit 0)."""
    proc.send_signal(sig)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err[-3000:]
    report: dict[str, Any] = json.loads(out)
    return report


def enqueue(url: str) -> dict[str, Any]:
    cli = CLI(url)
    return cli.ok("platforms", "sync", "--enqueue", "--days", "1", "--json").json()  # type: ignore[no-any-return]


def run_status(url: str, run_id: int) -> str:
    return str(scalar(url, "SELECT status FROM sync_runs WHERE id = :r", r=run_id))


def jobs_in(url: str, task: str, status: str) -> int:
    query = ("SELECT count(*) FROM procrastinate_jobs WHERE task_name = :t "
             "AND status = CAST(:s AS procrastinate_job_status)")  # fmt: skip
    return int(scalar(url, query, t=task, s=status))
