"""`prima platforms sync`: per enabled connection, concurrently and bounded,

1. check the credentials (a failure skips the rest for that connection): once per
   credential per run, each connection checked against that answer (``core/credentials.py``);
2. refresh the availability snapshot for the next N venue-local days (one transaction; an
   error, an empty payload or one without the requested dates changes nothing);
3. reconcile open attempts and push bookings that never reached the platform (the outbox);
4. refresh the statuses of upcoming reservations where the platform can list them;
5. record the outcome on the connection and in the run record.

A run holds the store-wide lock (exit 75 when taken). Beyond one machine, the job engine
(``core/jobs/``) runs the same per-connection sync, :func:`sync_connection`, one job per
connection. What a run writes is in ``core/sync_records.py``, the status rules in
``core/sync_statuses.py``.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from prima_cli.core import snapshots, sync_log
from prima_cli.core import targets as targets_core
from prima_cli.core.booking_state import AttemptState, BookingStatus
from prima_cli.core.credentials import CredentialChecks
from prima_cli.core.db_retry import when_free
from prima_cli.core.http_options import HttpOptions
from prima_cli.core.platform_calls import open_client, run
from prima_cli.core.result import OperationResult
from prima_cli.core.sync_records import WRITE_BATCH, finish_run, record_outcomes, start_run
from prima_cli.core.sync_targets import all_targets
from prima_cli.core.sync_values import (
    FAILED,
    AuthStep,
    AvailabilityStep,
    ConnectionOutcome,
    Planned,
    Progress,
    ReconcileStep,
    StatusesStep,
    SyncOptions,
    SyncPlan,
    SyncReport,
)
from prima_cli.errors import ExitCode, PlatformUnsupported, PrimaError, batch_exit_code
from prima_cli.store.types import utcnow

if TYPE_CHECKING:
    import httpx

    from prima_cli.store.store import Store


@dataclass(frozen=True)
class _Work:
    """Which connections have bookings to look at (one query per run, not per connection)."""

    open_attempts: frozenset[int]
    outbox: frozenset[int]
    upcoming: frozenset[int]
    #: orphaned placements by the connection whose sync places them
    orphans: dict[int, tuple[int, ...]] = field(default_factory=dict)


def _work(store: Store, connection_id: int | None = None) -> _Work:
    """For every connection, or for one (a job syncs a single connection)."""
    from sqlmodel import col, select

    from prima_cli.core.reconcile_attempts import orphan_owners
    from prima_cli.store.booking_tables import Booking, PlatformReservation

    now = utcnow()
    on = col(PlatformReservation.venue_platform_id)
    with store.session() as session:
        rows = session.exec(
            select(PlatformReservation.venue_platform_id, PlatformReservation.state,
                   Booking.cancel_requested_at, Booking.status)
            .join(Booking, col(Booking.id) == col(PlatformReservation.booking_id))
            .where(on.is_not(None) if connection_id is None else on == connection_id,
                   Booking.starts_at > now - dt.timedelta(days=1))
        ).all()  # fmt: skip
        orphans: dict[int, list[int]] = {}
        for booking, _platform, owner_id in orphan_owners(session, now):
            if connection_id is not None and owner_id != connection_id:
                continue
            if owner_id is not None and booking.id is not None:
                orphans.setdefault(owner_id, []).append(booking.id)
    open_: set[int] = set()
    outbox: set[int] = set(orphans)
    upcoming: set[int] = set()
    for connection_id, state, cancel_requested, status in rows:
        if connection_id is None:
            continue
        if state in (AttemptState.UNKNOWN, AttemptState.PENDING):
            open_.add(connection_id)
        elif state == AttemptState.CONFIRMED:
            upcoming.add(connection_id)
            if cancel_requested is not None and status != BookingStatus.CANCELLED:
                open_.add(connection_id)  # a cancel to finish
        elif state == AttemptState.NOT_LANDED:
            outbox.add(connection_id)
    return _Work(frozenset(open_), frozenset(outbox), frozenset(upcoming),
                 {k: tuple(v) for k, v in orphans.items()})  # fmt: skip


# --- one connection ------------------------------------------------------------------


#: hands an outbox booking to someone else (the job engine) instead of pushing it in the
#: sync: (booking id, the target it never reached or None for an orphan) -> queued or not
OutboxHandOff = Callable[[int, targets_core.Target | None], Awaitable[bool]]


@dataclass(frozen=True)
class _Ctx:
    store: Store
    client: httpx.AsyncClient
    options: SyncOptions
    work: _Work
    hand_off: OutboxHandOff | None = None
    #: the run's credentials checks: one per credential, shared by its connections
    checks: CredentialChecks = field(default_factory=CredentialChecks)


async def sync_connection(store: Store, client: httpx.AsyncClient, options: SyncOptions,
                          target: targets_core.Target, hand_off: OutboxHandOff | None = None,
                          ) -> ConnectionOutcome:  # fmt: skip
    """One connection's sync, the same steps a run takes for each of its connections; with
    ``hand_off``, its outbox bookings are handed off instead of pushed here. Nothing is
    recorded: the caller writes the outcome (``sync_records.record_outcomes``)."""
    ctx = _Ctx(store, client, options, _work(store, target.connection_id), hand_off)
    return await _sync_one(ctx, target)


async def _sync_one(ctx: _Ctx, target: targets_core.Target) -> ConnectionOutcome:
    started = time.perf_counter()
    outcome = ConnectionOutcome(target.connection_id, target.venue_slug, target.platform_type)
    try:
        if target.adapter is None or target.connection is None:
            raise target.error or PrimaError("cannot use this connection")
        adapter = target.adapter(ctx.client)
        step_started = time.perf_counter()
        try:
            checked = await ctx.checks.check(adapter, target.connection)
            outcome.steps.auth = AuthStep("ok", checked.detail)
        except PrimaError as err:
            outcome.steps.auth = AuthStep("failed")
            raise err
        finally:
            outcome.step_ms["auth"] = _ms_since(step_started)
        errors: list[PrimaError] = []
        for name, step in (("availability", _availability), ("reconcile", _reconcile),
                           ("statuses", _statuses)):  # fmt: skip
            step_started = time.perf_counter()
            try:
                await step(ctx, adapter, target, outcome)
            except PrimaError as err:
                errors.append(err)
            finally:
                outcome.step_ms[name] = _ms_since(step_started)
        if errors:
            raise errors[0]
    except PrimaError as err:
        outcome.status, outcome.error = FAILED, err
    outcome.duration_ms = _ms_since(started)
    return outcome


def _ms_since(started: float) -> int:
    return round((time.perf_counter() - started) * 1000)


def _today(target: targets_core.Target) -> dt.date:
    assert target.connection is not None
    return dt.datetime.now(ZoneInfo(target.connection.timezone)).date()


async def _availability(
    ctx: _Ctx, adapter: Any, target: targets_core.Target, outcome: ConnectionOutcome
) -> None:
    options = ctx.options
    start = _today(target)
    dates = [start + dt.timedelta(days=i) for i in range(options.days)]
    try:
        answer = await adapter.availability_calendar(target.connection, dates[0], dates[-1])
    except PlatformUnsupported as err:
        outcome.steps.availability = AvailabilityStep("unsupported", detail=err.message)
        return
    except PrimaError:
        outcome.steps.availability = AvailabilityStep("failed")
        raise
    try:
        snapshots.check_complete(target.platform_type, dates, answer)
    except PrimaError:
        outcome.steps.availability = AvailabilityStep("refused", days=0)
        raise
    outcome.snapshot = {d: answer[d] for d in dates}
    slots = snapshots.count(outcome.snapshot)
    outcome.steps.availability = AvailabilityStep("ok", days=len(dates), slots=slots)


async def _reconcile(
    ctx: _Ctx, adapter: Any, target: targets_core.Target, outcome: ConnectionOutcome
) -> None:
    store, client, cid = ctx.store, ctx.client, outcome.connection_id
    if cid not in ctx.work.open_attempts and cid not in ctx.work.outbox:
        outcome.steps.reconcile = ReconcileStep()
        return
    # imported only when there is work: most syncs have none, and placing a booking pulls
    # in the booking rules, plans and cancels
    from prima_cli.core import reconcile
    from prima_cli.core.attempts import last_error
    from prima_cli.core.placement import push_async
    from prima_cli.core.reconcile_attempts import Outcome

    report = await reconcile.reconcile_async(store, client, connection_id=cid, orphans=False)
    by = {k: 0 for k in Outcome}
    for item in report.items:
        by[item.outcome] += 1
    pushed, queued, push_errors = 0, 0, []
    todo: list[tuple[int, targets_core.Target | None]] = [(b, target) for b in _outbox(store, cid)]
    todo += [(b, None) for b in ctx.work.orphans.get(cid, ())]
    for booking_id, only in todo:
        if ctx.hand_off is not None:
            queued += await ctx.hand_off(booking_id, only)
            continue
        try:
            placed = await push_async(store, client, booking_id, only)
        except PrimaError as err:
            push_errors.append(err)
            continue
        if placed is None:  # placed or being placed by another process meanwhile
            continue
        if placed.status == BookingStatus.CONFIRMED:
            pushed += 1
        else:  # the operator must hear of it: the booking is still not on the platform
            push_errors.append(last_error(placed))
    settled = by[Outcome.FOUND] + by[Outcome.NOT_FOUND] + by[Outcome.CANCELLED]
    outcome.steps.reconcile = ReconcileStep(settled=settled, manual=by[Outcome.MANUAL],
                                            in_flight=by[Outcome.IN_FLIGHT],
                                            errors=by[Outcome.ERROR], pushed=pushed,
                                            queued=queued if ctx.hand_off else None)  # fmt: skip
    failed = next((i for i in report.items if i.outcome == Outcome.ERROR), None)
    if failed is not None:  # the platform's own error, so the exit code says what happened
        raise failed.error or PrimaError(f"reconciliation failed for {failed.booking}")
    if push_errors:
        raise push_errors[0]


def _outbox(store: Store, connection_id: int) -> list[int]:
    """Upcoming bookings whose attempt on this connection proved never to have landed and
    that no platform holds: they were meant to be booked, so sync places them."""
    from sqlmodel import col, select

    from prima_cli.store.booking_tables import Booking, PlatformReservation

    with store.session() as session:
        lost = select(PlatformReservation.booking_id).where(
            PlatformReservation.venue_platform_id == connection_id,
            PlatformReservation.state == AttemptState.NOT_LANDED,
        )
        rows = session.exec(
            select(Booking.id).where(
                col(Booking.id).in_(lost),
                # rejected: a store written before `queued` existed listed them so
                col(Booking.status).in_((BookingStatus.QUEUED, BookingStatus.REJECTED)),
                Booking.starts_at > utcnow(),
            )
        ).all()
        return [r for r in rows if r is not None]


async def _statuses(
    ctx: _Ctx, adapter: Any, target: targets_core.Target, outcome: ConnectionOutcome
) -> None:
    from prima_cli.core.sync_statuses import apply_statuses

    options = ctx.options
    start = _today(target)
    try:
        records = await adapter.list_reservations(
            target.connection, start, start + dt.timedelta(days=options.days - 1)
        )
    except PlatformUnsupported:
        outcome.steps.statuses = StatusesStep("unsupported")
        return
    except PrimaError:
        outcome.steps.statuses = StatusesStep("failed")
        raise
    by_id = {r.external_id: r for r in records}
    changed = 0
    if by_id and outcome.connection_id in ctx.work.upcoming:
        changed = apply_statuses(ctx.store, outcome.connection_id, by_id)
    outcome.steps.statuses = StatusesStep("ok", listed=len(records), changed=changed)


# --- runs -------------------------------------------------------------------------------


async def _sync_targets(store: Store, targets: Iterable[targets_core.Target],
                        options: SyncOptions, http: HttpOptions, run_id: int,
                        progress: Progress | None, total: Callable[[], int],
                        done: list[ConnectionOutcome]) -> None:  # fmt: skip
    """``options.concurrency`` workers take connections from one queue; each worker owns a
    client with a single kept-alive HTTP connection (a connection's steps run in order).
    One shared pool would cost more CPU than the requests themselves: httpcore scans every
    pooled connection on each request."""
    work = _work(store)
    checks = CredentialChecks()  # one credentials check per credential, shared by the workers
    queue = iter(targets)  # shared by the workers: one event loop, so no lock is needed
    pending: list[ConnectionOutcome] = []

    def flush() -> None:
        when_free(record_outcomes, store, pending, run_id)
        pending.clear()

    async def worker() -> None:
        async with open_client(replace(http, max_connections=1), store) as client:
            ctx = _Ctx(store, client, options, work, checks=checks)
            for target in queue:
                outcome = await _sync_one(ctx, target)
                sync_log.connection_done(run_id, outcome)
                pending.append(outcome)
                done.append(outcome)
                if len(pending) >= WRITE_BATCH:
                    flush()
                if progress:
                    progress(len(done), total(), outcome)

    try:
        count = len(targets) if isinstance(targets, list) else options.concurrency
        await asyncio.gather(*(worker() for _ in range(min(options.concurrency, count))))
    finally:
        flush()


def _run(store: Store, targets: Iterable[targets_core.Target], options: SyncOptions,
         http: HttpOptions, run_id: int, progress: Progress | None, total: Callable[[], int],
         done: list[ConnectionOutcome]) -> str:  # fmt: skip
    """Sync ``targets`` as run ``run_id``, then record how the run ended, also when it was
    stopped before the end; the run's status."""
    completed = False
    sync_log.run_started(run_id, options)
    try:
        run(_sync_targets(store, targets, options, http, run_id, progress, total, done))
        completed = True
    finally:
        status = when_free(finish_run, store, run_id, done, completed=completed)
    return status


def plan(store: Store, options: SyncOptions) -> OperationResult[SyncPlan]:
    """What a run would do, without calling any platform or writing anything (--dry-run),
    and how long its credentials' budgets make it take at least."""
    from prima_cli.core.sync_estimate import estimate

    options.check()
    steps = ["check credentials", f"availability for {options.days} day(s)",
             "reconcile and push the outbox", "refresh reservation statuses"]  # fmt: skip
    targets = all_targets(store, options)
    planned = [
        Planned(t.venue_slug, t.platform_type, list(steps), t.error.message if t.error else None)
        for t in targets
    ]
    return OperationResult.ok(SyncPlan(planned, estimate(targets, options.days)))


def sync(
    store: Store, options: SyncOptions, http: HttpOptions, progress: Progress | None = None
) -> OperationResult[SyncReport]:
    """One run under the store lock. The outcome is the batch's, and 7 (partial) while
    bookings need the operator, as ``bookings reconcile`` exits, so that cron does not take
    the run for a clean one."""
    from prima_cli.core import run_lock
    from prima_cli.core.sync_history import read_run
    from prima_cli.core.sync_statuses import expire_queued

    options.check()
    started = utcnow()
    done: list[ConnectionOutcome] = []
    with run_lock.exclusive(store, "sync", wait=options.wait):
        when_free(expire_queued, store)
        targets = all_targets(store, options)
        run_id = when_free(start_run, store, options)
        status = _run(store, targets, options, http, run_id, progress,
                      lambda: len(targets), done)  # fmt: skip
    report = SyncReport(run_id, status, started, utcnow(), done, read_run(store, run_id))
    code = batch_exit_code([o.error for o in done if o.status == FAILED], len(done))
    if code == ExitCode.OK and report.counts["attention"]:
        code = int(ExitCode.PARTIAL)
    took = round((report.finished_at - started).total_seconds() * 1000)
    sync_log.run_finished(run_id, status, took, code)
    return OperationResult(report, outcome=code)
