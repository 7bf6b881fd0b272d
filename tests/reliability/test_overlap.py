"""Five `prima platforms sync` processes started together on one store: exactly one runs, the
others exit 75 at once, and exactly one run is recorded (SQLite lock file, PostgreSQL
advisory lock, MariaDB GET_LOCK)."""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from prima_cli.sandbox import Sandbox, SandboxConfig
from tests.conftest import CLI, prima_executable
from tests.integration.conftest import cm_settings, restoo_settings

LATENCY_MS = 400  # every simulated request: the winner holds the lock for seconds


@pytest.fixture
def slow_sandbox() -> Iterator[Sandbox]:
    with Sandbox(SandboxConfig(seed=7, latency_ms=LATENCY_MS)) as sb:
        yield sb


def prepare(db_url: str, sb: Sandbox) -> CLI:
    cli = CLI(db_url)
    cli.ok("db", "migrate")
    cli.ok("venues", "add", "Madrid", "--slug", "madrid", "--timezone", "Europe/Madrid")
    cli.ok("venues", "add", "Lisboa", "--slug", "lisboa", "--timezone", "Europe/Lisbon")
    cli.ok("platforms", "add", "madrid", "covermanager", *cm_settings(sb), "--no-test")
    cli.ok("platforms", "add", "lisboa", "restoo", *restoo_settings(sb), "--no-test")
    return cli


def five_at_once(db_url: str) -> list[tuple[int, str, str, float]]:
    started = time.monotonic()
    procs = [
        subprocess.Popen(
            [*prima_executable(), "--db", db_url, "platforms", "sync", "--days", "2", "--json"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(5)
    ]

    def finish(proc: subprocess.Popen[str]) -> tuple[int, str, str, float]:
        out, err = proc.communicate(timeout=120)
        return proc.returncode, out, err, time.monotonic() - started

    with ThreadPoolExecutor(len(procs)) as pool:  # each process's own finishing time
        return list(pool.map(finish, procs))


def check_exactly_one_ran(cli: CLI, results: list[tuple[int, str, str, float]]) -> None:
    codes = sorted(code for code, *_ in results)
    assert codes == [0, 75, 75, 75, 75], [(c, e) for c, _, e, _ in results]
    (winner,) = [r for r in results if r[0] == 0]
    run = json.loads(winner[1])
    assert run["status"] == "ok" and run["counts"]["connections"] == 2
    for code, out, err, _ in results:
        if code == 75:
            assert out == ""
            error = json.loads(err)["error"]
            assert error["type"] == "try_again_later"
            assert "another `prima platforms sync` is running" in error["message"]
    # "at once": every loser is done while the winner is still working
    winner_done = winner[3]
    assert winner_done > 2 * LATENCY_MS / 1000
    loser_times = [t for code, _, _, t in results if code == 75]
    assert max(loser_times) < winner_done, (loser_times, winner_done)
    history = cli.ok("platforms", "history", "--json").json()
    assert [(r["id"], r["status"]) for r in history] == [(run["id"], "ok")]
    per_connection = cli.ok("platforms", "history", str(run["id"]), "--json").json()["results"]
    assert sorted(r["venue"] for r in per_connection) == ["lisboa", "madrid"]


@pytest.mark.slow
def test_five_syncs_on_sqlite(tmp_path: Path, slow_sandbox: Sandbox) -> None:
    db_url = f"sqlite:///{tmp_path / 'overlap.db'}"
    cli = prepare(db_url, slow_sandbox)
    check_exactly_one_ran(cli, five_at_once(db_url))


@pytest.mark.slow
@pytest.mark.postgres
def test_five_syncs_on_postgres(postgres_url: str, slow_sandbox: Sandbox) -> None:
    cli = prepare(postgres_url, slow_sandbox)
    check_exactly_one_ran(cli, five_at_once(postgres_url))


@pytest.mark.slow
@pytest.mark.mysql
def test_five_syncs_on_mariadb(mysql_url: str, slow_sandbox: Sandbox) -> None:
    cli = prepare(mysql_url, slow_sandbox)
    check_exactly_one_ran(cli, five_at_once(mysql_url))
