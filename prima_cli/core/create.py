"""Creating a booking: the intent written first, then placed; a repeated create answered.

A create with an idempotency key (``--reference``) that was seen before is a replay: it
answers with what exists, or places the booking now when nothing of it ever landed and no
platform refused it (the operator asks for it by repeating). Open attempts are reconciled
first; a booking another process is placing is left to it.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from prima_cli.core import attempts as att
from prima_cli.core import booking_plan
from prima_cli.core import booking_records as rec
from prima_cli.core.booking_plan import Plan
from prima_cli.core.booking_rules import BookingInput
from prima_cli.core.booking_state import (
    AttemptState,
    BookingStatus,
    Lost,
    attempt_in_flight,
    being_placed,
    changed,
    owner,
    placeable,
)
from prima_cli.core.http_options import HttpOptions
from prima_cli.core.placement import load, place
from prima_cli.core.platform_calls import open_client, run
from prima_cli.core.result import OperationResult
from prima_cli.errors import (
    BookingNotPlaced,
    BookingOutcomeUnknown,
    BookingWaitlisted,
    CommandInterrupted,
    ConfigError,
    Conflict,
    DatabaseBusy,
    DatabaseUnavailable,
    ExitCode,
    PrimaError,
    TryAgainLater,
)
from prima_cli.store.types import utcnow

if TYPE_CHECKING:
    from prima_cli.store.booking_tables import Booking
    from prima_cli.store.store import Store


@dataclass(frozen=True)
class CreateResult:
    """The booking a create placed (or found), and whether it was a replay."""

    booking: rec.BookingInfo
    replayed: bool  # an earlier create with the same --reference; no platform was called


def _outcome(info: rec.BookingInfo, replayed: bool, *, queued: bool = False) -> CreateResult:
    """A placed booking is the create's result; any other end of it is its typed error (a
    booking left with status ``queued`` gets a rejected one's, its hint saying the sync
    places it again).

    A booking ``queued`` for the workers' push is theirs to place: its error is never
    "try again" (the cause's 69, retryable) but exit 8, as a booking the sync will place
    after the database failed: a create run again would be a second table once they do.
    """
    if info.status in (BookingStatus.CONFIRMED, BookingStatus.CANCELLED, BookingStatus.NO_SHOW):
        return CreateResult(info, replayed)
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
    error = BookingNotPlaced(
        f"booking {info.reference} was not placed: {cause.message}",
        cause=cause,
        booking=info.reference,
    )
    if info.status == BookingStatus.QUEUED:  # the error and exit code of a rejected one
        error.hint = att.placed_again(info.reference)
    if queued:
        error.hint = (
            f"do not create it again: it is queued for the workers, who place it once the "
            f"platform takes it (`prima worker jobs`; `prima bookings cancel {info.reference}` "
            "drops it)"
        )
        error.exit_code = ExitCode.OUTCOME_UNKNOWN
        error.retryable = False
    raise error


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
) -> OperationResult[CreateResult]:
    """Validate, write the intent, then try the venue's platforms in priority order.

    The result warns of platforms that were not tried; a create that ends without a booking
    on a platform raises its typed error (carrying those warnings) instead.
    """
    from sqlalchemy.exc import IntegrityError

    from prima_cli.core.booking_state import Step, record_event
    from prima_cli.store.booking_tables import Booking

    now = now or utcnow()
    with store.session() as session:
        intent = booking_plan.read_intent(session, data, now)
        plan = intent.plan
        existing = session.exec(_by_key(intent.key)).first() if intent.key else None
        if existing is None:
            reference = booking_plan.new_reference()
            plan.targets, skipped = booking_plan.usable(
                plan.targets, booking_plan.request_for(intent, reference)
            )
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
                plan.targets, skipped = booking_plan.usable(plan.targets, att.request_of(found))
            plan.warnings.extend(skipped)
    try:
        queued: list[str] = []
        if go:
            _run_placement(store, booking_id, reference, plan, seen, http)
            queued = _hand_to_workers(store, booking_id)
            plan.warnings.extend(queued)
        created = _outcome(load(store, booking_id), replayed and not go, queued=bool(queued))
    except PrimaError as err:
        err.warnings[:0] = plan.warnings
        raise
    return OperationResult(created, list(plan.warnings))


def _hand_to_workers(store: Store, booking_id: int) -> list[str]:
    """Where workers run (PostgreSQL), a booking no platform took for a passing reason is
    queued for a push with backoff (``core/jobs/outbox_jobs.py``)."""
    from prima_cli.core.jobs.outbox_jobs import hand_to_workers

    said = hand_to_workers(store, booking_id)
    return [said] if said else []


def _run_placement(store: Store, booking_id: int, reference: str, plan: Plan, seen: int,
                   http: HttpOptions) -> None:  # fmt: skip
    async def go() -> None:
        async with open_client(http, store) as client:
            await place(store, client, booking_id, plan, seen)

    try:
        run(go())
    except KeyboardInterrupt:  # Ctrl-C, or SIGTERM (the console script raises it)
        # the intent is committed and its request may be at the platform: the next sync
        # settles it, so a bare "interrupted" must not invite the operator to create it again
        stopped = CommandInterrupted(
            f"interrupted: booking {reference} is recorded, and the platform may have it",
            hint=f"do not create it again: the next `prima platforms sync` (or `prima bookings "
            f"reconcile`) settles it (see `prima bookings show {reference}`)",
        )
        stopped.details = {"booking": reference}
        raise stopped from None
    except Lost:
        raise changed(reference, "placing it") from None
    except (DatabaseUnavailable, DatabaseBusy, ConfigError) as err:
        if err.details.get("booking") or not _from_database(err):
            raise
        lost = DatabaseUnavailable(
            f"booking {reference} is recorded, but the database failed before it was placed "
            f"({err.message})",
            hint=f"do not create it again: the next `prima platforms sync` places it once the "
            f"database is back (see `prima bookings show {reference}`)",
        )
        # the intent is committed and the sync's outbox places it: the create must not be
        # run again, which "try again later" (75, retryable) would have invited
        lost.exit_code = ExitCode.OUTCOME_UNKNOWN
        lost.retryable = False
        lost.details = {"booking": reference}
        raise lost from err
    except PrimaError:
        raise
    except Exception as exc:
        # a failure prima did not foresee (a bug of ours): the booking is recorded and its
        # request may be at the platform, so the next sync settles it; "internal error"
        # alone would invite the operator to create it again
        logging.getLogger("prima").debug("placing %s failed", reference, exc_info=True)
        raise BookingOutcomeUnknown(
            f"booking {reference} is recorded, but prima failed while placing it "
            f"({type(exc).__name__}: {exc}; a bug: `--verbose` shows where, please report "
            "it); the platform may have it",
            booking=reference,
        ) from exc


def _from_database(err: PrimaError) -> bool:
    """Whether ``err`` is the database's (connect_error's), not a connection's setting."""
    from sqlalchemy.exc import SQLAlchemyError

    return isinstance(err, (DatabaseUnavailable, DatabaseBusy)) or isinstance(
        err.__cause__, SQLAlchemyError
    )


def _by_key(key: str) -> Any:
    from sqlmodel import select

    from prima_cli.store.booking_tables import Booking

    return select(Booking).where(Booking.idempotency_key == key)
