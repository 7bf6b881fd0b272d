"""Settling attempts whose outcome is unknown, by asking the platform.

An ``unknown`` attempt (or a ``pending`` one whose process died) is looked up on the
platform by our reference, else by guest and time (CoverManager's ``get_reservs``). Found:
recorded as the platform's reservation, unless another booking holds it or it carries
another booking's reference (then the operator decides). Not found: the request never
landed, and the attempt is ``not_landed`` (the outbox places the booking again). Platforms
without a look-up (Restoo) are flagged for the operator with everything we know, to record
with ``prima bookings resolve``; nothing is guessed or resent. Every answer is written as a
transition on the booking version read before the look-up: an attempt settled meanwhile by
another process is never written twice.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from prima_cli.core import attempts as att
from prima_cli.core import booking_records as rec
from prima_cli.core import targets as targets_core
from prima_cli.core.booking_state import AttemptState, Lost, attempt_in_flight, orphaned, transition
from prima_cli.core.http_options import HttpOptions
from prima_cli.core.platform_calls import open_client, run
from prima_cli.errors import PlatformRejected, PlatformUnsupported, PrimaError
from prima_cli.store.types import utcnow

if TYPE_CHECKING:
    import httpx
    from sqlmodel import Session

    from prima_cli.store.booking_tables import Booking, PlatformReservation
    from prima_cli.store.store import Store


class Outcome(StrEnum):
    """What reconciling one item came to."""

    FOUND = "found"  #: the platform holds it: recorded
    NOT_FOUND = "not_found"  #: it never landed: recorded, and the outbox places it again
    MANUAL = "manual"  #: only the operator can tell (`prima bookings resolve`)
    IN_FLIGHT = "in_flight"  #: a live process is still making it
    ERROR = "error"  #: the platform could not be asked
    UNPLACED = "unplaced"  #: its placer stopped before any platform answered: the outbox's
    SETTLED = "settled"  #: another process recorded its outcome meanwhile
    CANCELLED = "cancelled"  #: a cancel asked for earlier is now done

    @property
    def is_open(self) -> bool:
        return self in (Outcome.MANUAL, Outcome.IN_FLIGHT, Outcome.ERROR, Outcome.UNPLACED)


@dataclass(frozen=True)
class ReconcileItem:
    booking: str
    platform_type: str
    attempt: int | None
    outcome: Outcome
    detail: str
    external_id: str | None = None
    error: PrimaError | None = None  # the platform's error, for outcome "error"


@dataclass(frozen=True)
class ReconcileReport:
    """What reconciling came to, item by item."""

    items: list[ReconcileItem]


@dataclass(frozen=True)
class _Work:
    booking_id: int
    row_id: int
    reference: str
    attempt: int
    target: targets_core.Target | None
    request: Any
    version: int


def _open_rows(
    session: Session, booking_id: int | None, connection_id: int | None
) -> list[tuple[Booking, PlatformReservation]]:
    from sqlmodel import col, select

    from prima_cli.store.booking_tables import Booking, PlatformReservation

    query = (
        select(Booking, PlatformReservation)
        .join(PlatformReservation, col(PlatformReservation.booking_id) == col(Booking.id))
        .where(col(PlatformReservation.state).in_((AttemptState.UNKNOWN, AttemptState.PENDING)))
        .order_by(col(Booking.starts_at), col(PlatformReservation.attempt))
    )
    if booking_id is not None:
        query = query.where(Booking.id == booking_id)
    if connection_id is not None:
        query = query.where(PlatformReservation.venue_platform_id == connection_id)
    return [(b, r) for b, r in session.exec(query).all()]


def manual_note(booking: Booking, row: PlatformReservation) -> str:
    return (
        f"{row.platform_type} cannot be asked whether it holds this booking: look for "
        f"external id {booking.reference} ({booking.first_name} {booking.last_name}, "
        f"{booking.phone_e164}, {booking.local_date} {booking.local_time:%H:%M}, "
        f"{booking.party_size} people) in its back office, then record what you find with "
        f"`prima bookings resolve {booking.reference} --found EXTERNAL_ID` (or --not-found)"
    )


def reconcile_booking(
    store: Store, booking_id: int | None, http: HttpOptions, *, now: dt.datetime | None = None
) -> ReconcileReport:
    """Settle the open attempts of one booking (or of all) with a client of its own."""

    async def go() -> ReconcileReport:
        async with open_client(http, store) as client:
            return ReconcileReport(await settle_async(store, client, booking_id=booking_id,
                                                      now=now))  # fmt: skip

    return run(go())


async def settle_async(
    store: Store,
    client: httpx.AsyncClient,
    *,
    booking_id: int | None = None,
    connection_id: int | None = None,
    now: dt.datetime | None = None,
    orphans: bool = True,
) -> list[ReconcileItem]:
    """Settle open attempts (of one booking, one connection, or all) on ``client``, and
    report orphaned placements (the outbox places them) unless ``orphans`` is false."""
    now = now or utcnow()
    work: list[_Work] = []
    items: list[ReconcileItem] = []
    with store.session() as session:
        for booking, row in _open_rows(session, booking_id, connection_id):
            assert booking.id is not None and row.id is not None
            if attempt_in_flight(row, now):
                items.append(ReconcileItem(booking.reference, row.platform_type, row.attempt,
                                           Outcome.IN_FLIGHT,
                                           "still being created by a live process"))  # fmt: skip
                continue
            found = targets_core.for_connection(session, row.venue_platform_id)
            work.append(_Work(booking.id, row.id, booking.reference, row.attempt,
                              found[0] if found else None, att.request_of(booking),
                              booking.version))  # fmt: skip
        if orphans:
            items.extend(_orphans(session, booking_id, connection_id, now))
    answers: list[Any] = []
    for w in work:
        target = w.target
        if target is None or target.adapter is None or target.connection is None:
            answers.append(target.error if target else None)
            continue
        try:
            answers.append(
                await target.adapter(client).find_reservation(target.connection, w.request)
            )
        except PrimaError as err:
            answers.append(err)
    versions: dict[int, int] = {}
    for w, answer in zip(work, answers, strict=True):
        items.append(_apply(store, w, versions.get(w.booking_id, w.version), answer, versions))
    return items


def _orphans(session: Session, booking_id: int | None, connection_id: int | None,
             now: dt.datetime) -> list[ReconcileItem]:  # fmt: skip
    detail = ("its create stopped before any platform answered: the next `prima platforms "
              "sync` places it, or rerun the create with its --reference")  # fmt: skip
    return [
        ReconcileItem(booking.reference, platform, None, Outcome.UNPLACED, detail)
        for booking, platform, owner in orphan_owners(session, now, booking_id=booking_id)
        if connection_id is None or owner == connection_id
    ]


def orphan_owners(session: Session, now: dt.datetime, *, booking_id: int | None = None
                  ) -> list[tuple[Booking, str, int | None]]:  # fmt: skip
    """Orphaned placements of upcoming bookings, each with the platform type and the
    connection whose sync places it (its venue's first enabled one, or the one it asked for)."""
    from sqlmodel import col, select

    from prima_cli.core.booking_state import BookingStatus
    from prima_cli.store.booking_tables import Booking
    from prima_cli.store.models import VenuePlatform

    query = select(Booking).where(
        col(Booking.placer).is_not(None),
        col(Booking.status).in_(
            (BookingStatus.PENDING, BookingStatus.QUEUED, BookingStatus.REJECTED)
        ),
        col(Booking.cancel_requested_at).is_(None),
        Booking.starts_at > now,
    )
    if booking_id is not None:
        query = query.where(Booking.id == booking_id)
    found: list[tuple[Booking, str, int | None]] = []
    for booking in session.exec(query).all():
        if not orphaned(booking, rec.attempts_of(session, booking), now):
            continue
        conns = session.exec(
            select(VenuePlatform)
            .where(VenuePlatform.venue_id == booking.venue_id,
                   col(VenuePlatform.is_enabled).is_(True))
            .order_by(col(VenuePlatform.priority))
        ).all()  # fmt: skip
        wanted = [c for c in conns if booking.requested_platform in (None, c.platform_type)]
        first = wanted[0] if wanted else None
        found.append((booking, first.platform_type if first else "-", first.id if first else None))
    return found


def _apply(store: Store, w: _Work, seen: int, answer: Any,
           versions: dict[int, int]) -> ReconcileItem:  # fmt: skip
    from prima_cli.store.booking_tables import PlatformReservation

    try:
        with transition(store, w.booking_id, seen, "reconcile") as step:
            row = step.session.get_one(PlatformReservation, w.row_id)
            step.attempt = row.attempt
            item = _decide(step.session, step.booking, row, w, answer)
            step.note = item.detail
        versions[w.booking_id] = step.version
        return item
    except Lost:
        with store.session() as session:
            row = session.get_one(PlatformReservation, w.row_id)
            still_open = AttemptState(row.state).is_open
            versions[w.booking_id] = rec.load_booking(session, w.booking_id).version
        if still_open:
            return ReconcileItem(w.reference, row.platform_type, w.attempt, Outcome.IN_FLIGHT,
                                 "another process changed the booking meanwhile: run "
                                 "reconcile again")  # fmt: skip
        return ReconcileItem(w.reference, row.platform_type, w.attempt, Outcome.SETTLED,
                             f"recorded {row.state} by another process meanwhile",
                             row.external_id)  # fmt: skip


def _decide(session: Session, booking: Booking, row: PlatformReservation, w: _Work,
            answer: Any) -> ReconcileItem:  # fmt: skip
    from prima_cli.platforms.contract import ReservationRecord

    ptype, ref = row.platform_type, booking.reference

    def manual(note: str) -> ReconcileItem:
        row.attention = note
        att.record_state(session, row, AttemptState.UNKNOWN)
        att.refresh_status(session, booking, note)
        return ReconcileItem(ref, ptype, w.attempt, Outcome.MANUAL, note)

    if w.target is None:
        return manual("the connection was removed; check the platform by hand, then record it "
                      f"with `prima bookings resolve {ref}`")  # fmt: skip
    if isinstance(answer, PlatformUnsupported):
        return manual(manual_note(booking, row))
    if isinstance(answer, PrimaError):
        return ReconcileItem(ref, ptype, w.attempt, Outcome.ERROR, answer.message, error=answer)
    if isinstance(answer, ReservationRecord):
        if answer.reference not in (None, "", ref):
            return manual(f"the only match on {ptype}, {answer.external_id}, carries another "
                          f"booking's reference ({answer.reference})")  # fmt: skip
        others = att.holders(session, ptype, answer.external_id, besides=row.booking_id,
                             live_only=True)  # fmt: skip
        if others and answer.reference != ref:
            return manual(
                f"{ptype} reservation {answer.external_id} matches by guest and time, but "
                f"booking(s) {', '.join(others)} hold it: check it on {ptype}, then "
                f"`prima bookings resolve {ref} --found ID` (or --not-found)"
            )
        att.record_confirmed(session, row, answer.external_id, answer.raw_status,
                             answer.status.value, dict(answer.raw))  # fmt: skip
        att.refresh_status(session, booking, f"found on {ptype} by reconciliation")
        return ReconcileItem(ref, ptype, w.attempt, Outcome.FOUND,
                             f"found as {answer.external_id}", answer.external_id)  # fmt: skip
    lost = PlatformRejected(
        f"not on {ptype} when reconciled: the request never landed; {att.what_follows(booking)}",
        platform=ptype,
    )
    att.record_state(session, row, AttemptState.NOT_LANDED, lost)
    att.refresh_status(session, booking, lost.message)
    return ReconcileItem(ref, ptype, w.attempt, Outcome.NOT_FOUND, lost.message)
