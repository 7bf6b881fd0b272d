"""Placing a booking: the platforms of its plan tried in priority order (failover), each
outcome recorded, and the outbox push of bookings that never reached a platform.

A booking is built like a payment. The booking row (with this process as its placer) is
committed before a platform is asked anything, and a ``pending`` attempt before each create
call; the outcome is recorded after: ``confirmed`` with the external id, ``rejected``,
``failed`` or ``skipped`` with the reason, or ``unknown`` when the request may have landed
without an answer. An unknown attempt is never resent: reconcile looks it up. Every write is a
transition of :mod:`prima_cli.core.booking_state`; a placer that loses one stops before it
calls any platform.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from prima_cli.core import attempts as att
from prima_cli.core import booking_records as rec
from prima_cli.core import targets as targets_core
from prima_cli.core.answer_record import record_answer
from prima_cli.core.booking_plan import Plan, plan_of
from prima_cli.core.booking_state import (
    AttemptState,
    BookingStatus,
    Lost,
    Step,
    making,
    owner,
    placeable,
    placing_here,
    transition,
)
from prima_cli.errors import (
    DatabaseUnavailable,
    ExitCode,
    PlatformAmbiguousOutcome,
    PlatformNoAvailability,
    PlatformRejected,
    PrimaError,
)
from prima_cli.store.types import utcnow

if TYPE_CHECKING:
    import httpx
    from sqlmodel import Session

    from prima_cli.platforms.contract import ReservationResult
    from prima_cli.store.booking_tables import Booking
    from prima_cli.store.store import Store

#: how many bookable times a refusal for no availability names
ALTERNATIVES = 3


def _nearest(slots: Sequence[Any], time: dt.time) -> list[str]:
    minutes = time.hour * 60 + time.minute
    ordered = sorted(slots, key=lambda s: abs(s.time.hour * 60 + s.time.minute - minutes))
    return sorted({s.time.strftime("%H:%M") for s in ordered[:ALTERNATIVES]})


async def _refusal(client: httpx.AsyncClient, target: targets_core.Target, plan: Plan
                   ) -> PrimaError | None:  # fmt: skip
    """Why ``target`` is not sent the create (None: send it)."""
    from prima_cli.errors import PlatformUnsupported

    if target.adapter is None or target.connection is None:
        return target.error or PrimaError("cannot use this connection")
    if plan.force:
        return None
    try:
        slots = await target.adapter(client).check_availability(
            target.connection, plan.date, plan.time, plan.party_size
        )
    except PlatformUnsupported:
        return None  # the create itself will tell
    except PrimaError as err:
        return err
    if any(s.time == plan.time and s.party_size == plan.party_size for s in slots):
        return None
    nearest = _nearest([s for s in slots if s.party_size == plan.party_size], plan.time)
    also = f" (nearest: {', '.join(nearest)})" if nearest else " (nothing that day)"
    return PlatformNoAvailability(
        f"no availability on {target.platform_type} at {plan.time:%H:%M} on {plan.date} "
        f"for {plan.party_size}{also}",
        platform=target.platform_type,
    )


def _hold(booking: Booking, placing: bool) -> None:
    """Mark this process as the booking's placer (with a fresh heartbeat), or let go."""
    booking.placer = owner() if placing else None
    booking.placing_since = utcnow() if placing else None


def _placed_detail(platform: str, placed: ReservationResult) -> str:
    """The booking's status line once a platform holds it: says so when what the platform
    holds is a waiting-list entry, or a request the restaurant has yet to accept."""
    status = placed.status.value
    if status == "waitlist":
        return f"on {platform}'s waiting list as {placed.external_id}: no table is held"
    if status == "pending":
        return (f"requested on {platform} as {placed.external_id}: the restaurant has yet "
                "to accept it")  # fmt: skip
    return f"confirmed on {platform}"


async def place(store: Store, client: httpx.AsyncClient, booking_id: int, plan: Plan,
                seen: int) -> None:  # fmt: skip
    """Try the plan's targets in priority order; stop at a confirmation, an unknown outcome
    or a refusal that another platform would repeat. ``seen`` is the booking's version when
    this process decided to place it (:class:`Lost` when another one has written since)."""
    with placing_here(booking_id) as mine:
        await _place(store, client, booking_id, plan, seen, mine)


async def _place(store: Store, client: httpx.AsyncClient, booking_id: int, plan: Plan,
                 seen: int, mine: set[int]) -> None:  # fmt: skip
    version = seen
    for index, target in enumerate(plan.targets):
        last = index == len(plan.targets) - 1
        refusal = await _refusal(client, target, plan)
        with transition(store, booking_id, version, "attempt") as step:
            booking = step.booking
            # the settings of the create are the connection's as this attempt is written
            now = targets_core.current(step.session, target)
            if now is not None and now is not target:
                target = now
                if refusal is None and (target.adapter is None or target.connection is None):
                    refusal = target.error or PrimaError("cannot use this connection")
            row = att.new_attempt(step.session, booking, target)
            step.attempt = row.attempt
            if row.venue_platform_id is None and refusal is None:
                refusal = PrimaError(f"the {target.platform_type} connection was removed")
            if refusal is not None:
                skipped = refusal.type in ("platform_no_availability", "invalid_input")
                att.record_state(step.session, row, AttemptState.SKIPPED if skipped
                                 else AttemptState.FAILED, refusal)  # fmt: skip
                step.note = refusal.message
                stop = bool(plan.platform) or last
            else:
                step.note = f"sent to {target.platform_type}"
                stop = False
            att.refresh_status(step.session, booking, step.note)
            _hold(booking, not stop)
            request = att.request_of(booking)
            row_id, reference = row.id, booking.reference
        version = step.version
        if refusal is not None:
            if stop:
                return
            continue
        assert target.adapter is not None and target.connection is not None and row_id
        making(mine, row_id)
        # the intent (booking + pending attempt) is committed: now the platform is called
        outcome: ReservationResult | PrimaError
        try:
            outcome = await target.adapter(client).create_reservation(target.connection, request)
        except PrimaError as err:
            outcome = err
        stop, version = _settle(store, booking_id, version, row_id, reference, target, outcome,
                                plan, last)  # fmt: skip
        if stop:
            return


def _stops(outcome: ReservationResult | PrimaError, plan: Plan) -> bool:
    """Whether no further platform may be tried after ``outcome``."""
    if not isinstance(outcome, PrimaError):
        return True  # a waiting list too: failing over would book the guest twice
    if isinstance(outcome, PlatformAmbiguousOutcome):
        return True  # never fail over: the first platform may hold the booking
    return bool(plan.platform) or not outcome.fails_over


def _settle(store: Store, booking_id: int, version: int, row_id: int, reference: str,
            target: targets_core.Target, outcome: ReservationResult | PrimaError, plan: Plan,
            last: bool) -> tuple[bool, int]:  # fmt: skip
    """Record one create's outcome; (no further platform may be tried, the new version).

    The answer is the platform's: if another process wrote the booking meanwhile, it is
    recorded on the version that process left, as long as the attempt is still open.
    """
    from prima_cli.store.booking_tables import PlatformReservation

    stop = _stops(outcome, plan) or last

    def write(step: Step) -> tuple[bool, int]:
        row = step.session.get_one(PlatformReservation, row_id)
        step.attempt = row.attempt
        settled = _late(step.session, step.booking, row, target, outcome)
        if not settled:
            _record_outcome(step.session, step.booking, row, target, outcome)
        step.note = step.booking.status_detail
        # settled by a look-up meanwhile: the platform's word wins and nothing more is tried
        _hold(step.booking, not (stop or settled))
        return stop or settled, step.version

    return record_answer(
        store, booking_id, version, "outcome", write, reference=reference,
        doing="recording the platform's answer",
        unrecorded=lambda err: _unrecorded(err, reference, target.platform_type),
    )  # fmt: skip


def _late(session: Session, booking: Booking, row: Any, target: targets_core.Target,
          outcome: ReservationResult | PrimaError) -> bool:  # fmt: skip
    """Record the platform's answer onto an attempt that a look-up settled before it came
    (a placer on another host presumed gone); False when the attempt is still pending."""
    state = AttemptState(row.state)
    if state == AttemptState.PENDING:
        return False
    if not isinstance(outcome, PrimaError):
        if state in (AttemptState.NOT_LANDED, AttemptState.UNKNOWN):
            others = [r for r in rec.attempts_of(session, booking)
                      if r.id != row.id and r.state == AttemptState.CONFIRMED]  # fmt: skip
            att.record_confirmed(session, row, outcome.external_id, outcome.raw_status,
                                 outcome.status.value, dict(outcome.raw_response))  # fmt: skip
            if others:
                row.attention = (
                    f"{target.platform_type} confirmed {outcome.external_id} after a look-up "
                    f"had found nothing, and the booking was placed again as "
                    f"{others[0].external_id}: cancel one of the two on the platform"
                )
            if booking.status == BookingStatus.CANCELLED:
                row.attention = (
                    f"{target.platform_type} confirmed {outcome.external_id} after the booking "
                    "was cancelled here: cancel it on the platform"
                )
            else:
                att.refresh_status(session, booking,
                                   _placed_detail(target.platform_type, outcome))  # fmt: skip
    elif state == AttemptState.UNKNOWN and not isinstance(outcome, PlatformAmbiguousOutcome):
        row.attention = None  # a definite answer: nothing of it landed
        att.record_state(session, row, AttemptState.NOT_LANDED, outcome)
        att.refresh_status(session, booking, outcome.message)
    return True


def _record_outcome(session: Session, booking: Booking, row: Any, target: targets_core.Target,
                    outcome: ReservationResult | PrimaError) -> None:  # fmt: skip
    if not isinstance(outcome, PrimaError):
        att.record_confirmed(session, row, outcome.external_id, outcome.raw_status,
                             outcome.status.value, dict(outcome.raw_response))  # fmt: skip
        att.refresh_status(session, booking, _placed_detail(target.platform_type, outcome))
        return
    if isinstance(outcome, PlatformAmbiguousOutcome):
        att.record_state(session, row, AttemptState.UNKNOWN, outcome)
    else:
        refused = isinstance(outcome, PlatformRejected) and not outcome.fails_over
        att.record_state(session, row, AttemptState.REJECTED if refused else AttemptState.FAILED,
                         outcome)  # fmt: skip
    att.refresh_status(session, booking, outcome.message)


def _unrecorded(err: PrimaError, reference: str, platform: str) -> DatabaseUnavailable:
    """The database failed after ``platform`` was asked to create the booking."""
    from prima_cli.store.engine import database_said

    lost = DatabaseUnavailable(
        f"booking {reference} was sent to {platform}, but the database failed before its "
        f"answer was recorded ({database_said(err)})",
        hint=f"do not create it again: once the database is back, run `prima bookings "
        f"reconcile {reference}`",
    )
    # the platform may hold it: whatever the database did, the outcome is unknown
    lost.exit_code = ExitCode.OUTCOME_UNKNOWN
    lost.retryable = False
    lost.details = {"booking": reference}
    return lost


def load(store: Store, booking_id: int) -> rec.BookingInfo:
    """The booking as it stands now, with its attempts."""
    from prima_cli.store.booking_tables import Booking

    with store.session() as session:
        booking = session.get(Booking, booking_id)
        assert booking is not None
        return rec.info(session, booking)


async def push_async(
    store: Store,
    client: httpx.AsyncClient,
    booking_id: int,
    target: targets_core.Target | None = None,
    *,
    now: dt.datetime | None = None,
) -> rec.BookingInfo | None:
    """Place a booking from the outbox: one that never reached ``target``'s platform, or
    (without a target) an orphaned intent, on its venue's platforms.

    Returns the new status, or None when it is no longer the outbox's (another process
    placed, is placing, or cancelled it).
    """
    from prima_cli.store.booking_tables import Booking

    now = now or utcnow()
    try:
        with store.session() as session:
            booking = session.get(Booking, booking_id)
            assert booking is not None
            if not placeable(booking, rec.attempts_of(session, booking), now):
                return None  # read again now: placed (or refused) since the outbox was listed
            plan, seen = plan_of(session, booking, target), booking.version
        await place(store, client, booking_id, plan, seen)
    except Lost:
        return None
    return load(store, booking_id)
