"""The request budget of a credential, measured at the simulator over real HTTP: the
concurrent tasks of one process and two processes on one store together stay within it,
and a 429 pauses every task of the credential."""

from __future__ import annotations

import json
import subprocess

import pytest

from prima_cli.sandbox import Sandbox
from tests.conftest import CLI, prima_executable
from tests.integration.credential_support import busiest_window, cm_times, connect_many
from tests.reliability.lifecycle import wait_until

#: the budget under test, and the slack of a loaded machine's clocks on a request's time
RATE, PER_SECOND, JITTER = "5/s", 5, 0.1
#: the simulator records a request when it answers it, and under load the first request of a
#: new connection can be recorded over 0.1 s late, bringing the next one closer to it: a
#: window of 0.75 s still holds at most 5 requests at 5/s, and 6 or more at twice the rate
WINDOW = 1.0 - 0.25
#: the first and last requests are recorded when answered, each up to a scheduling delay
#: late on a loaded machine: the span of N requests at 5/s is (N - 1) / 5 s less this much,
#: where twice the rate would take half of it
SPAN_SLACK = 0.25


def test_concurrent_tasks_stay_within_the_budget(migrated: CLI, sandbox: Sandbox) -> None:
    connect_many(migrated, sandbox, 8, RATE)
    sandbox.clear_requests_log()
    report = migrated.ok("platforms", "sync", "--days", "1", "--concurrency", "8",
                         "--json").json()  # fmt: skip
    assert report["counts"]["ok"] == 8
    times = cm_times(sandbox)
    assert len(times) == 1 + 8 * 2  # one credentials check for the key, then 2 per venue
    # evenly spaced at 0.2 s: never more than 5 in a second (less a scheduling slack)
    assert busiest_window(times, WINDOW) <= PER_SECOND
    assert times[-1] - times[0] >= (len(times) - 1) / PER_SECOND - SPAN_SLACK


def test_processes_on_one_store_share_the_budget(any_db_url: str, sandbox: Sandbox) -> None:
    """A sync and, beside it, availability commands (each its own process) on one store and
    one key: together they stay within its budget, which the store's budget row shares
    (SQLite, PostgreSQL, MariaDB). The commands start once the sync has sent its first request
    (it lasts about 3.4 s at 5/s); a round in which they did not overlap it (it shows nothing)
    is run again."""
    cli = CLI(any_db_url)
    cli.ok("db", "migrate")
    slugs = connect_many(cli, sandbox, 8, RATE)
    base = [*prima_executable(), "--db", any_db_url]
    for _round in range(3):
        sandbox.clear_requests_log()
        sync = subprocess.Popen([*base, "platforms", "sync", "--days", "1", "--concurrency",
                                 "4", "--json"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True)  # fmt: skip
        wait_until(lambda: len(cm_times(sandbox)) >= 1, what="the sync's first request")
        asks = [subprocess.Popen([*base, "bookings", "availability", slug, "--date", "+3d",
                                  "--party", "2", "--json"], stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE, text=True)
                for slug in slugs[:4]]  # fmt: skip
        for proc in [sync, *asks]:
            _out, err = proc.communicate(timeout=120)
            assert proc.returncode == 0, err
        log = sorted((r.at, r.path) for r in sandbox.requests_log if r.platform == "covermanager")
        synced = [at for at, path in log
                  if "reserv/availability" not in path or "calendar" in path]  # fmt: skip
        asked = [at for at, path in log if "reserv/availability" in path and "calendar" not in path]
        assert len(asked) == 4
        times = [at for at, _path in log]
        assert busiest_window(times, WINDOW) <= PER_SECOND
        assert times[-1] - times[0] >= (len(times) - 1) / PER_SECOND - SPAN_SLACK
        if any(synced[0] < at < synced[-1] for at in asked):
            return
    pytest.fail("in three rounds the availability commands never overlapped the sync")


def test_a_429_pauses_every_task_of_the_credential(migrated: CLI, sandbox: Sandbox) -> None:
    # 25 requests at 10/s: without the pause, the 2 s after the 429 would see a score of them
    connect_many(migrated, sandbox, 12, "10/s")
    sandbox.inject("429:covermanager:availability_calendar_total::retry_after=2:times=1")
    sandbox.clear_requests_log()
    report = migrated.ok("platforms", "sync", "--days", "1", "--concurrency", "3",
                         "--json").json()  # fmt: skip
    assert report["counts"]["ok"] == 12
    log = [r for r in sandbox.requests_log if r.platform == "covermanager"]
    limited = [r.at for r in log if r.status == 429]
    assert len(limited) == 1
    after = sorted(r.at - limited[0] for r in log if r.at > limited[0])
    # requests already on the wire when the 429 came back may land just after it; then
    # nothing of the credential until Retry-After has passed, from any task
    assert after, "nothing was sent after the 429"
    quiet = [t for t in after if 0.3 < t < 2.0 - JITTER]
    assert not quiet, f"requests {quiet} s after the 429, within its Retry-After of 2 s"
    assert after[-1] >= 2.0 - JITTER


@pytest.mark.parametrize("bad", ["50", "0/min", "5/min,burst=9", "10/day", "fast"])
def test_a_bad_rate_limit_is_refused_with_the_grammar(
    migrated: CLI, sandbox: Sandbox, bad: str
) -> None:
    migrated.ok("venues", "add", "Madrid", "--slug", "madrid", "--timezone", "Europe/Madrid")
    from tests.integration.conftest import cm_settings

    result = migrated("platforms", "add", "madrid", "covermanager", "--no-test",
                      *cm_settings(sandbox), "--set", f"rate_limit={bad}", "--json")  # fmt: skip
    assert result.exit_code == 2
    error = json.loads(result.stdout)["error"] if result.stdout else None
    text = result.stderr + (json.dumps(error) if error else "")
    assert "rate_limit" in text and "COUNT/UNIT" in text
    assert migrated.ok("platforms", "list", "--json").json() == []


def test_rate_limit_is_stored_in_its_canonical_form(migrated: CLI, sandbox: Sandbox) -> None:
    connect_many(migrated, sandbox, 1, " 50 / MIN , burst = 5 ")
    [connection] = migrated.ok("platforms", "list", "--json").json()
    shown = migrated.ok("platforms", "show", "venue-00", "covermanager", "--json").json()
    assert shown["configuration"]["rate_limit"] == "50/min,burst=5", (connection, shown)


@pytest.mark.slow
@pytest.mark.postgres
def test_two_workers_share_the_budget_through_the_store(
    postgres_url: str, sandbox: Sandbox
) -> None:
    """Two `prima worker run` processes syncing one window's connections of one key: each
    paces itself and the store's budget row paces them together (a worker whose client
    leaves the store out keeps its own budget, and two of them send twice the rate)."""
    from tests.integration.workers_support import enqueue, scalar, start_worker, stop_worker

    cli = CLI(postgres_url)
    cli.ok("db", "migrate")
    connect_many(cli, sandbox, 8, RATE)
    sandbox.clear_requests_log()
    workers = [start_worker(postgres_url, "--concurrency", "4") for _ in range(2)]
    # both listening before the window opens, so that both take a share of its jobs
    wait_until(lambda: scalar(postgres_url, "SELECT count(*) FROM procrastinate_workers") == 2,
               what="two live workers")  # fmt: skip
    window = enqueue(postgres_url)
    assert len(window["queued"]) == 8
    wait_until(lambda: len(cm_times(sandbox)) >= 2 * 8, seconds=120,
               what="every connection's two requests")  # fmt: skip
    reports = [stop_worker(proc) for proc in workers]
    assert sum(sum(r["jobs"].values()) for r in reports) == 8
    assert all(sum(r["jobs"].values()) for r in reports), "one worker did all the work"
    times = cm_times(sandbox)
    assert busiest_window(times, WINDOW) <= PER_SECOND
    assert times[-1] - times[0] >= (len(times) - 1) / PER_SECOND - SPAN_SLACK
