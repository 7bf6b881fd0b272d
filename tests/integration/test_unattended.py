"""Unattended operation through the real executable under a cron-like environment (``env -i``
with PATH and the job's variables, no terminal, stdin from /dev/null): quiet runs, exit codes
that say what to do, the run's trigger, the metrics file, pings and the health check."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
import sqlalchemy as sa
from prometheus_client.parser import text_string_to_metric_families

from prima_cli.sandbox import Sandbox
from prima_cli.store.url import resolve
from tests.conftest import CLI
from tests.integration.conftest import restoo_settings
from tests.integration.cron import cron_run, ping_server
from tests.integration.test_bookings import GUEST, day

SYNC = ("platforms", "sync", "--quiet", "--days", "2", "--trigger", "cron")


@pytest.fixture
def keyed(venues: CLI, sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """madrid on CoverManager and lisboa on Restoo, their keys referenced as env:CM_KEY and
    env:RESTOO_KEY; returns the variables a cron job needs."""
    creds = sandbox.credentials()
    keys = {"CM_KEY": creds.covermanager.api_key, "RESTOO_KEY": creds.restoo.api_key}
    for name, value in keys.items():
        monkeypatch.setenv(name, value)
    venues.ok(
        "platforms",
        "add",
        "madrid",
        "covermanager",
        "--set",
        "restaurant_id=prima-sbx-madrid",
        "--set",
        "api_key=env:CM_KEY",
        "--set",
        f"base_url={creds.covermanager.base_url}",
    )
    venues.ok(
        "platforms",
        "add",
        "lisboa",
        "restoo",
        "--set",
        "account=prima-sbx-lisboa",
        "--set",
        "api_key=env:RESTOO_KEY",
        "--set",
        f"base_url={creds.restoo.base_url}",
    )
    return keys


def metrics(path: Path) -> dict[str, list[tuple[dict[str, str], float]]]:
    """The file parsed back with prometheus_client's own parser: family -> samples."""
    found: dict[str, list[tuple[dict[str, str], float]]] = {}
    for family in text_string_to_metric_families(path.read_text()):
        for sample in family.samples:
            found.setdefault(sample.name, []).append((sample.labels, sample.value))
    return found


def one(found: dict[str, list[tuple[dict[str, str], float]]], name: str) -> float:
    [(_labels, value)] = found[name]
    return value


def store_sql(cli: CLI, statement: str, **params: object) -> None:
    engine = sa.create_engine(resolve(cli.db_url)[0])
    with engine.begin() as conn:
        conn.execute(sa.text(statement), params)
    engine.dispose()


def lose_a_restoo_booking(venues: CLI, sandbox: Sandbox) -> None:
    """A Restoo create whose answer is lost: unknown, and Restoo has no look-up, so it waits
    for the operator."""
    venues.ok(
        "platforms",
        "add",
        "madrid",
        "restoo",
        *restoo_settings(sandbox, account="prima-sbx-barcelona"),
    )
    sandbox.inject("reset:restoo:/booking:POST:times=1")
    lost = venues(
        "bookings", "create", "madrid", "--date", day(), "--time", "20:00", "--party", "2", *GUEST
    )
    assert lost.exit_code == 8, lost.stderr  # outcome unknown: reconcile, never resend


# --- 1. quiet means quiet -------------------------------------------------------------------


def test_a_healthy_quiet_cron_run_prints_nothing(keyed: dict[str, str], venues: CLI) -> None:
    proc = cron_run(*SYNC, **keyed)
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, "", "")
    run = venues.ok("platforms", "history", "--json").json()[0]
    assert run["status"] == "ok" and run["counts"]["ok"] == 2


def test_a_failing_quiet_run_says_one_line_per_problem_naming_the_connection_once(
    keyed: dict[str, str],
) -> None:
    proc = cron_run(*SYNC, CM_KEY="wrong-key-0000", RESTOO_KEY=keyed["RESTOO_KEY"])
    assert proc.returncode == 7 and proc.stdout == ""  # one of two failed: partial
    [line] = proc.stderr.splitlines()
    assert line.startswith("warning: madrid/covermanager: CoverManager refused the credentials")
    assert line.count("madrid/covermanager") == 1
    assert "`prima platforms edit madrid covermanager --store-secret --set api_key=-`" in line
    assert "..." not in line and "wrong-key" not in line


def test_an_unset_key_variable_is_named_once_with_a_hint_to_paste(keyed: dict[str, str]) -> None:
    proc = cron_run(*SYNC, RESTOO_KEY=keyed["RESTOO_KEY"])  # CM_KEY missing from the job
    assert proc.returncode == 7  # partial: lisboa synced
    [line] = proc.stderr.splitlines()
    assert line.count("madrid/covermanager") == 1, line
    assert (
        "CM_KEY" in line
        and "`prima platforms edit madrid covermanager --store-secret --set api_key=-`" in line
    )


def test_bookings_needing_the_operator_make_a_quiet_run_speak(
    venues: CLI, sandbox: Sandbox
) -> None:
    lose_a_restoo_booking(venues, sandbox)
    proc = cron_run(*SYNC)
    assert proc.returncode == 7
    [line] = proc.stderr.splitlines()
    assert line.startswith("warning: madrid/restoo: 1 booking(s) whose outcome")
    assert "`prima bookings list --venue madrid --status unknown`" in line


# --- 2. errors that say what to do; the trigger is the caller's -------------------------------


def test_the_trigger_is_what_the_caller_says(keyed: dict[str, str], venues: CLI) -> None:
    assert cron_run("platforms", "sync", "--quiet", "--days", "1", **keyed).returncode == 0
    assert cron_run(*SYNC, **keyed).returncode == 0
    runs = venues.ok("platforms", "history", "--json").json()
    assert [r["trigger"] for r in runs] == ["cron", "manual"]  # stdin not a terminal: still manual
    bad = cron_run("platforms", "sync", "--trigger", "sometimes", **keyed)
    assert bad.returncode == 2 and "--trigger must be one of manual, cron" in bad.stderr
    assert len(venues.ok("platforms", "history", "--json").json()) == 2


def test_an_unreachable_database_is_try_again_later_everywhere(tmp_path: Path) -> None:
    down = "postgresql://postgres@127.0.0.1:1/prima"  # nothing listens on port 1
    for args in (SYNC, ("doctor",), ("doctor", "--json"), ("platforms", "list")):
        proc = cron_run(*args, PRIMA_DATABASE_URL=down)
        assert proc.returncode == 75, (args, proc.stderr)
        assert "unavailable" in proc.stdout + proc.stderr
    missing = cron_run("doctor", PRIMA_DATABASE_URL=f"sqlite:///{tmp_path}/none/prima.db")
    assert missing.returncode == 78  # a bad URL: configuration, not "later"
    unmigrated = cron_run("doctor", "--json", PRIMA_DATABASE_URL=str(tmp_path / "empty.db"))
    assert unmigrated.returncode == 78, unmigrated.stdout


# --- 3. metrics ------------------------------------------------------------------------------


def test_metrics_file_parsed_back_and_a_failed_run_keeps_the_last_success(
    keyed: dict[str, str], tmp_path: Path
) -> None:
    prom = tmp_path / "textfile" / "prima.prom"
    prom.parent.mkdir()
    before = dt.datetime.now(dt.UTC).timestamp()
    assert cron_run(*SYNC, "--metrics-file", str(prom), **keyed).returncode == 0
    first = metrics(prom)
    success = one(first, "prima_sync_last_success_timestamp_seconds")
    assert before - 1 <= success <= dt.datetime.now(dt.UTC).timestamp() + 1
    assert one(first, "prima_sync_last_run_exit_code") == 0
    assert one(first, "prima_sync_last_run_duration_seconds") >= 0
    assert one(first, "prima_bookings_needing_attention") == 0
    by = {(lb["status"], lb["platform"]): v for lb, v in first["prima_connections"]}
    assert by == {("ok", "covermanager"): 1, ("ok", "restoo"): 1}
    per = {lb["venue"]: v for lb, v in first["prima_connection_last_success_timestamp_seconds"]}
    assert set(per) == {"madrid", "lisboa"} and all(v >= before - 1 for v in per.values())
    assert sorted(p.name for p in prom.parent.iterdir()) == ["prima.prom"]  # no temp file left

    failed = cron_run(
        *SYNC, "--metrics-file", str(prom), CM_KEY="wrong-key-0000", RESTOO_KEY=keyed["RESTOO_KEY"]
    )
    assert failed.returncode == 7
    second = metrics(prom)
    assert one(second, "prima_sync_last_success_timestamp_seconds") == success
    assert one(second, "prima_sync_last_run_exit_code") == 7
    assert one(second, "prima_sync_last_run_timestamp_seconds") >= one(
        first, "prima_sync_last_run_timestamp_seconds"
    )
    by = {(lb["status"], lb["platform"]): v for lb, v in second["prima_connections"]}
    assert by == {("failed", "covermanager"): 1, ("ok", "restoo"): 1}
    per = {lb["venue"]: v for lb, v in second["prima_connection_last_success_timestamp_seconds"]}
    assert (
        per["madrid"]
        == {lb["venue"]: v for lb, v in first["prima_connection_last_success_timestamp_seconds"]}[
            "madrid"
        ]
    )

    down = cron_run(
        *SYNC,
        "--metrics-file",
        str(prom),
        PRIMA_DATABASE_URL="postgresql://postgres@127.0.0.1:1/prima",
    )
    assert down.returncode == 75
    third = metrics(prom)  # the store's families carried over; the run's say 75
    assert one(third, "prima_sync_last_run_exit_code") == 75
    assert one(third, "prima_sync_last_success_timestamp_seconds") == success
    assert third["prima_connections"] == second["prima_connections"]


def test_a_metrics_directory_that_does_not_exist_is_refused_before_the_run(
    keyed: dict[str, str], venues: CLI, tmp_path: Path
) -> None:
    proc = cron_run(*SYNC, "--metrics-file", str(tmp_path / "nope" / "p.prom"), **keyed)
    assert proc.returncode == 78 and "does not exist" in proc.stderr
    assert venues.ok("platforms", "history", "--json").json() == []


# --- 4. health and pings --------------------------------------------------------------------


def test_health_turns_red_when_the_last_success_is_too_old(
    keyed: dict[str, str], venues: CLI
) -> None:
    never = cron_run("doctor", "--max-sync-age", "15m", **keyed)
    assert never.returncode == 11 and "never synced" in never.stdout
    assert cron_run(*SYNC, **keyed).returncode == 0
    green = cron_run("doctor", "--max-sync-age", "15m", "--json", **keyed)
    assert green.returncode == 0
    assert {c["name"]: c["ok"] for c in json.loads(green.stdout)["checks"]}["sync_age"] is True
    two_hours_ago = dt.datetime.now(dt.UTC) - dt.timedelta(hours=2)
    store_sql(
        venues,
        "UPDATE venue_platforms SET last_synced_at = :at WHERE platform_type = 'restoo'",
        at=two_hours_ago.replace(tzinfo=None).isoformat(sep=" "),
    )
    red = cron_run("doctor", "--max-sync-age", "1h", "--json", **keyed)
    assert red.returncode == 11
    check = {c["name"]: c for c in json.loads(red.stdout)["checks"]}["sync_age"]
    assert check["ok"] is False and "lisboa/restoo" in check["detail"]
    assert "madrid" not in check["detail"]
    assert cron_run("doctor", "--max-sync-age", "3h", **keyed).returncode == 0
    failed = cron_run(*SYNC, CM_KEY="wrong-key-0000", RESTOO_KEY="wrong-too-0000")
    assert failed.returncode == 5  # a failed run does not make the sync look fresh
    assert cron_run("doctor", "--max-sync-age", "1h", **keyed).returncode == 11
    bad = cron_run("doctor", "--max-sync-age", "soon")
    assert bad.returncode == 2 and "15m" in bad.stderr


def test_health_counts_bookings_needing_the_operator(venues: CLI, sandbox: Sandbox) -> None:
    assert cron_run("doctor", "--max-attention", "0").returncode == 0
    lose_a_restoo_booking(venues, sandbox)
    red = cron_run("doctor", "--max-attention", "0", "--json")
    assert red.returncode == 11
    assert {c["name"]: c["ok"] for c in json.loads(red.stdout)["checks"]}["attention"] is False
    assert cron_run("doctor", "--max-attention", "1").returncode == 0


def test_pings_start_then_success_or_the_exit_code(keyed: dict[str, str]) -> None:
    with ping_server() as pings:
        assert cron_run(*SYNC, "--ping-url", pings.url, **keyed).returncode == 0
        assert pings.paths() == ["/ping/3f1c9a7e-check/start", "/ping/3f1c9a7e-check"]
        body = json.loads(pings.received[-1][2])
        assert body["status"] == "ok" and body["trigger"] == "cron"
        pings.received.clear()
        proc = cron_run(
            *SYNC, "--ping-url", pings.url, CM_KEY="wrong-key-0000", RESTOO_KEY="wrong-too-0000"
        )
        assert proc.returncode == 5
        assert pings.paths() == ["/ping/3f1c9a7e-check/start", "/ping/3f1c9a7e-check/5"]
        assert b"wrong-key" not in pings.received[-1][2]
        pings.status = 500
        assert cron_run(*SYNC, "--ping-url", pings.url, **keyed).returncode == 0


def test_a_ping_that_fails_is_a_warning_never_the_runs_outcome(keyed: dict[str, str]) -> None:
    proc = cron_run(*SYNC, "--ping-url", "http://127.0.0.1:1/ping/3f1c9a7e-check", **keyed)
    assert proc.returncode == 0 and proc.stdout == ""
    lines = proc.stderr.splitlines()
    assert len(lines) == 2 and all(ln.startswith("warning: could not ping") for ln in lines)
    assert "3f1c9a7e" not in proc.stderr  # the check's id is its secret


def test_quiet_doctor_for_cron_prints_only_what_failed(keyed: dict[str, str]) -> None:
    assert cron_run(*SYNC, **keyed).returncode == 0
    healthy = cron_run("doctor", "--quiet", "--max-sync-age", "15m", **keyed)
    assert (healthy.returncode, healthy.stdout, healthy.stderr) == (0, "", "")
    never = cron_run("doctor", "--quiet", "--max-sync-age", "15m", "--max-attention", "0",
                     RESTOO_KEY=keyed["RESTOO_KEY"])  # fmt: skip
    assert never.returncode == 78 and never.stdout == ""  # CM_KEY missing: configuration
    lines = never.stderr.splitlines()
    assert any("CM_KEY" in line for line in lines)
    assert "warning: secrets: 1 connection(s) with unresolved secrets" in lines
