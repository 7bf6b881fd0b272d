"""Outbox pushes and reconciles as jobs of their own.

A push places a booking that never reached a platform through the same placement code as
`prima bookings create` (``placement.push_async``): every write is a compare-and-set on the
booking's version, so a push that runs twice, or races a sync or an operator, places
nothing twice. A push the platform could not take for a passing reason (unavailable, rate
limited) is retried by the engine with exponential backoff; one whose outcome is unknown is
never sent again: a reconcile job looks it up, and a booking found never to have landed
goes back to the outbox.
"""

from __future__ import annotations

from contextlib import suppress
from typing import TYPE_CHECKING

from prima_cli.core.booking_state import BookingStatus
from prima_cli.core.jobs import names as tasks
from prima_cli.errors import ExitCode

if TYPE_CHECKING:
    from procrastinate import App

    from prima_cli.core.jobs.names import Runtime
    from prima_cli.store.store import Store

#: exit codes of errors that pass: the platform did not take the booking, try again later
#: (an open circuit breaker refused before sending: its pause ends, so the push backs off)
PASSING = frozenset({ExitCode.UNAVAILABLE, ExitCode.TEMPFAIL, ExitCode.CIRCUIT_OPEN})


async def enqueue_push(app: App, booking_id: int, connection_id: int | None = None) -> bool:
    """Queue a push of the booking (onto ``connection_id``'s platform, or on its venue's
    platforms when None); True also when one is queued already."""
    from procrastinate.exceptions import AlreadyEnqueued

    with suppress(AlreadyEnqueued):
        await app.configure_task(tasks.PUSH, **tasks.push_lock(booking_id)).defer_async(
            booking_id=booking_id, connection_id=connection_id
        )
    return True


async def enqueue_reconcile(app: App, booking_id: int) -> None:
    from procrastinate.exceptions import AlreadyEnqueued

    with suppress(AlreadyEnqueued):
        await app.configure_task(tasks.RECONCILE, **tasks.reconcile_lock(booking_id)).defer_async(
            booking_id=booking_id
        )


async def push_job(app: App, runtime: Runtime, booking_id: int, connection_id: int | None) -> str:
    """Push one booking; what became of it. Raises :class:`tasks.TryLater` when the
    platform could not take it for a passing reason (the engine backs off and retries)."""
    from prima_cli.core.attempts import last_error
    from prima_cli.core.db_retry import when_free
    from prima_cli.core.placement import push_async
    from prima_cli.core.sync_targets import one_target

    store = runtime.store
    target = None
    if connection_id is not None:
        target = when_free(one_target, store, connection_id)
        if target is None:
            return "the connection was removed or disabled: left to the next sync"
    info = await push_async(store, runtime.http_client(), booking_id, target)
    if info is None:
        return "no longer the outbox's (placed, being placed or cancelled elsewhere)"
    if info.status in (BookingStatus.UNKNOWN, BookingStatus.PENDING):
        await enqueue_reconcile(app, booking_id)  # never a blind retry of a create
        return "outcome unknown: reconcile queued"
    if info.status in (BookingStatus.QUEUED, BookingStatus.REJECTED):
        error = last_error(info)
        if error.exit_code in PASSING:
            raise tasks.TryLater(f"booking {info.reference}: {error.message}")
        return f"not placed: {error.message}"
    return str(info.status)


async def reconcile_job(app: App, runtime: Runtime, booking_id: int) -> str:
    """Look up a booking whose create's outcome is unknown; one found never to have landed
    goes back to the outbox (a push job); one the platform could not be asked about is
    looked up again later."""
    from prima_cli.core import reconcile
    from prima_cli.core.booking_records import attempts_of
    from prima_cli.core.booking_state import AttemptState, placeable
    from prima_cli.core.reconcile_attempts import Outcome
    from prima_cli.store.booking_tables import Booking
    from prima_cli.store.types import utcnow

    store = runtime.store
    report = await reconcile.reconcile_async(store, runtime.http_client(),
                                             booking_id=booking_id)  # fmt: skip
    outcomes = {item.outcome for item in report.items}
    if Outcome.ERROR in outcomes or Outcome.IN_FLIGHT in outcomes:
        raise tasks.TryLater(f"booking {booking_id} could not be looked up yet")
    with store.session() as session:
        booking = session.get(Booking, booking_id)
        rows = attempts_of(session, booking) if booking is not None else []
        again = booking is not None and placeable(booking, rows, utcnow())
        # where it never landed, as the sync's outbox does: not on every platform of the plan
        lost = [r.venue_platform_id for r in rows if r.state == AttemptState.NOT_LANDED]
    if again:
        await enqueue_push(app, booking_id, lost[-1] if lost else None)
        return "never landed: push queued"
    return ", ".join(sorted(o.value for o in outcomes)) or "nothing open"


def hand_to_workers(store: Store, booking_id: int) -> str | None:
    """After a create that no platform took for a passing reason: on a store with workers
    (PostgreSQL, the engine's schema applied), queue its push; a warning saying so, or None
    where nothing was queued (the next `prima platforms sync` pushes it instead)."""
    from prima_cli.core.attempts import last_error
    from prima_cli.core.placement import load
    from prima_cli.core.platform_calls import run
    from prima_cli.store import job_schema

    if store.engine.dialect.name != "postgresql" or not job_schema.engine_installed():
        return None
    info = load(store, booking_id)
    if (info.status not in (BookingStatus.QUEUED, BookingStatus.REJECTED)
            or last_error(info).exit_code not in PASSING):  # fmt: skip
        return None
    with store.engine.connect() as conn:
        if not job_schema.ready(conn):  # no workers can run here yet: the sync pushes it
            return None
    from prima_cli.core.jobs.engine import build_app

    app = build_app(store)

    async def go() -> bool:
        async with app.open_async():
            return await enqueue_push(app, booking_id)

    run(go())
    return (f"booking {info.reference} is queued for the workers: they place it with backoff "
            "once the platform takes it (see `prima worker jobs`)")  # fmt: skip
