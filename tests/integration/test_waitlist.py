"""A waiting-list answer is not a table: the booking is `waitlisted`, the create says so (exit
6) and tries no other platform; replays answer the same; cancel takes it off the list."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from prima_cli.sandbox import Sandbox, SandboxConfig
from prima_cli.sandbox.config import Switches
from tests.conftest import CLI
from tests.integration.conftest import restoo_settings
from tests.reliability.support import day

GUEST_A = ["--first-name", "Camila", "--last-name", "Restrepo",
           "--email", "camila.restrepo@gmail.com", "--phone", "+57 310 555 0142"]  # fmt: skip
GUEST_B = ["--first-name", "Andrés", "--last-name", "Morales",
           "--email", "andres.morales@gmail.com", "--phone", "+57 311 555 0199"]  # fmt: skip


@pytest.fixture
def small_sandbox() -> Iterator[Sandbox]:
    # two covers a quarter hour; Restoo's availability off, as prima cannot rely on it there
    switches = Switches().with_specs(["restoo_availability=off"])
    with Sandbox(SandboxConfig(seed=7, slot_capacity=2, switches=switches)) as sb:
        yield sb


#: the slot these tests book: time and party size
WHEN = ["--time", "20:00", "--party", "2"]


@pytest.fixture
def full_slot(migrated: CLI, small_sandbox: Sandbox) -> list[str]:
    """Bogotá on Restoo (an account with a waiting list), its 20:00 slot booked full; the
    create arguments of that slot."""
    migrated.ok("venues", "add", "Bogotá", "--slug", "bogota", "--timezone", "America/Bogota",
                "--country", "CO")  # fmt: skip
    migrated.ok("platforms", "add", "bogota", "restoo",
                *restoo_settings(small_sandbox, account="prima-sbx-bogota"))  # fmt: skip
    when = ["bookings", "create", "bogota", "--date", day(3, "America/Bogota"), *WHEN]
    first = migrated.ok(*when, *GUEST_A, "--json").json()
    assert first["status"] == "confirmed"  # the slot's two covers
    return when


def test_a_waiting_list_entry_is_not_reported_as_a_table(
    migrated: CLI, small_sandbox: Sandbox, full_slot: list[str]
) -> None:
    cli = migrated
    args = [*full_slot, *GUEST_B, "--reference", "wait-1", "--json"]
    second = cli(*args)
    assert second.exit_code == 6, second.stderr
    assert second.stdout == ""
    error = second.error()
    assert error["type"] == "booking_waitlisted"
    assert "waiting list" in error["message"] and "no table" in error["message"]
    shown = cli.ok("bookings", "show", "wait-1", "--json").json()
    assert shown["status"] == "waitlisted" and shown["platform_status"] == "waitlist"
    held = {r.reference: r for r in small_sandbox.state.reservations()}
    assert held[shown["reference"]].id == shown["external_id"]  # recorded: it can be cancelled
    listed = cli.ok("bookings", "list", "--status", "waitlisted", "--json").json()
    assert [b["reference"] for b in listed] == [shown["reference"]]
    before = len(small_sandbox.state.reservations())
    again = cli(*args)  # a replay answers the same, and sends nothing
    assert again.exit_code == 6 and again.error()["type"] == "booking_waitlisted"
    assert len(small_sandbox.state.reservations()) == before
    cancelled = cli.ok("bookings", "cancel", "wait-1", "--json").json()
    assert cancelled["status"] == "cancelled"
    assert not {r.reference: r for r in small_sandbox.state.reservations()}[
        shown["reference"]].active  # fmt: skip


def test_sync_confirms_a_waitlisted_booking_once_its_platform_lists_a_table(
    migrated: CLI, full_slot: list[str]
) -> None:
    """Restoo cannot list reservations, so the step that reads statuses is driven directly
    with what a platform that can would list."""
    import datetime as dt

    from prima_cli.core.sync_statuses import apply_statuses
    from prima_cli.platforms.contract import ReservationRecord, ReservationStatus
    from prima_cli.store.store import Store
    from prima_cli.store.url import resolve

    cli = migrated
    cli(*full_slot, *GUEST_B, "--reference", "wait-2")
    shown = cli.ok("bookings", "show", "wait-2", "--json").json()
    (attempt,) = shown["attempts"]
    store = Store(resolve(cli.db_url)[0])
    still = ReservationRecord(shown["external_id"], "PENDING_WAIT_LIST_BOOKING",
                              ReservationStatus.WAITLIST, dt.date.today(), None, 2)  # fmt: skip
    assert apply_statuses(store, attempt["connection_id"], {still.external_id: still}) == 0
    assert cli.ok("bookings", "show", "wait-2", "--json").json()["status"] == "waitlisted"
    seated = ReservationRecord(shown["external_id"], "CONFIRMED", ReservationStatus.CONFIRMED,
                               dt.date.today(), None, 2)  # fmt: skip
    assert apply_statuses(store, attempt["connection_id"], {seated.external_id: seated}) == 1
    now = cli.ok("bookings", "show", "wait-2", "--json").json()
    assert now["status"] == "confirmed" and now["platform_status"] == "confirmed"
    assert "from its waiting list" in now["status_detail"]
    store.dispose()


def test_a_request_the_restaurant_must_accept_says_so(migrated: CLI, sandbox: Sandbox) -> None:
    """Restoo accounts that accept by hand answer REQUESTED: held, and said to be a request."""
    migrated.ok("venues", "add", "Lisboa", "--slug", "lisboa", "--timezone", "Europe/Lisbon",
                "--country", "PT")  # fmt: skip
    migrated.ok("platforms", "add", "lisboa", "restoo", *restoo_settings(sandbox))
    created = migrated.ok("bookings", "create", "lisboa", "--date", day(3, "Europe/Lisbon"),
                          *WHEN, *GUEST_A, "--json").json()  # fmt: skip
    assert created["platform_status"] == "pending"
    assert created["status_detail"].startswith("requested on restoo as ")
    assert "yet to accept" in created["status_detail"]
