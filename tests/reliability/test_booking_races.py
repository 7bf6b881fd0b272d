"""Races of issue 12, each reproduced through the real `prima` executable and the simulator
over loopback HTTP. Every wait is for a condition (a one-shot fault taken by the simulator,
a process's exit, the store's rows), never for a fixed time.

* item 1: `bookings cancel KEY` while `bookings create --reference KEY` checks availability;
* item 3: an all-digit `--reference` next to a booking whose id is that number;
* item 4: `platforms sync` and `bookings reconcile` started together over timed-out creates;
* item 5: reconcile by guest and time must not adopt another booking's reservation;
* item 8: ten concurrent creates with one `--reference`.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from prima_cli.sandbox import Sandbox, SandboxConfig
from tests.reliability.lifecycle import (
    TIMES,
    VENUES,
    Done,
    Prima,
    assert_consistent,
    booking_args,
    confirmed_attempts,
    consumed,
    facts,
    set_up_store,
    violations,
    wait_until,
)
from tests.reliability.support import close_breakers

pytestmark = pytest.mark.slow

MADRID = VENUES[0]  # CoverManager only: reservations can be looked up


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'races.db'}"


@pytest.fixture
def slow_sandbox() -> Iterator[Sandbox]:
    """Every request takes 100 ms: two processes doing a few calls each overlap."""
    with Sandbox(SandboxConfig(seed=7, latency_ms=100)) as sb:
        yield sb


def world(db_url: str, sb: Sandbox, read_timeout: float | None = None) -> Prima:
    env = {"PRIMA_READ_TIMEOUT": str(read_timeout)} if read_timeout else {}
    prima = Prima(db_url, sb, env)
    set_up_store(prima.cli, sb, [MADRID])
    return prima


def test_cancel_while_the_create_checks_availability(db_url: str, sandbox: Sandbox) -> None:
    """Item 1. The cancel arrives while the create (same key) waits for CoverManager's
    availability answer. Either the cancel is refused with 75 and the create books the
    table, or the cancel succeeds and the platform ends up holding nothing; never a booking
    "cancelled locally" while its table is booked (nor `confirmed` with `cancelled_at`)."""
    prima = world(db_url, sandbox, read_timeout=15)
    slow = sandbox.inject("hang:covermanager:reserv/availability:seconds=5:times=1")
    args = booking_args("madrid", "20:00", key="race-1")
    create = prima.start(*args)
    wait_until(lambda: consumed(sandbox, slow)() or create.poll() is not None,
               what="the create's availability request reaches the simulator")  # fmt: skip
    assert create.poll() is None, "the create finished before its availability answer"
    cancel = prima.run("bookings", "cancel", "race-1", "--json")
    created = prima.finish(create, args)
    booking = prima.booking("race-1")
    held = [r for r in sandbox.state.reservations() if r.active]
    story = f"{cancel}\n{created}\nbooking: {booking['status']} ({booking['status_detail']})"
    assert cancel.code in (0, 75), story
    if cancel.code == 75:
        assert cancel.error()["type"] in ("try_again_later", "booking_changed"), story
        assert created.code == 0 and created.json()["status"] == "confirmed", story
        assert booking["status"] == "confirmed" and booking["cancelled_at"] is None, story
        assert [r.reference for r in held] == [booking["reference"]], story
    else:
        assert held == [], f"the cancel exited 0 but the table is booked: {held}\n{story}"
        assert booking["status"] == "cancelled", story
        assert not (created.code == 0 and created.json()["status"] == "confirmed"), story
    assert not (booking["status"] == "confirmed" and booking["cancelled_at"]), story
    assert_consistent(prima, cancelled_ok={booking["reference"]} if cancel.code == 0 else ())


def test_an_all_digit_reference_is_never_taken_for_a_booking_id(
    db_url: str, sandbox: Sandbox
) -> None:
    """Item 3. Ana is booking 1; Bea is created with `--reference 1`. Either that key is
    refused (exit 2, nothing written) and `bookings cancel 1` cancels Ana, or it is accepted
    and `bookings cancel 1` never cancels Ana: it cancels Bea or refuses as ambiguous."""
    prima = world(db_url, sandbox)
    ana = prima.run(*booking_args("madrid", "20:00", guest=2))
    assert ana.code == 0, str(ana)
    assert ana.json()["id"] == 1
    bea = prima.run(*booking_args("madrid", "20:30", guest=3, key="1"))
    if bea.code == 2:
        assert [b["reference"] for b in prima.bookings()] == [ana.json()["reference"]]
        assert len(sandbox.state.reservations()) == 1, "exit 2 must write nothing"
        cancel = prima.run("bookings", "cancel", "1", "--json")
        assert cancel.code == 0, str(cancel)
        assert cancel.json()["reference"] == ana.json()["reference"]
        assert_consistent(prima, cancelled_ok={ana.json()["reference"]})
        return
    assert bea.code == 0, str(bea)
    cancel = prima.run("bookings", "cancel", "1", "--json")
    after = prima.booking(ana.json()["reference"])
    assert after["status"] == "confirmed", (
        f"`bookings cancel 1` cancelled Ana (booking id 1) although 1 is Bea's key\n{cancel}"
    )
    if cancel.code == 0:
        assert cancel.json()["reference"] == bea.json()["reference"], str(cancel)
        assert_consistent(prima, cancelled_ok={bea.json()["reference"]})
    else:
        assert cancel.code in (2, 4), str(cancel)  # refused as ambiguous: nothing changed
        assert prima.booking(bea.json()["reference"])["status"] == "confirmed"
        assert_consistent(prima)


def test_sync_and_reconcile_together_record_each_reservation_once(
    db_url: str, slow_sandbox: Sandbox
) -> None:
    """Item 4. Ten creates time out: five after the reservation landed, five before it did.
    Then `platforms sync` (which reconciles and pushes what never landed) and `bookings
    reconcile` start together. No reservation is ever recorded as confirmed by two
    attempts, every booking ends confirmed on its own reservation, and every one of them
    can then be cancelled (exit 0), leaving nothing active on the platform."""
    sb = slow_sandbox
    prima = world(db_url, sb, read_timeout=1)
    slots = [(guest, when) for guest in range(3) for when in TIMES][:10]
    for phase, batch in (("after", slots[:5]), ("before", slots[5:])):
        sb.inject(f"hang:covermanager:reserv/reserv:phase={phase}:seconds=3")
        procs = [(prima.start(*a), a) for a in
                 (booking_args("madrid", w, guest=g) for g, w in batch)]  # fmt: skip
        for proc, a in procs:
            timed_out = prima.finish(proc, a)
            assert timed_out.code == 8, str(timed_out)
        sb.clear_faults()
        close_breakers(db_url)  # five timeouts in a row open CoverManager's breaker
    assert sorted(b["status"] for b in prima.bookings()) == ["unknown"] * 10
    assert len(sb.state.reservations()) == 5
    sync = prima.start("platforms", "sync", "--days", "7", "--json")
    # the reconcile starts once the sync is looking the bookings up: both then work on the
    # same open attempts while the sync goes on to push what never landed
    wait_until(lambda: any("get_reservs" in r.path for r in sb.requests_log)
               or sync.poll() is not None, what="the sync's first look-up")  # fmt: skip
    reconcile = prima.run("bookings", "reconcile", "--json")
    synced = prima.finish(sync, ["platforms", "sync"])
    story = f"{synced}\n{reconcile}"
    f = facts(prima)
    twice = {b["reference"]: [(a["attempt"], a["external_id"]) for a in confirmed_attempts(b)]
             for b in f.bookings if len(confirmed_attempts(b)) > 1}  # fmt: skip
    assert not twice, f"bookings with two confirmed attempts: {twice}\n{story}"
    problems = violations(f)
    assert not problems, "\n".join(problems) + "\n" + story
    settled = [b for b in f.bookings if b["status"] != "confirmed"]
    if settled:  # the loser may have left work to the next run; one more sync finishes it
        again = prima.run("platforms", "sync", "--days", "7", "--json")
        assert again.code == 0, str(again)
    for b in prima.bookings():
        assert b["status"] == "confirmed", (b["reference"], b["status"], b["status_detail"])
        cancel = prima.run("bookings", "cancel", b["reference"], "--json")
        assert cancel.code == 0, f"{b['reference']} cannot be cancelled: {cancel}\n{story}"
    assert [r for r in sb.state.reservations() if r.active] == []
    assert_consistent(prima, cancelled_ok={b["reference"] for b in f.bookings})


def test_reconcile_never_adopts_another_bookings_reservation(db_url: str, sandbox: Sandbox) -> None:
    """Item 5. Two tables for the same guest and time: the first is booked; the second's
    create gets a 500 before CoverManager stored anything (unknown outcome). Reconcile must
    not record the second as "found" on the first one's reservation (which carries the
    first booking's reference); after one sync the second holds its own table."""
    prima = world(db_url, sandbox)
    first = prima.run(*booking_args("madrid", "20:00", guest=0))
    assert first.code == 0, str(first)
    sandbox.inject("500:covermanager:reserv/reserv:times=1")
    second = prima.run(*booking_args("madrid", "20:00", guest=0))
    assert second.code == 8, str(second)
    ref = second.error()["booking"]
    (only,) = sandbox.state.reservations()
    report = prima.run("bookings", "reconcile", "--json")
    items = report.json()["items"] if report.stdout else []
    adopted = [i for i in items if i["booking"] == ref and i["external_id"] == only.id]
    assert not adopted, f"{ref} reconciled onto {only.id}, which carries {only.reference}"
    assert_consistent(prima)
    synced = prima.run("platforms", "sync", "--days", "7", "--json")
    assert synced.code == 0, f"the second table is not booked and sync says: {synced}"
    booking = prima.booking(ref)
    assert booking["status"] == "confirmed", (booking["status"], booking["status_detail"])
    mine = [r for r in sandbox.state.reservations() if r.reference == ref and r.active]
    assert [r.id for r in mine] == [booking["external_id"]]
    assert_consistent(prima)


def test_ten_concurrent_creates_with_one_key(db_url: str, sandbox: Sandbox) -> None:
    """Item 8. Ten processes run the same create with one `--reference` at once, while the
    first to reach CoverManager waits for its availability answer. Each exits 0 (it placed
    the booking, or replays it) or 75 (being placed by another process), never 69; the
    platform holds exactly one reservation."""
    prima = world(db_url, sandbox, read_timeout=15)
    slow = sandbox.inject("hang:covermanager:reserv/availability:seconds=3:times=1")
    args = booking_args("madrid", "20:00", key="order-10")
    procs = [prima.start(*args) for _ in range(10)]
    wait_until(lambda: consumed(sandbox, slow)() or any(p.poll() is not None for p in procs),
               what="one create reaches the availability check")  # fmt: skip
    results: list[Done] = [prima.finish(p, args) for p in procs]
    codes = sorted(r.code for r in results)
    story = "\n".join(sorted({str(r) for r in results if r.code != 0}))
    assert set(codes) <= {0, 75}, f"exit codes {codes}\n{story}"
    assert 0 in codes, story
    held = sandbox.state.reservations()
    assert len(held) == 1 and held[0].active, held
    (booking,) = prima.bookings()
    assert booking["status"] == "confirmed" and booking["external_id"] == held[0].id
    for r in results:
        if r.code == 0:
            assert r.json()["reference"] == booking["reference"]
            assert r.json()["status"] == "confirmed"
        else:
            assert r.error()["type"] in ("try_again_later", "booking_changed"), str(r)
    assert len(confirmed_attempts(booking)) == 1
    assert_consistent(prima)
