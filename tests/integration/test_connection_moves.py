"""Where a connection's reservations are (a CoverManager restaurant, a Restoo account, the
API's server) is part of every booking made through it: prima reconciles, cancels and syncs
them through the connection's current settings. Changing it while bookings there are live
would look for them in the wrong place.

Before the guard, editing `restaurant_id` while a create's outcome was unknown made the
reconcile look at the new restaurant, find nothing, call the attempt `not_landed`, and the
next sync booked the guest there too: two tables, one of them no longer tracked.
"""

from __future__ import annotations

from prima_cli.sandbox import Sandbox
from prima_cli.sandbox.state import CM_CANCELLED
from tests.conftest import CLI
from tests.integration.conftest import cm_settings
from tests.reliability.support import create_args

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
