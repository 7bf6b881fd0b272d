"""``prima bookings resolve``: record what an operator found on a platform by hand.

For outcomes no look-up can settle (Restoo offers none; a removed connection; a match that
another booking holds). The answer is written as any other transition, with the operator's
note in the audit trail.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

from prima_cli.core import attempts as att
from prima_cli.core import booking_records as rec
from prima_cli.core.booking_state import AttemptState, Lost, attempt_in_flight, changed, transition
from prima_cli.core.result import OperationResult
from prima_cli.errors import Conflict, InvalidInput, PlatformRejected, TryAgainLater
from prima_cli.platforms.parsing import EXTERNAL_ID
from prima_cli.store.types import utcnow

if TYPE_CHECKING:
    from sqlmodel import Session

    from prima_cli.store.booking_tables import PlatformReservation
    from prima_cli.store.store import Store

MAX_NOTE = 500


@dataclass(frozen=True)
class ResolveResult:
    """The booking after a hand resolution, the attempt it settled and what was found."""

    booking: rec.BookingInfo
    attempt: int
    found: str | None  # the external id recorded, or None for "not found"


def _check(found: str | None, not_found: bool, note: str | None) -> None:
    if (found is None) == (not not_found):
        raise InvalidInput("give exactly one of --found EXTERNAL_ID and --not-found")
    if found is not None and not EXTERNAL_ID.fullmatch(found):
        raise InvalidInput("--found must be 1 to 100 printable characters without spaces")
    if note is not None and (len(note) > MAX_NOTE or any(ord(c) < 32 for c in note)):
        raise InvalidInput(f"--note must be one line of at most {MAX_NOTE} characters")


def _pick(rows: list[PlatformReservation], attempt: int | None, reference: str,
          now: dt.datetime) -> PlatformReservation:  # fmt: skip
    open_rows = [r for r in rows if AttemptState(r.state).is_open]
    if attempt is not None:
        open_rows = [r for r in open_rows if r.attempt == attempt]
    if not open_rows:
        which = f"attempt {attempt} of booking {reference}" if attempt else f"booking {reference}"
        raise Conflict(f"{which} has no attempt whose outcome is unknown",
                       hint=f"see `prima bookings show {reference}`")  # fmt: skip
    if len(open_rows) > 1:
        numbers = ", ".join(str(r.attempt) for r in open_rows)
        raise InvalidInput(f"booking {reference} has several open attempts ({numbers})",
                           hint="name one with --attempt N")  # fmt: skip
    row = open_rows[0]
    if attempt_in_flight(row, now):
        raise TryAgainLater(f"attempt {row.attempt} of booking {reference} is still being made "
                            "by a live prima process", hint="wait for it to end")  # fmt: skip
    return row


def _refuse_held(session: Session, ptype: str, found: str, booking_id: int) -> None:
    """Refuse an id another live booking holds: typed by hand, it is more likely a slip than
    a platform merging two bookings, and two bookings tied to one table let a cancel of
    either free the other guest's."""
    others = att.holders(session, ptype, found, besides=booking_id, live_only=True)
    if others:
        raise Conflict(
            f"{ptype} reservation {found} is held by booking(s) {', '.join(others)} already: "
            "recording it here too would tie two bookings to one table",
            hint=f"check the id on the platform and against `prima bookings show {others[0]}`",
        )


def resolve(store: Store, ref: str, *, found: str | None, not_found: bool,
            attempt: int | None = None, note: str | None = None,
            now: dt.datetime | None = None) -> OperationResult[ResolveResult]:  # fmt: skip
    """Record an operator's check of an open attempt: found as ``found``, or not there."""
    _check(found, not_found, note)
    now = now or utcnow()
    with store.session() as session:
        booking = rec.find_booking(session, ref)
        row = _pick(rec.attempts_of(session, booking), attempt, booking.reference, now)
        booking_id, reference, seen, row_id = booking.id, booking.reference, booking.version, row.id
    assert booking_id is not None and row_id is not None
    said = f"found as {found}" if found else "not found"
    try:
        with transition(store, booking_id, seen, "resolved") as step:
            from prima_cli.store.booking_tables import PlatformReservation

            row = step.session.get_one(PlatformReservation, row_id)
            step.attempt = row.attempt
            ptype = row.platform_type
            row.attention = None  # answered: a flag raised by a look-up no longer applies
            if found is not None:
                _refuse_held(step.session, ptype, found, booking_id)
                att.record_confirmed(step.session, row, found, None, "confirmed",
                                     {"resolved_by_hand": True, "note": note})  # fmt: skip
                detail = f"recorded by hand as {ptype} reservation {found}"
            else:
                att.record_state(step.session, row, AttemptState.NOT_LANDED, PlatformRejected(
                    f"not on {ptype} when checked by hand: the request never landed",
                    platform=ptype))  # fmt: skip
                detail = f"checked by hand: not on {ptype}; {att.what_follows(step.booking)}"
            att.refresh_status(step.session, step.booking, detail)
            step.note = f"{said} on {ptype}" + (f": {note}" if note else "")
    except Lost:
        raise changed(reference, "recording the resolution") from None
    with store.session() as session:
        info = rec.info(session, rec.load_booking(session, booking_id), with_events=True)
    return OperationResult.ok(ResolveResult(info, step.attempt or 0, found))
