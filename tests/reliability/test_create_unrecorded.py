"""A create whose platform booked the table but whose answer the database would not take:
whatever the database said, the outcome is unknown (exit 8, reconcile, never create again).

Only a database that could not be reached was said so; a database that refused the
connection otherwise (PostgreSQL "not currently accepting connections", a changed password)
was exit 78 "check --db", and a transaction it gave up on (a lock held too long) exit 75
"nothing of it was saved; run the command again": both without naming the booking, and a
rerun without --reference booked the guest twice."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa

from prima_cli.errors import ExitCode
from prima_cli.sandbox import Sandbox
from prima_cli.store.url import normalise
from tests.conftest import CLI
from tests.integration.conftest import cm_settings
from tests.reliability.support import create_args, when_called
from tests.reliability.test_database_faults import assert_no_sql

pytestmark = pytest.mark.postgres


@pytest.fixture
def store(postgres_url: str, sandbox: Sandbox) -> Iterator[CLI]:
    cli = CLI(postgres_url)
    cli.ok("db", "migrate")
    cli.ok("venues", "add", "Madrid", "--slug", "madrid", "--timezone", "Europe/Madrid",
           "--country", "ES")  # fmt: skip
    cli.ok("platforms", "add", "madrid", "covermanager", *cm_settings(sandbox))
    yield cli


def _admin(postgres_admin_url: str) -> sa.Engine:
    return sa.create_engine(normalise(postgres_admin_url), isolation_level="AUTOCOMMIT")


def _outcome_unknown(stderr: str) -> dict[str, Any]:
    assert_no_sql(stderr)
    error = json.loads(stderr)["error"]
    assert error["exit_code"] == ExitCode.OUTCOME_UNKNOWN and error["retryable"] is False
    reference = error.get("booking")
    assert reference and f"prima bookings reconcile {reference}" in error["hint"], error
    assert "do not create it again" in error["hint"]
    return error


def _held_once(store: CLI, sandbox: Sandbox, reference: str) -> None:
    """The platform holds one reservation, and the booking is confirmed as that one."""
    (held,) = sandbox.state.reservations()
    booking = store.ok("bookings", "show", reference, "--json").json()
    assert (booking["status"], booking["external_id"]) == ("confirmed", held.id)


def test_a_database_refusing_connections_after_the_platform_booked_is_8(
    store: CLI, sandbox: Sandbox, postgres_url: str, postgres_admin_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    name = sa.make_url(normalise(postgres_url)).database
    admin = _admin(postgres_admin_url)

    def refuse() -> None:
        with admin.connect() as conn:
            conn.execute(sa.text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false'))
            conn.execute(sa.text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                 "WHERE datname = :n"), {"n": name})  # fmt: skip

    fired = when_called(monkeypatch, sandbox.state, "book", refuse)
    try:
        result = store(*create_args(), "--json")  # no --reference: only the error names it
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true'))
        admin.dispose()
    assert fired and len(sandbox.state.reservations()) == 1
    assert result.exit_code == ExitCode.OUTCOME_UNKNOWN, result.stderr
    reference = _outcome_unknown(result.stderr)["booking"]
    monkeypatch.undo()
    store.ok("bookings", "reconcile", reference)
    _held_once(store, sandbox, reference)


def test_a_transaction_the_database_gives_up_on_after_the_platform_booked_is_8(
    store: CLI, sandbox: Sandbox, postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    name = sa.make_url(normalise(postgres_url)).database
    engine = sa.create_engine(normalise(postgres_url))
    with engine.begin() as conn:  # another writer holds the row: this store gives up soon
        conn.execute(sa.text(f"ALTER DATABASE \"{name}\" SET lock_timeout = '100ms'"))
    holder = engine.connect()

    def hold_the_booking() -> None:
        holder.execute(sa.text("SELECT id FROM bookings FOR UPDATE"))

    fired = when_called(monkeypatch, sandbox.state, "book", hold_the_booking)
    try:
        result = store(*create_args(), "--json")
    finally:
        holder.rollback()
        holder.close()
        engine.dispose()
    assert fired and len(sandbox.state.reservations()) == 1
    assert result.exit_code == ExitCode.OUTCOME_UNKNOWN, result.stderr
    reference = _outcome_unknown(result.stderr)["booking"]
    monkeypatch.undo()
    store.ok("bookings", "reconcile", reference)
    _held_once(store, sandbox, reference)


@pytest.mark.parametrize("how", ["refuse", "busy"])
def test_a_database_failing_between_the_intent_and_the_platform_call_is_8(
    how: str, store: CLI, sandbox: Sandbox, postgres_url: str, postgres_admin_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    """The booking is recorded and the next sync places it: a create run again (a script
    reading "retryable") would book the guest a second time."""
    name = sa.make_url(normalise(postgres_url)).database
    admin = _admin(postgres_admin_url)
    engine = sa.create_engine(normalise(postgres_url))
    with engine.begin() as conn:
        conn.execute(sa.text(f"ALTER DATABASE \"{name}\" SET lock_timeout = '100ms'"))
    holder = engine.connect()

    def fail() -> None:  # the availability check: the intent is committed, nothing sent
        if how == "busy":
            holder.execute(sa.text("SELECT id FROM bookings FOR UPDATE"))
            return
        with admin.connect() as conn:
            conn.execute(sa.text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false'))
            conn.execute(sa.text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                 "WHERE datname = :n AND pid <> pg_backend_pid()"),
                         {"n": name})  # fmt: skip

    fired = when_called(monkeypatch, sandbox.state, "free_covers", fail)
    try:
        result = store(*create_args(), "--json")
    finally:
        holder.rollback()
        holder.close()
        with admin.connect() as conn:
            conn.execute(sa.text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true'))
            conn.execute(sa.text(f'ALTER DATABASE "{name}" RESET lock_timeout'))
        admin.dispose()
        engine.dispose()
    assert fired and sandbox.state.reservations() == []
    assert result.exit_code == ExitCode.OUTCOME_UNKNOWN, result.stderr
    assert_no_sql(result.stderr)
    error = json.loads(result.stderr)["error"]
    assert error["retryable"] is False and "do not create it again" in error["hint"]
    reference = error["booking"]
    monkeypatch.undo()
    store.ok("platforms", "sync", "--days", "1")  # its outbox places the recorded booking
    _held_once(store, sandbox, reference)


def test_a_cancel_the_platform_applied_but_the_database_gave_up_on_says_so(
    store: CLI, sandbox: Sandbox, postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The platform cancelled; the transaction recording it gave up (a lock held too long):
    the error says the platform was asked and to rerun the cancel (safe: a cancel is
    idempotent), never "nothing of it was saved"; the rerun records it."""
    reference = store.ok(*create_args(), "--json").json()["reference"]
    name = sa.make_url(normalise(postgres_url)).database
    engine = sa.create_engine(normalise(postgres_url))
    with engine.begin() as conn:
        conn.execute(sa.text(f"ALTER DATABASE \"{name}\" SET lock_timeout = '100ms'"))
    holder = engine.connect()

    def hold_the_booking() -> None:
        holder.execute(sa.text("SELECT id FROM bookings FOR UPDATE"))

    fired = when_called(monkeypatch, sandbox.state, "set_status", hold_the_booking)
    try:
        result = store("bookings", "cancel", reference, "--json")
    finally:
        holder.rollback()
        holder.close()
        engine.dispose()
    assert fired and [r.active for r in sandbox.state.reservations()] == [False]
    assert result.exit_code == ExitCode.TEMPFAIL, result.stderr
    assert_no_sql(result.stderr)
    error = json.loads(result.stderr)["error"]
    assert error["booking"] == reference and "nothing of it was saved" not in error["message"]
    assert "the platform was asked to cancel it" in error["message"]
    assert f"rerun `prima bookings cancel {reference}`" in error["hint"]
    monkeypatch.undo()
    store.ok("bookings", "cancel", reference)
    assert store.ok("bookings", "show", reference, "--json").json()["status"] == "cancelled"
