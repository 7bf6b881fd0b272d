"""The facts about a booking that the report groups by, written on the booking row itself.

A report over a month of a restaurant group reads 100,000 bookings; deriving the service, the
platform that holds each booking or whether failover placed it from the attempts at report
time costs a pass in Python or a join per booking. They are written instead where the booking
changes: :func:`stamp` runs with every transition (``booking_state.record_event``), and
:func:`facts` is the same rule for rows written in bulk (the demo's history, benchmarks).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from enum import StrEnum
from typing import TYPE_CHECKING, Any, NamedTuple

from prima_cli.store.types import utcnow

if TYPE_CHECKING:
    from sqlmodel import Session

    from prima_cli.store.booking_tables import Booking


class Service(StrEnum):
    """The service a booking belongs to, by its venue-local time."""

    LUNCH = "lunch"  #: from 06:00 to before 17:00
    DINNER = "dinner"  #: from 17:00, and the small hours (they close the evening before)


LUNCH_FROM, DINNER_FROM = dt.time(6, 0), dt.time(17, 0)

#: attempt states (``AttemptState`` values) in which the attempt's platform holds (or held)
#: the booking; plain values, since the state machine itself writes through this module
HELD = frozenset({"confirmed", "cancelled"})
CONFIRMED = "confirmed"  #: the ``BookingStatus`` whose first arrival is the confirmation


def service_of(local_time: dt.time) -> Service:
    """Lunch or dinner, by the venue-local time."""
    return Service.LUNCH if LUNCH_FROM <= local_time < DINNER_FROM else Service.DINNER


class AttemptFact(NamedTuple):
    """What :func:`facts` reads of one attempt."""

    attempt: int
    platform_type: str
    state: str
    status: str | None


def facts(local_time: dt.time, attempts: Sequence[AttemptFact]) -> dict[str, Any]:
    """The report columns of a booking with ``attempts`` (in any order), but ``confirm_ms``."""
    ordered = sorted(attempts)
    latest = ordered[-1] if ordered else None
    return {
        "service": service_of(local_time).value,
        "platform_type": latest.platform_type if latest else None,
        "attempt_state": latest.state if latest else None,
        "platform_status": latest.status if latest else None,
        "attempts": len(ordered),
        "failover": latest is not None
        and latest.state in HELD
        and latest.platform_type != ordered[0].platform_type,
    }


def confirm_ms(created_at: dt.datetime, confirmed_at: dt.datetime) -> int:
    """Milliseconds from the intent to the confirmation (never negative: clocks step back)."""
    return max(0, round((confirmed_at - created_at).total_seconds() * 1000))


def stamp(session: Session, booking: Booking, now: dt.datetime | None = None) -> None:
    """Write ``booking``'s report columns from its attempts as they stand in ``session``
    (flushed first, so attempts written in this transaction count)."""
    from sqlmodel import select

    from prima_cli.store.booking_tables import PlatformReservation

    rows: list[AttemptFact] = []
    if booking.id is not None:
        session.flush()
        found = session.exec(
            select(
                PlatformReservation.attempt,
                PlatformReservation.platform_type,
                PlatformReservation.state,
                PlatformReservation.status,
            ).where(PlatformReservation.booking_id == booking.id)
        ).all()
        rows = [AttemptFact(*r) for r in found]
    for name, value in facts(booking.local_time, rows).items():
        if getattr(booking, name) != value:
            setattr(booking, name, value)
    if booking.confirm_ms is None and booking.status == CONFIRMED:
        booking.confirm_ms = confirm_ms(booking.created_at, now or utcnow())
