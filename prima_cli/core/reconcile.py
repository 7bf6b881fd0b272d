"""``prima bookings reconcile``: settle what is open, on the platforms' word.

Open attempts are looked up (:mod:`prima_cli.core.reconcile_attempts`); cancels that were
asked for and not confirmed (an answer lost, a platform that refused or was down, a database
that went away) are asked again, which is safe: a platform that no longer holds the
reservation says so, and that is checked. Orphaned placements are reported; the sync's outbox
places them.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from prima_cli.core import booking_records as rec
from prima_cli.core import cancel as cancel_core
from prima_cli.core.booking_state import BookingStatus
from prima_cli.core.http_options import HttpOptions
from prima_cli.core.platform_calls import open_client, run
from prima_cli.core.reconcile_attempts import Outcome, ReconcileItem, ReconcileReport, settle_async
from prima_cli.core.result import OperationResult
from prima_cli.errors import ExitCode, PrimaError
from prima_cli.store.types import utcnow

if TYPE_CHECKING:
    import httpx

    from prima_cli.store.store import Store

__all__ = ["Outcome", "ReconcileItem", "ReconcileReport", "reconcile", "reconcile_async"]


def reconcile(
    store: Store, booking_ref: str | None, http: HttpOptions, *, now: dt.datetime | None = None
) -> OperationResult[ReconcileReport]:
    """Reconcile one booking (id or reference) or every booking with something open.

    The outcome is partial while anything stays open (the operator, a live process or a
    platform that could not be asked still has to settle it).
    """
    booking_id = None
    if booking_ref is not None:
        with store.session() as session:
            booking_id = rec.find_booking(session, booking_ref).id

    async def go() -> ReconcileReport:
        async with open_client(http, store) as client:
            return await reconcile_async(store, client, booking_id=booking_id, now=now)

    report = run(go())
    still_open = any(item.outcome.is_open for item in report.items)
    return OperationResult(report, outcome=ExitCode.PARTIAL if still_open else ExitCode.OK)


async def reconcile_async(
    store: Store,
    client: httpx.AsyncClient,
    *,
    booking_id: int | None = None,
    connection_id: int | None = None,
    now: dt.datetime | None = None,
    orphans: bool = True,
) -> ReconcileReport:
    """Open attempts, then requested cancels, of one booking, one connection, or all."""
    now = now or utcnow()
    items = await settle_async(store, client, booking_id=booking_id,
                               connection_id=connection_id, now=now, orphans=orphans)  # fmt: skip
    items.extend(await _finish_cancels(store, client, booking_id, connection_id))
    return ReconcileReport(items)


async def _finish_cancels(store: Store, client: httpx.AsyncClient, booking_id: int | None,
                          connection_id: int | None) -> list[ReconcileItem]:  # fmt: skip
    from sqlmodel import col, select

    from prima_cli.store.booking_tables import Booking, PlatformReservation

    with store.session() as session:
        query = select(Booking).where(
            col(Booking.cancel_requested_at).is_not(None),
            Booking.status != BookingStatus.CANCELLED,
        )
        if booking_id is not None:
            query = query.where(Booking.id == booking_id)
        if connection_id is not None:
            query = query.where(
                col(Booking.id).in_(
                    select(PlatformReservation.booking_id).where(
                        PlatformReservation.venue_platform_id == connection_id
                    )
                )
            )
        todo = []
        items: list[ReconcileItem] = []
        for booking in session.exec(query).all():
            assert booking.id is not None
            try:
                calls = cancel_core.pending_calls(session, booking)
            except PrimaError as err:
                items.append(ReconcileItem(booking.reference, "-", None, Outcome.MANUAL,
                                           f"its cancel cannot go on: {err.message}"))  # fmt: skip
                continue
            todo.append((booking.id, booking.reference, booking.version,
                         booking.cancel_reason or "OTHER", calls))  # fmt: skip
    for b_id, reference, version, reason, calls in todo:
        outcomes = await cancel_core.cancel_calls(client, calls, cancel_core.reason_of(reason))
        info, failure = cancel_core.finish(store, b_id, reference, version, outcomes)
        platform = ", ".join(c.target.platform_type for c in calls) or "-"
        if failure is not None:
            items.append(ReconcileItem(reference, platform, None, Outcome.ERROR,
                                       f"its cancel failed again: {failure.message}",
                                       error=failure))  # fmt: skip
        else:
            items.append(ReconcileItem(reference, platform, None, Outcome.CANCELLED,
                                       info.status_detail or "cancelled"))  # fmt: skip
    return items
