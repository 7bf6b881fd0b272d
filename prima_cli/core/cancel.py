"""Cancelling a booking: on the platform and connection that hold its reservation, then locally.

The cancel's intent (``cancel_requested_at``) is written before any platform is called, so a
cancel whose answer was lost, or whose database went away after the platform cancelled, is
finished by a rerun or by reconcile; and nothing places a booking whose cancel was asked for.
A reservation that two bookings hold (a platform that merged two creates) is cancelled only
with its last live holder: the others are dropped locally (``--local``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from prima_cli.core import attempts as att
from prima_cli.core import booking_records as rec
from prima_cli.core import reconcile_attempts
from prima_cli.core import targets as targets_core
from prima_cli.core.answer_record import record_answer
from prima_cli.core.booking_state import (
    AttemptState,
    BookingStatus,
    Lost,
    Step,
    attempt_in_flight,
    being_placed,
    changed,
    set_status,
    transition,
)
from prima_cli.core.http_options import HttpOptions
from prima_cli.core.platform_calls import open_client, run
from prima_cli.core.result import OperationResult
from prima_cli.errors import (
    CommandInterrupted,
    Conflict,
    DatabaseUnavailable,
    InvalidInput,
    PlatformAmbiguousOutcome,
    PlatformUnsupported,
    PrimaError,
    TryAgainLater,
)
from prima_cli.store.types import utcnow

if TYPE_CHECKING:
    import httpx
    from sqlmodel import Session

    from prima_cli.platforms.contract import CancelReason
    from prima_cli.store.booking_tables import Booking, PlatformReservation
    from prima_cli.store.store import Store


@dataclass(frozen=True)
class Call:
    """One platform cancel to make: the attempt that holds the reservation, and where."""

    row_id: int
    target: targets_core.Target
    external_id: str
    date: dt.date


#: what a cancel call came to: the platform's answer, None (the platform no longer holds
#: it), or the error that leaves it held
Outcome = tuple[int, Any]


def reason_of(reason: str) -> CancelReason:
    from prima_cli.platforms.contract import CancelReason

    try:
        return CancelReason(reason)
    except ValueError:
        raise InvalidInput(
            f"--reason must be one of {', '.join(r.value for r in CancelReason)}"
        ) from None


@dataclass(frozen=True)
class Cancelled:
    """The booking after a cancel; ``changed`` is false when it was cancelled already."""

    booking: rec.BookingInfo
    changed: bool = True


def cancel(store: Store, ref: str, reason: str, http: HttpOptions, *, local: bool = False,
           now: dt.datetime | None = None) -> OperationResult[Cancelled]:  # fmt: skip
    """Cancel on the platform (or, with ``local``, drop a duplicate without calling it); the
    cancelled booking, with a warning per reservation it leaves to another booking. A booking
    cancelled already is the answer as it stands (nothing is called or written)."""
    why = reason_of(reason)
    now = now or utcnow()
    with store.session() as session:
        booking = rec.find_booking(session, ref)
        booking_id, reference = booking.id, booking.reference
        if booking.status == BookingStatus.CANCELLED:
            return OperationResult(Cancelled(rec.info(session, booking), changed=False))
    assert booking_id is not None
    _settle_open(store, booking_id, reference, http, now)
    with store.session() as session:
        booking = rec.load_booking(session, booking_id)
        if booking.status == BookingStatus.CANCELLED:  # by another process meanwhile
            return OperationResult(Cancelled(rec.info(session, booking), changed=False))
        calls, warnings = _calls(session, booking, rec.attempts_of(session, booking), local)
        seen = booking.version
    try:
        with transition(store, booking_id, seen, "cancel_requested") as step:
            step.booking.cancel_requested_at = now
            step.booking.cancel_reason = why.value
            step.note = "dropped locally" if local else (
                f"cancel asked of {', '.join(c.target.platform_type for c in calls)}"
                if calls else "no platform holds it")  # fmt: skip
        seen = step.version
    except Lost:
        raise changed(reference, "cancelling it") from None
    try:
        outcomes = run(_cancel_all(calls, why, http, store)) if calls else []
        info, failure = finish(store, booking_id, reference, seen, outcomes, local=local)
    except KeyboardInterrupt:  # Ctrl-C, or SIGTERM (the console script raises it)
        raise _interrupted(reference) from None
    if failure is not None:
        raise failure
    return OperationResult(Cancelled(info), warnings)


def _interrupted(reference: str) -> CommandInterrupted:
    """A cancel stopped once it was recorded as asked for: the next sync finishes it (nothing
    withdraws it), which a bare "interrupted" did not say."""
    stopped = CommandInterrupted(
        f"interrupted: the cancel of booking {reference} is recorded as asked for, and the "
        "platform may have applied it",
        hint=f"the next `prima platforms sync` (or `prima bookings reconcile`) finishes it; "
        f"`prima bookings cancel {reference}` finishes it now",
    )
    stopped.details = {"booking": reference}
    return stopped


def _settle_open(store: Store, booking_id: int, reference: str, http: HttpOptions,
                 now: dt.datetime) -> None:  # fmt: skip
    """Reconcile the booking's open attempts first: a cancel needs every id it may hold."""
    with store.session() as session:
        booking = rec.load_booking(session, booking_id)
        rows = rec.attempts_of(session, booking)
        if being_placed(booking, now) or any(attempt_in_flight(r, now) for r in rows):
            raise TryAgainLater(
                f"booking {reference} is being placed by another prima process; cancelling "
                "now could leave the table it books in place",
                hint=f"wait a minute, then rerun `prima bookings cancel {reference}`",
            )
        if not any(AttemptState(r.state).is_open for r in rows):
            return
    reconcile_attempts.reconcile_booking(store, booking_id, http, now=now)
    with store.session() as session:
        booking = rec.load_booking(session, booking_id)
        still = [r for r in rec.attempts_of(session, booking) if AttemptState(r.state).is_open]
    if still:
        row = still[0]
        raise Conflict(
            f"booking {reference} may be on {row.platform_type} without our knowing its id",
            hint=f"look for {reference} on {row.platform_type}, record what you find with "
            f"`prima bookings resolve {reference} --found EXTERNAL_ID` (or --not-found), "
            "then cancel",
        )


def _calls(session: Session, booking: Booking, rows: list[PlatformReservation], local: bool
           ) -> tuple[list[Call], list[str]]:  # fmt: skip
    """The platform cancels this booking needs, and warnings; refuses a cancel that would
    take another live booking's table, or a local drop that would leave a table booked."""
    calls: list[Call] = []
    warnings: list[str] = []
    assert booking.id is not None
    for row in (r for r in rows if r.state == AttemptState.CONFIRMED):
        assert row.external_id is not None and row.id is not None
        shared = att.holders(session, row.platform_type, row.external_id, besides=booking.id,
                             live_only=True)  # fmt: skip
        found = targets_core.for_connection(session, row.venue_platform_id)
        if local:
            if shared:
                warnings.append(f"reservation {row.external_id} on {row.platform_type} stays, "
                                f"held by booking(s) {', '.join(shared)}")  # fmt: skip
            elif found is None:
                warnings.append(
                    f"the {row.platform_type} connection was removed: cancel reservation "
                    f"{row.external_id} there by hand if not done"
                )
            else:
                raise Conflict(
                    f"--local would leave reservation {row.external_id} on {row.platform_type} "
                    "booked: no other booking holds it",
                    hint=f"cancel it without --local: `prima bookings cancel {booking.reference}`",
                )
            continue
        if shared:
            raise Conflict(
                f"reservation {row.external_id} on {row.platform_type} is also held by "
                f"booking(s) {', '.join(shared)}; cancelling it would cancel theirs",
                hint=f"drop the duplicate(s) first with `prima bookings cancel {shared[0]} "
                f"--local`, or drop this one with `--local`",
            )
        if found is None:
            raise Conflict(
                f"the {row.platform_type} connection that holds reservation "
                f"{row.external_id} was removed",
                hint="cancel it on the platform by hand, then record it with "
                f"`prima bookings cancel {booking.reference} --local`",
            )
        target, enabled = found
        if not enabled:
            warnings.append(
                f"the {row.platform_type} connection is disabled; cancelling through it "
                "anyway, since it holds the reservation"
            )
        calls.append(Call(row.id, target, row.external_id, booking.local_date))
    return calls, warnings


def pending_calls(session: Session, booking: Booking) -> list[Call]:
    """The platform cancels a requested cancel still needs (reconcile finishes them)."""
    calls, _ = _calls(session, booking, rec.attempts_of(session, booking), local=False)
    return calls


async def _cancel_all(
    calls: list[Call], why: CancelReason, http: HttpOptions, store: Store
) -> list[Outcome]:
    async with open_client(http, store) as client:
        return await cancel_calls(client, calls, why)


async def cancel_calls(client: httpx.AsyncClient, calls: list[Call], why: CancelReason
                       ) -> list[Outcome]:  # fmt: skip
    """Make each call; an answer that the reservation is gone is checked on the platform."""
    results: list[Outcome] = []
    for call in calls:
        target = call.target
        if target.adapter is None or target.connection is None:
            results.append((call.row_id, target.error))
            continue
        adapter = target.adapter(client)
        try:
            done: Any = await adapter.cancel_reservation(target.connection, call.external_id, why)
        except PrimaError as err:
            done = await _gone_or(adapter, target, call, err)
        results.append((call.row_id, done))
    return results


def _says_gone(err: PrimaError) -> bool:
    """The platform's own words say it holds no such reservation (any more)."""
    message = (getattr(err, "platform_message", None) or "").lower()
    if "already cancel" in message:
        return True
    return "not found" in message and ("reserv" in message or "booking" in message)


async def _gone_or(adapter: Any, target: targets_core.Target, call: Call,
                   err: PrimaError) -> PrimaError | None:  # fmt: skip
    """None when the platform no longer holds the reservation (checked where it can list
    reservations); else ``err``."""
    if isinstance(err, PlatformAmbiguousOutcome) or not _says_gone(err):
        return err
    try:
        records = await adapter.list_reservations(target.connection, call.date, call.date)
    except PlatformUnsupported:
        # no look-up: the platform's own "booking not found" for an id it gave us is all
        # there is to know
        return None
    except PrimaError:
        return err
    held = next((r for r in records if r.external_id == call.external_id), None)
    if held is not None and held.status.value not in ("cancelled", "no_show"):
        return err  # it is still there: the platform refused to cancel it
    return None


def finish(store: Store, booking_id: int, reference: str, seen: int, outcomes: list[Outcome],
           *, local: bool = False) -> tuple[rec.BookingInfo, PrimaError | None]:  # fmt: skip
    """Record the platform's answers to a requested cancel; the booking and the first error.

    The answers are the platform's: if another process wrote the booking meanwhile, they are
    recorded on the version it left.
    """
    failure = next((o for _, o in outcomes if isinstance(o, PrimaError)), None)

    def write(step: Step) -> None:
        if step.booking.status == BookingStatus.CANCELLED:
            return  # recorded meanwhile (a sync saw it cancelled on the platform)
        _record(step.session, step.booking, outcomes, failure, local)
        step.note = failure.message if failure else step.booking.status_detail

    record_answer(store, booking_id, seen, "cancel_failed" if failure else "cancelled", write,
                  reference=reference, doing="recording its cancel",
                  unrecorded=lambda err: _unrecorded(err, reference, bool(outcomes)))  # fmt: skip
    with store.session() as session:
        info = rec.info(session, rec.load_booking(session, booking_id))
    if failure is not None:
        failure.hint = _failure_hint(failure, reference)
        failure.details.setdefault("booking", reference)
    return info, failure


def _record(session: Session, booking: Booking, outcomes: list[Outcome],
            failure: PrimaError | None, local: bool) -> None:  # fmt: skip
    from prima_cli.store.booking_tables import PlatformReservation

    gone = False
    for row_id, outcome in outcomes:
        if isinstance(outcome, PrimaError):
            continue
        row = session.get_one(PlatformReservation, row_id)
        if outcome is not None:
            row.raw_status, row.status = outcome.raw_status, outcome.status.value
        else:
            row.status, gone = "cancelled", True
        att.record_state(session, row, AttemptState.CANCELLED)
        _cascade(session, row, booking.reference)
    if failure is not None:
        booking.updated_at = utcnow()
        return
    if local:
        detail = "dropped locally; no platform was asked"
    elif not outcomes:
        detail = "cancelled locally (no platform held it)"
    elif gone:
        detail = "cancelled (the platform no longer held it)"
    else:
        detail = "cancelled on the platform"
    set_status(booking, BookingStatus.CANCELLED, detail)
    booking.cancelled_at = utcnow()
    booking.placer = booking.placing_since = None


def _cascade(session: Session, row: PlatformReservation, reference: str) -> None:
    """The reservation is cancelled: so is every other booking's attempt that held it, each
    a transition of that booking (:class:`Lost` when one changed meanwhile)."""
    from sqlmodel import select

    from prima_cli.core.booking_state import Step, claim_loaded, record_event
    from prima_cli.store.booking_tables import PlatformReservation

    others = session.exec(
        select(PlatformReservation).where(
            PlatformReservation.platform_type == row.platform_type,
            PlatformReservation.external_id == row.external_id,
            PlatformReservation.id != row.id,
            PlatformReservation.state == AttemptState.CONFIRMED,
        )
    ).all()
    for other in others:
        holder = rec.load_booking(session, other.booking_id)
        version = claim_loaded(session, holder)
        other.status = "cancelled"
        att.record_state(session, other, AttemptState.CANCELLED)
        record_event(Step(session, holder, version, "cascade_cancelled", attempt=other.attempt,
                          note=f"reservation {row.external_id} cancelled with booking "
                          f"{reference}"))  # fmt: skip


def _failure_hint(failure: PrimaError, reference: str) -> str:
    if isinstance(failure, PlatformAmbiguousOutcome):
        return (f"the platform may have cancelled it: `prima bookings reconcile {reference}` "
                "asks again and records the answer")  # fmt: skip
    return (f"the cancel is recorded as asked for: rerun `prima bookings cancel {reference}`, "
            "or the next `prima platforms sync` tries again")  # fmt: skip


def _unrecorded(err: PrimaError, reference: str, called: bool) -> DatabaseUnavailable:
    from prima_cli.store.engine import database_said

    done = "the platform was asked to cancel it" if called else "nothing was sent to a platform"
    lost = DatabaseUnavailable(
        f"booking {reference}: {done}, but the database failed before the cancel was "
        f"recorded ({database_said(err)})",
        hint=f"once the database is back, rerun `prima bookings cancel {reference}`",
    )
    lost.details = {"booking": reference}
    return lost
