"""The circuit breaker of a credential, through the simulator over real HTTP and the store:
repeated failures open it, later runs (new processes) skip the credential's connections with
their own error and exit 10 without sending anything, and once the pause is over one probe
decides: a failure reopens it for longer, an answer closes it."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
import stamina

from prima_cli.errors import ExitCode
from prima_cli.sandbox import Sandbox
from tests.conftest import CLI, run_prima
from tests.integration.conftest import cm_settings
from tests.integration.credential_support import connect_many

#: every CoverManager read of a sync except the key's restaurant list
TROUBLE = "500:covermanager:reserv"


@pytest.fixture
def store_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'breaker.db'}"


@pytest.fixture
def two_attempts() -> Iterator[None]:
    with stamina.set_testing(True, attempts=2):
        yield


def breaker_row(url: str) -> dict[str, object]:
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        row = conn.execute(sa.text("SELECT * FROM platform_credentials")).mappings().one()
    engine.dispose()
    return dict(row)


def end_the_pause(url: str) -> None:
    """The breaker's pause is over (as if its time had passed)."""
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE platform_credentials SET open_until = open_until - 7200"))
    engine.dispose()


def sync(url: str) -> tuple[int, dict[str, object]]:
    """A sync in its own process: exit code and JSON report."""
    proc = run_prima(["--db", url, "platforms", "sync", "--days", "1", "--concurrency", "1",
                      "--json"], env={"PRIMA_READ_TIMEOUT": "5"})  # fmt: skip
    return proc.returncode, json.loads(proc.stdout) if proc.stdout.strip() else {}


def test_breaker_opens_skips_probes_and_closes(
    store_url: str, sandbox: Sandbox, two_attempts: None
) -> None:
    cli = CLI(store_url)
    cli.ok("db", "migrate")
    connect_many(cli, sandbox, 8, "100/s")
    [key] = {c["credential"] for c in cli.ok("platforms", "test", "--all", "--json")
             .json()["credentials"]}  # fmt: skip
    assert key.startswith("covermanager:") and sandbox.credentials().covermanager.api_key not in key

    # 1. the platform fails every read but the key's list: five failures in a row open it
    sandbox.inject(TROUBLE)
    sandbox.clear_requests_log()
    first = cli("platforms", "sync", "--days", "1", "--concurrency", "1", "--json")
    assert first.exit_code == ExitCode.PARTIAL
    types = [c["error"]["type"] for c in first.json()["results"]]
    assert types.count("platform_unavailable") == 3
    assert types.count("platform_circuit_open") == 5
    # 1 list + 2 attempts of 5 failed reads; nothing sent once it opened
    assert len(sandbox.requests_log) == 1 + 2 * 5
    row = breaker_row(store_url)
    assert (row["breaker_state"], row["opens"]) == ("open", 1)

    # 2. a new process skips every connection of the key without sending anything: exit 10
    sandbox.clear_requests_log()
    code, report = sync(store_url)
    assert code == ExitCode.CIRCUIT_OPEN
    assert {c["error"]["type"] for c in report["results"]} == {"platform_circuit_open"}
    assert sandbox.requests_log == []
    run = cli.ok("platforms", "history", str(report["id"]), "--json").json()
    assert {r["error"]["type"] for r in run["results"]} == {"platform_circuit_open"}
    tested = cli("platforms", "test", "--all", "--json")  # refused before sending, too
    assert tested.exit_code == ExitCode.CIRCUIT_OPEN
    assert [(c["credential"], c["breaker"], c["connections"]) for c in
            tested.json()["credentials"]] == [(key, "open", 8)]  # fmt: skip
    assert sandbox.requests_log == []
    # connecting one more venue on that key tests it on the same breaker: refused, unsaved
    cli.ok("venues", "add", "Late", "--slug", "late", "--timezone", "Europe/Madrid")
    added = cli("platforms", "add", "late", "covermanager", *cm_settings(sandbox), "--json")
    assert added.exit_code == ExitCode.CIRCUIT_OPEN, added.stderr
    assert sandbox.requests_log == []
    assert cli.ok("platforms", "list", "--venue", "late", "--json").json() == []

    # 3. the pause is over but the platform still fails: the one probe reopens it for longer
    sandbox.inject("500:covermanager:restaurant/list")
    end_the_pause(store_url)
    sandbox.clear_requests_log()
    code, _report = sync(store_url)
    assert code != ExitCode.OK
    assert [r.path.split("/")[4] for r in sandbox.requests_log] == ["list"] * 4  # one probe
    row = breaker_row(store_url)
    assert (row["breaker_state"], row["opens"]) == ("open", 2)

    # 4. the platform recovers and the pause is over: the probe closes it, everything syncs
    sandbox.clear_faults()
    end_the_pause(store_url)
    code, report = sync(store_url)
    assert code == ExitCode.OK, report
    row = breaker_row(store_url)
    assert (row["breaker_state"], row["failures"], row["opens"]) == ("closed", 0, 0)


def test_auth_failures_do_not_open_the_breaker(
    store_url: str, sandbox: Sandbox, two_attempts: None
) -> None:
    cli = CLI(store_url)
    cli.ok("db", "migrate")
    connect_many(cli, sandbox, 2, "100/s")
    for slug in ("venue-00", "venue-01"):
        cli.ok("platforms", "edit", slug, "covermanager", "--set", "api_key=literal:wrong-key-000")
    for _ in range(6):  # 6 refused checks of the key
        assert cli("platforms", "sync", "--days", "1").exit_code == ExitCode.AUTH
    assert breaker_row(store_url)["breaker_state"] == "closed"


def test_an_open_breaker_refuses_a_create_before_sending_and_it_fails_over(
    madrid: CLI, sandbox: Sandbox
) -> None:
    """Nothing is sent to a platform whose breaker is open: the create's attempt there is
    recorded as not applied and the booking goes to the next platform, once."""
    from tests.integration.test_bookings import book, creates

    keys = [c["credential"] for c in madrid.ok("platforms", "test", "madrid", "--json")
            .json()["credentials"]]  # fmt: skip
    [cm_key] = [k for k in keys if k.startswith("covermanager:")]
    engine = sa.create_engine(f"sqlite:///{Path(os.environ['PRIMA_DATA_DIR']) / 'prima.db'}")
    with engine.begin() as conn:  # open, with 10 minutes of its pause left
        conn.execute(
            sa.text("UPDATE platform_credentials SET breaker_state = 'open', failures = 5, "
                    "opens = 1, open_until = (julianday('now') - 2440587.5) * 86400.0 + 600 "
                    "WHERE credential = :c"),
            {"c": cm_key},
        )  # fmt: skip
    engine.dispose()
    sandbox.clear_requests_log()
    result = book(madrid)
    assert result.exit_code == 0, result.stderr
    booking = madrid.ok("bookings", "show", result.json()["reference"], "--json").json()
    assert [(a["platform_type"], a["state"]) for a in booking["attempts"]] == [
        ("covermanager", "failed"),
        ("restoo", "confirmed"),
    ]
    assert booking["attempts"][0]["error"]["type"] == "platform_circuit_open"
    assert not [r for r in sandbox.requests_log if r.platform == "covermanager"]
    assert creates(sandbox, "covermanager") == 0 and creates(sandbox, "restoo") == 1
    only = book(madrid, "--platform", "covermanager", time="21:00")
    assert only.exit_code == ExitCode.CIRCUIT_OPEN
    assert only.error()["cause"]["type"] == "platform_circuit_open"
