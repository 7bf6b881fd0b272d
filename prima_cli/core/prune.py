"""`prima db prune --older-than 30d`: keep the sync's history small. Removes sync runs that
started before the cutoff (with their per-connection results) and availability snapshots
fetched before it; never bookings, their attempts or their audit trail.

The newest successful run is always kept, so the last success (metrics, history) survives a
prune however old it is; a run still marked running is left to the next sync, which marks it
interrupted."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

from prima_cli.core.health import SUCCESS
from prima_cli.core.result import OperationResult
from prima_cli.store.types import utcnow

if TYPE_CHECKING:
    from prima_cli.store.store import Store


@dataclass(frozen=True)
class PruneReport:
    cutoff: dt.datetime
    dry_run: bool
    runs: int
    results: int
    snapshots: int


def prune(
    store: Store, older_than: dt.timedelta, *, dry_run: bool = False
) -> OperationResult[PruneReport]:
    """Remove (or, with ``dry_run``, count) what is older than ``older_than``."""
    from sqlalchemy import delete, func
    from sqlmodel import col, select

    from prima_cli.store.sync_tables import AvailabilitySnapshot, SyncResult, SyncRun

    cutoff = utcnow() - older_than
    runs = SyncRun.__table__  # type: ignore[attr-defined]
    results = SyncResult.__table__  # type: ignore[attr-defined]
    snapshots = AvailabilitySnapshot.__table__  # type: ignore[attr-defined]
    with store.session() as session:
        newest_success = session.exec(
            select(func.max(SyncRun.id)).where(col(SyncRun.status).in_(SUCCESS))
        ).one()
        old = select(SyncRun.id).where(
            col(SyncRun.started_at) < cutoff,
            col(SyncRun.status) != "running",
            col(SyncRun.id) != (newest_success or 0),
        )
        run_ids = [r for r in session.exec(old).all() if r is not None]
        conn = session.connection()
        result_count = conn.execute(
            select(func.count()).select_from(results).where(results.c.run_id.in_(old))
        ).scalar_one()
        stale = snapshots.c.fetched_at < cutoff
        snapshot_count = conn.execute(
            select(func.count()).select_from(snapshots).where(stale)
        ).scalar_one()
        if not dry_run:
            for chunk in _chunks(run_ids):  # results first: SQLite may not enforce the cascade
                conn.execute(delete(results).where(results.c.run_id.in_(chunk)))
                conn.execute(delete(runs).where(runs.c.id.in_(chunk)))
            conn.execute(delete(snapshots).where(stale))
            session.commit()
    return OperationResult.ok(
        PruneReport(cutoff, dry_run, len(run_ids), int(result_count), int(snapshot_count))
    )


def _chunks(ids: list[int], size: int = 500) -> list[list[int]]:
    """Bounded IN lists (SQLite and MariaDB limit a statement's parameters)."""
    return [ids[i : i + size] for i in range(0, len(ids), size)]
