"""The record of sync runs: `prima platforms history [RUN]`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from prima_cli.core.ids import as_id
from prima_cli.core.paging import Page
from prima_cli.core.result import OperationResult
from prima_cli.core.sync_values import ResultInfo, RunInfo, SyncSteps
from prima_cli.errors import InvalidInput, NotFound

if TYPE_CHECKING:
    from sqlmodel import Session

    from prima_cli.store.store import Store


def _info(run: Any, results: list[Any]) -> RunInfo:
    return RunInfo(
        run.id, run.trigger, run.worker, run.status, dict(run.options), dict(run.counts),
        run.started_at, run.finished_at,
        [ResultInfo(r.venue_slug, r.platform_type, r.status, SyncSteps.from_record(r.steps),
                    r.error_type, r.error_message, r.duration_ms, r.finished_at)
         for r in results],
    )  # fmt: skip


def list_runs(store: Store, limit: int = 20, offset: int = 0) -> OperationResult[Page[RunInfo]]:
    """The newest ``limit`` runs after the newest ``offset``, newest first (without their
    results), with how many runs there are."""
    from sqlmodel import col, func, select

    from prima_cli.store.sync_tables import SyncRun

    if not 1 <= limit <= 1000:
        raise InvalidInput("--limit must be between 1 and 1000")
    if offset < 0:
        raise InvalidInput("--offset must be 0 or more")
    with store.session() as session:
        total = session.exec(select(func.count()).select_from(SyncRun)).one()
        runs = session.exec(
            select(SyncRun).order_by(col(SyncRun.id).desc()).offset(offset).limit(limit)
        ).all()
        return OperationResult.ok(Page([_info(r, []) for r in runs], total, offset, limit))


def show_run(store: Store, run_id: str) -> OperationResult[RunInfo]:
    """One run with every connection's result, as the operator names it (not found: exit 3)."""
    if not (run_id.isascii() and run_id.strip().isdigit()):
        raise InvalidInput(f"RUN must be a run id (a number), not {run_id!r}")
    with store.session() as session:
        number = as_id(run_id)
        found = _read(session, number) if number is not None else None
        if found is None:
            raise NotFound(f"no sync run {run_id}", hint="see `prima platforms history`")
        return OperationResult.ok(found)


def read_run(store: Store, run_id: int) -> RunInfo:
    """A run this process recorded, read back as stored."""
    with store.session() as session:
        found = _read(session, run_id)
    if found is None:
        raise NotFound(f"no sync run {run_id}", hint="see `prima platforms history`")
    return found


def _read(session: Session, run_id: int) -> RunInfo | None:
    from sqlmodel import col, select

    from prima_cli.store.sync_tables import SyncResult, SyncRun

    run = session.get(SyncRun, run_id)
    if run is None:
        return None
    results = session.exec(
        select(SyncResult)
        .where(SyncResult.run_id == run.id)
        .order_by(col(SyncResult.venue_slug), col(SyncResult.platform_type))
    ).all()
    return _info(run, list(results))
