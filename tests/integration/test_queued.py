"""A booking proved never to have landed is `queued`, not `rejected`: no platform holds it
yet, and the next sync places it again.

Before the status existed, `bookings show`, `list` and `--json` said `rejected` while the
outbox was about to place the booking: an operator (or a script) who took that at its word
booked the guest some other way, and the next sync placed the original too: two tables.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from prima_cli.sandbox import Sandbox
from tests.conftest import CLI
from tests.integration.conftest import add_venues, cm_settings
from tests.reliability.support import create_args, day

CREATE = "reserv/reserv"


def creates(sandbox: Sandbox) -> int:
    """How many create requests CoverManager received."""
    return sum(CREATE in entry.path for entry in sandbox.requests_log)


def queued(cli: CLI, sandbox: Sandbox, key: str = "q-1") -> str:
    """A booking whose create's outcome was unknown, then proved never to have landed by a
    look-up; its reference."""
    cli.ok("platforms", "add", "madrid", "covermanager", *cm_settings(sandbox), "--no-test")
    sandbox.inject(f"500:covermanager:{CREATE}:times=1")  # refused before it booked
    lost = cli(*create_args("madrid", "20:00", "--reference", key, "--json"))
    assert lost.exit_code == 8, lost.stderr
    reference: str = lost.error()["booking"]
    (item,) = cli("bookings", "reconcile", "--json").json()["items"]
    assert item["outcome"] == "not_found", item
    assert sandbox.state.reservations() == []
    return reference


def show(cli: CLI, reference: str) -> dict[str, Any]:
    shown: dict[str, Any] = cli.ok("bookings", "show", reference, "--json").json()
    return shown


def test_a_booking_that_never_landed_is_queued_until_the_next_sync_places_it_once(
    venues: CLI, sandbox: Sandbox
) -> None:
    reference = queued(venues, sandbox)
    shown = show(venues, reference)
    assert shown["status"] == "queued", shown
    assert "the next `prima platforms sync` places it again" in str(shown["status_detail"])
    listed = venues.ok("bookings", "list", "--json").json()
    assert [(b["reference"], b["status"]) for b in listed] == [(reference, "queued")]
    only = venues.ok("bookings", "list", "--status", "queued", "--json").json()
    assert [b["reference"] for b in only] == [reference]
    assert venues.ok("bookings", "list", "--status", "rejected", "--json").json() == []
    # the report counts it as queued, not as failed
    mix = venues.ok("report", "--to", day(3), "--json").json()["status"]["all"]
    assert (mix["queued"], mix["failed"], mix["rejected"]) == (1, 0, 0), mix

    venues.ok("platforms", "sync", "--days", "1", "--quiet")
    shown = show(venues, reference)
    assert shown["status"] == "confirmed", shown
    (held,) = sandbox.state.reservations()
    assert (held.reference, held.id) == (reference, shown["external_id"])
    venues.ok("platforms", "sync", "--days", "1", "--quiet")  # and never again
    assert len(sandbox.state.reservations()) == 1
    assert creates(sandbox) == 2  # the one that failed, the one that placed it


def test_a_queued_booking_cancelled_is_cancelled_locally_and_never_placed(
    venues: CLI, sandbox: Sandbox
) -> None:
    reference = queued(venues, sandbox)
    assert show(venues, reference)["status"] == "queued"
    sent = creates(sandbox)
    cancelled = venues.ok("bookings", "cancel", reference, "--json").json()
    assert cancelled["status"] == "cancelled", cancelled
    assert "no platform held it" in cancelled["status_detail"]
    venues.ok("platforms", "sync", "--days", "1", "--quiet")
    venues.ok("bookings", "reconcile", "--json")
    assert sandbox.state.reservations() == []
    assert creates(sandbox) == sent
    assert show(venues, reference)["status"] == "cancelled"


def test_a_queued_booking_whose_time_passed_is_rejected_by_the_next_sync_and_never_placed(
    any_db_url: str, sandbox: Sandbox
) -> None:
    """On every backend: the sync's sweep is one query on (status, starts_at)."""
    from prima_cli.store.store import Store
    from prima_cli.store.types import utcnow

    cli = CLI(any_db_url)
    cli.ok("db", "migrate")
    add_venues(cli)
    reference = queued(cli, sandbox)
    assert show(cli, reference)["status"] == "queued"
    # its time passes (prima's clock cannot be moved from here: the booking is)
    store = Store(any_db_url)
    try:
        with store.session() as session:
            booking = session.exec(_by_reference(reference)).one()
            booking.starts_at = utcnow() - dt.timedelta(minutes=5)
            session.add(booking)
    finally:
        store.dispose()
    sent = creates(sandbox)

    synced = cli("platforms", "sync", "--days", "1", "--json")
    assert synced.exit_code == 0, synced.stderr
    shown = show(cli, reference)
    assert shown["status"] == "rejected", shown
    assert "its time passed before a platform took it" in str(shown["status_detail"])
    events = cli.ok("bookings", "show", reference, "--json").json()["events"]
    assert (events[-1]["action"], events[-1]["status"]) == ("expired", "rejected")
    cli.ok("platforms", "sync", "--days", "1", "--quiet")  # nothing more to do
    assert len(cli.ok("bookings", "show", reference, "--json").json()["events"]) == len(events)
    assert sandbox.state.reservations() == []
    assert creates(sandbox) == sent


def _by_reference(reference: str) -> Any:
    from sqlmodel import select

    from prima_cli.store.booking_tables import Booking

    return select(Booking).where(Booking.reference == reference)


def test_a_sweep_that_lost_the_race_writes_nothing(
    venues: CLI, sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two runs sweeping at once: the one whose compare-and-set fails leaves the booking to
    the other (no second event, no status written on a stale read)."""
    import os
    from pathlib import Path

    from prima_cli.core import booking_state
    from prima_cli.core.sync_statuses import expire_queued
    from prima_cli.store.store import Store
    from prima_cli.store.types import utcnow

    reference = queued(venues, sandbox)
    store = Store(f"sqlite:///{Path(os.environ['PRIMA_DATA_DIR']) / 'prima.db'}")
    try:
        with store.session() as session:
            booking = session.exec(_by_reference(reference)).one()
            booking.starts_at = utcnow() - dt.timedelta(minutes=5)
        real = booking_state.claim_loaded

        def another_run_first(session: Any, booking: Any) -> int:
            with store.session() as other:  # the other run claims and expires it first
                mine = other.exec(_by_reference(reference)).one()
                real(other, mine)
            return real(session, booking)

        monkeypatch.setattr(booking_state, "claim_loaded", another_run_first)
        before = len(show(venues, reference)["events"])
        assert expire_queued(store) == 0
    finally:
        store.dispose()
    shown = show(venues, reference)
    assert shown["status"] == "queued"  # this run wrote nothing; the next run expires it
    assert len(shown["events"]) == before


def test_a_queued_booking_is_live_to_the_removal_guards(venues: CLI, sandbox: Sandbox) -> None:
    """It will hold a table once the sync places it: removing its venue or the connection
    that places it is refused as for any live booking."""
    reference = queued(venues, sandbox)
    assert show(venues, reference)["status"] == "queued"
    conn = venues("platforms", "remove", "madrid", "covermanager", "--yes")
    assert conn.exit_code == 4 and "1 live booking" in conn.stderr, conn.stderr
    venue = venues("venues", "remove", "madrid", "--yes")
    assert venue.exit_code == 4 and "1 live booking" in venue.stderr, venue.stderr


def test_a_forced_removal_rejects_the_queued_bookings_only_that_connection_was_to_place(
    any_db_url: str, sandbox: Sandbox
) -> None:
    """The outbox is per connection: once the connection is gone, nothing places the booking,
    so it must stop saying `queued` (it said so until its time passed). On every backend:
    the attempt's connection is set to NULL by the database's foreign key."""
    cli = CLI(any_db_url)
    cli.ok("db", "migrate")
    add_venues(cli)
    reference = queued(cli, sandbox)
    sent = creates(sandbox)
    gone = cli("platforms", "remove", "madrid", "covermanager", "--force", "--yes")
    assert gone.exit_code == 0, gone.stderr
    said = (
        f"1 queued booking(s) that only this connection was to place are now rejected: {reference}"
    )
    assert said in gone.stderr, gone.stderr
    assert "may still hold tables" not in gone.stderr  # it is on no platform
    shown = show(cli, reference)
    assert shown["status"] == "rejected", shown
    assert "the connection that was to place it was removed" in str(shown["status_detail"])
    assert "places it again" not in str(shown["status_detail"])
    events = shown["events"]
    assert (events[-1]["action"], events[-1]["status"]) == ("connection removed", "rejected")
    # connected again, the sync does not place it: the operator was told it is rejected
    cli.ok("platforms", "add", "madrid", "covermanager", *cm_settings(sandbox), "--no-test")
    cli.ok("platforms", "sync", "--days", "1", "--quiet")
    assert show(cli, reference)["status"] == "rejected"
    assert sandbox.state.reservations() == [] and creates(sandbox) == sent


def test_disabling_the_connection_a_queued_booking_waits_for_says_so(
    venues: CLI, sandbox: Sandbox
) -> None:
    reference = queued(venues, sandbox)
    disabled = venues("platforms", "disable", "madrid", "covermanager")
    assert disabled.exit_code == 0, disabled.stderr
    assert "1 queued booking(s) wait for this connection" in disabled.stderr, disabled.stderr
    assert reference in disabled.stderr
    assert show(venues, reference)["status"] == "queued"  # enabled again, the sync places it
    enabled = venues("platforms", "enable", "madrid", "covermanager")
    assert enabled.exit_code == 0 and "wait for this connection" not in enabled.stderr
    venues.ok("platforms", "sync", "--days", "1", "--quiet")
    assert show(venues, reference)["status"] == "confirmed"
    assert len(sandbox.state.reservations()) == 1


def test_a_replayed_create_that_leaves_it_queued_fails_as_a_rejected_one_did(
    venues: CLI, sandbox: Sandbox
) -> None:
    """The rerun with its key places it again; CoverManager is down, so it stays queued: the
    create's error is the one a rejected booking gave (`booking_not_placed`, the cause's exit
    code), and its hint says the sync places it."""
    reference = queued(venues, sandbox, key="q-2")
    sandbox.inject(f"503:covermanager:{CREATE}")
    again = venues(*create_args("madrid", "20:00", "--reference", "q-2", "--json"))
    error = again.error()
    assert (again.exit_code, error["type"]) == (69, "booking_not_placed"), again.stderr
    assert "the next `prima platforms sync` places it again" in error["hint"], error
    shown = show(venues, reference)
    assert shown["status"] == "queued", shown
    assert [a["state"] for a in shown["attempts"]] == ["not_landed", "failed"]
    sandbox.clear_faults()
    venues.ok("platforms", "sync", "--days", "1", "--quiet")
    assert show(venues, reference)["status"] == "confirmed"
    assert len(sandbox.state.reservations()) == 1


def test_a_sync_under_way_places_nothing_through_a_connection_disabled_meanwhile(
    any_db_url: str, sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The disable names the queued bookings that nothing places while it lasts; an operator
    may book those guests some other way. A sync that read its targets before the disable,
    and placed one while it waited for CoverManager, gave the guest a second table."""
    from tests.reliability.support import when_called

    cli = CLI(any_db_url)
    cli.ok("db", "migrate")
    add_venues(cli)
    reference = queued(cli, sandbox)
    sent = creates(sandbox)
    disabled: list[Any] = []

    def disable() -> None:  # while the sync waits for CoverManager's availability answer
        disabled.append(cli("platforms", "disable", "madrid", "covermanager"))

    when_called(monkeypatch, sandbox.state, "free_covers", disable)
    synced = cli("platforms", "sync", "--days", "1", "--json")
    monkeypatch.undo()
    (off,) = disabled
    assert off.exit_code == 0 and reference in off.stderr, off.stderr
    assert "wait for this connection" in off.stderr, off.stderr
    assert sandbox.state.reservations() == [], synced.stdout
    assert creates(sandbox) == sent
    assert show(cli, reference)["status"] == "queued"
    cli.ok("platforms", "enable", "madrid", "covermanager")
    cli.ok("platforms", "sync", "--days", "1", "--quiet")
    assert show(cli, reference)["status"] == "confirmed"
    assert len(sandbox.state.reservations()) == 1
