"""Attempt records: what placement, reconcile, cancel and sync write about one attempt to
place a booking on one platform. Each function works inside the caller's transition
(:func:`prima_cli.core.booking_state.transition`); none calls a platform."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from prima_cli.core import booking_records as rec
from prima_cli.core.booking_state import (
    AttemptState,
    BookingStatus,
    derive_status,
    owner,
    requeued,
)
from prima_cli.core.booking_state import set_state as _set_state
from prima_cli.core.booking_state import set_status as _set_status
from prima_cli.errors import PrimaError, from_dict
from prima_cli.store.types import utcnow

if TYPE_CHECKING:
    from sqlmodel import Session

    from prima_cli.core.targets import Target
    from prima_cli.platforms.contract import ReservationRequest
    from prima_cli.store.booking_tables import Booking, PlatformReservation


#: what the status line of a ``queued`` booking says of what comes next
PLACED_AGAIN = "the next `prima platforms sync` places it again"
#: ... and of one whose time passed before a platform took it
NOT_AGAIN = "it is not placed again"


def placed_again(reference: str) -> str:
    """What follows an attempt proved never to have landed, said wherever it is recorded:
    an operator who booked the guest again some other way would get two tables once the
    sync placed this one."""
    return f"{PLACED_AGAIN} (do not create it again; `prima bookings cancel {reference}` drops it)"


def what_follows(booking: Booking) -> str:
    """What follows an attempt of ``booking`` proved never to have landed."""
    if booking.starts_at <= utcnow():
        return f"its time has passed: {NOT_AGAIN}"
    return placed_again(booking.reference)


#: why the outbox no longer places a booking it was to place
TIME_PASSED = "its time passed before a platform took it"
CONNECTION_REMOVED = "the connection that was to place it was removed"


def no_longer_placed(detail: str | None, why: str) -> str:
    """The status line of a booking the outbox no longer places, and ``why``."""
    if detail and NOT_AGAIN in detail:
        return detail
    last = (detail or "").partition(PLACED_AGAIN)[0].rstrip("; ")
    said = f" (last: {last})" if last else ""
    return f"{why}: {NOT_AGAIN}{said}"


def request_of(booking: Booking) -> ReservationRequest:
    """What was (or will be) sent to a platform for this booking."""
    from prima_cli.platforms.contract import ReservationRequest

    return ReservationRequest(
        reference=booking.reference,
        date=booking.local_date,
        time=booking.local_time,
        party_size=booking.party_size,
        first_name=booking.first_name,
        last_name=booking.last_name,
        email=booking.email,
        phone_e164=booking.phone_e164,
        notes=booking.notes,
        force=booking.force,
    )


def new_attempt(
    session: Session, booking: Booking, target: Target, state: AttemptState = AttemptState.PENDING
) -> PlatformReservation:
    """A new attempt row (numbered after the booking's last) for ``target``."""
    from sqlalchemy import func
    from sqlmodel import select

    from prima_cli.store.booking_tables import PlatformReservation

    last = session.exec(
        select(func.max(PlatformReservation.attempt)).where(
            PlatformReservation.booking_id == booking.id
        )
    ).one()
    number = (last or 0) + 1
    assert booking.id is not None
    row = PlatformReservation(
        booking_id=booking.id,
        venue_platform_id=_connection_still_there(session, target.connection_id),
        platform_type=target.platform_type,
        attempt=number,
        idempotency_key=f"{booking.reference}-{number}",
        state=state.value,
        owner=owner(),
        requested_at=utcnow(),
        venue_id=booking.venue_id,
        local_date=booking.local_date,
    )
    session.add(row)
    session.flush()
    return row


def _connection_still_there(session: Session, connection_id: int) -> int | None:
    """The connection's id, or None when it was removed since the targets were read (the
    attempt then fails on its own, instead of on a foreign key). A locking read: on MariaDB a
    plain one answers from the transaction's snapshot, which predates a removal that this
    transaction waited for (:func:`prima_cli.core.targets.current`), while the foreign key is
    checked against the row as it is now."""
    from sqlmodel import select

    from prima_cli.store.models import VenuePlatform

    found = session.exec(
        select(VenuePlatform.id).where(VenuePlatform.id == connection_id).with_for_update(read=True)
    ).first()
    return connection_id if found is not None else None


def record_state(
    session: Session, row: PlatformReservation, state: AttemptState, err: PrimaError | None = None
) -> None:
    """Set an attempt's state (and the error that led there)."""
    _set_state(row, state)
    if err is not None:
        row.error_type = err.type
        row.error_message = err.message
        row.error_details = err.to_dict()
    session.add(row)


def holders(session: Session, platform_type: str, external_id: str, *,
            besides: int, live_only: bool = False) -> list[str]:  # fmt: skip
    """References of other bookings whose attempts hold ``external_id`` on the platform."""
    from sqlmodel import col, select

    from prima_cli.store.booking_tables import Booking, PlatformReservation

    query = (
        select(Booking.reference)
        .join(PlatformReservation, col(PlatformReservation.booking_id) == col(Booking.id))
        .where(
            PlatformReservation.platform_type == platform_type,
            PlatformReservation.external_id == external_id,
            PlatformReservation.booking_id != besides,
            col(PlatformReservation.state).in_((AttemptState.CONFIRMED, AttemptState.UNKNOWN)),
        )
    )
    if live_only:
        query = query.where(col(Booking.status) != BookingStatus.CANCELLED)
    return sorted(set(session.exec(query).all()))


def record_confirmed(
    session: Session,
    row: PlatformReservation,
    external_id: str,
    raw_status: str | None,
    status: str,
    raw: dict[str, Any] | None,
) -> None:
    """Record the platform's reservation; flag an id another booking already holds."""
    row.external_id = external_id
    row.raw_status = raw_status
    row.status = status
    row.raw_response = raw
    row.error_type = row.error_message = row.error_details = None
    held = AttemptState.CANCELLED if status == "cancelled" else AttemptState.CONFIRMED
    record_state(session, row, held)
    others = holders(session, row.platform_type, external_id, besides=row.booking_id)
    if others:
        row.attention = (
            f"{row.platform_type} returned reservation {external_id}, which booking(s) "
            f"{', '.join(others)} already hold: the platform may have merged two bookings; "
            "check it on the platform, then drop the duplicate with `prima bookings cancel "
            "BOOKING --local`"
        )
        session.add(row)


def refresh_status(session: Session, booking: Booking, detail: str | None) -> None:
    """Derive the booking's status from its attempts, with a line saying why (and, for a
    ``queued`` booking, what comes next)."""
    rows = rec.attempts_of(session, booking)
    asked = booking.cancel_requested_at is not None
    status = derive_status(rows, starts_at=booking.starts_at, now=utcnow(),
                           cancel_requested=asked)  # fmt: skip
    if status == BookingStatus.QUEUED and PLACED_AGAIN not in (detail or ""):
        then = placed_again(booking.reference)
        detail = f"{detail}; {then}" if detail else then
    elif status == BookingStatus.REJECTED and not asked:
        if requeued(rows):
            detail = no_longer_placed(detail, TIME_PASSED)
        elif PLACED_AGAIN in (detail or ""):  # it was queued on a connection since removed
            detail = no_longer_placed(detail, CONNECTION_REMOVED)
    _set_status(booking, status, detail)
    if status == BookingStatus.CANCELLED and booking.cancelled_at is None:
        booking.cancelled_at = utcnow()  # cancelled on the platform, not by a prima cancel
        booking.cancel_reason = booking.cancel_reason or "ON_PLATFORM"
    session.add(booking)


def settle_queued(session: Session, ids: list[int], action: str) -> list[str]:
    """Derive again the status of these ``queued`` bookings, inside the caller's transaction:
    nothing will place them any more (their time passed, or the connection that would was
    removed), so their status must stop saying it will. Each is a transition on the version
    read here with audit event ``action``; a booking changed by another process meanwhile is
    left alone. The references of those that left ``queued``."""
    from prima_cli.core.booking_state import Lost, Step, claim_loaded, record_event
    from prima_cli.store.booking_tables import Booking

    settled: list[str] = []
    for booking_id in ids:
        booking = session.get(Booking, booking_id)
        if booking is None or booking.status != BookingStatus.QUEUED:
            continue  # removed, or written by another process since the caller read it
        try:
            version = claim_loaded(session, booking)
        except Lost:
            continue
        refresh_status(session, booking, booking.status_detail)
        if booking.status != BookingStatus.QUEUED:
            settled.append(booking.reference)
        record_event(Step(session, booking, version, action, note=booking.status_detail))
    return settled


def last_error(info: rec.BookingInfo) -> PrimaError:
    """The error of the booking's most recent failed attempt, as its typed error."""
    for attempt in reversed(info.attempts):
        if attempt.error_details:
            return from_dict(attempt.error_details)
        if attempt.error_type:  # stored before revision 0005 kept whole errors
            return from_dict({"type": attempt.error_type, "message": attempt.error_message,
                              "platform": attempt.platform_type})  # fmt: skip
    return PrimaError("no platform took the booking")
