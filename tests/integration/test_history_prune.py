"""History operators can filter, and `db prune` that keeps it small, through the real
executable under a cron-like environment."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from prima_cli.sandbox import Sandbox
from tests.conftest import CLI
from tests.integration.cron import cron_run
from tests.integration.test_bookings import GUEST, day
from tests.integration.test_unattended import SYNC, keyed, store_sql

__all__ = ["keyed"]  # the fixture, used here too


def runs(proc: object) -> list[dict[str, object]]:
    assert proc.returncode == 0, proc.stderr  # type: ignore[attr-defined]
    return json.loads(proc.stdout)  # type: ignore[attr-defined]


def age_runs(cli: CLI, ids: list[int], days: int) -> None:
    when = (dt.datetime.now(dt.UTC) - dt.timedelta(days=days)).replace(tzinfo=None)
    for run_id in ids:
        store_sql(cli, "UPDATE sync_runs SET started_at = :at, finished_at = :at WHERE id = :id",
                  at=when.isoformat(sep=" "), id=run_id)  # fmt: skip


@pytest.fixture
def three_runs(keyed: dict[str, str], venues: CLI) -> dict[str, str]:
    """Run 1 ok, run 2 with madrid/covermanager failing (partial), run 3 ok."""
    assert cron_run(*SYNC, **keyed).returncode == 0
    bad = {**keyed, "CM_KEY": "wrong-key-0000"}
    assert cron_run(*SYNC, **bad).returncode == 7
    assert cron_run(*SYNC, **keyed).returncode == 0
    return keyed


def test_history_filters(three_runs: dict[str, str], venues: CLI) -> None:
    env = three_runs
    every = runs(cron_run("platforms", "history", "--json", **env))
    assert [r["id"] for r in every] == [3, 2, 1]
    failed = runs(cron_run("platforms", "history", "--failed", "--json", **env))
    assert [(r["id"], r["status"]) for r in failed] == [(2, "partial")]
    mine = runs(cron_run("platforms", "history", "--connection", "madrid/covermanager",
                         "--failed", "--json", **env))  # fmt: skip
    assert [r["id"] for r in mine] == [2]
    [result] = mine[0]["results"]
    assert result["status"] == "failed" and result["error"]["type"] == "platform_auth_failed"
    assert runs(cron_run("platforms", "history", "--connection", "lisboa/restoo", "--failed",
                         "--json", **env)) == []  # fmt: skip
    text = cron_run("platforms", "history", "--connection", "madrid/covermanager", **env)
    lines = text.stdout.splitlines()
    assert len(lines) == 3 and "platform_auth_failed" in lines[1] and lines[0].split("\t")[0] == "3"
    age_runs(venues, [1], days=10)
    assert [r["id"] for r in runs(cron_run("platforms", "history", "--since", "7d", "--json",
                                           **env))] == [3, 2]  # fmt: skip
    since_date = (dt.date.today() - dt.timedelta(days=30)).isoformat()
    assert len(runs(cron_run("platforms", "history", "--since", since_date, "--json", **env))) == 3
    bad = cron_run("platforms", "history", "--connection", "madrid", **env)
    assert bad.returncode == 2 and "VENUE/TYPE" in bad.stderr
    unknown = cron_run("platforms", "history", "--connection", "nowhere/covermanager", **env)
    assert unknown.returncode == 3
    assert cron_run("platforms", "history", "--since", "last week", **env).returncode == 2


def test_prune_counts_removes_history_and_never_bookings(
    three_runs: dict[str, str], venues: CLI, sandbox: Sandbox
) -> None:
    env = three_runs
    booked = venues.ok("bookings", "create", "madrid", "--date", day(), "--time", "20:00",
                       "--party", "2", *GUEST, "--json").json()  # fmt: skip
    age_runs(venues, [1, 2], days=40)
    old = (dt.datetime.now(dt.UTC) - dt.timedelta(days=40)).replace(tzinfo=None)
    store_sql(venues, "UPDATE availability_snapshots SET fetched_at = :at WHERE venue_platform_id"
              " = (SELECT MIN(id) FROM venue_platforms)", at=old.isoformat(sep=" "))  # fmt: skip
    dry = cron_run("db", "prune", "--older-than", "30d", "--dry-run", "--json", **env)
    assert dry.returncode == 0, dry.stderr
    counted = json.loads(dry.stdout)
    assert counted["dry_run"] is True
    assert counted["removed"] == {"runs": 2, "results": 4, "snapshots": 2}
    assert len(runs(cron_run("platforms", "history", "--json", **env))) == 3  # nothing removed
    done = cron_run("db", "prune", "--older-than", "30d", **env)
    assert done.returncode == 0 and done.stdout.splitlines()[0] == "sync runs\t2"
    assert "removed 2 sync run(s), 4 result(s) and 2 availability snapshot(s)" in done.stderr
    assert [r["id"] for r in runs(cron_run("platforms", "history", "--json", **env))] == [3]
    again = json.loads(cron_run("db", "prune", "--older-than", "30d", "--json", **env).stdout)
    assert again["removed"] == {"runs": 0, "results": 0, "snapshots": 0}
    assert venues.ok("bookings", "show", booked["reference"], "--json").json()["attempts"]
    age_runs(venues, [3], days=40)  # the newest success is kept however old
    assert json.loads(cron_run("db", "prune", "--older-than", "30d", "--json",
                               **env).stdout)["removed"]["runs"] == 0  # fmt: skip
    assert cron_run("db", "prune", "--older-than", "soon", **env).returncode == 2
    quiet = cron_run("db", "prune", "--older-than", "30d", "--quiet", **env)
    assert (quiet.returncode, quiet.stdout, quiet.stderr) == (0, "", "")
