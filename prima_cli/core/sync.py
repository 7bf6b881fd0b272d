"""`prima platforms sync`: per enabled connection, concurrently and bounded,

1. check the credentials (a failure skips the rest for that connection);
2. refresh the availability snapshot for the next N venue-local days (one transaction; an
   error, an empty payload or one without the requested dates changes nothing);
3. reconcile open attempts and push bookings that never reached the platform (the outbox);
4. refresh the statuses of upcoming reservations where the platform can list them;
5. record the outcome on the connection and in the run record.

A run holds the store-wide lock (exit 75 when taken). Workers (``--worker``) instead claim
connections with leases, so several machines share one PostgreSQL store: each connection is
synced once per window, and a crashed worker's lease expires.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import math
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, TypeVar
from zoneinfo import ZoneInfo

from prima_cli.core import snapshots
from prima_cli.core import targets as targets_core
from prima_cli.core.booking_state import AttemptState, BookingStatus, owner
from prima_cli.core.http_options import HttpOptions
from prima_cli.core.platform_calls import open_client, run
from prima_cli.errors import (
    DatabaseBusy,
    ExitCode,
    InvalidInput,
    PlatformUnsupported,
    PrimaError,
    batch_exit_code,
)
from prima_cli.store.types import utcnow

if TYPE_CHECKING:
    import httpx
    from sqlmodel import Session

    from prima_cli.store.store import Store

OK, FAILED = "ok", "failed"
T = TypeVar("T")
#: connection outcomes written per transaction (a crash loses at most this many results)
WRITE_BATCH = 25


@dataclass(frozen=True)
class SyncOptions:
    venues: tuple[str, ...] = ()  # ids or slugs; empty: every venue
    platform_type: str | None = None
    days: int = 7
    concurrency: int = 10
    dry_run: bool = False
    wait: float = 0.0
    worker: bool = False
    window: int = 300  # seconds: a worker syncs each connection once per window
    lease: int = 300  # seconds a worker's claim lasts if it dies
    trigger: str = "manual"

    def check(self) -> None:
        if not 1 <= self.days <= 60:
            raise InvalidInput("--days must be between 1 and 60")
        if not 1 <= self.concurrency <= 200:
            raise InvalidInput("--concurrency must be between 1 and 200")
        if not 0 <= self.wait < math.inf or self.window < 10 or self.lease < 10:  # NaN: False
            raise InvalidInput(
                "--wait must be a finite number of seconds >= 0; --window and --lease at least 10"
            )


@dataclass
class ConnectionOutcome:
    connection_id: int
    venue_slug: str
    platform_type: str
    status: str = OK
    steps: dict[str, Any] = field(default_factory=dict)
    error: PrimaError | None = None
    duration_ms: int = 0
    #: the new availability snapshot, written with the outcome in one transaction
    snapshot: dict[dt.date, Any] | None = None


@dataclass(frozen=True)
class _Work:
    """Which connections have bookings to look at (one query per run, not per connection)."""

    open_attempts: frozenset[int]
    outbox: frozenset[int]
    upcoming: frozenset[int]
    #: orphaned placements by the connection whose sync places them
    orphans: dict[int, tuple[int, ...]] = field(default_factory=dict)


def _work(store: Store) -> _Work:
    from sqlmodel import col, select

    from prima_cli.core.reconcile_attempts import orphan_owners
    from prima_cli.store.booking_tables import Booking, PlatformReservation

    now = utcnow()
    with store.session() as session:
        rows = session.exec(
            select(PlatformReservation.venue_platform_id, PlatformReservation.state,
                   Booking.cancel_requested_at, Booking.status)
            .join(Booking, col(Booking.id) == col(PlatformReservation.booking_id))
            .where(col(PlatformReservation.venue_platform_id).is_not(None),
                   Booking.starts_at > now - dt.timedelta(days=1))
        ).all()  # fmt: skip
        orphans: dict[int, list[int]] = {}
        for booking, _platform, owner in orphan_owners(session, now):
            if owner is not None and booking.id is not None:
                orphans.setdefault(owner, []).append(booking.id)
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


@dataclass(frozen=True)
class SyncReport:
    run_id: int | None
    status: str  # ok | partial | failed | empty | interrupted | dry_run
    started_at: dt.datetime
    finished_at: dt.datetime
    outcomes: list[ConnectionOutcome]
    planned: list[dict[str, Any]] = field(default_factory=list)

    @property
    def counts(self) -> dict[str, int]:
        return summarise(self.outcomes)

    @property
    def exit_code(self) -> int:
        """As a batch; and 7 (partial) while bookings need the operator, as
        ``bookings reconcile`` exits, so that cron does not take the run for a clean one."""
        failed = [o.error for o in self.outcomes if o.status == FAILED]
        code = batch_exit_code(failed, len(self.outcomes))
        if code == ExitCode.OK and self.counts["attention"]:
            return int(ExitCode.PARTIAL)
        return code


def summarise(outcomes: list[ConnectionOutcome]) -> dict[str, int]:
    counts = {"connections": len(outcomes), "ok": 0, "failed": 0, "availability_days": 0,
              "reconciled": 0, "pushed": 0, "statuses_changed": 0, "attention": 0}  # fmt: skip
    for o in outcomes:
        counts[o.status] += 1
        counts["availability_days"] += int(o.steps.get("availability", {}).get("days", 0) or 0)
        counts["reconciled"] += int(o.steps.get("reconcile", {}).get("settled", 0))
        counts["pushed"] += int(o.steps.get("reconcile", {}).get("pushed", 0))
        counts["attention"] += int(o.steps.get("reconcile", {}).get("manual", 0))
        counts["statuses_changed"] += int(o.steps.get("statuses", {}).get("changed", 0))
    return counts


def _when_free(write: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Run a transaction again when the database gave up on it because of other writers
    (workers on one MariaDB or PostgreSQL store can deadlock on claims and batch writes).
    Each of these transactions is all-or-nothing, so running it again is safe."""
    import stamina

    for attempt in stamina.retry_context(on=DatabaseBusy, attempts=6, wait_initial=0.05,
                                         wait_max=1.0, wait_jitter=0.2):  # fmt: skip
        with attempt:
            return write(*args, **kwargs)
    raise AssertionError("unreachable: stamina either returns or raises")


# --- choosing connections -------------------------------------------------------------


def _query(session: Session, options: SyncOptions) -> Any:
    from prima_cli.core import venues as venues_core

    ids = [venues_core.find(session, ref).id for ref in options.venues]
    return targets_core.connections_query(venue_ids=ids, platform_type=options.platform_type)


def _all_targets(store: Store, options: SyncOptions) -> list[targets_core.Target]:
    with store.session() as session:
        return targets_core.resolve(session.exec(_query(session, options)).all())


def _claim(store: Store, options: SyncOptions, me: str, limit: int) -> list[targets_core.Target]:
    """Claim up to ``limit`` connections not yet synced in this window and not leased.

    Empty only when nothing is left to claim: where rows are not locked while read (SQLite,
    MariaDB), another worker can take every row this one looked at; it then looks again.
    """
    for _round in range(100):  # each lost round means other workers took every row seen
        looked, claimed = _when_free(_claim_once, store, options, me, limit)
        if claimed or not looked:
            return claimed
    return []


class _Claims:
    """A worker's connections, claimed a few at a time as its tasks ask for more, so that a
    long run keeps every task busy and leases are taken only just before the work."""

    def __init__(self, store: Store, options: SyncOptions, me: str) -> None:
        self.store, self.options, self.me = store, options, me
        self.claimed = 0

    def __iter__(self) -> Iterator[targets_core.Target]:
        while batch := _claim(self.store, self.options, self.me, self.options.concurrency):
            self.claimed += len(batch)
            yield from batch


def _claim_once(
    store: Store, options: SyncOptions, me: str, limit: int
) -> tuple[int, list[targets_core.Target]]:
    """(how many due rows were seen, the targets this worker claimed among them)."""
    from sqlmodel import col, or_, update

    from prima_cli.store.models import VenuePlatform

    now = utcnow()
    epoch = int(now.timestamp())
    window_start = dt.datetime.fromtimestamp(epoch - epoch % options.window, dt.UTC)
    due = (  # attempted once per window: a failing platform is not retried by every claim
        or_(col(VenuePlatform.last_sync_attempt_at).is_(None),
            col(VenuePlatform.last_sync_attempt_at) < window_start),
        or_(col(VenuePlatform.lease_expires_at).is_(None),
            col(VenuePlatform.lease_expires_at) < now),
    )  # fmt: skip
    expires = now + dt.timedelta(seconds=options.lease)
    with store.session() as session:
        query = _query(session, options).where(*due).limit(limit)
        if store.engine.dialect.name == "postgresql":  # rows other workers hold are skipped
            query = query.with_for_update(skip_locked=True, of=VenuePlatform)
        rows = session.exec(query).all()
        claimed = []
        for row, venue in rows:
            # conditional, so that it is also safe where rows are not locked (SQLite, MariaDB)
            result = session.exec(  # type: ignore[call-overload]
                update(VenuePlatform)
                .where(col(VenuePlatform.id) == row.id, *due)
                .values(lease_owner=me, lease_expires_at=expires)
            )
            if result.rowcount == 1:
                claimed.append((row, venue))
        return len(rows), targets_core.resolve(claimed)


# --- one connection ------------------------------------------------------------------


@dataclass(frozen=True)
class _Ctx:
    store: Store
    client: httpx.AsyncClient
    options: SyncOptions
    work: _Work


async def _sync_one(ctx: _Ctx, target: targets_core.Target) -> ConnectionOutcome:
    started = time.perf_counter()
    outcome = ConnectionOutcome(target.connection_id, target.venue_slug, target.platform_type)
    try:
        if target.adapter is None or target.connection is None:
            raise target.error or PrimaError("cannot use this connection")
        adapter = target.adapter(ctx.client)
        try:
            outcome.steps["auth"] = (await adapter.check_auth(target.connection)).detail
        except PrimaError as err:
            outcome.steps["auth"] = "failed"
            raise err
        errors: list[PrimaError] = []
        for step in (_availability, _reconcile, _statuses):
            try:
                await step(ctx, adapter, target, outcome)
            except PrimaError as err:
                errors.append(err)
        if errors:
            raise errors[0]
    except PrimaError as err:
        outcome.status, outcome.error = FAILED, err
    outcome.duration_ms = round((time.perf_counter() - started) * 1000)
    return outcome


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
        outcome.steps["availability"] = {"status": "unsupported", "detail": err.message}
        return
    except PrimaError:
        outcome.steps["availability"] = {"status": "failed"}
        raise
    try:
        snapshots.check_complete(target.platform_type, dates, answer)
    except PrimaError:
        outcome.steps["availability"] = {"status": "refused", "days": 0}
        raise
    outcome.snapshot = {d: answer[d] for d in dates}
    slots = snapshots.count(outcome.snapshot)
    outcome.steps["availability"] = {"status": "ok", "days": len(dates), "slots": slots}


async def _reconcile(
    ctx: _Ctx, adapter: Any, target: targets_core.Target, outcome: ConnectionOutcome
) -> None:
    from prima_cli.core import reconcile
    from prima_cli.core.attempts import last_error
    from prima_cli.core.placement import push_async
    from prima_cli.core.reconcile_attempts import Outcome

    store, client, cid = ctx.store, ctx.client, outcome.connection_id
    if cid not in ctx.work.open_attempts and cid not in ctx.work.outbox:
        outcome.steps["reconcile"] = {"settled": 0, "manual": 0, "in_flight": 0, "errors": 0,
                                      "pushed": 0}  # fmt: skip
        return
    report = await reconcile.reconcile_async(store, client, connection_id=cid, orphans=False)
    by = {k: 0 for k in Outcome}
    for item in report.items:
        by[item.outcome] += 1
    pushed, push_errors = 0, []
    todo: list[tuple[int, targets_core.Target | None]] = [(b, target) for b in _outbox(store, cid)]
    todo += [(b, None) for b in ctx.work.orphans.get(cid, ())]
    for booking_id, only in todo:
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
    outcome.steps["reconcile"] = {"settled": settled, "manual": by[Outcome.MANUAL],
                                  "in_flight": by[Outcome.IN_FLIGHT], "errors": by[Outcome.ERROR],
                                  "pushed": pushed}  # fmt: skip
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
                Booking.status == BookingStatus.REJECTED,
                Booking.starts_at > utcnow(),
            )
        ).all()
        return [r for r in rows if r is not None]


async def _statuses(
    ctx: _Ctx, adapter: Any, target: targets_core.Target, outcome: ConnectionOutcome
) -> None:
    options = ctx.options
    start = _today(target)
    try:
        records = await adapter.list_reservations(
            target.connection, start, start + dt.timedelta(days=options.days - 1)
        )
    except PlatformUnsupported:
        outcome.steps["statuses"] = {"status": "unsupported"}
        return
    except PrimaError:
        outcome.steps["statuses"] = {"status": "failed"}
        raise
    by_id = {r.external_id: r for r in records}
    changed = 0
    if by_id and outcome.connection_id in ctx.work.upcoming:
        changed = _apply_statuses(ctx.store, outcome.connection_id, by_id)
    outcome.steps["statuses"] = {"status": "ok", "listed": len(records), "changed": changed}


def _apply_statuses(store: Store, connection_id: int, by_id: dict[str, Any]) -> int:
    """Write what the platform lists onto the bookings it holds, each a transition on the
    version read here (a booking another process changed meanwhile is left to the next run)."""
    from sqlmodel import col, select

    from prima_cli.core.booking_state import Lost, Step, claim, record_event
    from prima_cli.store.booking_tables import Booking, PlatformReservation

    changed = 0
    with store.session() as session:
        rows = session.exec(
            select(PlatformReservation, Booking)
            .join(Booking, col(Booking.id) == col(PlatformReservation.booking_id))
            .where(
                PlatformReservation.venue_platform_id == connection_id,
                PlatformReservation.state == AttemptState.CONFIRMED,
                col(PlatformReservation.external_id).in_(list(by_id)),
            )
        ).all()
        for row, booking in rows:
            record = by_id[row.external_id or ""]
            if (row.raw_status, row.status) == (record.raw_status, record.status.value):
                continue
            assert booking.id is not None
            try:
                version = claim(session, booking.id, booking.version)
            except Lost:
                continue
            changed += 1
            row.raw_status, row.status = record.raw_status, record.status.value
            row.updated_at = utcnow()
            _status_from_platform(booking, row, record)
            session.add(row)
            step = Step(session, booking, version, "status_refresh", attempt=row.attempt,
                        note=f"{row.platform_type} lists it as {record.raw_status}")  # fmt: skip
            booking.version = version
            record_event(step)
    return changed


def _status_from_platform(booking: Any, row: Any, record: Any) -> None:
    from prima_cli.core.booking_state import set_state, set_status

    now = utcnow()
    if record.status.value == "cancelled":
        set_state(row, AttemptState.CANCELLED)
        why = f"cancelled on {row.platform_type} (raw status {record.raw_status})"
        set_status(booking, BookingStatus.CANCELLED, why)
        if booking.cancelled_at is None:
            booking.cancelled_at = now
            booking.cancel_reason = booking.cancel_reason or "ON_PLATFORM"
    elif record.status.value == "no_show":
        if booking.status != BookingStatus.CANCELLED:
            set_status(booking, BookingStatus.NO_SHOW, f"no-show on {row.platform_type}")
    elif booking.status == BookingStatus.WAITLISTED and record.status.value in (
            "confirmed", "seated", "completed"):  # fmt: skip
        # the platform found the guest a table
        set_status(booking, BookingStatus.CONFIRMED, f"confirmed on {row.platform_type} from "
                   f"its waiting list (raw status {record.raw_status})")  # fmt: skip
    booking.updated_at = now


def _record_outcomes(store: Store, outcomes: list[ConnectionOutcome], run_id: int | None) -> None:
    """Each connection's snapshot, last-sync fields, lease release and result row, for a
    batch of connections in one transaction (per-connection all-or-nothing is kept).
    Executemany statements: a sync writes thousands of rows, and per-row ORM statements
    cost more CPU than the HTTP calls that produced them."""
    from sqlalchemy import bindparam, func, insert, update

    from prima_cli.store.models import VenuePlatform
    from prima_cli.store.sync_tables import SyncResult

    if not outcomes:
        return
    now = utcnow()
    connections = VenuePlatform.__table__  # type: ignore[attr-defined]
    with store.session() as session:
        fresh = {o.connection_id: o.snapshot for o in outcomes if o.snapshot is not None}
        snapshots.replace(session, fresh, now)
        conn = session.connection()
        conn.execute(
            update(connections)
            .where(connections.c.id == bindparam("connection_id"))
            .values(last_synced_at=func.coalesce(
                        bindparam("synced_at", type_=connections.c.last_synced_at.type),
                        connections.c.last_synced_at),
                    last_sync_attempt_at=now, last_sync_status=bindparam("status"),
                    last_error=bindparam("error"), lease_owner=None, lease_expires_at=None),
            [{"connection_id": o.connection_id, "status": o.status,
              "synced_at": now if o.status == OK else None,  # a failure keeps the last success
              "error": o.error.message if o.error else None} for o in outcomes],
        )  # fmt: skip
        if run_id is not None:
            conn.execute(
                insert(SyncResult.__table__),  # type: ignore[attr-defined]
                [
                    {"run_id": run_id, "venue_platform_id": o.connection_id,
                     "venue_slug": o.venue_slug, "platform_type": o.platform_type,
                     "status": o.status, "steps": o.steps,
                     "error_type": o.error.type if o.error else None,
                     "error_message": o.error.message if o.error else None,
                     "duration_ms": o.duration_ms, "finished_at": now}
                    for o in outcomes
                ],
            )  # fmt: skip
    for outcome in outcomes:
        outcome.snapshot = None  # written: do not keep thousands of slots per connection


# --- runs -------------------------------------------------------------------------------


def _start_run(store: Store, options: SyncOptions) -> int:
    from sqlmodel import col, update

    from prima_cli.store.sync_tables import SyncRun

    with store.session() as session:
        if not options.worker:  # we hold the lock: any other non-worker "running" run died
            session.exec(  # type: ignore[call-overload]
                update(SyncRun)
                .where(col(SyncRun.status) == "running", col(SyncRun.trigger) != "worker")
                .values(status="interrupted")
            )
        stale = utcnow() - dt.timedelta(seconds=options.lease)
        session.exec(  # type: ignore[call-overload]
            update(SyncRun)
            .where(col(SyncRun.status) == "running", col(SyncRun.trigger) == "worker",
                   col(SyncRun.started_at) < stale)
            .values(status="interrupted")
        )  # fmt: skip
        run_row = SyncRun(
            trigger="worker" if options.worker else options.trigger,
            worker=owner(),
            status="running",
            options={
                "venues": list(options.venues),
                "platform_type": options.platform_type,
                "days": options.days,
                "concurrency": options.concurrency,
                "worker": options.worker,
            },
        )
        session.add(run_row)
        session.flush()
        assert run_row.id is not None
        return run_row.id


def _finish_run(
    store: Store, run_id: int, outcomes: list[ConnectionOutcome], *, completed: bool = True
) -> str:
    """Record how the run ended; ``completed`` is False when it stopped before the end
    (Ctrl-C, a database that stayed busy): "interrupted", whatever the outcomes so far."""
    from prima_cli.store.sync_tables import SyncRun

    failed = sum(o.status == FAILED for o in outcomes)
    status = ("interrupted" if not completed else "empty" if not outcomes
              else "ok" if not failed
              else "failed" if failed == len(outcomes) else "partial")  # fmt: skip
    with store.session() as session:
        run_row = session.get(SyncRun, run_id)
        assert run_row is not None
        run_row.status = status
        run_row.counts = summarise(outcomes)
        run_row.finished_at = utcnow()
        session.add(run_row)
    return status


Progress = Callable[[int, int, ConnectionOutcome], None]


async def _sync_targets(store: Store, targets: Iterable[targets_core.Target],
                        options: SyncOptions, http: HttpOptions, run_id: int,
                        progress: Progress | None, total: Callable[[], int],
                        done: list[ConnectionOutcome]) -> None:  # fmt: skip
    """``options.concurrency`` workers take connections from one queue; each worker owns a
    client with a single kept-alive HTTP connection (a connection's steps run in order).
    One shared pool would cost more CPU than the requests themselves: httpcore scans every
    pooled connection on each request. ``targets`` may be lazy (a worker claims as it goes)."""
    work = _work(store)
    queue = iter(targets)  # shared by the workers: one event loop, so no lock is needed
    pending: list[ConnectionOutcome] = []

    def flush() -> None:
        _when_free(_record_outcomes, store, pending, run_id)
        pending.clear()

    async def worker() -> None:
        async with open_client(replace(http, max_connections=1)) as client:
            ctx = _Ctx(store, client, options, work)
            for target in queue:
                outcome = await _sync_one(ctx, target)
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
    try:
        run(_sync_targets(store, targets, options, http, run_id, progress, total, done))
        completed = True
    finally:
        status = _when_free(_finish_run, store, run_id, done, completed=completed)
    return status


def plan(store: Store, options: SyncOptions) -> list[dict[str, Any]]:
    """What a run would do, without calling any platform or writing anything (--dry-run)."""
    return [
        {
            "venue": t.venue_slug,
            "platform_type": t.platform_type,
            "steps": [
                "check credentials",
                f"availability for {options.days} day(s)",
                "reconcile and push the outbox",
                "refresh reservation statuses",
            ],
            "problem": t.error.message if t.error else None,
        }
        for t in _all_targets(store, options)
    ]


def sync(
    store: Store, options: SyncOptions, http: HttpOptions, progress: Progress | None = None
) -> SyncReport:
    """One run: under the store lock, or as a lease-claiming worker."""
    from prima_cli.core import run_lock

    options.check()
    started = utcnow()
    if options.dry_run:
        return SyncReport(None, "dry_run", started, utcnow(), [], plan(store, options))
    done: list[ConnectionOutcome] = []
    if options.worker:
        me = f"{owner()}:{started.timestamp():.0f}"
        run_id = _when_free(_start_run, store, options)
        claims = _Claims(store, options, me)
        status = _run(store, claims, options, http, run_id, progress,
                      lambda: claims.claimed, done)  # fmt: skip
        return SyncReport(run_id, status, started, utcnow(), done)
    with run_lock.exclusive(store, "sync", wait=options.wait):
        targets = _all_targets(store, options)
        run_id = _when_free(_start_run, store, options)
        status = _run(store, targets, options, http, run_id, progress,
                      lambda: len(targets), done)  # fmt: skip
    return SyncReport(run_id, status, started, utcnow(), done)
