"""`prima demo` on an empty data directory, and `prima sandbox serve` in the foreground."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import prima_executable, run_prima
from tests.reliability.support import create_args


@pytest.mark.slow
def test_demo_on_an_explicit_store_twice(tmp_path: Path) -> None:
    data = tmp_path / "fresh"
    db = str(tmp_path / "kept.db")
    # TMPDIR: each run's report is a new file there, not left behind in the system's
    env = {**os.environ, "PRIMA_DATA_DIR": str(data), "PRIMA_DATABASE_URL": db,
           "TMPDIR": str(tmp_path)}  # fmt: skip
    throwaway = run_prima(["demo"], env=env, timeout=120)  # neither the default nor the env's
    assert throwaway.returncode == 0, throwaway.stderr
    assert not data.exists() and not (tmp_path / "kept.db").exists()
    first = run_prima(["--db", db, "demo"], env=env, timeout=120)
    assert first.returncode == 0, first.stderr
    assert (tmp_path / "kept.db").exists()
    for needle in (
        "Simulator",
        "Venues",
        "Connections",
        "Credential test",
        "Availability",
        "bookable times",
    ):
        assert needle in first.stderr
    assert "FAILED" not in first.stderr
    run_prima(["venues", "add", "Mine", "--slug", "mine"], env=env)
    second = run_prima(["--db", db, "demo", "--json"], env=env, timeout=120)
    assert second.returncode == 0, second.stderr
    report = json.loads(second.stdout)
    venues_step = next(s for s in report["steps"] if s["title"] == "Venues")
    assert sorted(venues_step["data"]["replaced"]) == sorted(venues_step["data"]["created"])
    availability = next(s for s in report["steps"] if s["title"].startswith("Availability"))
    assert all(a["slots"] > 0 and a["error"] is None for a in availability["data"]["availability"])
    slugs = {v["slug"] for v in json.loads(run_prima(["venues", "list", "--json"], env=env).stdout)}
    assert slugs == {"mine", "prima-demo-cdmx", "prima-demo-lisboa", "prima-demo-madrid"}
    conns = json.loads(run_prima(["platforms", "list", "--json"], env=env).stdout)
    assert len(conns) == 4 and not any(c["enabled"] for c in conns)
    # the sandbox keys were stored literally: masked on the way out
    assert all(c["configuration"]["api_key"].startswith("****") for c in conns)


def _serve(data_dir: Path, *args: str) -> tuple[subprocess.Popen[str], dict[str, Any]]:
    """`prima sandbox serve --json` in the foreground: the process and what it printed."""
    proc = subprocess.Popen(
        [*prima_executable(), "sandbox", "serve", "--port", "0", "--json", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PRIMA_DATA_DIR": str(data_dir)},
    )
    assert proc.stdout is not None
    text = ""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        text += line
        try:
            return proc, json.loads(text)
        except json.JSONDecodeError:
            continue
    proc.kill()
    raise AssertionError(f"no settings printed: {text!r}")


def test_sandbox_serve_prints_credentials_and_stops_on_ctrl_c(tmp_path: Path) -> None:
    proc, info = _serve(tmp_path, "--seed", "3")
    try:
        cm = info["covermanager"]
        response = httpx.get(f"{cm['base_url']}/restaurant/list/{cm['api_key']}/")
        assert response.json()["resp"] == 1
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=15) == 0
        assert "Traceback" not in (proc.stderr.read() if proc.stderr else "")
    finally:
        if proc.poll() is None:
            proc.kill()


def test_a_restarted_sandbox_never_hands_out_an_id_a_store_already_holds(tmp_path: Path) -> None:
    """Without --state each start is a fresh platform: same keys and venues (the seed), but
    reservation ids a store synced with an earlier run does not hold already."""
    store = ["--db", str(tmp_path / "store.db")]
    assert run_prima([*store, "db", "migrate"]).returncode == 0
    assert run_prima([*store, "venues", "add", "Madrid", "--slug", "madrid", "--timezone",
                      "Europe/Madrid", "--country", "ES"]).returncode == 0  # fmt: skip
    ids, keys = [], []
    for attempt in range(2):
        proc, info = _serve(tmp_path / f"run{attempt}")
        try:
            cm = info["covermanager"]
            keys.append(cm["api_key"])
            # edited: the first run's booking is on a platform that is gone (--force says so)
            connect = ["add"] if attempt == 0 else ["edit", "--force"]
            settings = ["--set", f"base_url={cm['base_url']}"]
            if attempt == 0:
                settings += ["--set", "restaurant_id=prima-sbx-madrid", "--set",
                             f"api_key=literal:{cm['api_key']}"]  # fmt: skip
            done = run_prima([*store, "platforms", *connect, "madrid", "covermanager", *settings])
            assert done.returncode == 0, done.stderr
            made = run_prima([*store, *create_args(time=f"2{attempt}:00"), "--json"])
            assert made.returncode == 0, made.stderr
            ids.append(json.loads(made.stdout)["external_id"])
        finally:
            proc.send_signal(signal.SIGINT)
            proc.wait(timeout=15)
    assert keys[0] == keys[1]  # the seed's: the store's connection still works
    assert ids[0] != ids[1]


def test_sandbox_serve_rejects_bad_faults_and_switches() -> None:
    bad = run_prima(["sandbox", "serve", "--port", "0", "--fault", "explode:everything"])
    assert bad.returncode == 2
    assert "explode" in bad.stderr
    switch = run_prima(["sandbox", "serve", "--port", "0", "--switch", "no_such_switch=on"])
    assert switch.returncode == 2
    assert "unknown switch" in switch.stderr
