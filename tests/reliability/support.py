"""Helpers of the reliability suite: arguments, sandbox rights, and the invariants that
compare prima's store with what the platform holds."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import signal
import subprocess
from collections import Counter
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from prima_cli.errors import ExitCode
from prima_cli.sandbox import Sandbox
from tests.conftest import CLI

GUEST = ["--first-name", "Lucía", "--last-name", "Fernández Ruiz",
         "--email", "lucia.fernandez@gmail.com", "--phone", "612 48 39 07"]  # fmt: skip
MADRID_CM = "prima-sbx-madrid"
#: exit codes of the README's table
DOCUMENTED_EXIT_CODES = frozenset(int(code) for code in ExitCode)


def day(ahead: int = 3, tz: str = "Europe/Madrid") -> str:
    return (dt.datetime.now(ZoneInfo(tz)).date() + dt.timedelta(days=ahead)).isoformat()


def create_args(venue: str = "madrid", time: str = "20:00", *extra: str) -> list[str]:
    return ["bookings", "create", venue, "--date", day(), "--time", time, "--party", "2",
            *GUEST, *extra]  # fmt: skip


def revoke(sb: Sandbox, slug: str, right: str) -> None:
    """Take one CoverManager right (read, book, cancel) away from the sandbox key at `slug`:
    the platform then answers that action with `{"resp": 0, "error": "Action not permited"}`,
    as it does for the seeded read-only restaurant prima-sbx-valencia."""
    seed = sb.state.seed
    venues = tuple(
        dataclasses.replace(v, rights=v.rights - {right}) if v.slug == slug else v
        for v in seed.venues
    )
    sb.state.seed = dataclasses.replace(seed, venues=venues)


def no_traceback(*texts: str) -> None:
    for text in texts:
        assert "Traceback" not in text, text
        assert 'File "' not in text, text


def local_bookings(cli: CLI) -> list[dict[str, Any]]:
    return cli.ok("bookings", "list", "--limit", "1000", "--json").json()


def assert_nothing_doubled(cli: CLI, sb: Sandbox) -> None:
    """Never two platform reservations for one booking; every platform reservation is known
    locally, either with its external id or as a booking whose outcome is still open
    (unknown, or pending while its process may still be alive)."""
    held = sb.state.reservations()
    per_booking = Counter(r.reference for r in held)
    assert all(n == 1 for n in per_booking.values()), per_booking
    by_ref = {b["reference"]: b for b in local_bookings(cli)}
    for r in held:
        booking = by_ref.get(r.reference)
        assert booking is not None, f"platform reservation {r.id} ({r.reference}) is unknown"
        if booking["status"] not in ("unknown", "pending"):
            assert booking["external_id"] == r.id, (booking, r)


def assert_converged(cli: CLI, sb: Sandbox) -> None:
    """After reconciliation: nothing open, and platform and store agree one to one."""
    assert_nothing_doubled(cli, sb)
    local = local_bookings(cli)
    assert [b["reference"] for b in local if b["status"] in ("unknown", "pending")] == []
    held = {r.id: r for r in sb.state.reservations()}
    for booking in local:
        if booking["status"] in ("confirmed", "cancelled"):
            assert booking["external_id"] in held, f"{booking['reference']} lost on the platform"
        if booking["status"] == "confirmed":
            assert held[booking["external_id"]].active, booking
    live = [r for r in held.values() if r.active]
    confirmed = {b["external_id"] for b in local if b["status"] == "confirmed"}
    assert {r.id for r in live} == confirmed


def json_error(stderr: str) -> dict[str, Any]:
    """The one JSON error document on stderr (fails if there is anything else)."""
    document = json.loads(stderr)
    assert set(document) == {"error"}, document
    error = document["error"]
    assert error["type"] and error["message"], error
    return error


def error_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("error:")]


def close_breakers(db_url: str) -> None:
    """Close every credential's circuit breaker in the store: for tests whose subject is not
    the breaker but which make a platform fail on purpose more times in a row than it
    tolerates (five timeouts open it)."""
    import sqlalchemy as sa

    from prima_cli.store.url import normalise

    engine = sa.create_engine(normalise(db_url))
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE platform_credentials SET breaker_state = 'closed', "
                             "failures = 0, open_until = NULL, probe_at = NULL"))  # fmt: skip
    engine.dispose()


def interrupted_at_platform(sb: Sandbox, args: list[str], sig: signal.Signals,
                            what: str) -> tuple[int, str]:  # fmt: skip
    """Run ``prima ARGS`` (the real executable), send ``sig`` once its request has taken the
    simulator's one-shot fault (a hang injected beforehand), and return its exit code and
    stderr."""
    from tests.conftest import prima_executable
    from tests.reliability.lifecycle import wait_until

    proc = subprocess.Popen([*prima_executable(), *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)  # fmt: skip
    try:
        wait_until(lambda: sb.faults == [] or proc.poll() is not None, seconds=30, what=what)
        assert proc.poll() is None, f"it ended before {what}: {proc.communicate()}"
        proc.send_signal(sig)
        _out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    return proc.returncode, err


def interruption_said(err: str, json_mode: bool, reference: str) -> str:
    """What an interrupted command said of ``reference``: its JSON error's message and hint
    (type ``interrupted``, naming the booking), or its text (no traceback)."""
    if json_mode:
        error = json.loads(err)["error"]
        assert (error["type"], error["booking"]) == ("interrupted", reference)
        return f"{error['message']} {error['hint']}"
    assert "Traceback" not in err
    return err


def when_called(
    monkeypatch: pytest.MonkeyPatch, owner: object, name: str, action: Callable[[], None]
) -> list[int]:
    """Run ``action`` once, right after the first call of ``owner.name`` (a simulator's
    state method: the platform has done its part and is about to answer). The returned
    list gets an entry when it ran."""
    original = getattr(owner, name)
    fired: list[int] = []

    def hooked(*args: Any, **kwargs: Any) -> Any:
        result = original(*args, **kwargs)
        if not fired:
            fired.append(1)
            action()
        return result

    monkeypatch.setattr(owner, name, hooked)
    return fired
