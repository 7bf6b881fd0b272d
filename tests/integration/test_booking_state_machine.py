"""The booking state machine through the real entry point: orphaned creates, hand resolution,
cancels of reservations the platform no longer has, duplicates, keys that look like ids."""

from __future__ import annotations

import json
import subprocess

import pytest

from prima_cli.sandbox import Sandbox
from tests.conftest import CLI, prima_executable
from tests.integration.conftest import cm_settings, restoo_settings
from tests.integration.test_bookings import GUEST, book, creates, day
from tests.reliability.lifecycle import wait_until

pytestmark = pytest.mark.usefixtures("instant_retries")


def _create_args(reference: str, time_: str = "20:00") -> list[str]:
    return ["bookings", "create", "madrid", "--date", day(), "--time", time_, "--party", "2",
            *GUEST, "--reference", reference, "--json"]  # fmt: skip


def _intent_without_attempt(cli: CLI, key: str) -> bool:
    shown = cli("bookings", "show", key, "--json")
    return shown.exit_code == 0 and shown.json()["attempts"] == []


def _kill_while_checking_availability(cli: CLI, sandbox: Sandbox, key: str) -> None:
    """SIGKILL a create after its booking row is written and before any attempt is."""
    sandbox.inject("hang:covermanager:reserv/availability:seconds=60:times=1")
    proc = subprocess.Popen([*prima_executable(), *_create_args(key)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # fmt: skip
    try:
        wait_until(lambda: _intent_without_attempt(cli, key), seconds=30, every=0.05)
    finally:
        proc.kill()
        proc.wait(timeout=10)
    assert proc.returncode == -9
    sandbox.clear_faults()


@pytest.mark.slow
def test_a_create_killed_before_its_first_attempt_is_placed_by_the_next_sync(
    venues: CLI, sandbox: Sandbox
) -> None:
    venues.ok("platforms", "add", "madrid", "covermanager", *cm_settings(sandbox))
    _kill_while_checking_availability(venues, sandbox, "orphan-1")
    (left,) = venues.ok("bookings", "list", "--json").json()
    assert left["status"] == "pending" and creates(sandbox) == 0
    report = venues("bookings", "reconcile", "--json")
    assert report.exit_code == 7, report.stderr  # the operator hears of it
    assert [(i["booking"], i["outcome"]) for i in report.json()["items"]] == [
        (left["reference"], "unplaced")
    ]
    sync = venues("platforms", "sync", "--days", "1", "--json")
    assert sync.exit_code == 0, sync.stderr
    assert sync.json()["counts"]["pushed"] == 1
    shown = venues.ok("bookings", "show", "orphan-1", "--json").json()
    assert shown["status"] == "confirmed"
    (held,) = sandbox.state.reservations()
    assert held.id == shown["external_id"] and held.active
    # the rerun of the create answers with it, and books nothing more
    rerun = venues(*_create_args("orphan-1"))
    assert rerun.exit_code == 0 and rerun.json()["replayed"] is True
    assert creates(sandbox) == 1
    assert venues.ok("bookings", "reconcile", "--json").json()["items"] == []


@pytest.mark.slow
def test_a_create_killed_before_its_first_attempt_is_placed_by_its_rerun(
    venues: CLI, sandbox: Sandbox
) -> None:
    venues.ok("platforms", "add", "madrid", "covermanager", *cm_settings(sandbox))
    _kill_while_checking_availability(venues, sandbox, "orphan-2")
    rerun = venues(*_create_args("orphan-2"))
    assert rerun.exit_code == 0, rerun.stderr
    assert rerun.json()["status"] == "confirmed"
    assert creates(sandbox) == 1
    sync = venues("platforms", "sync", "--days", "1", "--json")
    assert sync.exit_code == 0 and sync.json()["counts"]["pushed"] == 0
    assert creates(sandbox) == 1


def test_an_all_digit_reference_is_refused_and_writes_nothing(madrid: CLI) -> None:
    result = book(madrid, "--reference", "1")
    assert result.exit_code == 2
    assert "all digits" in result.error()["message"]
    assert madrid.ok("bookings", "list", "--json").json() == []


def test_restoo_lost_answer_is_resolved_by_hand_with_a_note(venues: CLI, sandbox: Sandbox) -> None:
    venues.ok("platforms", "add", "madrid", "restoo",
              *restoo_settings(sandbox, account="prima-sbx-barcelona"))  # fmt: skip
    sandbox.inject("reset:restoo:/booking:POST:times=1")
    lost = book(venues, "--reference", "by-hand-1")
    assert lost.exit_code == 8, lost.stderr
    reference = lost.error()["booking"]
    report = venues("bookings", "reconcile", "--json")
    assert report.exit_code == 7
    assert [i["outcome"] for i in report.json()["items"]] == ["manual"]
    assert "bookings resolve" in report.json()["items"][0]["detail"]
    (held,) = sandbox.state.reservations()
    # bad input: refused, nothing changed
    before = venues.ok("bookings", "show", reference, "--json").json()
    for bad in (["--found", held.id, "--not-found"], [], ["--found", "has space"],
                ["--found", held.id, "--note", "two\nlines"]):  # fmt: skip
        refused = venues("bookings", "resolve", reference, *bad, "--json")
        assert refused.exit_code == 2, (bad, refused.stderr)
    assert venues.ok("bookings", "show", reference, "--json").json() == before
    done = venues("bookings", "resolve", reference, "--found", held.id, "--note",
                  "seen in the back office", "--json")  # fmt: skip
    assert done.exit_code == 0, done.stderr
    shown = done.json()
    assert shown["status"] == "confirmed" and shown["external_id"] == held.id
    resolved = [e for e in shown["events"] if e["action"] == "resolved"]
    assert len(resolved) == 1 and "seen in the back office" in resolved[0]["note"]
    assert resolved[0]["actor"]
    assert venues("bookings", "reconcile", "--json").exit_code == 0
    # and now it can be cancelled, on the platform
    cancel = venues("bookings", "cancel", reference, "--json")
    assert cancel.exit_code == 0, cancel.stderr
    assert not sandbox.state.get(held.id).active  # type: ignore[union-attr]
    again = venues("bookings", "resolve", reference, "--not-found")
    assert again.exit_code == 4  # nothing open any more


def test_resolving_with_an_id_another_booking_holds_is_refused(
    venues: CLI, sandbox: Sandbox
) -> None:
    """Recording by hand a reservation id that another live booking holds (a typo, a copy
    of the wrong row) would tie two bookings to one table, and a cancel of either would free
    the other guest's: refused (exit 4) naming the holder, nothing changed."""
    venues.ok("platforms", "add", "madrid", "restoo",
              *restoo_settings(sandbox, account="prima-sbx-barcelona"))  # fmt: skip
    other = book(venues, "--reference", "holder-1")
    assert other.exit_code == 0, other.stderr
    taken = other.json()["external_id"]
    sandbox.inject("reset:restoo:/booking:POST:times=1")
    lost = book(venues, "--reference", "by-hand-2", time="21:00")
    assert lost.exit_code == 8, lost.stderr
    before = venues.ok("bookings", "show", "by-hand-2", "--json").json()
    refused = venues("bookings", "resolve", "by-hand-2", "--found", taken, "--json")
    assert refused.exit_code == 4, refused.stderr
    error = refused.error()
    assert other.json()["reference"] in error["message"] and taken in error["message"]
    assert venues.ok("bookings", "show", "by-hand-2", "--json").json() == before
    held = [r for r in sandbox.state.reservations() if r.id != taken]
    assert len(held) == 1  # the lost create did land: its own id is the one to record
    done = venues("bookings", "resolve", "by-hand-2", "--found", held[0].id, "--json")
    assert done.exit_code == 0, done.stderr


def test_a_reservation_cancelled_on_the_platform_is_cancelled_here(
    madrid: CLI, sandbox: Sandbox
) -> None:
    created = book(madrid)
    assert created.exit_code == 0, created.stderr
    booking = created.json()
    sandbox.state.cancel_by_guest(booking["external_id"])
    cancel = madrid("bookings", "cancel", booking["reference"], "--json")
    assert cancel.exit_code == 0, cancel.stderr
    assert cancel.json()["status"] == "cancelled"
    assert "no longer held" in cancel.json()["status_detail"]


def test_a_cancel_that_failed_is_finished_by_reconcile(madrid: CLI, sandbox: Sandbox) -> None:
    created = book(madrid).json()  # type: ignore[attr-defined]
    sandbox.inject("reset:covermanager:reserv/cancel_client:phase=after:times=1")
    failed = madrid("bookings", "cancel", created["reference"], "--json")
    assert failed.exit_code == 8, failed.stderr
    assert "reconcile" in failed.error()["hint"]
    shown = madrid.ok("bookings", "show", created["reference"], "--json").json()
    assert shown["status"] == "confirmed" and shown["cancel_requested_at"] is not None
    report = madrid("bookings", "reconcile", "--json")
    assert report.exit_code == 0, report.stdout + report.stderr
    assert [i["outcome"] for i in report.json()["items"]] == ["cancelled"]
    final = madrid.ok("bookings", "show", created["reference"], "--json").json()
    assert final["status"] == "cancelled"
    assert [r.active for r in sandbox.state.reservations()] == [False]


def test_events_record_every_transition(madrid: CLI) -> None:
    created = book(madrid, "--reference", "audit-1")
    assert created.exit_code == 0
    madrid.ok("bookings", "cancel", "audit-1")
    events = madrid.ok("bookings", "show", "audit-1", "--json").json()["events"]
    assert [e["action"] for e in events] == ["created", "attempt", "outcome",
                                             "cancel_requested", "cancelled"]  # fmt: skip
    assert [e["version"] for e in events] == [0, 1, 2, 3, 4]
    assert events[-1]["status"] == "cancelled"
    plain = madrid.ok("bookings", "show", "audit-1").stdout
    assert "cancel_requested" in plain


def test_show_json_is_one_document(madrid: CLI) -> None:
    created = book(madrid)
    shown = madrid.ok("bookings", "show", created.json()["reference"], "--json")  # type: ignore[attr-defined]
    assert isinstance(json.loads(shown.stdout), dict)


def test_a_platform_that_cannot_take_the_input_is_left_out_of_failover(
    madrid: CLI, sandbox: Sandbox
) -> None:
    """Restoo books on the quarter hour only: at 20:10 it is not tried (said so), and the
    create ends on CoverManager's own answer, never on an input refusal after writing."""
    sandbox.inject("503:covermanager")
    result = book(madrid, "--reference", "off-grid-1", time="20:10")
    assert result.exit_code == 69, result.stderr
    error = result.error()
    assert error["type"] == "booking_not_placed"
    assert error["cause"]["type"] == "platform_unavailable"
    assert any("restoo not tried" in w for w in error["warnings"])
    shown = madrid.ok("bookings", "show", "off-grid-1", "--json").json()
    assert [a["platform_type"] for a in shown["attempts"]] == ["covermanager"]
    sandbox.clear_faults()
    # the same create, once CoverManager is back, tries it again with the same key (it has
    # no table at 20:10: the platform's own answer, exit 6)
    again = book(madrid, "--reference", "off-grid-1", time="20:10")
    assert again.exit_code == 6, again.stderr
    assert again.error()["cause"]["type"] == "platform_no_availability"
    shown = madrid.ok("bookings", "show", "off-grid-1", "--json").json()
    assert [a["state"] for a in shown["attempts"]] == ["failed", "skipped"]


def test_an_input_no_platform_can_take_writes_nothing(venues: CLI, sandbox: Sandbox) -> None:
    venues.ok("platforms", "add", "madrid", "restoo",
              *restoo_settings(sandbox, account="prima-sbx-barcelona"))  # fmt: skip
    result = book(venues, "--reference", "off-grid-2", time="20:10")
    assert result.exit_code == 2, result.stderr
    assert venues.ok("bookings", "list", "--json").json() == []
    fixed = book(venues, "--reference", "off-grid-2", time="20:15")
    assert fixed.exit_code == 0, fixed.stderr  # the key was not spent


def test_a_lost_answer_the_guest_cancelled_meanwhile_reconciles_as_cancelled(
    madrid: CLI, sandbox: Sandbox
) -> None:
    """Found by the lifecycle machine: reconcile finds the reservation by our reference,
    cancelled by the guest; the booking is cancelled (it said rejected: no platform took it)."""
    sandbox.inject("reset:covermanager:reserv/reserv:times=1")
    reference = book(madrid, "--reference", "guest-gone-1").error()["booking"]
    (held,) = sandbox.state.reservations()
    sandbox.state.cancel_by_guest(held.id)
    report = madrid("bookings", "reconcile", "--json")
    assert report.exit_code == 0, report.stdout + report.stderr
    shown = madrid.ok("bookings", "show", reference, "--json").json()
    assert shown["status"] == "cancelled"
    assert shown["cancel_reason"] == "ON_PLATFORM" and shown["cancelled_at"]
    assert [a["state"] for a in shown["attempts"]] == ["cancelled"]
