"""Reading and summarising bookings and their platform attempts (no platform calls)."""

from __future__ import annotations

import datetime as dt
import os
import socket
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from prima_cli.errors import NotFound

if TYPE_CHECKING:
    from sqlmodel import Session

    from prima_cli.store.booking_tables import Booking, PlatformReservation

# Attempt states (platform_reservations.state)
PENDING = "pending"  # written before the call; the call has not finished (or the process died)
CONFIRMED = "confirmed"  # the platform holds the reservation (external id known)
REJECTED = "rejected"  # the platform refused it, or reconciliation proved it never landed
FAILED = "failed"  # nothing was applied: unreachable, credentials, configuration
SKIPPED = "skipped"  # not sent: no availability at that time, or invalid for that platform
UNKNOWN = "unknown"  # it may have landed; reconcile before anything else
CANCELLED = "cancelled"

# Booking statuses
B_PENDING, B_CONFIRMED, B_REJECTED, B_UNKNOWN, B_CANCELLED, B_NO_SHOW = (
    "pending",
    "confirmed",
    "rejected",
    "unknown",
    "cancelled",
    "no_show",
)
#: on a platform's waiting list: the platform holds it (cancel it there), but no table
B_WAITLISTED = "waitlisted"
BOOKING_STATUSES = (B_PENDING, B_CONFIRMED, B_WAITLISTED, B_REJECTED, B_UNKNOWN, B_CANCELLED,
                    B_NO_SHOW)  # fmt: skip
LIVE_STATUSES = (B_PENDING, B_CONFIRMED, B_WAITLISTED, B_UNKNOWN)
#: a pending attempt younger than this may still be in flight in another process
IN_FLIGHT_SECONDS = 120


@dataclass(slots=True)  # not frozen: lists build ten thousand of these, and frozen init is slow
class AttemptInfo:
    attempt: int
    platform_type: str
    connection_id: int | None
    state: str
    external_id: str | None
    raw_status: str | None
    status: str | None
    error_type: str | None
    error_message: str | None
    attention: str | None
    raw_response: dict[str, Any] | None
    requested_at: dt.datetime | None
    updated_at: dt.datetime
    #: the whole error (``PrimaError.to_dict()``), where it was stored
    error_details: dict[str, Any] | None = None


@dataclass(slots=True)  # not frozen, for the same reason
class BookingInfo:
    id: int
    reference: str
    idempotency_key: str | None
    venue_slug: str
    status: str
    status_detail: str | None
    date: dt.date
    time: dt.time
    timezone: str
    starts_at: dt.datetime
    party_size: int
    first_name: str
    last_name: str
    email: str
    phone_e164: str
    notes: str
    force: bool
    cancel_reason: str | None
    cancelled_at: dt.datetime | None
    created_at: dt.datetime
    updated_at: dt.datetime
    attempts: list[AttemptInfo]

    @property
    def confirmed_attempt(self) -> AttemptInfo | None:
        return next((a for a in self.attempts if a.state in (CONFIRMED, CANCELLED)), None)

    @property
    def needs_attention(self) -> bool:
        return any(a.attention for a in self.attempts)


def owner() -> str:
    """Who is making a call: host and process, to tell a crashed attempt from a live one."""
    return f"{socket.gethostname()}:{os.getpid()}"


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def in_flight(row: PlatformReservation, now: dt.datetime) -> bool:
    """A pending attempt that another live process may still be making."""
    if row.state != PENDING:
        return False
    host, _, pid = (row.owner or "").rpartition(":")
    if host == socket.gethostname() and pid.isdigit() and int(pid) != os.getpid():
        return _process_alive(int(pid))
    started = row.requested_at or row.created_at
    return (now - started).total_seconds() < IN_FLIGHT_SECONDS


def derive_status(rows: list[PlatformReservation], cancelled: bool = False) -> str:
    """The booking status implied by its attempts."""
    if cancelled:
        return B_CANCELLED
    states = {r.state for r in rows}
    if CONFIRMED in states:
        held = [r for r in rows if r.state == CONFIRMED]
        if all(r.status == "waitlist" for r in held):
            return B_WAITLISTED
        return B_CONFIRMED
    if UNKNOWN in states:
        return B_UNKNOWN
    if PENDING in states:
        return B_PENDING
    return B_REJECTED


def find_booking(session: Session, ref: str) -> Booking:
    """A booking by id, by our reference (PRM-...) or by the operator's --reference key."""
    from sqlmodel import select

    from prima_cli.store.booking_tables import Booking

    ref = ref.strip()
    booking = session.get(Booking, int(ref)) if ref.isdigit() else None
    if booking is None:
        booking = session.exec(
            select(Booking).where((Booking.reference == ref) | (Booking.idempotency_key == ref))
        ).first()
    if booking is None:
        raise NotFound(f"no booking {ref!r}", hint="see `prima bookings list`")
    return booking


def attempts_of(session: Session, booking: Booking) -> list[PlatformReservation]:
    from sqlmodel import col, select

    from prima_cli.store.booking_tables import PlatformReservation

    return list(
        session.exec(
            select(PlatformReservation)
            .where(PlatformReservation.booking_id == booking.id)
            .order_by(col(PlatformReservation.attempt))
        ).all()
    )


def attempts_by_booking(
    session: Session, booking_ids: list[int]
) -> dict[int, list[PlatformReservation]]:
    """The attempts of many bookings in one query (lists must not query per row)."""
    from sqlmodel import col, select

    from prima_cli.store.booking_tables import PlatformReservation

    grouped: dict[int, list[PlatformReservation]] = {i: [] for i in booking_ids}
    if not booking_ids:
        return grouped
    rows = session.exec(
        select(PlatformReservation)
        .where(col(PlatformReservation.booking_id).in_(booking_ids))
        .order_by(col(PlatformReservation.booking_id), col(PlatformReservation.attempt))
    ).all()
    for row in rows:
        grouped[row.booking_id].append(row)
    return grouped


def info(
    session: Session,
    booking: Booking,
    venue_slug: str | None = None,
    rows: list[PlatformReservation] | None = None,
) -> BookingInfo:
    from prima_cli.store.models import Venue

    if venue_slug is None:
        venue = session.get(Venue, booking.venue_id)
        venue_slug = venue.slug if venue else "?"
    attempts = [
        AttemptInfo(
            r.attempt,
            r.platform_type,
            r.venue_platform_id,
            r.state,
            r.external_id,
            r.raw_status,
            r.status,
            r.error_type,
            r.error_message,
            r.attention,
            r.raw_response,
            r.requested_at,
            r.updated_at,
            r.error_details,
        )
        for r in (rows if rows is not None else attempts_of(session, booking))
    ]
    assert booking.id is not None
    return BookingInfo(
        id=booking.id,
        reference=booking.reference,
        idempotency_key=booking.idempotency_key,
        venue_slug=venue_slug,
        status=booking.status,
        status_detail=booking.status_detail,
        date=booking.local_date,
        time=booking.local_time,
        timezone=booking.timezone,
        starts_at=booking.starts_at,
        party_size=booking.party_size,
        first_name=booking.first_name,
        last_name=booking.last_name,
        email=booking.email,
        phone_e164=booking.phone_e164,
        notes=booking.notes,
        force=booking.force,
        cancel_reason=booking.cancel_reason,
        cancelled_at=booking.cancelled_at,
        created_at=booking.created_at,
        updated_at=booking.updated_at,
        attempts=attempts,
    )


def live_count(
    session: Session, *, venue_id: int | None = None, connection_id: int | None = None
) -> int:
    """Bookings not cancelled, not rejected and not past, on a venue or a connection."""
    from sqlalchemy import func
    from sqlmodel import col, select

    from prima_cli.store.booking_tables import Booking, PlatformReservation
    from prima_cli.store.types import utcnow

    query = select(func.count(func.distinct(Booking.id))).where(
        col(Booking.status).in_(LIVE_STATUSES), Booking.starts_at >= utcnow()
    )
    if venue_id is not None:
        query = query.where(Booking.venue_id == venue_id)
    if connection_id is not None:
        query = query.join(
            PlatformReservation, col(PlatformReservation.booking_id) == col(Booking.id)
        ).where(
            PlatformReservation.venue_platform_id == connection_id,
            col(PlatformReservation.state).in_((PENDING, CONFIRMED, UNKNOWN)),
        )
    return int(session.exec(query).one())
