"""Reconciliation: settle attempts whose outcome is unknown by asking the platform.

An ``unknown`` attempt (or a ``pending`` one whose process died) is looked up on the
platform by our reference, else by guest and time (CoverManager's ``get_reservs``).
Found: it is recorded as the platform's reservation. Not found: the request never
landed, and the attempt is ``rejected``. Platforms without a look-up (Restoo) are
flagged for the operator with everything we know; nothing is guessed or resent.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from prima_cli.core import booking_records as rec
from prima_cli.core import targets as targets_core
from prima_cli.core.http_options import HttpOptions
from prima_cli.core.platform_calls import open_client, run
from prima_cli.errors import ExitCode, PlatformUnsupported, PrimaError
from prima_cli.store.types import utcnow

if TYPE_CHECKING:
    import httpx
    from sqlmodel import Session

    from prima_cli.store.booking_tables import Booking, PlatformReservation
    from prima_cli.store.store import Store

FOUND, NOT_FOUND, MANUAL, IN_FLIGHT, ERROR = "found", "not_found", "manual", "in_flight", "error"


@dataclass(frozen=True)
class ReconcileItem:
    booking: str
    platform_type: str
    attempt: int
    outcome: str  # found | not_found | manual | in_flight | error
    detail: str
    external_id: str | None = None
    error: PrimaError | None = None  # the platform's error, for outcome "error"


@dataclass(frozen=True)
class ReconcileReport:
    items: list[ReconcileItem]

    @property
    def exit_code(self) -> int:
        open_items = [i for i in self.items if i.outcome in (MANUAL, IN_FLIGHT, ERROR)]
        return int(ExitCode.PARTIAL if open_items else ExitCode.OK)


def _open_rows(
    session: Session, booking_id: int | None, connection_id: int | None
) -> list[tuple[Booking, PlatformReservation]]:
    from sqlmodel import col, select

    from prima_cli.store.booking_tables import Booking, PlatformReservation

    query = (
        select(Booking, PlatformReservation)
        .join(PlatformReservation, col(PlatformReservation.booking_id) == col(Booking.id))
        .where(col(PlatformReservation.state).in_((rec.UNKNOWN, rec.PENDING)))
        .order_by(col(Booking.starts_at), col(PlatformReservation.attempt))
    )
    if booking_id is not None:
        query = query.where(Booking.id == booking_id)
    if connection_id is not None:
        query = query.where(PlatformReservation.venue_platform_id == connection_id)
    return [(b, r) for b, r in session.exec(query).all()]


def _manual_note(booking: Booking, row: PlatformReservation) -> str:
    return (
        f"{row.platform_type} cannot be asked whether it holds this booking: look for "
        f"external id {booking.reference} ({booking.first_name} {booking.last_name}, "
        f"{booking.phone_e164}, {booking.local_date} {booking.local_time:%H:%M}, "
        f"{booking.party_size} people) in its back office"
    )


def reconcile(
    store: Store, booking_ref: str | None, http: HttpOptions, *, now: dt.datetime | None = None
) -> ReconcileReport:
    """Reconcile one booking (id or reference) or every booking with open attempts."""
    booking_id = None
    if booking_ref is not None:
        with store.session() as session:
            booking_id = rec.find_booking(session, booking_ref).id
    return reconcile_booking(store, booking_id, http, now=now)


def reconcile_booking(
    store: Store, booking_id: int | None, http: HttpOptions, *, now: dt.datetime | None = None
) -> ReconcileReport:
    async def go() -> ReconcileReport:
        async with open_client(http) as client:
            return await reconcile_async(store, client, booking_id=booking_id, now=now)

    return run(go())


async def reconcile_async(
    store: Store,
    client: httpx.AsyncClient,
    *,
    booking_id: int | None = None,
    connection_id: int | None = None,
    now: dt.datetime | None = None,
) -> ReconcileReport:
    """Reconcile open attempts (of one booking, one connection, or all) on ``client``."""
    from prima_cli.core.bookings import request_of

    now = now or utcnow()
    work: list[tuple[int, int, str, int, targets_core.Target | None, Any]] = []
    items: list[ReconcileItem] = []
    with store.session() as session:
        for booking, row in _open_rows(session, booking_id, connection_id):
            assert booking.id is not None and row.id is not None
            if rec.in_flight(row, now):
                items.append(
                    ReconcileItem(
                        booking.reference,
                        row.platform_type,
                        row.attempt,
                        IN_FLIGHT,
                        "still being created by a live process",
                    )
                )
                continue  # fmt: skip
            found = targets_core.for_connection(session, row.venue_platform_id)
            target = found[0] if found else None
            work.append((booking.id, row.id, booking.reference, row.attempt, target,
                         request_of(booking)))  # fmt: skip

    answers: list[Any] = []
    for _b, _r, _ref, _n, target, request in work:
        if target is None or target.adapter is None or target.connection is None:
            answers.append(target.error if target else None)
            continue
        try:
            answers.append(
                await target.adapter(client).find_reservation(target.connection, request)
            )
        except PrimaError as err:
            answers.append(err)
    for (b_id, r_id, reference, attempt, target, _req), answer in zip(work, answers, strict=True):
        items.append(_apply(store, b_id, r_id, reference, attempt, target, answer))
    return ReconcileReport(items)


def _apply(store: Store, booking_id: int, row_id: int, reference: str, attempt: int,
           target: targets_core.Target | None, answer: Any) -> ReconcileItem:  # fmt: skip
    from prima_cli.core.bookings import record_confirmed, record_state, refresh_status
    from prima_cli.platforms.contract import ReservationRecord
    from prima_cli.store.booking_tables import Booking, PlatformReservation

    with store.session() as session:
        booking = session.get(Booking, booking_id)
        row = session.get(PlatformReservation, row_id)
        assert booking is not None and row is not None
        ptype = row.platform_type
        if target is None:
            row.attention = "the connection was removed; check the platform by hand"
            session.add(row)
            return ReconcileItem(reference, ptype, attempt, MANUAL, row.attention)
        if isinstance(answer, PlatformUnsupported):
            row.attention = _manual_note(booking, row)
            record_state(session, row, rec.UNKNOWN)
            refresh_status(session, booking, row.attention)
            return ReconcileItem(reference, ptype, attempt, MANUAL, row.attention)
        if isinstance(answer, PrimaError):
            return ReconcileItem(reference, ptype, attempt, ERROR, answer.message, error=answer)
        if isinstance(answer, ReservationRecord):
            record_confirmed(session, row, answer.external_id, answer.raw_status,
                             answer.status.value, dict(answer.raw))  # fmt: skip
            refresh_status(session, booking, f"found on {ptype} by reconciliation")
            return ReconcileItem(reference, ptype, attempt, FOUND,
                                 f"found as {answer.external_id}", answer.external_id)  # fmt: skip
        from prima_cli.errors import PlatformRejected

        lost = PlatformRejected(
            f"not on {ptype} when reconciled: the request never landed", platform=ptype
        )
        record_state(session, row, rec.REJECTED, lost)
        refresh_status(session, booking, lost.message)
        return ReconcileItem(reference, ptype, attempt, NOT_FOUND, lost.message)
