"""`prima platforms sync` and `history` through the real entry point against the simulator."""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Iterator

import pytest
import respx
import sqlalchemy as sa
from httpx import Response

from prima_cli.sandbox import Sandbox, SandboxConfig
from prima_cli.store.url import normalise
from tests.conftest import CLI, prima_executable, run_prima
from tests.integration.conftest import cm_settings, restoo_settings
from tests.integration.test_bookings import GUEST, day
from tests.reliability.lifecycle import wait_until


@pytest.fixture
def slow_sandbox() -> Iterator[Sandbox]:
    with Sandbox(SandboxConfig(seed=7, latency_ms=400)) as sb:
        yield sb


def connect_both(cli: CLI, sb: Sandbox) -> None:
    cli.ok("platforms", "add", "madrid", "covermanager", *cm_settings(sb), "--no-test")
    cli.ok("platforms", "add", "lisboa", "restoo", *restoo_settings(sb), "--no-test")


def inside_a_hanging_call(sb: Sandbox, proc: subprocess.Popen[str], seconds: int) -> None:
    """Make the next call to the simulator hang for ``seconds`` and return once ``proc``, a
    running sync, is inside it (the one-shot rule retires when a request takes it)."""
    hang = sb.inject(f"hang:restoo::seconds={seconds}:times=1")
    wait_until(lambda: hang not in sb.faults or proc.poll() is not None, every=0.05)
    assert proc.poll() is None, f"the sync ended before its call: {proc.communicate()}"


def snapshot_rows(cli: CLI) -> list[tuple]:
    from prima_cli.store.url import resolve

    engine = sa.create_engine(resolve(cli.db_url)[0])
    with engine.connect() as conn:
        rows = conn.execute(sa.text(
            "SELECT venue_platform_id, local_date, slots, fetched_at FROM availability_snapshots "
            "ORDER BY venue_platform_id, local_date")).all()  # fmt: skip
    engine.dispose()
    return [tuple(r) for r in rows]


def test_sync_records_everything_and_history_shows_it(venues: CLI, sandbox: Sandbox) -> None:
    connect_both(venues, sandbox)
    proc = run_prima(["platforms", "sync", "--days", "3", "--json", "--trigger", "cron"])
    assert proc.returncode == 0, proc.stderr
    run = json.loads(proc.stdout)
    assert run["status"] == "ok" and run["trigger"] == "cron"
    assert run["counts"]["connections"] == 2 and run["counts"]["availability_days"] == 6
    by_type = {r["platform_type"]: r for r in run["results"]}
    assert by_type["covermanager"]["steps"]["statuses"]["status"] == "ok"
    assert by_type["restoo"]["steps"]["statuses"]["status"] == "unsupported"
    listed = venues.ok("platforms", "list", "--json").json()
    assert {c["last_sync_status"] for c in listed} == {"ok"}
    assert all(c["last_synced_at"] for c in listed)
    history = venues.ok("platforms", "history", "--json").json()
    assert [r["id"] for r in history] == [run["id"]]
    shown = venues.ok("platforms", "history", str(run["id"]), "--json").json()
    assert shown == run
    assert venues("platforms", "history", "999").exit_code == 3
    cached = venues.ok(
        "bookings",
        "availability",
        "madrid",
        "--date",
        day(ahead=1),
        "--party",
        "2",
        "--time",
        "20:00",
        "--cached",
        "--json",
    ).json()
    assert cached["platforms"][0]["bookable"] is True
    assert cached["platforms"][0]["age_seconds"] >= 0


def test_cron_output_is_one_line_on_stderr(venues: CLI, sandbox: Sandbox) -> None:
    connect_both(venues, sandbox)
    proc = run_prima(["platforms", "sync", "--days", "2"])
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == ""
    assert proc.stderr.count("\n") == 1 and proc.stderr.startswith("sync run ")
    quiet = venues.ok("platforms", "sync", "--days", "2", "--quiet", tty=True)
    assert quiet.stdout == "" and quiet.stderr == ""  # healthy and quiet: nothing at all
    table = venues.ok("platforms", "sync", "--days", "2", tty=True, no_color=True)
    assert "madrid" in table.stdout and "lisboa" in table.stdout


def test_dry_run_calls_and_writes_nothing(venues: CLI, sandbox: Sandbox) -> None:
    connect_both(venues, sandbox)
    sandbox.clear_requests_log()
    planned = venues.ok("platforms", "sync", "--dry-run", "--json").json()
    assert [p["venue"] for p in planned["planned"]] == ["lisboa", "madrid"]
    assert sandbox.requests_log == []
    assert venues.ok("platforms", "history", "--json").json() == []


@pytest.mark.slow
def test_overlapping_runs_second_exits_75(venues: CLI, slow_sandbox: Sandbox) -> None:
    connect_both(venues, slow_sandbox)
    first = subprocess.Popen(
        [*prima_executable(), "platforms", "sync", "--days", "2"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        inside_a_hanging_call(slow_sandbox, first, seconds=8)  # it holds the lock meanwhile
        started = time.monotonic()
        second = run_prima(["platforms", "sync", "--json"])
        assert second.returncode == 75, second.stderr
        assert time.monotonic() - started < 5
        assert "another `prima platforms sync` is running" in json.loads(second.stderr)[
            "error"]["message"]  # fmt: skip
        waited = run_prima(["platforms", "sync", "--days", "1", "--wait", "60"])
        assert waited.returncode == 0, waited.stderr
    finally:
        first.wait(timeout=60)
    assert first.returncode == 0, first.stderr
    runs = venues.ok("platforms", "history", "--json").json()
    assert [r["status"] for r in runs] == ["ok", "ok"]


def test_a_partial_run_stopped_while_it_pings_its_end_writes_one_error_line(
    venues: CLI, sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SIGTERM (read as Ctrl-C) while the run's end is pinged, after its data was written:
    a script still reads one JSON error on stderr, the one of the exit code (130), not the
    partial run's line and then the interruption's (reproduced with the executable, a ping
    URL that never answers and a SIGTERM: both lines, exit 130)."""
    from prima_cli.cli.sync_monitor import SyncMonitor

    connect_both(venues, sandbox)
    venues.ok("platforms", "edit", "lisboa", "restoo", "--set", "account=not-our-account")

    def stopped(self: SyncMonitor, code: int, document: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(SyncMonitor, "ended", stopped)
    run = venues("platforms", "sync", "--days", "1", "--json")
    assert run.exit_code == 130
    assert json.loads(run.stdout)["status"] == "partial"  # the run's data was written
    [line] = run.stderr.splitlines()
    assert json.loads(line)["error"]["type"] == "interrupted"


def test_one_failing_connection_among_healthy_ones(venues: CLI, sandbox: Sandbox) -> None:
    connect_both(venues, sandbox)
    venues.ok("venues", "add", "Bogotá", "--slug", "bogota", "--timezone", "America/Bogota")
    venues.ok(
        "platforms",
        "add",
        "bogota",
        "restoo",
        *restoo_settings(sandbox, account="not-our-account"),
        "--no-test",
    )
    proc = run_prima(["platforms", "sync", "--days", "2", "--json"])
    assert proc.returncode == 7, proc.stderr
    run = json.loads(proc.stdout)
    assert run["status"] == "partial"
    by_venue = {r["venue"]: r for r in run["results"]}
    assert by_venue["madrid"]["status"] == "ok" and by_venue["lisboa"]["status"] == "ok"
    failure = by_venue["bogota"]
    assert failure["status"] == "failed"
    assert failure["error"]["type"] == "platform_auth_failed"
    assert "not-our-account" in failure["error"]["message"]  # the platform's own words
    # a script (or cron with stdout kept) reads what failed on stderr: one JSON error line
    [line] = proc.stderr.splitlines()
    error = json.loads(line)["error"]
    assert error["type"] == "partial_failure" and error["exit_code"] == 7
    assert error["message"] == (f"sync run {run['id']}: partial; 1 of 3 connection(s) failed: "
                                "bogota/restoo")  # fmt: skip
    assert error["hint"] == f"`prima platforms history {run['id']}` shows each connection's error"
    tested = run_prima(["platforms", "test", "--all", "--json"])
    assert tested.returncode == 7 and json.loads(tested.stdout)["status"] == "partial"
    [line] = tested.stderr.splitlines()
    assert json.loads(line)["error"]["message"] == (
        "1 of 3 connection(s) failed the test: bogota/restoo"
    )
    conns = {c["venue"]: c for c in venues.ok("platforms", "list", "--json").json()}
    assert conns["bogota"]["last_sync_status"] == "failed"
    assert "not-our-account" in conns["bogota"]["last_error"]
    assert conns["madrid"]["last_sync_status"] == "ok"


def test_all_failing_the_same_way_exits_with_that_code(venues: CLI, sandbox: Sandbox) -> None:
    venues.ok(
        "platforms",
        "add",
        "lisboa",
        "restoo",
        *restoo_settings(sandbox, key="rst_sbx_" + "0" * 24),
        "--no-test",
    )
    proc = run_prima(["platforms", "sync"])
    assert proc.returncode == 5
    assert "lisboa/restoo" in proc.stderr


def test_bad_calendar_leaves_the_previous_snapshot(venues: CLI, sandbox: Sandbox) -> None:
    venues.ok("platforms", "add", "madrid", "covermanager", *cm_settings(sandbox), "--no-test")
    venues.ok("platforms", "sync", "--days", "3")
    before = snapshot_rows(venues)
    assert len(before) == 3
    sandbox.inject("malformed:covermanager:availability_calendar_total:times=1")
    bad = venues("platforms", "sync", "--days", "3", "--json")
    assert bad.exit_code == 69
    assert bad.json()["results"][0]["error"]["type"] == "platform_malformed_response"
    assert snapshot_rows(venues) == before


@pytest.mark.parametrize("calendar", [{}, [], "days"])
def test_empty_or_partial_calendar_changes_nothing(venues: CLI, calendar: object) -> None:
    base = "https://cm.test/api"
    venues.ok("platforms", "add", "madrid", "covermanager", "--set", "restaurant_id=casa",
              "--set", "api_key=literal:cm_test_key_0123456789", "--set", f"base_url={base}",
              "--no-test")  # fmt: skip
    slot = {"people": {"2": {"20:00": {"discount": False}}}, "hours": {}}
    full = {day(ahead=i): slot for i in range(-3, 1)}
    with respx.mock() as mock:
        mock.get(url__startswith=f"{base}/restaurant/list/").mock(return_value=Response(
            200, json={"resp": 1, "restaurants": [{"restaurant": "casa"}]}))  # fmt: skip
        mock.get(url__startswith=f"{base}/restaurant/get_reservs/").mock(
            return_value=Response(200, json={"resp": 1, "reservs": []}))  # fmt: skip
        calendar_route = mock.post(f"{base}/reserv/availability_calendar_total")
        calendar_route.mock(return_value=Response(200, json={"resp": 1, "calendar": full}))
        venues.ok("platforms", "sync", "--days", "1")
        before = snapshot_rows(venues)
        assert len(before) == 1
        body = dict(list(full.items())[:1]) if calendar == "days" else calendar
        calendar_route.mock(return_value=Response(200, json={"resp": 1, "calendar": body}))
        refused = venues("platforms", "sync", "--days", "2", "--json")
    assert refused.exit_code == 69, refused.stderr
    assert "previous snapshot was kept" in refused.json()["results"][0]["error"]["message"]
    assert snapshot_rows(venues) == before


def test_a_guest_cancellation_on_the_platform_shows_up_locally(
    venues: CLI, sandbox: Sandbox
) -> None:
    venues.ok("platforms", "add", "madrid", "covermanager", *cm_settings(sandbox), "--no-test")
    booking = venues.ok("bookings", "create", "madrid", "--date", day(ahead=2), "--time",
                        "20:00", "--party", "2", *GUEST, "--json").json()  # fmt: skip
    sandbox.state.cancel_by_guest(booking["external_id"])
    run = venues.ok("platforms", "sync", "--json").json()
    assert run["counts"]["statuses_changed"] == 1
    shown = venues.ok("bookings", "show", booking["reference"], "--json").json()
    assert shown["status"] == "cancelled"
    assert shown["platform_status"] == "cancelled"
    assert shown["attempts"][0]["raw_status"] == "-2"
    assert "cancelled on covermanager" in shown["status_detail"]


def test_sync_reconciles_unknown_bookings(venues: CLI, sandbox: Sandbox) -> None:
    venues.ok("platforms", "add", "madrid", "covermanager", *cm_settings(sandbox), "--no-test")
    sandbox.inject("reset:covermanager:reserv/reserv:times=1")
    lost = venues("bookings", "create", "madrid", "--date", day(), "--time", "20:00",
                  "--party", "2", *GUEST, "--json")  # fmt: skip
    assert lost.exit_code == 8
    run = venues.ok("platforms", "sync", "--json").json()
    assert run["counts"]["reconciled"] == 1
    assert venues.ok("bookings", "list", "--status", "confirmed", "--json").json()
    assert len(sandbox.state.reservations()) == 1


@pytest.mark.slow
def test_killed_mid_run_then_the_next_run_completes(venues: CLI, slow_sandbox: Sandbox) -> None:
    connect_both(venues, slow_sandbox)
    proc = subprocess.Popen(
        [*prima_executable(), "platforms", "sync", "--days", "3"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    inside_a_hanging_call(slow_sandbox, proc, seconds=30)
    assert [r["status"] for r in venues.ok("platforms", "history", "--json").json()] == [
        "running"]  # fmt: skip
    proc.kill()
    proc.wait(timeout=10)
    after = run_prima(["platforms", "sync", "--days", "3", "--json"])
    assert after.returncode == 0, after.stderr
    runs = venues.ok("platforms", "history", "--json").json()
    assert [r["status"] for r in runs] == ["ok", "interrupted"]
    assert venues.ok("db", "status", "--json").json()["up_to_date"] is True
    conns = venues.ok("platforms", "list", "--json").json()
    assert {c["last_sync_status"] for c in conns} == {"ok"}


def test_snapshots_are_replaced_per_connection_and_local_date(
    migrated: CLI, sandbox: Sandbox
) -> None:
    """One batched write for connections whose local dates differ (UTC+14 and UTC-11):
    each gets exactly its own dates, stale rows inside the range are replaced, rows
    outside it are left alone, and a second run duplicates nothing."""
    import datetime as dt
    from zoneinfo import ZoneInfo

    zones = {"kiritimati": "Pacific/Kiritimati", "pago": "Pacific/Pago_Pago"}
    for slug, zone in zones.items():
        migrated.ok("venues", "add", slug.title(), "--slug", slug, "--timezone", zone)
        migrated.ok("platforms", "add", slug, "covermanager", *cm_settings(sandbox), "--no-test")
    listed = migrated.ok("platforms", "list", "--json").json()
    ids = {c["venue"]: c["id"] for c in listed}
    today = {s: dt.datetime.now(ZoneInfo(z)).date() for s, z in zones.items()}
    assert today["kiritimati"] != today["pago"]
    far = today["kiritimati"] + dt.timedelta(days=30)
    from prima_cli.store.url import resolve

    engine = sa.create_engine(resolve(migrated.db_url)[0])
    with engine.begin() as conn:
        conn.execute(
            sa.text("INSERT INTO availability_snapshots (venue_platform_id, local_date, slots,"
                    " fetched_at) VALUES (:c, :d, '{\"1\": [\"00:00\"]}', '2020-01-01 00:00:00')"),
            [{"c": ids["kiritimati"], "d": today["kiritimati"]},
             {"c": ids["kiritimati"], "d": far}],
        )  # fmt: skip
    engine.dispose()
    for _ in range(2):
        proc = run_prima(["platforms", "sync", "--days", "2", "--json"])
        assert proc.returncode == 0, proc.stderr
    rows = snapshot_rows(migrated)
    dates: dict[int, list[str]] = {}
    for connection_id, local_date, slots, _fetched in rows:
        dates.setdefault(connection_id, []).append(str(local_date))
        value = json.loads(slots) if isinstance(slots, str) else slots
        if str(local_date) != far.isoformat():
            assert value != {"1": ["00:00"]}, "a stale row inside the range was kept"
    for slug in zones:
        own = [str(today[slug] + dt.timedelta(days=i)) for i in range(2)]
        expected = own + ([far.isoformat()] if slug == "kiritimati" else [])
        assert dates[ids[slug]] == expected


def test_sync_writes_the_same_on_every_backend(any_db_url: str, sandbox: Sandbox) -> None:
    """The batched writes (snapshots, results, last-sync fields) on SQLite, PostgreSQL and
    MariaDB: two runs, each connection's snapshot replaced, one result row per run."""
    from tests.integration.conftest import add_venues

    cli = CLI(any_db_url)
    cli.ok("db", "migrate")
    add_venues(cli)
    connect_both(cli, sandbox)
    runs = [cli.ok("platforms", "sync", "--days", "2", "--json").json() for _ in range(2)]
    assert [r["counts"]["ok"] for r in runs] == [2, 2]
    listed = cli.ok("platforms", "list", "--json").json()
    assert {(c["last_sync_status"], c["last_error"]) for c in listed} == {("ok", None)}
    engine = sa.create_engine(normalise(any_db_url))
    with engine.connect() as conn:
        per_day = conn.execute(sa.text(
            "SELECT venue_platform_id, local_date, COUNT(*) FROM availability_snapshots"
            " GROUP BY venue_platform_id, local_date")).all()  # fmt: skip
        results = conn.execute(sa.text("SELECT COUNT(*) FROM sync_results")).scalar_one()
    engine.dispose()
    assert len(per_day) == 4 and {row[2] for row in per_day} == {1}
    assert results == 4
    history = cli.ok("platforms", "history", "--json").json()
    assert [r["id"] for r in history] == [r["id"] for r in reversed(runs)]


@pytest.mark.slow
def test_a_sync_stopped_with_ctrl_c_is_recorded_as_interrupted(
    venues: CLI, slow_sandbox: Sandbox
) -> None:
    """Not "ok" from the connections done so far: the history must not show a clean run."""
    import signal

    connect_both(venues, slow_sandbox)
    proc = subprocess.Popen([*prima_executable(), "platforms", "sync", "--days", "2", "--json"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # fmt: skip
    inside_a_hanging_call(slow_sandbox, proc, seconds=30)
    proc.send_signal(signal.SIGINT)
    _out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "Traceback" not in err
    # --json: the error is one JSON line on stderr, as every other (it was a bare word)
    assert json.loads(err)["error"] == {
        "type": "interrupted",
        "message": "interrupted",
        "hint": None,
        "exit_code": 130,
        "retryable": False,
    }
    (run,) = venues.ok("platforms", "history", "--json").json()
    assert run["status"] == "interrupted"
    again = run_prima(["platforms", "sync", "--days", "1", "--json"])  # the lock was let go
    assert again.returncode == 0, again.stderr
    assert [r["status"] for r in venues.ok("platforms", "history", "--json").json()] == [
        "ok", "interrupted"]  # fmt: skip


@pytest.mark.slow
def test_ctrl_c_in_a_structured_log_format_is_a_record_too(
    venues: CLI, slow_sandbox: Sandbox
) -> None:
    """--log-format json: every stderr line parses, the interruption's included."""
    import signal

    connect_both(venues, slow_sandbox)
    proc = subprocess.Popen([*prima_executable(), "--log-format", "json", "platforms", "sync",
                             "--days", "2"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)  # fmt: skip
    inside_a_hanging_call(slow_sandbox, proc, seconds=30)
    proc.send_signal(signal.SIGINT)
    _out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    records = [json.loads(line) for line in err.splitlines()]
    assert records[-1]["level"] == "error" and records[-1]["message"] == "interrupted"
    assert records[-1]["exit_code"] == 130


@pytest.mark.slow
def test_a_sync_stopped_with_sigterm_ends_as_with_ctrl_c(
    venues: CLI, slow_sandbox: Sandbox
) -> None:
    """systemd stops a unit (and its timeouts end one) with SIGTERM: the run says so and
    is recorded as interrupted, as with Ctrl-C, instead of dying silently (exit 143, nothing
    on stderr, the run left "running" for the next one to find)."""
    import signal

    connect_both(venues, slow_sandbox)
    proc = subprocess.Popen([*prima_executable(), "platforms", "sync", "--days", "2", "--json"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # fmt: skip
    inside_a_hanging_call(slow_sandbox, proc, seconds=30)
    proc.send_signal(signal.SIGTERM)
    _out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert json.loads(err)["error"]["type"] == "interrupted"
    (run,) = venues.ok("platforms", "history", "--json").json()
    assert run["status"] == "interrupted"
