"""What a sync leaves behind, read back through `prima`: cached availability for party sizes a
CoverManager calendar leaves out, the last success apart from the last attempt, and
CoverManager's HTTP 200 refusals with their status and the right hint."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from zoneinfo import ZoneInfo

import pytest

from prima_cli.sandbox import Sandbox, SandboxConfig, Switches
from prima_cli.store import schema
from prima_cli.store.url import normalise
from tests.conftest import CLI
from tests.integration.conftest import cm_settings
from tests.reliability.support import GUEST, revoke

WRONG_KEY = "cm_sbx_5e1f0a9b7c3d2e4f6a8b0c1d"


def tomorrow() -> str:
    return (dt.datetime.now(ZoneInfo("Europe/Madrid")).date() + dt.timedelta(days=1)).isoformat()


def test_a_party_size_the_calendar_leaves_out_is_cached_and_not_bookable(
    venues: CLI, sandbox: Sandbox
) -> None:
    """The simulator takes parties of up to 8 online, so its calendar has no size 9."""
    venues.ok("platforms", "add", "madrid", "covermanager", *cm_settings(sandbox))
    venues.ok("platforms", "sync", "--days", "2")
    day = tomorrow()
    cached = ["bookings", "availability", "madrid", "--date", day, "--cached", "--time", "20:00"]
    listed = venues.ok(*cached, "--party", "2", "--json").json()["platforms"][0]
    assert listed["cached"] is True and listed["times"]  # size 2 is in the calendar
    missing = venues.ok(*cached, "--party", "9", "--json").json()["platforms"][0]
    assert missing["fetched_at"] is not None
    assert (missing["cached"], missing["bookable"], missing["times"]) == (True, False, [])
    shown = venues.ok(*cached, "--party", "9").stdout
    assert "not bookable" in shown and "not cached" not in shown
    # live, the platform agrees: nothing for 9
    live = venues.ok("bookings", "availability", "madrid", "--date", day, "--party", "9",
                     "--json").json()["platforms"][0]  # fmt: skip
    assert live["times"] == []


def connection(cli: CLI) -> dict[str, object]:
    return cli.ok("platforms", "show", "madrid", "covermanager", "--json").json()


def test_a_failed_sync_keeps_the_last_success_apart_from_the_last_attempt(
    venues: CLI, sandbox: Sandbox
) -> None:
    venues.ok("platforms", "add", "madrid", "covermanager", *cm_settings(sandbox))
    venues.ok("platforms", "sync", "--days", "1")
    good = connection(venues)
    assert good["last_sync_status"] == "ok" and good["last_error"] is None
    assert good["last_synced_at"] == good["last_sync_attempt_at"] is not None
    venues.ok(
        "platforms", "edit", "madrid", "covermanager", "--set", f"api_key=literal:{WRONG_KEY}"
    )
    assert venues("platforms", "sync", "--days", "1").exit_code == 5
    failed = connection(venues)
    assert failed["last_sync_status"] == "failed" and failed["last_error"]
    assert failed["last_synced_at"] == good["last_synced_at"]  # the last success stays
    assert str(failed["last_sync_attempt_at"]) > str(good["last_sync_attempt_at"])
    listed = venues.ok("platforms", "list").stdout.rstrip("\n").split("\t")
    assert listed[-3:-1] == ["failed", dt.datetime.fromisoformat(
        str(good["last_synced_at"])).isoformat(timespec="seconds")]  # fmt: skip
    shown = venues.ok("platforms", "show", "madrid", "covermanager").stdout
    assert "last attempt at" in shown and "last synced at" in shown


def test_migration_0008_keeps_only_successes_in_last_synced_at(any_db_url: str) -> None:
    """Downgraded to 0007 (where a failed sync moved last_synced_at) and upgraded again: the
    last success comes back from the run history."""
    from alembic import command

    from prima_cli.store import migrate
    from prima_cli.store.store import Store

    with Sandbox(SandboxConfig(seed=7)) as sb:
        cli = CLI(any_db_url)
        cli.ok("db", "migrate")
        cli.ok("venues", "add", "Madrid", "--slug", "madrid", "--timezone", "Europe/Madrid")
        cli.ok("platforms", "add", "madrid", "covermanager", *cm_settings(sb))
        cli.ok("platforms", "sync", "--days", "1")
        success = connection(cli)["last_synced_at"]
        cli.ok(
            "platforms", "edit", "madrid", "covermanager", "--set", f"api_key=literal:{WRONG_KEY}"
        )
        cli("platforms", "sync", "--days", "1")
    attempt = connection(cli)["last_sync_attempt_at"]
    store = Store(normalise(any_db_url))
    with store.engine.begin() as conn:
        command.downgrade(migrate._config(conn, []), "0007_booking_state_machine")
    store.dispose()
    applied = cli.ok("db", "migrate", "--json").json()["applied"]
    assert "0008_sync_attempts" in applied  # with the later revisions, again
    migrated = connection(cli)
    assert migrated["last_synced_at"] == success
    assert migrated["last_sync_attempt_at"] == attempt
    assert migrated["last_sync_status"] == "failed"
    assert schema.REVISIONS.index("0008_sync_attempts") < schema.REVISIONS.index(schema.HEAD)


@pytest.fixture
def sandbox_200_errors() -> Iterator[Sandbox]:
    """A simulator that refuses an unknown key with HTTP 200 and resp 0, as the real
    platform does for its other logical errors."""
    switches = Switches().with_specs(["cm_auth_http_errors=off"])
    with Sandbox(SandboxConfig(seed=7, switches=switches)) as sb:
        yield sb


def test_a_resp_0_refusal_keeps_its_http_status_and_a_bad_key_gets_the_key_hint(
    venues: CLI, sandbox_200_errors: Sandbox
) -> None:
    sb = sandbox_200_errors
    venues.ok("platforms", "add", "madrid", "covermanager", *cm_settings(sb))
    venues.ok(
        "platforms", "edit", "madrid", "covermanager", "--set", f"api_key=literal:{WRONG_KEY}"
    )
    tested = venues("platforms", "test", "madrid", "covermanager", "--json")
    assert tested.exit_code == 5
    error = tested.json()["results"][0]["error"]
    assert error["type"] == "platform_auth_failed"
    assert error["http_status"] == 200 and error["platform_message"] == "Invalid API key"
    assert "api_key" in error["hint"] and "enable this action" not in error["hint"]
    # a key without the right for an action: the permission hint, with its status too
    venues.ok("platforms", "edit", "madrid", "covermanager", "--set",
              f"api_key=literal:{sb.credentials().covermanager.api_key}")  # fmt: skip
    revoke(sb, "prima-sbx-madrid", "book")
    created = venues("bookings", "create", "madrid", "--date", tomorrow(), "--time", "20:00",
                     "--party", "2", *GUEST, "--json")  # fmt: skip
    assert created.exit_code == 5
    cause = created.error()["cause"]
    assert cause["http_status"] == 200 and cause["platform_message"] == "Action not permited"
    assert "enable this action" in cause["hint"]
