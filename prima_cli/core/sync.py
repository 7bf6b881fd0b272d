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
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from prima_cli.core import booking_records as rec
from prima_cli.core import snapshots
from prima_cli.core import targets as targets_core
from prima_cli.core.http_options import HttpOptions
from prima_cli.core.platform_calls import open_client, run
from prima_cli.errors import ExitCode, InvalidInput, PlatformUnsupported, PrimaError
from prima_cli.store.types import utcnow

if TYPE_CHECKING:
    import httpx
    from sqlmodel import Session

    from prima_cli.store.store import Store

OK, FAILED = "ok", "failed"


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
        if self.wait < 0 or self.window < 10 or self.lease < 10:
            raise InvalidInput("--wait must be >= 0; --window and --lease at least 10 seconds")


@dataclass
class ConnectionOutcome:
    connection_id: int
    venue_slug: str
    platform_type: str
    status: str = OK
    steps: dict[str, Any] = field(default_factory=dict)
    error: PrimaError | None = None
    duration_ms: int = 0


@dataclass(frozen=True)
class SyncReport:
    run_id: int | None
    status: str  # ok | partial | failed | empty | dry_run
    started_at: dt.datetime
    finished_at: dt.datetime
    outcomes: list[ConnectionOutcome]
    planned: list[dict[str, Any]] = field(default_factory=list)

    @property
    def counts(self) -> dict[str, int]:
        return summarise(self.outcomes)

    @property
    def exit_code(self) -> int:
        failed = [o for o in self.outcomes if o.status == FAILED]
        if not failed:
            return int(ExitCode.OK)
        codes = {o.error.exit_code if o.error else ExitCode.INTERNAL for o in failed}
        if len(failed) < len(self.outcomes) or len(codes) > 1:
            return int(ExitCode.PARTIAL)
        return int(codes.pop())


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


# --- choosing connections -------------------------------------------------------------


def _query(session: Session, options: SyncOptions) -> Any:
    from sqlmodel import col, select

    from prima_cli.core import venues as venues_core
    from prima_cli.store.models import Venue, VenuePlatform

    query = (
        select(VenuePlatform, Venue)
        .join(Venue, col(Venue.id) == col(VenuePlatform.venue_id))
        .where(col(VenuePlatform.is_enabled).is_(True))
    )
    if options.venues:
        ids = [venues_core.find(session, ref).id for ref in options.venues]
        query = query.where(col(VenuePlatform.venue_id).in_(ids))
    if options.platform_type:
        query = query.where(VenuePlatform.platform_type == options.platform_type)
    return query.order_by(col(Venue.slug), col(VenuePlatform.priority))


def _all_targets(store: Store, options: SyncOptions) -> list[targets_core.Target]:
    with store.session() as session:
        return targets_core.resolve(session.exec(_query(session, options)).all())


def _claim(store: Store, options: SyncOptions, me: str, limit: int) -> list[targets_core.Target]:
    """Claim up to ``limit`` connections not yet synced in this window and not leased."""
    from sqlmodel import col, or_, update

    from prima_cli.store.models import VenuePlatform

    now = utcnow()
    epoch = int(now.timestamp())
    window_start = dt.datetime.fromtimestamp(epoch - epoch % options.window, dt.UTC)
    due = (
        or_(col(VenuePlatform.last_synced_at).is_(None),
            col(VenuePlatform.last_synced_at) < window_start),
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
        return targets_core.resolve(claimed)


# --- one connection ------------------------------------------------------------------


async def _sync_one(
    store: Store, client: httpx.AsyncClient, target: targets_core.Target, options: SyncOptions
) -> ConnectionOutcome:
    started = time.perf_counter()
    assert target.connection is not None and target.connection.connection_id is not None
    outcome = ConnectionOutcome(
        target.connection.connection_id, target.venue_slug, target.platform_type
    )
    try:
        if target.adapter is None:
            raise target.error or PrimaError("cannot use this connection")
        adapter = target.adapter(client)
        try:
            outcome.steps["auth"] = (await adapter.check_auth(target.connection)).detail
        except PrimaError as err:
            outcome.steps["auth"] = "failed"
            raise err
        errors: list[PrimaError] = []
        for step in (_availability, _reconcile, _statuses):
            try:
                await step(store, client, adapter, target, options, outcome)
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


async def _availability(store: Store, client: Any, adapter: Any, target: targets_core.Target,
                        options: SyncOptions, outcome: ConnectionOutcome) -> None:  # fmt: skip
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
    with store.session() as session:
        slots = snapshots.replace(session, outcome.connection_id,
                                  {d: answer[d] for d in dates}, utcnow())  # fmt: skip
    outcome.steps["availability"] = {"status": "ok", "days": len(dates), "slots": slots}


async def _reconcile(store: Store, client: Any, adapter: Any, target: targets_core.Target,
                     options: SyncOptions, outcome: ConnectionOutcome) -> None:  # fmt: skip
    from prima_cli.core import reconcile
    from prima_cli.core.bookings import push_async

    report = await reconcile.reconcile_async(store, client, connection_id=outcome.connection_id)
    by = {k: 0 for k in ("found", "not_found", "manual", "in_flight", "error")}
    for item in report.items:
        by[item.outcome] += 1
    pushed = 0
    for booking_id in _outbox(store, outcome.connection_id):
        if await push_async(store, client, booking_id, target) == rec.B_CONFIRMED:
            pushed += 1
    outcome.steps["reconcile"] = {"settled": by["found"] + by["not_found"], "manual": by["manual"],
                                  "in_flight": by["in_flight"], "errors": by["error"],
                                  "pushed": pushed}  # fmt: skip
    if by["error"]:
        failed = next(i for i in report.items if i.outcome == "error")
        raise PrimaError(f"reconciliation failed for {failed.booking}: {failed.detail}")


def _outbox(store: Store, connection_id: int) -> list[int]:
    """Upcoming bookings whose every attempt on this connection ended without landing and
    that no platform holds: they were meant to be booked, so sync places them."""
    from sqlmodel import col, select

    from prima_cli.store.models import Booking, PlatformReservation

    with store.session() as session:
        lost = select(PlatformReservation.booking_id).where(
            PlatformReservation.venue_platform_id == connection_id,
            PlatformReservation.error_type == "platform_rejected",
            col(PlatformReservation.error_message).contains("never landed"),
        )
        rows = session.exec(
            select(Booking.id).where(
                col(Booking.id).in_(lost),
                Booking.status == rec.B_REJECTED,
                Booking.starts_at > utcnow(),
            )
        ).all()
        return [r for r in rows if r is not None]


async def _statuses(store: Store, client: Any, adapter: Any, target: targets_core.Target,
                    options: SyncOptions, outcome: ConnectionOutcome) -> None:  # fmt: skip
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
    changed = _apply_statuses(store, outcome.connection_id, by_id)
    outcome.steps["statuses"] = {"status": "ok", "listed": len(records), "changed": changed}


def _apply_statuses(store: Store, connection_id: int, by_id: dict[str, Any]) -> int:
    from sqlmodel import col, select

    from prima_cli.store.models import Booking, PlatformReservation

    changed = 0
    with store.session() as session:
        rows = session.exec(
            select(PlatformReservation, Booking)
            .join(Booking, col(Booking.id) == col(PlatformReservation.booking_id))
            .where(
                PlatformReservation.venue_platform_id == connection_id,
                PlatformReservation.state == rec.CONFIRMED,
                col(PlatformReservation.external_id).in_(list(by_id)),
            )
        ).all()
        for row, booking in rows:
            record = by_id[row.external_id or ""]
            if (row.raw_status, row.status) == (record.raw_status, record.status.value):
                continue
            changed += 1
            row.raw_status, row.status = record.raw_status, record.status.value
            row.updated_at = utcnow()
            if record.status.value == "cancelled":
                row.state = rec.CANCELLED
                booking.status = rec.B_CANCELLED
                booking.cancelled_at = utcnow()
                booking.cancel_reason = "ON_PLATFORM"
                booking.status_detail = (
                    f"cancelled on {row.platform_type} (raw status {record.raw_status})"
                )
            elif record.status.value == "no_show":
                booking.status = rec.B_NO_SHOW
                booking.status_detail = f"no-show on {row.platform_type}"
            booking.updated_at = utcnow()
            session.add(row)
            session.add(booking)
    return changed


def _record_connection(store: Store, outcome: ConnectionOutcome, run_id: int | None) -> None:
    """The connection's last sync fields, the run's result row and the lease, together."""
    from prima_cli.store.models import SyncResult, VenuePlatform

    now = utcnow()
    with store.session() as session:
        row = session.get(VenuePlatform, outcome.connection_id)
        if row is not None:
            row.last_synced_at = now
            row.last_sync_status = outcome.status
            row.last_error = outcome.error.message if outcome.error else None
            row.lease_owner = row.lease_expires_at = None
            session.add(row)
        if run_id is not None:
            session.add(
                SyncResult(
                    run_id=run_id,
                    venue_platform_id=outcome.connection_id,
                    venue_slug=outcome.venue_slug,
                    platform_type=outcome.platform_type,
                    status=outcome.status,
                    steps=outcome.steps,
                    error_type=outcome.error.type if outcome.error else None,
                    error_message=outcome.error.message if outcome.error else None,
                    duration_ms=outcome.duration_ms,
                    finished_at=now,
                )
            )


# --- runs -------------------------------------------------------------------------------


def _start_run(store: Store, options: SyncOptions) -> int:
    from sqlmodel import col, update

    from prima_cli.store.models import SyncRun

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
            worker=rec.owner(),
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


def _finish_run(store: Store, run_id: int, outcomes: list[ConnectionOutcome]) -> str:
    from prima_cli.store.models import SyncRun

    failed = sum(o.status == FAILED for o in outcomes)
    status = ("empty" if not outcomes else "ok" if not failed
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


async def _sync_targets(store: Store, targets: list[targets_core.Target], options: SyncOptions,
                        http: HttpOptions, run_id: int, progress: Progress | None,
                        total: int, done: list[ConnectionOutcome]) -> None:  # fmt: skip
    semaphore = asyncio.Semaphore(options.concurrency)
    async with open_client(http) as client:

        async def one(target: targets_core.Target) -> None:
            async with semaphore:
                outcome = await _sync_one(store, client, target, options)
            _record_connection(store, outcome, run_id)
            done.append(outcome)
            if progress:
                progress(len(done), total, outcome)

        await asyncio.gather(*(one(t) for t in targets))


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
        me = f"{rec.owner()}:{started.timestamp():.0f}"
        run_id = _start_run(store, options)
        try:
            while claimed := _claim(store, options, me, options.concurrency * 2):
                run(_sync_targets(store, claimed, options, http, run_id, progress,
                                  len(done) + len(claimed), done))  # fmt: skip
        finally:
            status = _finish_run(store, run_id, done)
        return SyncReport(run_id, status, started, utcnow(), done)
    with run_lock.exclusive(store, "sync", wait=options.wait):
        targets = _all_targets(store, options)
        run_id = _start_run(store, options)
        try:
            run(_sync_targets(store, targets, options, http, run_id, progress, len(targets), done))
        finally:
            status = _finish_run(store, run_id, done)
    return SyncReport(run_id, status, started, utcnow(), done)
