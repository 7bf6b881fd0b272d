"""What a run made of jobs records: each connection's result at most once, the connections
a window skipped, and the run's end once every connection of it is accounted for.

The unique index on (run, connection) makes "once" hold even when the engine runs a job
again after a stall: the second write changes nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from prima_cli.core import targets as targets_core
from prima_cli.core.sync_records import finish_run, record_outcomes
from prima_cli.core.sync_values import ConnectionOutcome, SyncSteps
from prima_cli.store.types import utcnow

if TYPE_CHECKING:
    from prima_cli.store.store import Store

SKIPPED = "skipped"


def recorded(store: Store, run_id: int, connection_id: int) -> bool:
    """Whether the run holds a result for this connection already."""
    from sqlmodel import select

    from prima_cli.store.sync_tables import SyncResult

    with store.session() as session:
        found = session.exec(
            select(SyncResult.id).where(
                SyncResult.run_id == run_id, SyncResult.venue_platform_id == connection_id
            )
        ).first()
    return found is not None


def record_once(store: Store, outcome: ConnectionOutcome, run_id: int) -> bool:
    """Record the outcome unless the run holds one for the connection; whether it did."""
    from sqlalchemy.exc import IntegrityError

    try:
        record_outcomes(store, [outcome], run_id)
    except IntegrityError:
        return False  # another run of the same job recorded it first: its write stands
    return True


def record_skips(
    store: Store, run_id: int, skipped: Iterable[tuple[targets_core.Target, str]]
) -> None:
    """A result row per connection the window did not sync, with why (the connection's
    own last-sync fields stay as its last real attempt left them)."""
    from prima_cli.store.sync_tables import SyncResult

    now = utcnow()
    with store.session() as session:
        for target, why in skipped:
            session.add(
                SyncResult(
                    run_id=run_id,
                    venue_platform_id=target.connection_id,
                    venue_slug=target.venue_slug,
                    platform_type=target.platform_type,
                    status=SKIPPED,
                    error_type=SKIPPED,
                    error_message=why,
                    finished_at=now,
                )
            )


def record_gone(store: Store, run_id: int, connection_id: int, why: str) -> None:
    """A skip for a connection disabled or removed after its job was queued."""
    from prima_cli.store.sync_tables import SyncResult

    with store.session() as session:
        found = targets_core.for_connection(session, connection_id)
        target = found[0] if found else None
        session.add(
            SyncResult(
                run_id=run_id,
                venue_platform_id=connection_id if target else None,
                venue_slug=target.venue_slug if target else "(removed)",
                platform_type=target.platform_type if target else "(removed)",
                status=SKIPPED,
                error_type=SKIPPED,
                error_message=why,
                finished_at=utcnow(),
            )
        )


def set_expected(store: Store, run_id: int, connections: int) -> None:
    """How many connections the run covers (its end is when each has a result)."""
    from prima_cli.store.sync_tables import SyncRun

    with store.session() as session:
        run = session.get(SyncRun, run_id)
        assert run is not None
        run.options = {**run.options, "connections": connections}
        session.add(run)


def close_if_complete(store: Store, run_id: int, *, abandoned: bool = False) -> str | None:
    """End the run once every connection it covers has a result (or, ``abandoned``, with
    what it has: "interrupted" when some are missing); its status, None while open."""
    from sqlmodel import func, select

    from prima_cli.store.sync_tables import SyncResult, SyncRun

    with store.session() as session:
        run = session.get(SyncRun, run_id)
        if run is None or run.status != "running":
            return None
        expected = int(run.options.get("connections", 0))
        # counted first: every job of the run asks, and only the last one reads the results
        count = session.exec(select(func.count()).where(SyncResult.run_id == run_id)).one()
        if count < expected and not abandoned:
            return None
        rows = session.exec(select(SyncResult).where(SyncResult.run_id == run_id)).all()
    outcomes = [
        ConnectionOutcome(r.venue_platform_id or 0, r.venue_slug, r.platform_type, r.status,
                          SyncSteps.from_record(r.steps))
        for r in rows
    ]  # fmt: skip
    return finish_run(store, run_id, outcomes, completed=len(rows) >= expected)


def open_runs(store: Store) -> list[int]:
    """Job runs still open (maintenance closes those whose jobs are all gone)."""
    from sqlmodel import select

    from prima_cli.store.sync_tables import SyncRun

    with store.session() as session:
        return [
            r
            for r in session.exec(
                select(SyncRun.id).where(SyncRun.status == "running", SyncRun.trigger == "worker")
            ).all()
            if r is not None
        ]
