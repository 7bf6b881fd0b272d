"""The record of sync runs: `prima platforms history [RUN]`."""

from __future__ import annotations

import datetime as dt
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


def list_runs(
    store: Store,
    limit: int = 20,
    offset: int = 0,
    *,
    failed: bool = False,
    connection: str | None = None,
    since: dt.datetime | None = None,
) -> OperationResult[Page[RunInfo]]:
    """The newest ``limit`` runs after the newest ``offset``, newest first, with how many
    runs the selection holds: without their results, or, for one ``connection``
    (``VENUE/TYPE``), with that connection's result only. ``failed``: runs that did not end
    ok (with a connection: where that connection failed); ``since``: runs started at or
    after it."""
    from sqlmodel import col, func, select

    from prima_cli.store.sync_tables import SyncResult, SyncRun

    if not 1 <= limit <= 1000:
        raise InvalidInput("--limit must be between 1 and 1000")
    if offset < 0:
        raise InvalidInput("--offset must be 0 or more")
    conditions: list[Any] = []
    if since is not None:
        conditions.append(col(SyncRun.started_at) >= since)
    mine: tuple[Any, ...] = ()
    if connection is not None:
        venue, kind = _connection(connection)
        mine = (SyncResult.venue_slug == venue, SyncResult.platform_type == kind)
        if failed:
            conditions.append(SyncResult.status == "failed")
    elif failed:
        conditions.append(col(SyncRun.status).in_(FAILED_RUNS))

    def selection(query: Any) -> Any:
        if mine:
            query = query.join(SyncResult, col(SyncResult.run_id) == col(SyncRun.id)).where(*mine)
        return query.where(*conditions)

    with store.session() as session:
        total = session.exec(selection(select(func.count()).select_from(SyncRun))).one()
        runs = session.exec(
            selection(select(SyncRun)).order_by(col(SyncRun.id).desc()).offset(offset).limit(limit)
        ).all()
        if not mine:
            return OperationResult.ok(Page([_info(r, []) for r in runs], total, offset, limit))
        if not runs and session.exec(select(SyncResult.id).where(*mine).limit(1)).first() is None:
            raise NotFound(f"no sync results for {venue}/{kind}",
                           hint="see `prima platforms list` for VENUE/TYPE")  # fmt: skip
        ids = [r.id for r in runs]
        results = session.exec(
            select(SyncResult).where(col(SyncResult.run_id).in_(ids), *mine)
        ).all()
        by_run = {r.run_id: r for r in results}
        infos = [_info(r, [by_run[r.id]] if r.id in by_run else []) for r in runs]
        return OperationResult.ok(Page(infos, total, offset, limit))


#: run statuses that did not end ok (``--failed``)
FAILED_RUNS = ("failed", "partial", "interrupted")


def _connection(text: str) -> tuple[str, str]:
    venue, slash, kind = text.partition("/")
    if not slash or not venue or not kind or "/" in kind:
        raise InvalidInput(
            f"--connection must be VENUE/TYPE (e.g. casa-pepe/covermanager), not {text!r}"
        )
    return venue, kind


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
