"""Placing a booking: create (intent first, idempotent, with failover), the rerun of a create,
and the outbox push of bookings that never reached a platform.

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
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from prima_cli.core import attempts as att
from prima_cli.core import booking_records as rec
from prima_cli.core import booking_rules as rules
from prima_cli.core import targets as targets_core
from prima_cli.core import venues as venues_core
from prima_cli.core.booking_rules import BookingInput
from prima_cli.core.booking_state import (
    AttemptState,
    BookingStatus,
    Lost,
    attempt_in_flight,
    being_placed,
    changed,
    making,
    owner,
    placeable,
    placing_here,
    transition,
)
from prima_cli.core.http_options import HttpOptions
from prima_cli.core.platform_calls import open_client, run
from prima_cli.errors import (
    BookingNotPlaced,
    BookingOutcomeUnknown,
    BookingWaitlisted,
    Conflict,
    DatabaseUnavailable,
    InvalidInput,
    NotFound,
    PlatformAmbiguousOutcome,
    PlatformNoAvailability,
    PlatformRejected,
    PrimaError,
    TryAgainLater,
)
from prima_cli.store.types import utcnow

if TYPE_CHECKING:
    import httpx
    from sqlmodel import Session

    from prima_cli.platforms.contract import ReservationRequest, ReservationResult
    from prima_cli.store.booking_tables import Booking
    from prima_cli.store.store import Store

ALTERNATIVES = 3


@dataclass(frozen=True)
class CreateResult:
    booking: rec.BookingInfo
    replayed: bool  # an earlier create with the same --reference; no platform was called
    warnings: list[str] = field(default_factory=list)


def new_reference() -> str:
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    return rules.REFERENCE_PREFIX + "".join(secrets.choice(alphabet) for _ in range(10))


@dataclass
class Plan:
    """Everything validated for placing a booking, before anything is written."""

    date: dt.date
    time: dt.time
    party_size: int
    force: bool
    platform: str | None  # only this platform (no failover)
    targets: list[targets_core.Target]
    warnings: list[str] = field(default_factory=list)


@dataclass
class _Intent:
    """A new create's validated input: the plan and the booking row it will write."""

    plan: Plan
    venue_id: int
    timezone: str
    starts_at: dt.datetime
    guest: rules.Guest
    notes: str
    key: str | None
    fingerprint: str


def _enabled_targets(session: Session, venue: Any, platform: str | None) -> list[Any]:
    from sqlmodel import col, select

    from prima_cli.store.models import VenuePlatform

    query = select(VenuePlatform).where(VenuePlatform.venue_id == venue.id)
    if platform:
        query = query.where(VenuePlatform.platform_type == platform)
    rows = session.exec(query.order_by(col(VenuePlatform.priority))).all()
    enabled = [r for r in rows if r.is_enabled]
    if not enabled:
        if platform and rows:
            raise Conflict(
                f"the {platform} connection of {venue.slug} is disabled",
                hint=f"enable it: `prima platforms enable {venue.slug} {platform}`",
            )
        which = f"{platform} connection" if platform else "platform configured"
        raise NotFound(
            f"venue {venue.slug} has no enabled {which}",
            hint=f"connect one with `prima platforms add {venue.slug} TYPE ...`",
        )
    return targets_core.resolve((r, venue) for r in enabled)


def _usable(targets: list[targets_core.Target], request: ReservationRequest
            ) -> tuple[list[targets_core.Target], list[str]]:  # fmt: skip
    """The targets whose platform can take ``request``, and a warning per one that cannot.

    When none can, the first platform's refusal is raised: a create refused for its input
    writes nothing, so the corrected command can reuse its --reference.
    """
    kept: list[targets_core.Target] = []
    warnings: list[str] = []
    first: InvalidInput | None = None
    for target in targets:
        if target.adapter is None or target.connection is None:
            kept.append(target)  # fails as an attempt, with the reason it cannot be used
            continue
        try:
            target.adapter(None).validate_request(target.connection, request)  # type: ignore[arg-type]
        except InvalidInput as err:
            first = first or err
            warnings.append(f"{target.platform_type} not tried: {err.message}")
            continue
        kept.append(target)
    if not any(t.adapter is not None for t in kept) and first is not None:
        raise first
    return kept, warnings


def _intent(session: Session, data: BookingInput, now: dt.datetime) -> _Intent:
    venue = venues_core.find(session, data.venue)
    date = rules.parse_date(data.date)
    time = rules.parse_time(data.time)
    rules.require_party(data.party_size)
    notes = rules.check_notes(data.notes)
    key = rules.check_key(data.reference)
    guest = rules.guest(data, venue.country)
    warnings: list[str] = []
    if data.snap_to_quarter and time.minute % 15:
        snapped = rules.snap_to_quarter(time)
        warnings.append(f"--time {time:%H:%M} snapped to {snapped:%H:%M} as asked")
        time = snapped
    start = rules.local_start(date, time, venue.timezone)
    rules.require_future(start, now, venue.timezone)
    targets = _enabled_targets(session, venue, data.platform)
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
    plan = Plan(date, time, data.party_size, data.force, data.platform, targets, warnings)
    return _Intent(plan, venue.id, venue.timezone, start.astimezone(dt.UTC), guest, notes, key,
                   rules.fingerprint(**details))  # fmt: skip


def _request(intent: _Intent, reference: str) -> ReservationRequest:
    from prima_cli.platforms.contract import ReservationRequest

    p, g = intent.plan, intent.guest
    return ReservationRequest(
        reference=reference, date=p.date, time=p.time, party_size=p.party_size,
        first_name=g.first_name, last_name=g.last_name, email=g.email, phone_e164=g.phone_e164,
        notes=intent.notes, force=p.force,
    )  # fmt: skip


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
    for _ in range(5):
        try:
            with transition(store, booking_id, version, "outcome") as step:
                row = step.session.get(PlatformReservation, row_id)
                assert row is not None
                step.attempt = row.attempt
                if _late(step.session, step.booking, row, target, outcome):
                    stop = True  # settled by a look-up meanwhile: the platform's word wins
                else:
                    _record_outcome(step.session, step.booking, row, target, outcome)
                step.note = step.booking.status_detail
                _hold(step.booking, not stop)
            return stop, step.version
        except Lost:
            version = _version_of(store, booking_id)
        except DatabaseUnavailable as err:
            raise _unrecorded(err, reference, target.platform_type) from err
    raise changed(reference, "recording the platform's answer")


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


def _unrecorded(err: DatabaseUnavailable, reference: str, platform: str) -> DatabaseUnavailable:
    """The database failed after ``platform`` was asked to create the booking."""
    lost = DatabaseUnavailable(
        f"booking {reference} was sent to {platform}, but the database failed before its "
        f"answer was recorded ({err.message})",
        hint=f"do not create it again: once the database is back, run `prima bookings "
        f"reconcile {reference}`",
    )
    lost.details = {"booking": reference}
    return lost


def _version_of(store: Store, booking_id: int) -> int:
    from prima_cli.store.booking_tables import Booking

    with store.session() as session:
        booking = session.get(Booking, booking_id)
        assert booking is not None
        return booking.version


def _load(store: Store, booking_id: int) -> rec.BookingInfo:
    from prima_cli.store.booking_tables import Booking

    with store.session() as session:
        booking = session.get(Booking, booking_id)
        assert booking is not None
        return rec.info(session, booking)


def _outcome(info: rec.BookingInfo, replayed: bool, warnings: list[str]) -> CreateResult:
    if info.status in (BookingStatus.CONFIRMED, BookingStatus.CANCELLED, BookingStatus.NO_SHOW):
        return CreateResult(info, replayed, warnings)
    if info.status == BookingStatus.WAITLISTED:
        raise BookingWaitlisted(f"booking {info.reference} got no table: {info.status_detail}",
                                booking=info.reference)  # fmt: skip
    if info.status in (BookingStatus.UNKNOWN, BookingStatus.PENDING):
        raise BookingOutcomeUnknown(
            f"booking {info.reference}: the platform may have taken it but did not say so "
            f"({info.status_detail})",
            booking=info.reference,
        )
    cause = att.last_error(info)
    raise BookingNotPlaced(
        f"booking {info.reference} was not placed: {cause.message}",
        cause=cause,
        booking=info.reference,
    )


# --- a repeated create, the outbox -------------------------------------------------------


def _guard_live(booking: Booking, rows: list[Any], now: dt.datetime) -> None:
    if being_placed(booking, now) or any(attempt_in_flight(r, now) for r in rows):
        raise TryAgainLater(
            f"booking {booking.reference} is being placed by another prima process",
            hint="wait a minute, then rerun the same command to get its result",
        )


def _replay(store: Store, booking_id: int, http: HttpOptions, now: dt.datetime
            ) -> tuple[bool, int]:  # fmt: skip
    """A repeated create: (place it now, at this version) or answer with what exists.

    It is placed when nothing of it ever landed and no platform refused it: the operator
    asks for it by repeating. Open attempts are reconciled first.
    """
    from prima_cli.core import reconcile_attempts
    from prima_cli.store.booking_tables import Booking

    for _ in range(2):
        with store.session() as session:
            booking = session.get_one(Booking, booking_id)
            rows = rec.attempts_of(session, booking)
            _guard_live(booking, rows, now)
            if placeable(booking, rows, now):
                return True, booking.version
            if not any(AttemptState(r.state).is_open for r in rows):
                return False, booking.version
        reconcile_attempts.reconcile_booking(store, booking_id, http, now=now)
    return False, 0


def create(
    store: Store, data: BookingInput, http: HttpOptions, *, now: dt.datetime | None = None
) -> CreateResult:
    """Validate, write the intent, then try the venue's platforms in priority order."""
    from sqlalchemy.exc import IntegrityError

    from prima_cli.core.booking_state import Step, record_event
    from prima_cli.store.booking_tables import Booking

    now = now or utcnow()
    with store.session() as session:
        intent = _intent(session, data, now)
        plan = intent.plan
        existing = session.exec(_by_key(intent.key)).first() if intent.key else None
        if existing is None:
            reference = new_reference()
            plan.targets, skipped = _usable(plan.targets, _request(intent, reference))
            plan.warnings.extend(skipped)
            g = intent.guest
            booking = Booking(
                reference=reference, idempotency_key=intent.key, fingerprint=intent.fingerprint,
                venue_id=intent.venue_id, local_date=plan.date, local_time=plan.time,
                timezone=intent.timezone, starts_at=intent.starts_at, party_size=plan.party_size,
                first_name=g.first_name, last_name=g.last_name, email=g.email,
                phone_e164=g.phone_e164, notes=intent.notes, force=plan.force,
                requested_platform=plan.platform, status=BookingStatus.PENDING.value,
                placer=owner(), placing_since=utcnow(),
            )  # fmt: skip
            session.add(booking)
            try:
                session.flush()
            except IntegrityError:
                raise TryAgainLater(
                    f"another create with --reference {intent.key} is running",
                    hint="wait for it, then rerun to get its result",
                ) from None
            record_event(Step(session, booking, 0, "created", note="written before any call"))
            booking_id = booking.id
            replayed, go, seen = False, True, 0
        else:
            if existing.fingerprint != intent.fingerprint:
                raise Conflict(
                    f"--reference {intent.key} was used for booking {existing.reference} "
                    "with different details",
                    hint="use a new --reference for a different booking",
                )
            booking_id, reference, replayed = existing.id, existing.reference, True
    assert booking_id is not None
    if replayed:
        go, seen = _replay(store, booking_id, http, now)
        if go:
            with store.session() as session:
                found = session.get_one(Booking, booking_id)
                plan.targets, skipped = _usable(plan.targets, att.request_of(found))
            plan.warnings.extend(skipped)
    try:
        if go:
            _run_placement(store, booking_id, reference, plan, seen, http)
        return _outcome(_load(store, booking_id), replayed and not go, plan.warnings)
    except PrimaError as err:
        err.warnings[:0] = plan.warnings
        raise


def _run_placement(store: Store, booking_id: int, reference: str, plan: Plan, seen: int,
                   http: HttpOptions) -> None:  # fmt: skip
    async def go() -> None:
        async with open_client(http) as client:
            await place(store, client, booking_id, plan, seen)

    try:
        run(go())
    except Lost:
        raise changed(reference, "placing it") from None
    except DatabaseUnavailable as err:
        if err.details.get("booking"):
            raise
        lost = DatabaseUnavailable(
            f"booking {reference} is recorded, but the database failed before it was placed "
            f"({err.message})",
            hint=f"do not create it again: the next `prima platforms sync` places it once the "
            f"database is back (see `prima bookings show {reference}`)",
        )
        lost.details = {"booking": reference}
        raise lost from err


def _by_key(key: str) -> Any:
    from sqlmodel import select

    from prima_cli.store.booking_tables import Booking

    return select(Booking).where(Booking.idempotency_key == key)


def plan_of(session: Session, booking: Booking, target: targets_core.Target | None = None
            ) -> Plan:  # fmt: skip
    """The plan of an existing booking: on ``target`` only, or on its venue's enabled
    platforms in priority order (its requested platform, if it named one)."""
    from prima_cli.store.models import Venue

    if target is not None:
        targets = [target]
        platform: str | None = target.platform_type
    else:
        venue = session.get(Venue, booking.venue_id)
        platform = booking.requested_platform
        targets = _enabled_targets(session, venue, platform)
    targets, warnings = _usable(targets, att.request_of(booking))
    return Plan(booking.local_date, booking.local_time, booking.party_size, booking.force,
                platform, targets, warnings)  # fmt: skip


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
    return _load(store, booking_id)
