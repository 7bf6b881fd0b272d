"""What a sync run writes: each connection's outcome in batches, and the run's own record."""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any

from prima_cli.core import snapshots
from prima_cli.core.booking_state import owner
from prima_cli.core.sync_values import OK, ConnectionOutcome, SyncOptions, summarise
from prima_cli.store.types import utcnow

if TYPE_CHECKING:
    from prima_cli.store.store import Store

#: the steps whose time a result row keeps (its ``<step>_ms`` columns)
STEPS = ("auth", "availability", "reconcile", "statuses")
#: connection outcomes written per transaction (a crash loses at most this many results)
WRITE_BATCH = 25


def record_outcomes(store: Store, outcomes: list[ConnectionOutcome], run_id: int | None) -> None:
    """Each connection's snapshot, last-sync fields and result row, for a
    batch of connections in one transaction (per-connection all-or-nothing is kept).
    Executemany statements of prepared rows (``store/bulk.py``): a sync writes thousands
    of rows, and per-row ORM statements or parameter processing cost more CPU than the
    HTTP calls that produced them."""
    from prima_cli.store import bulk

    if not outcomes:
        return
    now = utcnow()
    update_connections, insert_result = _statements()
    connections, results = update_connections.table, insert_result.table
    with store.session() as session:
        fresh = {o.connection_id: o.snapshot for o in outcomes if o.snapshot is not None}
        snapshots.replace(session, fresh, now)
        conn = session.connection()
        synced_at = bulk.processor(conn, connections.c.last_synced_at)(now)
        bulk.executemany(
            conn, update_connections, ("synced_at", "attempt_at", "status", "error", "id_"),
            [(synced_at if o.status == OK else None,  # a failure keeps the last success
              synced_at, o.status, o.error.message if o.error else None, o.connection_id)
             for o in outcomes],
        )  # fmt: skip
        if run_id is not None:
            steps = bulk.processor(conn, results.c.steps)
            finished_at = bulk.processor(conn, results.c.finished_at)(now)
            bulk.executemany(
                conn, insert_result, RESULT_COLUMNS,
                [(run_id, o.connection_id, o.venue_slug, o.platform_type, o.status,
                  steps(o.steps.to_record()), o.error.type if o.error else None,
                  o.error.message if o.error else None, o.duration_ms,
                  *[o.step_ms.get(step) for step in STEPS], finished_at)
                 for o in outcomes],
            )  # fmt: skip
    for outcome in outcomes:
        outcome.snapshot = None  # written: do not keep thousands of slots per connection


#: the columns of a result row, in the order :func:`record_outcomes` gives them (the
#: table's, which positional drivers take as they are)
RESULT_COLUMNS = ("run_id", "venue_platform_id", "venue_slug", "platform_type", "status",
                   "steps", "error_type", "error_message", "duration_ms",
                   *(f"{step}_ms" for step in STEPS), "finished_at")  # fmt: skip


@functools.cache
def _statements() -> tuple[Any, Any]:
    """The last-sync UPDATE and the result INSERT, built once (``bulk`` compiles each once
    per dialect). Each bind parameter has its column's type: PostgreSQL casts to it."""
    from sqlalchemy import bindparam, func, insert, update

    from prima_cli.store.models import VenuePlatform
    from prima_cli.store.sync_tables import SyncResult

    connections = VenuePlatform.__table__  # type: ignore[attr-defined]
    c = connections.c
    update_connections = (
        update(connections)
        .where(c.id == bindparam("id_", type_=c.id.type))
        .values(last_synced_at=func.coalesce(bindparam("synced_at", type_=c.last_synced_at.type),
                                             c.last_synced_at),
                last_sync_attempt_at=bindparam("attempt_at", type_=c.last_sync_attempt_at.type),
                last_sync_status=bindparam("status", type_=c.last_sync_status.type),
                last_error=bindparam("error", type_=c.last_error.type))
    )  # fmt: skip
    return update_connections, insert(SyncResult.__table__)  # type: ignore[attr-defined]


def start_run(store: Store, options: SyncOptions, *, worker: bool = False) -> int:
    """Record a run as started; its id. A run under the store lock first marks the other
    lock-holding runs still "running" as "interrupted" (their process died); a ``worker``
    run (opened by the job engine's fan-out) is closed by its last job instead."""
    from sqlmodel import col, update

    from prima_cli.store.sync_tables import SyncRun

    with store.session() as session:
        if not worker:  # we hold the lock: any other non-worker "running" run died
            session.exec(  # type: ignore[call-overload]
                update(SyncRun)
                .where(col(SyncRun.status) == "running", col(SyncRun.trigger) != "worker")
                .values(status="interrupted")
            )
        run_row = SyncRun(
            trigger="worker" if worker else options.trigger,
            worker=owner(),
            status="running",
            options={
                "venues": list(options.venues),
                "platform_type": options.platform_type,
                "days": options.days,
                "concurrency": options.concurrency,
                "worker": worker,
            },
        )
        session.add(run_row)
        session.flush()
        assert run_row.id is not None
        return run_row.id


def finish_run(
    store: Store, run_id: int, outcomes: list[ConnectionOutcome], *, completed: bool = True
) -> str:
    """Record how the run ended; ``completed`` is False when it stopped before the end
    (Ctrl-C, a database that stayed busy): "interrupted", whatever the outcomes so far."""
    from prima_cli.store.sync_tables import SyncRun

    failed = sum(o.status != OK for o in outcomes)  # a job run's "skipped" ones too
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
