"""Reading and summarising bookings and their platform attempts (no platform calls)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from prima_cli.core.booking_state import LIVE_STATUSES, AttemptState, BookingStatus
from prima_cli.core.phrases import named
from prima_cli.errors import Conflict, NotFound

if TYPE_CHECKING:
    from sqlmodel import Session

    from prima_cli.store.booking_tables import Booking, PlatformReservation
    from prima_cli.store.store import Store

#: every status a booking can have, for option checks and help
BOOKING_STATUSES = tuple(s.value for s in BookingStatus)


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


@dataclass(frozen=True, slots=True)
class EventInfo:
    """One transition of the booking's audit trail."""

    version: int
    at: dt.datetime
    actor: str
    action: str
    status: str
    attempt: int | None
    note: str | None


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
    cancel_requested_at: dt.datetime | None
    attempts: list[AttemptInfo]
    #: the audit trail (``show`` reads it; lists leave it empty)
    events: list[EventInfo] = field(default_factory=list)

    @property
    def confirmed_attempt(self) -> AttemptInfo | None:
        held = (AttemptState.CONFIRMED, AttemptState.CANCELLED)
        return next((a for a in self.attempts if a.state in held), None)

    @property
    def needs_attention(self) -> bool:
        return any(a.attention for a in self.attempts)


#: every BookingInfo field that is a column of bookings, and that column: the one list that
#: both a loaded booking and a list page are read by
BOOKING_FIELDS: dict[str, str] = {
    "id": "id", "reference": "reference", "idempotency_key": "idempotency_key",
    "status": "status", "status_detail": "status_detail", "date": "local_date",
    "time": "local_time", "timezone": "timezone", "starts_at": "starts_at",
    "party_size": "party_size", "first_name": "first_name", "last_name": "last_name",
    "email": "email", "phone_e164": "phone_e164", "notes": "notes", "force": "force",
    "cancel_reason": "cancel_reason", "cancelled_at": "cancelled_at",
    "created_at": "created_at", "updated_at": "updated_at",
    "cancel_requested_at": "cancel_requested_at",
}  # fmt: skip
#: every AttemptInfo field and its column of platform_reservations
ATTEMPT_FIELDS: dict[str, str] = {
    "attempt": "attempt", "platform_type": "platform_type", "connection_id": "venue_platform_id",
    "state": "state", "external_id": "external_id", "raw_status": "raw_status",
    "status": "status", "error_type": "error_type", "error_message": "error_message",
    "attention": "attention", "raw_response": "raw_response", "requested_at": "requested_at",
    "updated_at": "updated_at", "error_details": "error_details",
}  # fmt: skip


def load_booking(session: Session, booking_id: int) -> Booking:
    """The booking with this id (it exists: the caller read it before)."""
    from prima_cli.store.booking_tables import Booking

    return session.get_one(Booking, booking_id)


def version_of(store: Store, booking_id: int) -> int:
    """The booking's version now (to record a platform's answer after a lost claim)."""
    with store.session() as session:
        return load_booking(session, booking_id).version


def find_booking(session: Session, ref: str) -> Booking:
    """A booking by id, by our reference (PRM-...) or by the operator's --reference key.

    An all-digit ``ref`` that is both one booking's id and another's key is refused rather
    than guessed (keys made before all-digit keys were refused can still look like ids).
    """
    from sqlmodel import select

    from prima_cli.core.ids import as_id
    from prima_cli.store.booking_tables import Booking

    ref = ref.strip()
    booking_id = as_id(ref)
    by_id = session.get(Booking, booking_id) if booking_id is not None else None
    named = session.exec(
        select(Booking).where((Booking.reference == ref) | (Booking.idempotency_key == ref))
    ).all()
    found = {b.id: b for b in [by_id, *named] if b is not None}
    if len(found) > 1:
        refs = sorted(b.reference for b in found.values())
        raise Conflict(
            f"{ref!r} names {len(found)} bookings ({', '.join(refs)}): an id, a reference or "
            "a --reference key of each",
            hint=f"name one by its reference: {' or '.join(refs)}",
        )
    booking = next(iter(found.values()), None)
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
    *,
    with_events: bool = False,
) -> BookingInfo:
    from prima_cli.store.models import Venue

    if venue_slug is None:
        venue = session.get(Venue, booking.venue_id)
        venue_slug = venue.slug if venue else "?"
    attempts = [
        AttemptInfo(**{field: getattr(r, column) for field, column in ATTEMPT_FIELDS.items()})
        for r in (rows if rows is not None else attempts_of(session, booking))
    ]
    assert booking.id is not None
    return BookingInfo(
        **{field: getattr(booking, column) for field, column in BOOKING_FIELDS.items()},
        venue_slug=venue_slug,
        attempts=attempts,
        events=events_of(session, booking.id) if with_events else [],
    )


def events_of(session: Session, booking_id: int) -> list[EventInfo]:
    """The booking's audit trail, oldest first."""
    from sqlmodel import col, select

    from prima_cli.store.booking_tables import BookingEvent

    rows = session.exec(
        select(BookingEvent)
        .where(BookingEvent.booking_id == booking_id)
        .order_by(col(BookingEvent.version), col(BookingEvent.id))
    ).all()
    return [EventInfo(e.version, e.at, e.actor, e.action, e.status, e.attempt, e.note)
            for e in rows]  # fmt: skip


def live_references(
    session: Session, *, venue_id: int | None = None, connection_id: int | None = None
) -> list[str]:
    """Bookings not cancelled, not rejected and not past (``queued`` ones count), on a venue
    or a connection: their references, soonest first."""
    from sqlalchemy import and_, or_
    from sqlmodel import col, select

    from prima_cli.store.booking_tables import Booking, PlatformReservation
    from prima_cli.store.types import utcnow

    query = select(Booking.reference, Booking.starts_at).where(
        col(Booking.status).in_(LIVE_STATUSES), Booking.starts_at >= utcnow()
    )
    if venue_id is not None:
        query = query.where(Booking.venue_id == venue_id)
    if connection_id is not None:
        query = query.join(
            PlatformReservation, col(PlatformReservation.booking_id) == col(Booking.id)
        ).where(
            PlatformReservation.venue_platform_id == connection_id,
            or_(
                col(PlatformReservation.state).in_(
                    (AttemptState.PENDING, AttemptState.CONFIRMED, AttemptState.UNKNOWN)
                ),
                # the outbox places a queued booking again through this connection
                and_(
                    col(PlatformReservation.state) == AttemptState.NOT_LANDED,
                    col(Booking.status) == BookingStatus.QUEUED,
                ),
            ),
        )
    rows = session.exec(query.distinct().order_by(col(Booking.starts_at))).all()
    return [reference for reference, _starts in rows]


def queued_through(session: Session, connection_id: int) -> dict[int, str]:
    """The ``queued`` bookings whose attempt on this connection was proved never to have
    landed (its outbox is to place them), by id: their references."""
    from sqlmodel import col, select

    from prima_cli.store.booking_tables import Booking, PlatformReservation

    lost = select(PlatformReservation.booking_id).where(
        PlatformReservation.venue_platform_id == connection_id,
        PlatformReservation.state == AttemptState.NOT_LANDED,
    )
    rows = session.exec(
        select(Booking.id, Booking.reference)
        .where(col(Booking.id).in_(lost), Booking.status == BookingStatus.QUEUED)
        .order_by(col(Booking.starts_at))
    ).all()
    return {booking_id: reference for booking_id, reference in rows if booking_id is not None}


def left_on_platform(references: list[str], *, shown: int = 10) -> str:
    """The warning of a forced removal: the live bookings prima no longer tracks."""
    return (f"{len(references)} live booking(s) removed from prima may still hold tables "
            f"on the platform: {named(references, shown)}; cancel them there by hand "
            "(prima can no longer)")  # fmt: skip
