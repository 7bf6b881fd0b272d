"""Where a connection's reservations are (a CoverManager restaurant, a Restoo account, the
API's server) is part of every booking made through it: prima reconciles, cancels and syncs
them through the connection's current settings. Changing it while bookings there are live
would look for them in the wrong place.

Before the guard, editing `restaurant_id` while a create's outcome was unknown made the
reconcile look at the new restaurant, find nothing, call the attempt `not_landed`, and the
next sync booked the guest there too: two tables, one of them no longer tracked.
"""

from __future__ import annotations

from typing import Any

import pytest

from prima_cli.sandbox import Sandbox
from prima_cli.sandbox.state import CM_CANCELLED
from tests.conftest import CLI, Result
from tests.integration.conftest import add_venues, cm_settings
from tests.reliability.support import create_args, when_called

CREATE = "reserv/reserv"


def lost_create(cli: CLI, sandbox: Sandbox) -> str:
    """A booking CoverManager made whose answer was lost: `unknown`; its reference."""
    cli.ok("platforms", "add", "madrid", "covermanager", *cm_settings(sandbox), "--no-test")
    sandbox.inject(f"reset:covermanager:{CREATE}:times=1")
    lost = cli(*create_args("madrid", "20:00", "--reference", "moved-1", "--json"))
    assert lost.exit_code == 8, lost.stderr
    assert len(sandbox.state.reservations()) == 1  # the platform did book it
    reference: str = lost.error()["booking"]
    return reference


def test_moving_a_connection_with_an_unknown_booking_is_refused_and_nothing_changes(
    venues: CLI, sandbox: Sandbox
) -> None:
    reference = lost_create(venues, sandbox)
    before = venues.ok("platforms", "show", "madrid", "covermanager", "--json").json()
    moved = venues("platforms", "edit", "madrid", "covermanager", "--set",
                   "restaurant_id=prima-sbx-cdmx", "--json")  # fmt: skip
    assert moved.exit_code == 4, moved.stderr
    error = moved.error()
    assert error["type"] == "conflict", error
    assert reference in error["message"] and "restaurant_id" in error["message"], error
    after = venues.ok("platforms", "show", "madrid", "covermanager", "--json").json()
    assert after == before
    # the reconcile still looks where the booking was made, and finds it
    (item,) = venues.ok("bookings", "reconcile", "--json").json()["items"]
    assert item["outcome"] == "found", item
    venues.ok("platforms", "sync", "--days", "1", "--quiet")
    assert len(sandbox.state.reservations()) == 1


def test_forced_the_move_is_made_and_the_operator_is_told_which_bookings_to_check(
    venues: CLI, sandbox: Sandbox
) -> None:
    reference = lost_create(venues, sandbox)
    moved = venues("platforms", "edit", "madrid", "covermanager", "--set",
                   "restaurant_id=prima-sbx-cdmx", "--force", "--json")  # fmt: skip
    assert moved.exit_code == 0, moved.stderr
    assert moved.json()["configuration"]["restaurant_id"] == "prima-sbx-cdmx"
    assert "1 live booking(s) made at the old restaurant_id" in moved.stderr, moved.stderr
    assert reference in moved.stderr


def test_a_confirmed_booking_holds_the_connection_in_place_too(
    venues: CLI, sandbox: Sandbox
) -> None:
    """Its cancel would go to the new place: on Restoo, another account's 404."""
    venues.ok("platforms", "add", "madrid", "covermanager", *cm_settings(sandbox), "--no-test")
    made = venues.ok(*create_args("madrid", "20:00", "--json")).json()
    creds = sandbox.credentials().covermanager
    for change in (["--unset", "base_url"],  # back to the default server: a move too
                   ["--set", "base_url=http://127.0.0.1:9/covermanager/api"]):  # fmt: skip
        moved = venues("platforms", "edit", "madrid", "covermanager", *change)
        assert moved.exit_code == 4 and "base_url" in moved.stderr, moved.stderr
        assert made["reference"] in moved.stderr
    shown = venues.ok("platforms", "show", "madrid", "covermanager", "--json").json()
    assert shown["configuration"]["base_url"] == creds.base_url
    # what does not move it stays editable: the key (rotated), the priority, the channel tag
    key = f"api_key=literal:{creds.api_key}"
    venues.ok("platforms", "edit", "madrid", "covermanager", "--set", key, "--priority", "3",
              "--set", "source=web")  # fmt: skip
    cancelled = venues.ok("bookings", "cancel", made["reference"], "--json").json()
    assert cancelled["status"] == "cancelled"
    assert [r.status for r in sandbox.state.reservations()] == [CM_CANCELLED]
    # nothing live there any more: the move is free
    venues.ok("platforms", "edit", "madrid", "covermanager", "--set",
              "restaurant_id=prima-sbx-cdmx")  # fmt: skip


def test_a_queued_booking_does_not_hold_it_and_is_placed_in_the_new_place_once(
    venues: CLI, sandbox: Sandbox
) -> None:
    """No platform holds a `queued` booking yet: after the move, the sync places it there."""
    venues.ok("platforms", "add", "madrid", "covermanager", *cm_settings(sandbox), "--no-test")
    sandbox.inject(f"500:covermanager:{CREATE}:times=1")  # refused before it booked
    lost = venues(*create_args("madrid", "20:00", "--reference", "q-move", "--json"))
    assert lost.exit_code == 8, lost.stderr
    (item,) = venues("bookings", "reconcile", "--json").json()["items"]
    assert item["outcome"] == "not_found", item
    reference = lost.error()["booking"]
    assert venues.ok("bookings", "show", reference, "--json").json()["status"] == "queued"
    moved = venues("platforms", "edit", "madrid", "covermanager", "--set",
                   "restaurant_id=prima-sbx-cdmx")  # fmt: skip
    assert moved.exit_code == 0 and "live booking" not in moved.stderr, moved.stderr
    venues.ok("platforms", "sync", "--days", "1", "--quiet")
    (held,) = sandbox.state.reservations()
    assert (held.reference, held.venue) == (reference, "prima-sbx-cdmx")


def test_the_platform_types_say_which_keys_locate_the_reservations(venues: CLI) -> None:
    types = {t["name"]: t for t in venues.ok("platforms", "types", "--json").json()}
    locating = {name: [f["name"] for f in t["fields"] if f["locates"]] for name, t in types.items()}
    assert locating == {"covermanager": ["restaurant_id", "base_url"],
                        "restoo": ["account", "partner_id", "base_url"]}  # fmt: skip


def test_a_move_while_a_create_checks_availability_books_the_guest_once(
    any_db_url: str, sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The create reads the connection's settings, asks for availability, then writes its
    `pending` attempt and books. An edit committed while it waits for the availability
    answer finds nothing live (no attempt yet), so the guard lets it through. Before the
    create re-read the settings with its attempt, it booked the old restaurant and tracked
    the booking through the moved connection: its lost answer was then looked up at the
    new restaurant, called `not_landed`, and the sync booked the guest a second table."""
    cli = CLI(any_db_url)
    cli.ok("db", "migrate")
    add_venues(cli)
    cli.ok("platforms", "add", "madrid", "covermanager", *cm_settings(sandbox), "--no-test")
    moves: list[Result] = []

    def move() -> None:
        moves.append(cli("platforms", "edit", "madrid", "covermanager", "--set",
                         "restaurant_id=prima-sbx-cdmx"))  # fmt: skip

    fired = when_called(monkeypatch, sandbox.state, "free_covers", move)
    sandbox.inject(f"reset:covermanager:{CREATE}:times=1")  # the create's answer is lost
    lost = cli(*create_args("madrid", "20:00", "--reference", "race-move", "--json"))
    monkeypatch.undo()
    assert fired and moves, "the edit did not run while the create checked availability"
    (moved,) = moves
    assert moved.exit_code == 0, moved.stderr  # nothing was live yet
    assert lost.exit_code == 8, lost.stderr
    reference: str = lost.error()["booking"]
    (item,) = cli.ok("bookings", "reconcile", "--json").json()["items"]
    cli.ok("platforms", "sync", "--days", "1", "--quiet")
    held = [(r.reference, r.venue) for r in sandbox.state.reservations()]
    assert held == [(reference, "prima-sbx-cdmx")], (item, held)
    assert item["outcome"] == "found", item
    assert cli.ok("bookings", "show", reference, "--json").json()["status"] == "confirmed"


@pytest.fixture(params=["postgres", "mysql"])
def server_db_url(request: pytest.FixtureRequest) -> str:
    """A fresh database on each server backend (their lock waits can be watched)."""
    url: str = request.getfixturevalue(f"{request.param}_url")
    return url


def connected_and_watched(
    url: str, sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> tuple[CLI, Any, list[int]]:
    """A store at ``url`` with madrid connected to CoverManager; a store handle to watch its
    lock waits with; and the list that gets an entry once the simulator books."""
    from prima_cli.store.store import Store

    cli = CLI(url)
    cli.ok("db", "migrate")
    add_venues(cli)
    cli.ok("platforms", "add", "madrid", "covermanager", *cm_settings(sandbox), "--no-test")
    return cli, Store(url), when_called(monkeypatch, sandbox.state, "book", lambda: None)


def lock_waits(store: Any) -> int:
    """Transactions of this database waiting for a row lock now."""
    from sqlalchemy import text

    if store.engine.dialect.name == "postgresql":
        query = ("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                 "AND datname = current_database()")  # fmt: skip
    else:
        query = ("SELECT count(*) FROM information_schema.innodb_trx t JOIN "
                 "information_schema.processlist p ON p.id = t.trx_mysql_thread_id "
                 "WHERE t.trx_state = 'LOCK WAIT' AND p.db = DATABASE()")  # fmt: skip
    with store.engine.connect() as conn:
        return int(conn.execute(text(query)).scalar_one())


def test_a_create_that_writes_its_attempt_while_a_move_is_being_decided_books_once(
    server_db_url: str, sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The edit's guard found nothing live; before it commits, the create writes its
    `pending` attempt on the settings it reads then (still the old ones) and books the old
    restaurant; the edit then commits the move. Before the edit locked the connection ahead
    of its guard, this went through: the booking was tracked through the moved connection,
    its lost answer looked up in the new place, and the guest booked twice. Now the create's
    attempt waits for the edit to end, then goes where the connection says."""
    import threading

    from prima_cli.core import connection_guards as guards
    from tests.reliability.lifecycle import wait_until

    cli, watcher, booked = connected_and_watched(server_db_url, sandbox, monkeypatch)
    decided = threading.Event()
    held_through = guards._held_through

    def guard(session: Any, row: Any) -> list[str]:
        found = held_through(session, row)
        decided.set()
        # the create goes on meanwhile: it books (nothing held it), or waits for the edit
        wait_until(lambda: bool(booked) or lock_waits(watcher) > 0, seconds=30,
                   what="the create books, or waits for the edit's lock")  # fmt: skip
        return found

    moves: list[Result] = []
    edit = threading.Thread(
        target=lambda: moves.append(
            cli(
                "platforms",
                "edit",
                "madrid",
                "covermanager",
                "--set",
                "restaurant_id=prima-sbx-cdmx",
            )
        )
    )

    def move() -> None:  # while the create waits for its availability answer
        monkeypatch.setattr(guards, "_held_through", guard)
        edit.start()
        assert decided.wait(30), "the edit's guard did not run"

    when_called(monkeypatch, sandbox.state, "free_covers", move)
    sandbox.inject(f"reset:covermanager:{CREATE}:times=1")  # the create's answer is lost
    try:
        lost = cli(*create_args("madrid", "20:00", "--reference", "race-lock", "--json"))
        edit.join(60)
    finally:
        watcher.dispose()
    monkeypatch.undo()
    (moved,) = moves
    assert moved.exit_code == 0, moved.stderr
    assert lost.exit_code == 8, lost.stderr
    reference: str = lost.error()["booking"]
    (item,) = cli.ok("bookings", "reconcile", "--json").json()["items"]
    cli.ok("platforms", "sync", "--days", "1", "--quiet")
    held = [(r.reference, r.venue) for r in sandbox.state.reservations()]
    assert held == [(reference, "prima-sbx-cdmx")], (item, held)


def test_a_create_that_waits_for_a_forced_removal_books_nothing_and_says_why(
    server_db_url: str, sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The create's attempt waits for the removal's lock on the connection, and reads it
    once the removal has committed: the connection is gone, so the attempt fails with that
    reason and nothing is sent. (On MariaDB the attempt's connection was read from the
    transaction's snapshot, older than the removal: the insert then broke the foreign key.)"""
    import threading

    from prima_cli.core import connection_guards as guards
    from tests.reliability.lifecycle import wait_until

    cli, watcher, booked = connected_and_watched(server_db_url, sandbox, monkeypatch)
    holding = threading.Event()
    removing = guards.removing

    def remove_when_waited_for(*args: Any, **kwargs: Any) -> list[str]:
        holding.set()  # the connection is locked: the create's attempt waits for it
        wait_until(lambda: bool(booked) or lock_waits(watcher) > 0, seconds=30,
                   what="the create waits for the removal's lock, or books")  # fmt: skip
        return removing(*args, **kwargs)

    removals: list[Result] = []
    remover = threading.Thread(
        target=lambda: removals.append(
            cli("platforms", "remove", "madrid", "covermanager", "--force", "--yes")
        )
    )

    def remove() -> None:  # while the create waits for its availability answer
        monkeypatch.setattr(guards, "removing", remove_when_waited_for)
        remover.start()
        assert holding.wait(30), "the removal did not take the connection"

    when_called(monkeypatch, sandbox.state, "free_covers", remove)
    try:
        created = cli(*create_args("madrid", "20:00", "--reference", "race-gone", "--json"))
        remover.join(60)
    finally:
        watcher.dispose()
    monkeypatch.undo()
    (gone,) = removals
    assert gone.exit_code == 0, gone.stderr
    assert sandbox.state.reservations() == [] and not booked
    shown = cli.ok("bookings", "show", "race-gone", "--json").json()
    assert shown["status"] == "rejected", (created.stderr, shown)
    assert "connection was removed" in str(shown["status_detail"]), shown
