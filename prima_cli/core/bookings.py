"""Bookings: create (intent first, idempotent, with failover), cancel, list and show.

A booking is built like a payment. The booking row and a ``pending`` attempt row are
committed before a platform is asked to create anything; the outcome is recorded after:
``confirmed`` with the external id, ``rejected``/``failed``/``skipped`` with the reason, or
``unknown`` when the request may have landed without an answer. An unknown attempt is
never resent: :mod:`prima_cli.core.reconcile` looks it up on the platform.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from prima_cli.core import booking_records as rec
from prima_cli.core import booking_rules as rules
from prima_cli.core import targets as targets_core
from prima_cli.core import venues as venues_core
from prima_cli.core.booking_rules import BookingInput
from prima_cli.core.http_options import HttpOptions
from prima_cli.core.platform_calls import open_client, run
from prima_cli.errors import (
    BookingNotPlaced,
    BookingOutcomeUnknown,
    BookingWaitlisted,
    Conflict,
    InvalidInput,
    NotFound,
    PlatformAmbiguousOutcome,
    PlatformNoAvailability,
    PlatformRejected,
    PrimaError,
    TryAgainLater,
    from_dict,
)
from prima_cli.store.types import utcnow

if TYPE_CHECKING:
    import httpx
    from sqlmodel import Session

    from prima_cli.platforms.contract import ReservationRequest, ReservationResult
    from prima_cli.store.booking_tables import Booking, PlatformReservation
    from prima_cli.store.store import Store

#: errors after which the next connection is tried (nothing was applied on this one)
FAILOVER_ERRORS = ("platform_no_availability", "platform_auth_failed", "platform_unavailable",
                   "platform_rate_limited", "platform_not_found", "platform_malformed_response",
                   "configuration_error")  # fmt: skip
ALTERNATIVES = 3


@dataclass(frozen=True)
class CreateResult:
    booking: rec.BookingInfo
    replayed: bool  # an earlier create with the same --reference; no platform was called
    warnings: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class CancelResult:
    booking: rec.BookingInfo
    warnings: list[str] = field(default_factory=list)


def new_reference() -> str:
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    return "PRM-" + "".join(secrets.choice(alphabet) for _ in range(10))


# --- create ---------------------------------------------------------------------------


@dataclass
class _Plan:
    """Everything validated for a create, before anything is written."""

    venue_id: int
    venue_slug: str
    timezone: str
    date: dt.date
    time: dt.time
    starts_at: dt.datetime
    party_size: int
    guest: rules.Guest
    notes: str
    force: bool
    platform: str | None
    key: str | None
    fingerprint: str
    targets: list[targets_core.Target]
    warnings: list[str]


def _plan(session: Session, data: BookingInput, now: dt.datetime) -> _Plan:
    from sqlmodel import col, select

    from prima_cli.store.models import VenuePlatform

    venue = venues_core.find(session, data.venue)
    date = rules.parse_date(data.date)
    time = rules.parse_time(data.time)
    rules.require_party(data.party_size)
    notes = rules.check_notes(data.notes)
    key = rules.check_key(data.reference)
    guest = rules.guest(data, venue.country)
    warnings: list[str] = []
    if data.snap_to_quarter and time.minute % 15:
        from prima_cli.platforms.restoo import snap_to_quarter

        snapped = snap_to_quarter(time)
        warnings.append(f"--time {time:%H:%M} snapped to {snapped:%H:%M} as asked")
        time = snapped
    start = rules.local_start(date, time, venue.timezone)
    rules.require_future(start, now, venue.timezone)
    query = select(VenuePlatform).where(VenuePlatform.venue_id == venue.id)
    if data.platform:
        query = query.where(VenuePlatform.platform_type == data.platform)
    rows = session.exec(query.order_by(col(VenuePlatform.priority))).all()
    enabled = [r for r in rows if r.is_enabled]
    if not enabled:
        if data.platform and rows:
            raise Conflict(
                f"the {data.platform} connection of {venue.slug} is disabled",
                hint=f"enable it: `prima platforms enable {venue.slug} {data.platform}`",
            )
        which = f"{data.platform} connection" if data.platform else "platform configured"
        raise NotFound(
            f"venue {venue.slug} has no enabled {which}",
            hint=f"connect one with `prima platforms add {venue.slug} TYPE ...`",
        )
    assert venue.id is not None
    details = {
        "venue": venue.id,
        "date": date,
        "time": time,
        "party": data.party_size,
        "guest": [guest.first_name, guest.last_name, guest.email, guest.phone_e164],
        "notes": notes,
        "platform": data.platform,
        "force": data.force,
    }
    return _Plan(
        venue.id, venue.slug, venue.timezone, date, time, start.astimezone(dt.UTC),
        data.party_size, guest, notes, data.force, data.platform, key,
        rules.fingerprint(**details), targets_core.resolve((r, venue) for r in enabled), warnings,
    )  # fmt: skip


def _request(plan: _Plan, reference: str) -> ReservationRequest:
    from prima_cli.platforms.contract import ReservationRequest

    return ReservationRequest(
        reference=reference,
        date=plan.date,
        time=plan.time,
        party_size=plan.party_size,
        first_name=plan.guest.first_name,
        last_name=plan.guest.last_name,
        email=plan.guest.email,
        phone_e164=plan.guest.phone_e164,
        notes=plan.notes,
        force=plan.force,
    )


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


def _first_validation(plan: _Plan, request: ReservationRequest) -> None:
    """The first platform's own rules (e.g. Restoo's quarter hours) before any write."""
    first = plan.targets[0]
    if first.adapter is not None and first.connection is not None:
        first.adapter(None).validate_request(first.connection, request)  # type: ignore[arg-type]


def record_state(
    session: Session, row: PlatformReservation, state: str, err: PrimaError | None = None
) -> None:
    """Set an attempt's state (and the error that led there) inside the caller's session."""
    row.state = state
    if err is not None:
        row.error_type = err.type
        row.error_message = err.message
        row.error_details = err.to_dict()
    row.updated_at = utcnow()
    session.add(row)


def record_confirmed(
    session: Session,
    row: PlatformReservation,
    external_id: str,
    raw_status: str | None,
    status: str,
    raw: dict[str, Any] | None,
) -> None:
    """Record the platform's reservation; flag an id another booking already holds."""
    from sqlmodel import col, select

    from prima_cli.store.booking_tables import Booking, PlatformReservation

    row.external_id = external_id
    row.raw_status = raw_status
    row.status = status
    row.raw_response = raw
    row.error_type = row.error_message = row.error_details = None
    record_state(session, row, rec.CANCELLED if status == "cancelled" else rec.CONFIRMED)
    holders = session.exec(
        select(Booking.reference)
        .join(PlatformReservation, col(PlatformReservation.booking_id) == col(Booking.id))
        .where(
            PlatformReservation.platform_type == row.platform_type,
            PlatformReservation.external_id == external_id,
            PlatformReservation.booking_id != row.booking_id,
            col(PlatformReservation.state).in_((rec.CONFIRMED, rec.UNKNOWN)),
        )
    ).all()
    if holders:
        row.attention = (
            f"{row.platform_type} returned reservation {external_id}, which booking(s) "
            f"{', '.join(holders)} already hold: the platform may have merged two bookings; "
            "check it on the platform before cancelling either"
        )
        session.add(row)


def refresh_status(session: Session, booking: Booking, detail: str | None) -> None:
    """Derive the booking's status from its attempts, with a line saying why."""
    booking.status = rec.derive_status(rec.attempts_of(session, booking))
    booking.status_detail = detail
    booking.updated_at = utcnow()
    session.add(booking)


def _new_attempt(session: Session, booking: Booking, target: targets_core.Target,
                 state: str) -> PlatformReservation:  # fmt: skip
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
        venue_platform_id=target.connection.connection_id if target.connection else None,
        platform_type=target.platform_type,
        attempt=number,
        idempotency_key=f"{booking.reference}-{number}",
        state=state,
        owner=rec.owner(),
        requested_at=utcnow(),
    )
    session.add(row)
    session.flush()
    return row


def _nearest(slots: Sequence[Any], time: dt.time) -> list[str]:
    minutes = time.hour * 60 + time.minute
    ordered = sorted(slots, key=lambda s: abs(s.time.hour * 60 + s.time.minute - minutes))
    return sorted({s.time.strftime("%H:%M") for s in ordered[:ALTERNATIVES]})


async def _slot_free(
    client: httpx.AsyncClient, target: targets_core.Target, plan: _Plan
) -> PrimaError | None:
    """None when the slot is bookable (or the platform cannot say); else why not."""
    from prima_cli.errors import PlatformUnsupported

    assert target.adapter is not None and target.connection is not None
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


class _ClaimLost(Exception):
    """Another process wrote the booking since this one read it: it is placing it now."""


def _claim(session: Session, booking_id: int, seen: int) -> int:
    """Compare-and-set of the booking's version inside the caller's transaction; the new
    version, or ``_ClaimLost``. Every write of a placing process goes through it, so of
    two processes placing one booking (a retried create, a sync's outbox) the second to
    write stops before it calls any platform."""
    from sqlalchemy import update

    from prima_cli.store.booking_tables import Booking

    claimed = session.exec(  # type: ignore[call-overload]
        update(Booking)
        .where(Booking.id == booking_id, Booking.version == seen)  # type: ignore[arg-type]
        .values(version=seen + 1)
    )
    if claimed.rowcount != 1:
        raise _ClaimLost()
    return seen + 1


async def _attempt_all(
    store: Store, booking_id: int, plan: _Plan, client: httpx.AsyncClient, seen: int
) -> None:
    """Try the connections in priority order; stop at a confirmation, an unknown outcome or a
    rejection that another platform would repeat. ``seen`` is the booking's version when
    this process decided to place it (``_ClaimLost`` when another one has written since)."""
    from prima_cli.store.booking_tables import Booking

    version = seen
    for target in plan.targets:
        with store.session() as session:
            version = _claim(session, booking_id, version)
            booking = session.get(Booking, booking_id)
            assert booking is not None
            request = request_of(booking)
            if target.adapter is None or target.connection is None:
                err = target.error or PrimaError("cannot use this connection")
                record_state(session, _new_attempt(session, booking, target, rec.PENDING),
                        rec.FAILED, err)  # fmt: skip
                refresh_status(session, booking, err.message)
                if plan.platform:
                    return
                continue
            try:
                target.adapter(client).validate_request(target.connection, request)
            except InvalidInput as err:  # this platform can never take it: the next may
                record_state(session, _new_attempt(session, booking, target, rec.PENDING),
                        rec.SKIPPED, err)  # fmt: skip
                refresh_status(session, booking, err.message)
                continue
        refusal = None if plan.force else await _slot_free(client, target, plan)
        with store.session() as session:
            version = _claim(session, booking_id, version)  # nobody placed it meanwhile
            booking = session.get(Booking, booking_id)
            assert booking is not None
            row = _new_attempt(session, booking, target, rec.PENDING)
            if refusal is not None:
                no_room = refusal.type == "platform_no_availability"
                record_state(session, row, rec.SKIPPED if no_room else rec.FAILED, refusal)
                refresh_status(session, booking, refusal.message)
                if plan.platform:
                    return
                continue
            refresh_status(session, booking, f"sent to {target.platform_type}")
            row_id = row.id
        # the intent (booking + pending attempt) is committed: now the platform is called
        outcome: ReservationResult | PrimaError
        try:
            outcome = await target.adapter(client).create_reservation(target.connection, request)
        except PrimaError as err:
            outcome = err
        if _settle(store, booking_id, row_id, target, outcome, plan):
            return


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


def _settle(store: Store, booking_id: int, row_id: int | None, target: targets_core.Target,
            outcome: ReservationResult | PrimaError, plan: _Plan) -> bool:  # fmt: skip
    """Record one create's outcome; True when no further platform may be tried."""
    from prima_cli.store.booking_tables import Booking, PlatformReservation

    with store.session() as session:
        booking = session.get(Booking, booking_id)
        row = session.get(PlatformReservation, row_id)
        assert booking is not None and row is not None
        if not isinstance(outcome, PrimaError):
            record_confirmed(session, row, outcome.external_id, outcome.raw_status,
                             outcome.status.value, dict(outcome.raw_response))  # fmt: skip
            refresh_status(session, booking, _placed_detail(target.platform_type, outcome))
            return True  # a waiting list too: failing over would book the guest twice
        if isinstance(outcome, PlatformAmbiguousOutcome):
            record_state(session, row, rec.UNKNOWN, outcome)
            refresh_status(session, booking, outcome.message)
            return True  # never fail over: the first platform may hold the booking
        refused = isinstance(outcome, PlatformRejected)
        record_state(session, row, rec.REJECTED if refused else rec.FAILED, outcome)
        refresh_status(session, booking, outcome.message)
        return bool(plan.platform) or outcome.type not in FAILOVER_ERRORS


def last_error(info: rec.BookingInfo) -> PrimaError:
    """The error of the booking's most recent failed attempt, as its typed error."""
    for attempt in reversed(info.attempts):
        if attempt.error_details:
            return from_dict(attempt.error_details)
        if attempt.error_type:  # stored before revision 0005 kept whole errors
            return from_dict({"type": attempt.error_type, "message": attempt.error_message,
                              "platform": attempt.platform_type})  # fmt: skip
    return PrimaError("no platform took the booking")


def _outcome(info: rec.BookingInfo, replayed: bool, warnings: list[str]) -> CreateResult:
    if info.status in (rec.B_CONFIRMED, rec.B_CANCELLED):
        return CreateResult(info, replayed, warnings)
    if info.status == rec.B_WAITLISTED:
        raise BookingWaitlisted(f"booking {info.reference} got no table: {info.status_detail}",
                                booking=info.reference)  # fmt: skip
    if info.status in (rec.B_UNKNOWN, rec.B_PENDING):
        raise BookingOutcomeUnknown(
            f"booking {info.reference}: the platform may have taken it but did not say so "
            f"({info.status_detail})",
            booking=info.reference,
        )
    cause = last_error(info)
    raise BookingNotPlaced(
        f"booking {info.reference} was not placed: {cause.message}",
        cause=cause,
        booking=info.reference,
    )


def create(
    store: Store, data: BookingInput, http: HttpOptions, *, now: dt.datetime | None = None
) -> CreateResult:
    """Validate, write the intent, then try the venue's platforms in priority order."""
    from sqlalchemy.exc import IntegrityError

    from prima_cli.core import reconcile
    from prima_cli.store.booking_tables import Booking

    now = now or utcnow()
    with store.session() as session:
        plan = _plan(session, data, now)
        existing = None
        if plan.key is not None:
            existing = session.exec(_by_key(plan.key)).first()
        if existing is None:
            reference = new_reference()
            _first_validation(plan, _request(plan, reference))
            booking = Booking(
                reference=reference, idempotency_key=plan.key, fingerprint=plan.fingerprint,
                venue_id=plan.venue_id, local_date=plan.date, local_time=plan.time,
                timezone=plan.timezone, starts_at=plan.starts_at, party_size=plan.party_size,
                first_name=plan.guest.first_name, last_name=plan.guest.last_name,
                email=plan.guest.email, phone_e164=plan.guest.phone_e164, notes=plan.notes,
                force=plan.force, requested_platform=plan.platform, status=rec.B_PENDING,
            )  # fmt: skip
            session.add(booking)
            try:
                session.flush()
            except IntegrityError:
                raise TryAgainLater(
                    f"another create with --reference {plan.key} is running",
                    hint="wait for it, then rerun to get its result",
                ) from None
            booking_id = booking.id
            replayed, seen = False, 0
        else:
            if existing.fingerprint != plan.fingerprint:
                raise Conflict(
                    f"--reference {plan.key} was used for booking {existing.reference} "
                    "with different details",
                    hint="use a new --reference for a different booking",
                )
            booking_id, reference = existing.id, existing.reference
            replayed = True
    assert booking_id is not None
    if replayed:
        state, seen = _replay_state(store, booking_id, now)
        if state == "done":
            return _outcome(_load(store, booking_id), True, plan.warnings)
        reconcile.reconcile_booking(store, booking_id, http, now=now)
        settled = _load(store, booking_id)
        if settled.status != rec.B_REJECTED:  # found on the platform, or still unknown
            return _outcome(settled, True, plan.warnings)

    async def place() -> None:
        async with open_client(http) as client:
            await _attempt_all(store, booking_id, plan, client, seen)

    try:
        run(place())
    except _ClaimLost:
        raise TryAgainLater(
            f"booking {reference} is being placed by another prima process (a retry of the "
            "same create, or a sync)",
            hint="wait a minute, then rerun the same command to get its result",
        ) from None
    return _outcome(_load(store, booking_id), False, plan.warnings)


async def push_async(
    store: Store, client: httpx.AsyncClient, booking_id: int, target: targets_core.Target
) -> rec.BookingInfo | None:
    """Place a booking that never reached ``target``'s platform (the sync outbox).

    Only for bookings whose attempts all ended without landing; returns the new status, or
    None when it is no longer in the outbox (another process placed it, or is placing it).
    """
    from prima_cli.store.booking_tables import Booking

    with store.session() as session:
        booking = session.get(Booking, booking_id)
        assert booking is not None
        rows = rec.attempts_of(session, booking)
        if booking.status != rec.B_REJECTED or not all(_never_applied(r) for r in rows):
            return None  # read again now: placed (or refused) since the outbox was listed
        seen = booking.version
        guest = rules.Guest(booking.first_name, booking.last_name, booking.email,
                            booking.phone_e164)  # fmt: skip
        plan = _Plan(
            booking.venue_id, "", booking.timezone, booking.local_date, booking.local_time,
            booking.starts_at, booking.party_size, guest, booking.notes, booking.force,
            target.platform_type, booking.idempotency_key, booking.fingerprint, [target], [],
        )  # fmt: skip
    try:
        await _attempt_all(store, booking_id, plan, client, seen)
    except _ClaimLost:
        return None
    return _load(store, booking_id)


def _load(store: Store, booking_id: int) -> rec.BookingInfo:
    from prima_cli.store.booking_tables import Booking

    with store.session() as session:
        booking = session.get(Booking, booking_id)
        assert booking is not None
        return rec.info(session, booking)


def _by_key(key: str) -> Any:
    from sqlmodel import select

    from prima_cli.store.booking_tables import Booking

    return select(Booking).where(Booking.idempotency_key == key)


def _replay_state(store: Store, booking_id: int, now: dt.datetime) -> tuple[str, int]:
    """What a repeated create finds: "done" (answer with it), or "resume" (reconcile, go on),
    with the booking's version as read (see ``_claim``).

    Done: the booking is placed, cancelled, or a platform refused it (the same request would
    be refused again). Resume: nothing ever landed (platforms unreachable, no room then, or
    never arrived), so repeating the create places it, as the operator asks by repeating.
    A pending attempt of a live process means another create is running: try later.
    """
    from prima_cli.store.booking_tables import Booking

    with store.session() as session:
        booking = session.get(Booking, booking_id)
        assert booking is not None
        rows = rec.attempts_of(session, booking)
        if any(rec.in_flight(r, now) for r in rows):
            raise TryAgainLater(
                f"booking {booking.reference} is being created by another prima process",
                hint="wait a minute, then rerun the same command",
            )
        if booking.status == rec.B_REJECTED and not all(_never_applied(r) for r in rows):
            return "done", booking.version
        if booking.status in (rec.B_CONFIRMED, rec.B_WAITLISTED, rec.B_CANCELLED,
                              rec.B_NO_SHOW):  # fmt: skip
            return "done", booking.version
        return "resume", booking.version


def _never_applied(row: PlatformReservation) -> bool:
    """An attempt that left nothing on the platform and was not a refusal of the booking."""
    if row.state in (rec.FAILED, rec.SKIPPED):
        return True
    return row.state == rec.REJECTED and "never landed" in (row.error_message or "")


# --- cancel ---------------------------------------------------------------------------


def cancel(
    store: Store, ref: str, reason: str, http: HttpOptions, *, now: dt.datetime | None = None
) -> CancelResult:
    """Cancel on the platform and connection recorded on the reservation, then locally."""
    from prima_cli.platforms.contract import CancelReason

    try:
        why = CancelReason(reason)
    except ValueError:
        raise InvalidInput(
            f"--reason must be one of {', '.join(r.value for r in CancelReason)}"
        ) from None
    now = now or utcnow()
    warnings: list[str] = []
    with store.session() as session:
        booking = rec.find_booking(session, ref)
        if booking.status == rec.B_CANCELLED:
            raise Conflict(f"booking {booking.reference} is already cancelled")
        rows = rec.attempts_of(session, booking)
        if any(rec.in_flight(r, now) for r in rows):
            raise TryAgainLater(f"booking {booking.reference} is still being created")
        if any(r.state in (rec.UNKNOWN, rec.PENDING) for r in rows):
            raise Conflict(
                f"booking {booking.reference} may be on a platform without our knowing its id",
                hint=f"run `prima bookings reconcile {booking.reference}` first",
            )
        live = [r for r in rows if r.state == rec.CONFIRMED]
        calls = []
        for row in live:
            shared = _shared_with(session, row)
            if shared:
                raise Conflict(
                    f"reservation {row.external_id} on {row.platform_type} is also held by "
                    f"booking(s) {', '.join(shared)}; cancelling it would cancel theirs",
                    hint="resolve the duplicate on the platform first",
                )
            found = targets_core.for_connection(session, row.venue_platform_id)
            if found is None or row.external_id is None:
                raise Conflict(
                    f"the {row.platform_type} connection that holds reservation "
                    f"{row.external_id} was removed",
                    hint="cancel it on the platform by hand, or reconnect the venue",
                )
            target, enabled = found
            if not enabled:
                warnings.append(
                    f"the {row.platform_type} connection is disabled; cancelling through it "
                    "anyway, since it holds the reservation"
                )
            calls.append((row.id, target, row.external_id))
        booking_id = booking.id

    async def cancel_all() -> list[tuple[int | None, Any]]:
        results: list[tuple[int | None, Any]] = []
        async with open_client(http) as client:
            for row_id, target, external_id in calls:
                if target.adapter is None or target.connection is None:
                    results.append((row_id, target.error))
                    continue
                try:
                    done = await target.adapter(client).cancel_reservation(
                        target.connection, external_id, why
                    )
                except PrimaError as err:
                    if _already_cancelled(err):
                        done = None
                    else:
                        results.append((row_id, err))
                        continue
                results.append((row_id, done))
        return results

    outcomes = run(cancel_all()) if calls else []
    return _apply_cancel(store, booking_id, outcomes, why.value, warnings)


def _apply_cancel(store: Store, booking_id: int | None, outcomes: list[tuple[int | None, Any]],
                  reason: str, warnings: list[str]) -> CancelResult:  # fmt: skip
    from prima_cli.store.booking_tables import Booking, PlatformReservation

    failure = next((o for _, o in outcomes if isinstance(o, PrimaError)), None)
    with store.session() as session:
        booking = session.get(Booking, booking_id)
        assert booking is not None
        for row_id, outcome in outcomes:
            if isinstance(outcome, PrimaError):
                continue
            row = session.get(PlatformReservation, row_id)
            assert row is not None
            if outcome is not None:
                row.raw_status, row.status = outcome.raw_status, outcome.status.value
            else:
                row.status = "cancelled"
            record_state(session, row, rec.CANCELLED)
        if failure is None:
            booking.status = rec.B_CANCELLED
            booking.cancel_reason = reason
            booking.cancelled_at = utcnow()
            booking.status_detail = "cancelled" + (
                " on the platform" if outcomes else " locally (no platform held it)"
            )
            booking.updated_at = utcnow()
            session.add(booking)
    if failure is not None:
        raise failure
    assert booking_id is not None
    return CancelResult(_load(store, booking_id), warnings)


def _already_cancelled(err: PrimaError) -> bool:
    message = (getattr(err, "platform_message", None) or err.message).lower()
    return "already cancel" in message


def _shared_with(session: Session, row: PlatformReservation) -> list[str]:
    from sqlmodel import col, select

    from prima_cli.store.booking_tables import Booking, PlatformReservation

    return list(
        session.exec(
            select(Booking.reference)
            .join(PlatformReservation, col(PlatformReservation.booking_id) == col(Booking.id))
            .where(
                PlatformReservation.platform_type == row.platform_type,
                PlatformReservation.external_id == row.external_id,
                PlatformReservation.booking_id != row.booking_id,
                col(PlatformReservation.state).in_((rec.CONFIRMED, rec.UNKNOWN)),
                col(Booking.status) != rec.B_CANCELLED,
            )
        ).all()
    )


# --- list and show -----------------------------------------------------------------------


@dataclass(frozen=True)
class BookingFilter:
    venue: str | None = None
    status: str | None = None
    platform: str | None = None
    date_from: str | None = None
    date_to: str | None = None
    limit: int = 50


def list_bookings(store: Store, flt: BookingFilter) -> list[rec.BookingInfo]:
    return list(iter_bookings(store, flt))


def iter_bookings(
    store: Store, flt: BookingFilter, *, page_size: int = 1000
) -> Iterator[rec.BookingInfo]:
    """Bookings by start time, read page by page (keyset), so memory does not grow with the
    number of rows. Built from columns, not ORM entities; attempts come without raw responses
    (``show`` has those). Every argument is checked before anything is returned."""
    if flt.status is not None and flt.status not in rec.BOOKING_STATUSES:
        raise InvalidInput(f"--status must be one of {', '.join(rec.BOOKING_STATUSES)}")
    if not 1 <= flt.limit <= 10_000:
        raise InvalidInput("--limit must be between 1 and 10000")
    start = rules.parse_date(flt.date_from, option="--from") if flt.date_from else None
    end = rules.parse_date(flt.date_to, option="--to") if flt.date_to else None
    if start and end and end < start:
        raise InvalidInput("--to is before --from")
    venue_id = None
    if flt.venue is not None:
        with store.session() as session:
            venue_id = venues_core.find(session, flt.venue).id
    return _pages(store, flt, venue_id, start, end, page_size)


def _pages(store: Store, flt: BookingFilter, venue_id: int | None, start: dt.date | None,
           end: dt.date | None, page_size: int) -> Iterator[rec.BookingInfo]:  # fmt: skip
    from sqlalchemy import and_, or_, select

    from prima_cli.store.booking_tables import Booking, PlatformReservation
    from prima_cli.store.models import Venue

    venues_table = Venue.__table__  # type: ignore[attr-defined]
    b = Booking.__table__.c  # type: ignore[attr-defined]
    v = venues_table.c
    r = PlatformReservation.__table__.c  # type: ignore[attr-defined]
    # One session, but one snapshot across pages only on MariaDB (repeatable read). On
    # PostgreSQL (read committed) and SQLite (pysqlite begins transactions only before
    # writes) each page is its own snapshot, which keyset paging tolerates: no row is
    # listed twice, and only rows written meanwhile can appear or be missed.
    with store.session() as session:
        query = select(*_booking_columns(b, v)).join(venues_table, v.id == b.venue_id)
        if venue_id is not None:
            query = query.where(b.venue_id == venue_id)
        if flt.status is not None:
            query = query.where(b.status == flt.status)
        if start is not None:
            query = query.where(b.local_date >= start)
        if end is not None:
            query = query.where(b.local_date <= end)
        if flt.platform is not None:
            query = query.where(
                b.id.in_(select(r.booking_id).where(r.platform_type == flt.platform))
            )
        remaining, after = flt.limit, None
        while remaining > 0:
            page = query
            if after is not None:
                page = page.where(
                    or_(b.starts_at > after[0], and_(b.starts_at == after[0], b.id > after[1]))
                )
            rows = session.execute(
                page.order_by(b.starts_at, b.id).limit(min(page_size, remaining))
            ).all()
            if not rows:
                return
            # the page's attempts by explicit ids: a join lets PostgreSQL pick a hash join
            # over every attempt in the table (twice the time per page, measured)
            attempts = _attempts_of_page(session, r, [row[0] for row in rows])
            for row in rows:  # the row is BookingInfo's fields in order, bar the attempts
                yield rec.BookingInfo(*row, attempts.get(row[0], []))  # type: ignore[call-arg]
            remaining -= len(rows)
            after = (rows[-1].starts_at, rows[-1].id)


def _booking_columns(b: Any, v: Any) -> list[Any]:
    """``BookingInfo``'s fields in its order (all but ``attempts``): rows unpack into it."""
    return [b.id, b.reference, b.idempotency_key, v.slug.label("venue_slug"), b.status,
            b.status_detail, b.local_date.label("date"), b.local_time.label("time"),
            b.timezone, b.starts_at, b.party_size, b.first_name,
            b.last_name, b.email, b.phone_e164, b.notes, b.force, b.cancel_reason,
            b.cancelled_at, b.created_at, b.updated_at]  # fmt: skip


def _attempt_columns(r: Any) -> list[Any]:
    """``AttemptInfo``'s fields in its order (without raw responses: ``show`` has those)."""
    from sqlalchemy import null

    return [r.attempt, r.platform_type, r.venue_platform_id.label("connection_id"), r.state,
            r.external_id, r.raw_status, r.status, r.error_type, r.error_message, r.attention,
            null().label("raw_response"), r.requested_at, r.updated_at,
            null().label("error_details")]  # fmt: skip


def _attempts_of_page(session: Session, r: Any, ids: list[int]) -> dict[int, list[Any]]:
    from sqlalchemy import Integer, any_, bindparam, select

    if session.get_bind().dialect.name == "postgresql":
        # one array parameter: a thousand-item IN list costs more to render and parse
        # than the query takes to run
        from sqlalchemy.dialects.postgresql import ARRAY

        mine = r.booking_id == any_(bindparam("ids", ids, type_=ARRAY(Integer)))
    else:
        mine = r.booking_id.in_(ids)
    grouped: dict[int, list[Any]] = {}
    rows = session.execute(
        select(r.booking_id, *_attempt_columns(r)).where(mine).order_by(r.booking_id, r.attempt)
    ).all()
    for booking_id, *fields in rows:
        grouped.setdefault(booking_id, []).append(rec.AttemptInfo(*fields))
    return grouped


def show(store: Store, ref: str) -> rec.BookingInfo:
    with store.session() as session:
        return rec.info(session, rec.find_booking(session, ref))
