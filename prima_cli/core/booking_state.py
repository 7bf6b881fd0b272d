"""The booking state machine: statuses, attempt states, the allowed transitions, and the
compare-and-set through which every transition is written.

A booking's ``version`` is its one serialisation point. Each transition (place, record an
outcome, cancel, reconcile, push, status refresh, hand resolution) reads the booking, decides,
and then writes inside :func:`transition`, which bumps the version only if it is still the one
read when deciding. Of two processes acting on one booking, the second to write changes
nothing and stops with :class:`~prima_cli.errors.BookingChanged` (exit 75). Each transition
leaves a row in ``booking_events``: the audit trail of who did what, and the status after.
"""

from __future__ import annotations

import datetime as dt
import getpass
import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

from prima_cli.core.booking_facts import stamp
from prima_cli.core.booking_status import BookingStatus
from prima_cli.errors import BookingChanged, PrimaError
from prima_cli.store.types import utcnow

if TYPE_CHECKING:
    from sqlmodel import Session

    from prima_cli.store.booking_tables import Booking, PlatformReservation
    from prima_cli.store.store import Store


class AttemptState(StrEnum):
    """What became of one attempt to place a booking on one platform."""

    PENDING = "pending"  #: written before the call; not answered yet (or its process died)
    CONFIRMED = "confirmed"  #: the platform holds the reservation (external id known)
    REJECTED = "rejected"  #: the platform understood the request and refused it
    FAILED = "failed"  #: nothing was applied: unreachable, credentials, configuration
    SKIPPED = "skipped"  #: not sent: no availability, or invalid for that platform
    UNKNOWN = "unknown"  #: it may have landed without an answer
    NOT_LANDED = "not_landed"  #: it was unknown, and a look-up (or an operator) proved it absent
    CANCELLED = "cancelled"

    @property
    def is_open(self) -> bool:
        """The outcome is not known yet: reconcile owns the attempt."""
        return self in (AttemptState.PENDING, AttemptState.UNKNOWN)

    @property
    def never_applied(self) -> bool:
        """Nothing of the attempt is on the platform, and it was no refusal of the booking."""
        return self in (AttemptState.FAILED, AttemptState.SKIPPED, AttemptState.NOT_LANDED)

    @property
    def holds(self) -> bool:
        """The platform may hold a reservation of this attempt."""
        return self in (AttemptState.CONFIRMED, AttemptState.UNKNOWN, AttemptState.PENDING)


B, A = BookingStatus, AttemptState

#: every booking status change allowed; anything else is a bug, refused before it is written
BOOKING_TRANSITIONS: dict[BookingStatus, frozenset[BookingStatus]] = {
    B.PENDING: frozenset({B.PENDING, B.CONFIRMED, B.WAITLISTED, B.QUEUED, B.REJECTED,
                          B.UNKNOWN, B.CANCELLED}),
    B.UNKNOWN: frozenset({B.UNKNOWN, B.CONFIRMED, B.WAITLISTED, B.QUEUED, B.REJECTED,
                          B.PENDING, B.CANCELLED}),
    # placed again by the outbox (pending, then its outcome), expired (rejected), cancelled
    B.QUEUED: frozenset({B.QUEUED, B.CONFIRMED, B.WAITLISTED, B.REJECTED, B.UNKNOWN,
                         B.PENDING, B.CANCELLED}),
    # a store written before `queued` existed lists the outbox's bookings as rejected
    B.REJECTED: frozenset({B.REJECTED, B.PENDING, B.CONFIRMED, B.WAITLISTED, B.QUEUED,
                           B.UNKNOWN, B.CANCELLED}),
    B.CONFIRMED: frozenset({B.CONFIRMED, B.WAITLISTED, B.CANCELLED, B.NO_SHOW}),
    B.WAITLISTED: frozenset({B.WAITLISTED, B.CONFIRMED, B.CANCELLED, B.NO_SHOW}),
    B.NO_SHOW: frozenset({B.NO_SHOW, B.CANCELLED}),
    B.CANCELLED: frozenset({B.CANCELLED}),
}  # fmt: skip

#: every attempt state change allowed (an unchanged state is always allowed)
ATTEMPT_TRANSITIONS: dict[AttemptState, frozenset[AttemptState]] = {
    A.PENDING: frozenset({A.CONFIRMED, A.REJECTED, A.FAILED, A.SKIPPED, A.UNKNOWN,
                          A.NOT_LANDED, A.CANCELLED}),
    A.UNKNOWN: frozenset({A.CONFIRMED, A.NOT_LANDED, A.CANCELLED}),
    A.CONFIRMED: frozenset({A.CANCELLED}),
    A.REJECTED: frozenset(),
    A.FAILED: frozenset(),
    A.SKIPPED: frozenset(),
    # the platform's own late answer outranks a look-up that came too early
    A.NOT_LANDED: frozenset({A.CONFIRMED, A.CANCELLED}),
    A.CANCELLED: frozenset(),
}  # fmt: skip

#: statuses in which a booking may hold (or come to hold) a table
LIVE_STATUSES = (B.PENDING, B.CONFIRMED, B.WAITLISTED, B.UNKNOWN, B.QUEUED)
#: a pending attempt or a placer on another host is presumed alive for this long
IN_FLIGHT_SECONDS = 120


class IllegalTransition(PrimaError):
    """A transition outside the tables above: a bug in prima, never written."""


def set_status(booking: Booking, status: BookingStatus, detail: str | None) -> None:
    """Move a booking to ``status`` (checked against ``BOOKING_TRANSITIONS``)."""
    current = BookingStatus(booking.status)
    if status not in BOOKING_TRANSITIONS[current]:
        raise IllegalTransition(
            f"booking {booking.reference}: {current} -> {status} is not allowed"
        )
    booking.status = status.value
    booking.status_detail = detail
    booking.updated_at = utcnow()


def set_state(row: PlatformReservation, state: AttemptState) -> None:
    """Move an attempt to ``state`` (checked against ``ATTEMPT_TRANSITIONS``)."""
    current = AttemptState(row.state)
    if state != current and state not in ATTEMPT_TRANSITIONS[current]:
        raise IllegalTransition(f"attempt {row.attempt}: {current} -> {state} is not allowed")
    row.state = state.value
    row.updated_at = utcnow()


def requeued(rows: list[PlatformReservation]) -> bool:
    """Nothing of the booking reached a platform, and an attempt of it was proved never to
    have landed through a connection that still exists: that connection's outbox places it
    again (while it is upcoming and no cancel was asked). An attempt whose connection was
    removed (``venue_platform_id`` set to NULL) is placed by nobody."""
    states = [AttemptState(r.state) for r in rows]
    return all(s.never_applied for s in states) and any(
        AttemptState(r.state) == A.NOT_LANDED and r.venue_platform_id is not None for r in rows
    )


def derive_status(rows: list[PlatformReservation], *, starts_at: dt.datetime,
                  now: dt.datetime, cancel_requested: bool) -> BookingStatus:  # fmt: skip
    """The booking status its attempts imply, for a booking starting at ``starts_at`` (whose
    cancel was asked for, or not) as of ``now``: ``queued`` exactly when the outbox would
    place it again."""
    states = {AttemptState(r.state) for r in rows}
    if A.CONFIRMED in states:
        held = [r for r in rows if r.state == A.CONFIRMED]
        if all(r.status == "waitlist" for r in held):
            return B.WAITLISTED
        return B.CONFIRMED
    if A.UNKNOWN in states:
        return B.UNKNOWN
    if A.PENDING in states:
        return B.PENDING
    if not rows:
        return B.PENDING  # an intent nothing was tried for yet
    if A.CANCELLED in states:
        return B.CANCELLED  # it was held, and is no longer (a look-up found it cancelled)
    if requeued(rows) and not cancel_requested and starts_at > now:
        return B.QUEUED
    return B.REJECTED


# --- who acts ------------------------------------------------------------------------------


def owner() -> str:
    """This process, as recorded on what it is doing: ``host:pid``."""
    return f"{socket.gethostname()}:{os.getpid()}"


def actor() -> str:
    """Who made a transition, for the audit trail: ``user@host:pid``."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):  # no passwd entry (some containers)
        user = str(os.getuid())
    return f"{user}@{owner()}"[:200]


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError):
        return True
    return True


def alive(who: str | None, since: dt.datetime | None, now: dt.datetime) -> bool:
    """Whether the process ``who`` (``host:pid``), busy since ``since``, may still be working.

    On this host the process is asked; of another host, nothing is known but the time, so
    it is presumed alive for ``IN_FLIGHT_SECONDS``.
    """
    if not who:
        return False
    host, _, pid = who.rpartition(":")
    if host == socket.gethostname() and pid.isdigit():
        return int(pid) == os.getpid() or _process_alive(int(pid))
    if since is None:
        return False
    return (now - since).total_seconds() < IN_FLIGHT_SECONDS


#: what this process is doing right now: a sync places and reconciles in concurrent tasks of
#: one process, so "this pid" alone does not tell a live attempt from an abandoned one
_PLACING: set[int] = set()
_MAKING: set[int] = set()


@contextmanager
def placing_here(booking_id: int) -> Iterator[set[int]]:
    """Mark ``booking_id`` as being placed by this process; yields the set in which the
    placer registers each attempt while its call is in flight."""
    _PLACING.add(booking_id)
    mine: set[int] = set()
    try:
        yield mine
    finally:
        _PLACING.discard(booking_id)
        _MAKING.difference_update(mine)


def making(mine: set[int], row_id: int) -> None:
    """Register an attempt whose create call this process is about to make."""
    mine.add(row_id)
    _MAKING.add(row_id)


def attempt_in_flight(row: PlatformReservation, now: dt.datetime) -> bool:
    """A pending attempt that a live process (this one included) may still be making."""
    if row.state != A.PENDING:
        return False
    if row.owner == owner():
        return row.id in _MAKING
    return alive(row.owner, row.requested_at or row.created_at, now)


def being_placed(booking: Booking, now: dt.datetime) -> bool:
    """A live process (another, or a task of this one) is placing the booking, between its
    writes too, even before any attempt row exists."""
    if booking.placer is None:
        return False
    if booking.placer == owner():
        return booking.id in _PLACING
    return alive(booking.placer, booking.placing_since, now)


def placeable(booking: Booking, rows: list[PlatformReservation], now: dt.datetime) -> bool:
    """Whether placing the booking (again) can only help: it is upcoming, nothing of it is on
    a platform or may be, nobody is placing or cancelling it, and no platform refused it."""
    if booking.cancel_requested_at is not None or being_placed(booking, now):
        return False
    if any(not AttemptState(r.state).never_applied for r in rows):
        return False
    if booking.starts_at <= now:
        return False  # its time passed: a table now would be one nobody comes to
    return booking.status in (B.PENDING, B.QUEUED, B.REJECTED)


def orphaned(booking: Booking, rows: list[PlatformReservation], now: dt.datetime) -> bool:
    """A placement that stopped before it said how it ended (killed, or its database went
    away): its placer is gone and nothing of it is open. The rerun and the outbox own it."""
    return booking.placer is not None and placeable(booking, rows, now)


# --- the compare-and-set -------------------------------------------------------------------


@dataclass
class Step:
    """One transition being written: the session, the booking as of the claimed version,
    and what the audit trail says of it."""

    session: Session
    booking: Booking
    version: int
    action: str
    note: str | None = None
    attempt: int | None = None


class Lost(Exception):
    """The booking changed since it was read: the compare-and-set failed, nothing written."""


def claim(session: Session, booking_id: int, seen: int) -> int:
    """Bump the booking's version from ``seen`` inside the caller's transaction; the new
    version, or :class:`Lost`. On PostgreSQL and MariaDB the row stays locked until the
    transaction ends; on SQLite the write lock is the whole database's."""
    from sqlalchemy import update

    from prima_cli.store.booking_tables import Booking

    claimed = session.exec(  # type: ignore[call-overload]
        update(Booking)
        .where(Booking.id == booking_id, Booking.version == seen)  # type: ignore[arg-type]
        .values(version=seen + 1)
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:
        raise Lost()
    return seen + 1


def claim_loaded(session: Session, booking: Booking) -> int:
    """:func:`claim` from the version ``booking`` was loaded at, inside the caller's
    transaction (a batch writing many bookings); the loaded object carries the new version."""
    assert booking.id is not None
    booking.version = claim(session, booking.id, booking.version)
    return booking.version


@contextmanager
def transition(store: Store, booking_id: int, seen: int, action: str) -> Iterator[Step]:
    """Write one transition of a booking read at version ``seen``.

    The version is claimed first, then the booking is read again inside the transaction, so
    the block decides on what no other process can change until it commits. The event is
    written with the status the block leaves. Raises :class:`Lost` (and writes nothing) when
    another process wrote the booking since ``seen``.
    """
    with store.session() as session:
        version = claim(session, booking_id, seen)
        step = Step(session, _fresh(session, booking_id), version, action)
        yield step
        record_event(step)


def _fresh(session: Session, booking_id: int) -> Booking:
    from sqlalchemy import select

    from prima_cli.store.booking_tables import Booking

    booking = session.execute(
        select(Booking).where(Booking.id == booking_id).execution_options(populate_existing=True)  # type: ignore[arg-type]
    ).scalar_one()
    return booking


def record_event(step: Step) -> None:
    """Append the audit row of ``step`` (also used for a booking's first write), and keep the
    booking's report columns true to its attempts."""
    from prima_cli.store.booking_tables import BookingEvent

    assert step.booking.id is not None
    now = utcnow()  # one instant: the time to confirm is the audit trail's
    stamp(step.session, step.booking, now)
    step.session.add(step.booking)
    step.session.add(
        BookingEvent(
            booking_id=step.booking.id,
            version=step.version,
            at=now,
            actor=actor(),
            action=step.action,
            status=step.booking.status,
            attempt=step.attempt,
            note=step.note[:2000] if step.note else None,
        )
    )


def changed(reference: str, doing: str) -> BookingChanged:
    """The error of a lost compare-and-set, for the operator."""
    return BookingChanged(
        f"booking {reference} changed while this command was {doing} (another prima process "
        "is working on it); this command changed nothing",
        hint=f"wait a moment, then `prima bookings show {reference}` and rerun if still needed",
    )
