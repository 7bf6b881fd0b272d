"""Booking-status rules of the sync: what a platform lists about the reservations it holds
becomes the bookings' status, and queued bookings whose time passed are rejected; each change
a compare-and-set with its audit event."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from prima_cli.core.booking_state import AttemptState, BookingStatus
from prima_cli.store.types import utcnow

if TYPE_CHECKING:
    from prima_cli.store.store import Store


def apply_statuses(store: Store, connection_id: int, by_id: dict[str, Any]) -> int:
    """Write what the platform lists onto the bookings it holds, each a transition on the
    version read here (a booking another process changed meanwhile is left to the next run);
    how many changed."""
    from sqlmodel import col, select

    from prima_cli.core.booking_state import Lost, Step, claim_loaded, record_event
    from prima_cli.store.booking_tables import Booking, PlatformReservation

    changed = 0
    with store.session() as session:
        rows = session.exec(
            select(PlatformReservation, Booking)
            .join(Booking, col(Booking.id) == col(PlatformReservation.booking_id))
            .where(
                PlatformReservation.venue_platform_id == connection_id,
                PlatformReservation.state == AttemptState.CONFIRMED,
                col(PlatformReservation.external_id).in_(list(by_id)),
            )
        ).all()
        for row, booking in rows:
            record = by_id[row.external_id or ""]
            if (row.raw_status, row.status) == (record.raw_status, record.status.value):
                continue
            try:
                version = claim_loaded(session, booking)
            except Lost:
                continue
            changed += 1
            row.raw_status, row.status = record.raw_status, record.status.value
            row.updated_at = utcnow()
            status_from_platform(booking, row, record)
            session.add(row)
            step = Step(session, booking, version, "status_refresh", attempt=row.attempt,
                        note=f"{row.platform_type} lists it as {record.raw_status}")  # fmt: skip
            record_event(step)
    return changed


def status_from_platform(booking: Any, row: Any, record: Any) -> None:
    """The booking's status (and its attempt's state) after the platform listed ``record``:
    cancelled there cancels it here, a no-show is kept unless cancelled, and a waiting-list
    booking the platform seated or confirmed is confirmed."""
    from prima_cli.core.booking_state import set_state, set_status

    now = utcnow()
    if record.status.value == "cancelled":
        set_state(row, AttemptState.CANCELLED)
        why = f"cancelled on {row.platform_type} (raw status {record.raw_status})"
        set_status(booking, BookingStatus.CANCELLED, why)
        if booking.cancelled_at is None:
            booking.cancelled_at = now
            booking.cancel_reason = booking.cancel_reason or "ON_PLATFORM"
    elif record.status.value == "no_show":
        if booking.status != BookingStatus.CANCELLED:
            set_status(booking, BookingStatus.NO_SHOW, f"no-show on {row.platform_type}")
    elif booking.status == BookingStatus.WAITLISTED and record.status.value in (
            "confirmed", "seated", "completed"):  # fmt: skip
        # the platform found the guest a table
        set_status(booking, BookingStatus.CONFIRMED, f"confirmed on {row.platform_type} from "
                   f"its waiting list (raw status {record.raw_status})")  # fmt: skip
    booking.updated_at = now


def expire_queued(store: Store) -> int:
    """Reject the ``queued`` bookings whose time has passed: the outbox never places them, so
    their status must stop saying it will. One query on the (status, starts_at) index, in
    Core (a run with none to expire builds no ORM class for it); each one due is a transition
    on the version read here (a booking another process changed meanwhile, such as one a
    concurrent run expired, is left alone). How many were rejected."""
    import sqlalchemy as sa

    from prima_cli.store.report_tables import bookings as b

    with store.engine.connect() as conn:
        due = conn.execute(
            sa.select(b.c.id)
            .where(b.c.status == BookingStatus.QUEUED.value, b.c.starts_at <= utcnow())
            .order_by(b.c.starts_at)
        ).scalars().all()  # fmt: skip
    return _expire(store, list(due)) if due else 0


def _expire(store: Store, due: list[int]) -> int:
    from prima_cli.core.attempts import settle_queued

    with store.session() as session:
        return len(settle_queued(session, due, "expired"))
