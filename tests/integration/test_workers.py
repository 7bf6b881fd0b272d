"""`prima worker ...` and `platforms sync --enqueue`: the sync and the outbox as jobs on
PostgreSQL (procrastinate), through the real entry point against the simulator."""

from __future__ import annotations

import csv
import io
import json
import signal
from collections.abc import Iterator

import pytest

from prima_cli.sandbox import Sandbox, SandboxConfig
from tests.conftest import CLI, run_prima
from tests.integration.conftest import add_venues, cm_settings, restoo_settings
from tests.integration.test_bookings import GUEST, day
from tests.integration.workers_support import (
    bulk_connections,
    enqueue,
    jobs_in,
    rows,
    run_status,
    scalar,
    start_worker,
    stop_worker,
    wait_for,
)

SYNC, PUSH = "prima.sync_connection", "prima.push_booking"


@pytest.fixture
def latent_sandbox() -> Iterator[Sandbox]:
    """20 ms a request: jobs last long enough for several workers to share them."""
    with Sandbox(SandboxConfig(seed=7, latency_ms=20)) as sb:
        yield sb


def test_workers_need_postgresql(venues: CLI) -> None:
    """SQLite keeps the single-process sync; the worker commands say why they cannot run."""
    for args in (("worker", "status"), ("worker", "run", "--one-shot"),
                 ("platforms", "sync", "--enqueue")):  # fmt: skip
        result = venues(*args)
        assert result.exit_code == 78, args
        assert "workers need PostgreSQL; this store is SQLite" in result.stderr
    gone = venues("platforms", "sync", "--worker")
    assert gone.exit_code == 2 and "prima worker run" in gone.stderr
    for bad, said in ((("--schedule", "every day"), "not a cron expression"),
                      (("--queue", "urgent"), "unknown queue 'urgent'"),
                      (("--concurrency", "0"), "--concurrency"),
                      (("--stalled-after", "1"), "--stalled-after")):  # fmt: skip
        refused = venues("worker", "run", *bad)
        assert refused.exit_code == 2 and said in refused.stderr, refused.stderr


@pytest.mark.postgres
def test_migrate_applies_the_engine_schema_once(postgres_url: str) -> None:
    cli = CLI(postgres_url)
    first = cli.ok("db", "migrate", "--json").json()
    assert any("job engine's schema" in n for n in first["notes"])
    again = cli.ok("db", "migrate", "--json").json()
    assert again["notes"] == [] and again["applied"] == []
    status = cli.ok("worker", "status", "--json").json()
    assert status["healthy"] is True and status["workers"] == 0
    assert {q["queue"] for q in status["queues"]} == {"sync", "outbox", "maintenance"}


@pytest.mark.postgres
def test_a_window_syncs_every_connection_through_a_one_shot_worker(
    postgres_url: str, sandbox: Sandbox
) -> None:
    cli = CLI(postgres_url)
    cli.ok("db", "migrate")
    cli.ok("venues", "add", "Madrid", "--slug", "madrid", "--timezone", "Europe/Madrid")
    cli.ok("venues", "add", "Lisboa", "--slug", "lisboa", "--timezone", "Europe/Lisbon")
    cli.ok("platforms", "add", "madrid", "covermanager", *cm_settings(sandbox), "--no-test")
    cli.ok("platforms", "add", "lisboa", "restoo", *restoo_settings(sandbox), "--no-test")
    window = enqueue(postgres_url)
    assert sorted(window["queued"]) == ["lisboa/restoo", "madrid/covermanager"]
    waiting = cli("worker", "status", "--json", "--max-wait", "0")
    assert waiting.exit_code == 11  # jobs waiting and no worker alive: the health check fails
    assert waiting.json()["queues"][0]["queued"] == 2
    done = run_prima(["--db", postgres_url, "worker", "run", "--one-shot", "--json"])
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["jobs"] == {SYNC: 2}
    run = cli.ok("platforms", "history", str(window["run_id"]), "--json").json()
    assert run["status"] == "ok" and run["trigger"] == "worker"
    assert sorted(r["venue"] for r in run["results"]) == ["lisboa", "madrid"]
    assert cli.ok("worker", "status", "--json").json()["healthy"] is True
    listed = cli.ok("worker", "jobs", "--json").json()
    assert {j["status"] for j in listed} == {"succeeded"} and len(listed) == 2
    # worker jobs is a listing like the others: every format, --fields and --jq
    table = cli.ok("worker", "jobs", "--format", "csv").stdout
    rows = list(csv.DictReader(io.StringIO(table)))
    assert [r["id"] for r in rows] == [str(j["id"]) for j in listed]
    assert list(rows[0]) == list(listed[0]) and json.loads(rows[0]["args"]) == listed[0]["args"]
    lines = cli.ok("worker", "jobs", "--format", "jsonl").stdout.splitlines()
    assert [json.loads(line) for line in lines] == listed
    tsv = cli.ok("worker", "jobs", "--format", "tsv", "--fields", "id,status").stdout
    assert tsv.splitlines() == ["id\tstatus", *(f"{j['id']}\tsucceeded" for j in listed)]
    tasks = cli.ok("worker", "jobs", "--jq", ".[].task").stdout.splitlines()
    assert tasks == [SYNC, SYNC]
    refused = cli("worker", "jobs", "--format", "csv", "--json")
    assert refused.exit_code == 2 and "--json is --format json" in refused.stderr


def _per_connection(url: str, run_id: int) -> dict[int, int]:
    found = rows(url, "SELECT venue_platform_id, count(*) FROM sync_results WHERE run_id = :r "
                      "GROUP BY 1", r=run_id)  # fmt: skip
    return {cid: n for cid, n in found}


@pytest.mark.slow
@pytest.mark.postgres
def test_three_workers_sync_200_connections_once_per_window(
    postgres_url: str, latent_sandbox: Sandbox
) -> None:
    """Two windows over 200 connections and three worker processes: every connection is
    synced exactly once in each window's run, and every worker took a share."""
    bulk_connections(postgres_url, latent_sandbox, 200)
    workers = [start_worker(postgres_url, "--concurrency", "8") for _ in range(3)]
    try:
        for _window in range(2):
            window = enqueue(postgres_url)
            assert len(window["queued"]) == 200 and window["skipped"] == []
            run_id = window["run_id"]
            wait_for(lambda r=run_id: run_status(postgres_url, r) != "running", 240,
                     "the window's run ends")  # fmt: skip
            assert run_status(postgres_url, run_id) == "ok"
            per_connection = _per_connection(postgres_url, run_id)
            assert len(per_connection) == 200 and set(per_connection.values()) == {1}
    finally:  # as systemd stops them, and one as Ctrl-C does: both let running jobs end
        reports = [stop_worker(w, signal.SIGINT if n == 1 else signal.SIGTERM)
                   for n, w in enumerate(workers)]  # fmt: skip
    shares = [r["jobs"].get(SYNC, 0) for r in reports]
    assert sum(shares) == 400  # each job ran once: no connection synced twice in a window
    assert all(n > 0 for n in shares), shares  # the work was shared between the three
    assert scalar(postgres_url, "SELECT count(*) FROM procrastinate_workers") == 0  # left cleanly
    status = CLI(postgres_url).ok("worker", "status", "--json").json()
    assert status["healthy"] is True


def _book_lost(cli: CLI, sb: Sandbox, count: int) -> None:
    """``count`` bookings whose create was reset after the platform took nothing: each
    unknown, then, once a sync's reconcile looks, never landed (the outbox's)."""
    for n in range(count):
        sb.inject("reset:covermanager:reserv/reserv:phase=before:times=1")
        made = cli("bookings", "create", "w0001", "--date", day(ahead=3 + n % 20), "--time",
                   "20:00", "--party", "2", *GUEST, "--json")  # fmt: skip
        assert made.exit_code == 8, made.stderr  # outcome unknown


@pytest.mark.slow
@pytest.mark.postgres
def test_a_worker_killed_mid_job_is_recovered_and_nothing_is_placed_twice(
    postgres_url: str, latent_sandbox: Sandbox
) -> None:
    """SIGKILL leaves jobs "doing" and holding their locks; the next worker marks them
    failed and queues them again. Every connection ends synced once in the run, and each
    booking the outbox pushed is on the platform exactly once, as the store says."""
    sb = latent_sandbox
    cli = bulk_connections(postgres_url, sb, 60)
    _book_lost(cli, sb, 6)
    window = enqueue(postgres_url)
    victim = start_worker(postgres_url, "--concurrency", "6", "--stalled-after", "3")
    wait_for(lambda: jobs_in(postgres_url, SYNC, "succeeded") >= 5, 120, "the victim works")
    wait_for(lambda: jobs_in(postgres_url, SYNC, "doing") >= 1, 60, "a job is running")
    victim.send_signal(signal.SIGKILL)
    victim.communicate(timeout=30)
    stuck = jobs_in(postgres_url, SYNC, "doing")
    wait_for(lambda: CLI(postgres_url)("worker", "status", "--json", "--stalled-after", "3"
                                       ).json()["queues"][0]["stalled"] >= 1, 60,
             "the killed worker's jobs count as stalled")  # fmt: skip
    rescuer = run_prima(["--db", postgres_url, "worker", "run", "--one-shot", "--json",
                         "--stalled-after", "3"], timeout=300)  # fmt: skip
    assert rescuer.returncode == 0, rescuer.stderr
    assert json.loads(rescuer.stdout)["recovered"] == stuck >= 1
    # the pushes the syncs queued may wait behind their lock: drain what is left
    wait_for(lambda: run_prima(["--db", postgres_url, "worker", "run", "--one-shot"],
                               timeout=300).returncode == 0 and
             jobs_in(postgres_url, PUSH, "todo") == 0, 120, "the outbox drains")  # fmt: skip
    run_id = window["run_id"]
    assert run_status(postgres_url, run_id) == "ok"
    per_connection = _per_connection(postgres_url, run_id)
    assert len(per_connection) == 60 and set(per_connection.values()) == {1}
    confirmed = rows(postgres_url, "SELECT external_id FROM platform_reservations "
                                   "WHERE state = 'confirmed'")  # fmt: skip
    on_platform = sb.state.reservations("covermanager")
    assert len(confirmed) == 6  # every lost booking was pushed...
    assert sorted(r.id for r in on_platform) == sorted(e for (e,) in confirmed)  # ...once


def _one_venue_each(url: str, sb: Sandbox) -> CLI:
    cli = CLI(url)
    cli.ok("db", "migrate")
    add_venues(cli)
    cli.ok("platforms", "add", "madrid", "covermanager", *cm_settings(sb), "--no-test")
    cli.ok("platforms", "add", "lisboa", "restoo", *restoo_settings(sb), "--no-test")
    return cli


@pytest.mark.postgres
@pytest.mark.parametrize("as_json", [True, False])
def test_a_create_queued_for_the_workers_says_not_to_create_it_again(
    postgres_url: str, sandbox: Sandbox, as_json: bool
) -> None:
    """It said 'try again later' (exit 69, 'retryable': true) while its push was queued: a
    script that took it at its word created the booking again, and the worker placed the
    first one too, two tables for one guest (found by the review, on the simulator)."""
    cli = _one_venue_each(postgres_url, sandbox)
    sandbox.inject("503:covermanager:reserv/reserv:POST:times=4")  # the HTTP layer's tries
    made = cli("bookings", "create", "madrid", "--date", day(), "--time", "20:00",
               "--party", "2", *GUEST, *(["--json"] if as_json else []))  # fmt: skip
    assert made.exit_code == 8, made.stderr
    (booking,) = cli.ok("bookings", "list", "--json").json()
    if as_json:
        error = made.error()
        assert error["type"] == "booking_not_placed" and error["retryable"] is False
        assert error["booking"] == booking["reference"]
        said = error["hint"] + " ".join(error["warnings"])
    else:
        said = made.stderr
    assert "do not create it again" in said and "queued for the workers" in said
    assert "try again later" not in said
    assert jobs_in(postgres_url, PUSH, "todo") == 1
    assert sandbox.state.reservations() == []


@pytest.mark.slow
@pytest.mark.postgres
def test_a_push_that_fails_twice_with_503_succeeds_on_its_third_try(
    postgres_url: str, sandbox: Sandbox
) -> None:
    """The create finds the platform unavailable: the booking is queued for the workers,
    whose push job fails twice on 503s (each try after the HTTP layer's own retries),
    backs off, and places it on its third try once the platform is back. No sync runs
    meanwhile (the worker opens no window)."""
    cli = _one_venue_each(postgres_url, sandbox)
    sandbox.inject("503:covermanager:reserv/reserv:POST")
    made = cli("bookings", "create", "madrid", "--date", day(), "--time", "20:00",
               "--party", "2", *GUEST, "--json")  # fmt: skip
    assert made.exit_code == 8, made.stderr  # never "try again": the workers place it
    assert "queued for the workers" in made.stderr
    assert jobs_in(postgres_url, PUSH, "todo") == 1
    worker = start_worker(postgres_url, "--queue", "outbox")
    try:
        wait_for(lambda: scalar(postgres_url, "SELECT count(*) FROM procrastinate_jobs WHERE "
                                "task_name = :t AND attempts = 2 AND status = 'todo'",
                                t=PUSH) == 1, 120,
                 "the push failed twice and waits for its third try")  # fmt: skip
        assert len(sandbox.state.reservations("covermanager")) == 0
        sandbox.clear_faults()  # the platform is back
        wait_for(lambda: jobs_in(postgres_url, PUSH, "succeeded") == 1, 120, "the push lands")
    finally:
        report = stop_worker(worker)
    assert report["jobs"] == {PUSH: 3}  # two tries backed off, the third placed it
    attempts = scalar(postgres_url, "SELECT attempts FROM procrastinate_jobs WHERE task_name = "
                                    ":t", t=PUSH)  # fmt: skip
    assert attempts == 3  # the engine counts the tries it started
    assert len(sandbox.state.reservations("covermanager")) == 1
    listed = cli.ok("bookings", "list", "--json").json()
    assert [b["status"] for b in listed] == ["confirmed"]
    assert scalar(postgres_url, "SELECT count(*) FROM sync_runs") == 0


@pytest.mark.slow
@pytest.mark.postgres
def test_overlapping_windows_with_a_slow_connection_do_not_pile_up(
    postgres_url: str, sandbox: Sandbox
) -> None:
    """While a connection's sync hangs, the next window queues it once (it waits behind
    the running one) and the one after skips it, saying so in its run; the other
    connections are synced in every window."""
    _one_venue_each(postgres_url, sandbox)
    ids = dict(rows(postgres_url, "SELECT platform_type, id FROM venue_platforms"))

    def jobs_of(platform: str, status: str) -> int:
        return int(scalar(postgres_url, "SELECT count(*) FROM procrastinate_jobs WHERE lock = "
                          ":l AND status = CAST(:s AS procrastinate_job_status)",
                          l=f"sync:{ids[platform]}", s=status))  # fmt: skip

    hang = sandbox.inject("hang:restoo::seconds=15:times=1")
    worker = start_worker(postgres_url, "--concurrency", "4")
    try:
        first = enqueue(postgres_url)
        wait_for(lambda: hang not in sandbox.faults, 60, "the slow connection's sync hangs")
        second = enqueue(postgres_url)
        assert sorted(second["queued"]) == ["lisboa/restoo", "madrid/covermanager"]
        # madrid's job must have started before the next window, or that window skips it
        # too (at most one job of a connection waits): a loaded worker picks it up late
        wait_for(lambda: jobs_of("covermanager", "todo") == 0, 60, "madrid's job starts")
        third = enqueue(postgres_url)
        assert third["skipped"] == ["lisboa/restoo"] and third["queued"] == [
            "madrid/covermanager"]  # fmt: skip
        # one running, one waiting
        assert jobs_of("restoo", "doing") == 1 and jobs_of("restoo", "todo") == 1
        runs = [w["run_id"] for w in (first, second, third)]
        wait_for(lambda: all(run_status(postgres_url, r) != "running" for r in runs), 120,
                 "the three runs end")  # fmt: skip
    finally:
        stop_worker(worker)
    results = {(run, venue): status for run, venue, status in rows(
        postgres_url, "SELECT run_id, venue_slug, status FROM sync_results")}  # fmt: skip
    assert {results[(r, "madrid")] for r in runs} == {"ok"}
    assert results[(runs[1], "lisboa")] == "ok"
    assert results[(runs[2], "lisboa")] == "skipped"
    assert len(results) == 6
    shown = CLI(postgres_url).ok("platforms", "history", str(runs[2]), "--json").json()
    skipped = next(r for r in shown["results"] if r["venue"] == "lisboa")
    assert "earlier window" in skipped["error"]["message"]


@pytest.mark.slow
@pytest.mark.postgres
def test_two_scheduled_workers_open_each_window_once(postgres_url: str, sandbox: Sandbox) -> None:
    """Every worker runs the periodic fan-out; the database defers it once per period, so
    two workers on a 2-second schedule open one run per period between them."""
    _one_venue_each(postgres_url, sandbox)
    every = ["--schedule", "* * * * * */2"]
    workers = [start_worker(postgres_url, *every) for _ in range(2)]
    try:
        wait_for(lambda: scalar(postgres_url, "SELECT count(*) FROM sync_runs WHERE status = "
                                "'ok'") >= 3, 120, "three windows synced")  # fmt: skip
    finally:
        reports = [stop_worker(w) for w in workers]
    windows = rows(postgres_url, "SELECT args->>'timestamp' FROM procrastinate_jobs "
                                 "WHERE task_name = 'prima.sync_window' "
                                 "AND status = 'succeeded'")  # fmt: skip
    runs = scalar(postgres_url, "SELECT count(*) FROM sync_runs")
    assert len({t for (t,) in windows}) == len(windows) == runs  # one run per period
    assert sum(r["jobs"].get("prima.sync_window", 0) for r in reports) == runs
    per_run = rows(postgres_url, "SELECT r.run_id, count(*) FROM sync_results r JOIN "
                                 "sync_runs s ON s.id = r.run_id WHERE s.status = 'ok' "
                                 "GROUP BY 1")  # fmt: skip
    assert len(per_run) >= 3 and {n for _, n in per_run} == {2}


@pytest.mark.postgres
def test_a_failed_job_is_seen_retried_and_cancelled(postgres_url: str) -> None:
    """A job that fails for good makes the health check fail (exit 11) until the operator
    retries or cancels it; bad ids are usage errors, unknown ones not found."""
    from procrastinate import App, PsycopgConnector

    cli = CLI(postgres_url)
    cli.ok("db", "migrate")
    app = App(connector=PsycopgConnector(conninfo=postgres_url.replace("+psycopg", "")))
    with app.open():  # a job no worker knows how to run: it fails
        app.configure_task("prima.no_such_task", queue="outbox").defer()
    ran = run_prima(["--db", postgres_url, "worker", "run", "--one-shot", "--json"])
    assert ran.returncode == 0, ran.stderr
    status = cli("worker", "status", "--json")
    assert status.exit_code == 11
    outbox = next(q for q in status.json()["queues"] if q["queue"] == "outbox")
    assert outbox["failed_last_day"] == 1
    assert "failed in the last day" in status.json()["problems"][0]
    assert cli("worker", "status", "--max-failures", "1").exit_code == 0
    (failed,) = cli.ok("worker", "jobs", "--status", "failed", "--json").json()
    job = str(failed["id"])
    retried = cli.ok("worker", "retry", job, "--json").json()
    assert (retried["before"], retried["after"]) == ("failed", "todo")
    assert cli("worker", "retry", job).exit_code == 4  # not failed any more
    cancelled = cli.ok("worker", "cancel", job, "--json").json()
    assert cancelled["after"] == "cancelled"
    assert cli("worker", "cancel", job).exit_code == 4
    assert cli("worker", "retry", "abc").exit_code == 2
    assert cli("worker", "cancel", "999999").exit_code == 3
    assert cli.ok("worker", "status", "--json").json()["healthy"] is True
