"""The benchmark scripts still run, on tiny sizes (their figures are not checked here:
goals are measured at full size by hand, see bench/README.md)."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parent.parent / "bench"
pytestmark = pytest.mark.slow


def _bench(script: str, *args: str) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PRIMA_")}
    proc = subprocess.run([sys.executable, str(BENCH / script), *args], env=env,
                          capture_output=True, text=True, timeout=600)  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc.stdout


def test_startup_bench_runs() -> None:
    out = _bench("startup.py", "--runs", "1", "--warmups", "0", "--venues", "20")
    for row in ("prima --version", "prima --help", "prima venues list --json (20 venues)"):
        assert row in out


def test_scale_bench_runs_on_sqlite_and_postgres(postgres_admin_url: str) -> None:
    out = _bench("scale.py", "--bookings", "1500", "--venues", "7", "--runs", "1",
                 "--postgres", postgres_admin_url)  # fmt: skip
    assert "== SQLite: 1,500 bookings / 7 venues" in out
    assert "== PostgreSQL: 1,500 bookings / 7 venues" in out
    assert out.count("bookings list --limit 10000 --json") == 2


def test_sync_bench_runs_and_its_httpx_floor_replays_the_sync() -> None:
    out = _bench("sync.py", "--connections", "30", "--concurrency", "6", "--sample", "3",
                 "--sweep", "3")  # fmt: skip
    rows = {line.split("  ")[0]: line for line in out.splitlines()}
    assert "2.03 per connection" in rows["requests served"]  # the key checked once: 2N + 1
    assert "httpx floor (same requests, bare httpx)" in rows
    assert "latency-free floor (0 ms simulator)" in rows
    assert "both goals" in out  # the sweep table


def test_report_bench_runs_on_sqlite_and_postgres(postgres_admin_url: str) -> None:
    out = _bench("report.py", "--bookings", "2000", "--results", "200", "--venues", "4",
                 "--runs", "1", "--postgres", postgres_admin_url)  # fmt: skip
    assert "== SQLite:" in out and "== PostgreSQL:" in out
    assert out.count("prima report --json (150 days)") == 2


def test_platform_scale_bench_prints_every_figure() -> None:
    out = _bench("platform_scale.py", "--connections", "20", "--concurrency", "4", "--runs",
                 "2", "--latency-ms", "20", "--paced-connections", "3",
                 "--rss-connections", "30")  # fmt: skip
    for row in ("requests per connection (20 connections, one key)", "sync / httpx CPU",
                "sync start-up CPU (a sync of 1 connection)", "sync CPU beyond start-up",
                "simulator CPU per request", "wall / bound at 20 ms",
                "the sync's start-up, before its first request", "the sync's requests alone",
                "bare httpx's same requests (its imports excluded) / bound",
                "429s with the simulator limiting at 600/min", "wall / (requests / budget)",
                "max RSS of the sync, 30 connections"):  # fmt: skip
        assert row in out, out
    assert "2.050" in out  # 41 requests for 20 connections
    # the test extra brings click (pipx), so httpx loads its own client here: said apart
    cli_row = "of the start-up: httpx's command-line client (click installed)"
    assert (cli_row in out) == (importlib.util.find_spec("click") is not None), out


def test_workers_bench_runs(postgres_admin_url: str) -> None:
    out = _bench("workers.py", "--postgres", postgres_admin_url, "--connections", "20",
                 "--jobs", "50", "--workers", "1,2", "--latency-ms", "0")  # fmt: skip
    assert "defer 50 one by one" in out and "run 50, 1 worker x 10" in out
    assert "1 worker(s) x 10" in out and "2 worker(s) x 10" in out
    assert "platforms sync --concurrency 20" in out
