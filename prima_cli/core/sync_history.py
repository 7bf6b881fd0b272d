"""The record of sync runs: `prima platforms history [RUN]`."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from prima_cli.core.ids import as_id
from prima_cli.errors import InvalidInput, NotFound

if TYPE_CHECKING:
    from prima_cli.store.store import Store


@dataclass(frozen=True)
class ResultInfo:
    venue_slug: str
    platform_type: str
    status: str
    steps: dict[str, Any]
    error_type: str | None
    error_message: str | None
    duration_ms: int
    finished_at: dt.datetime


@dataclass(frozen=True)
class RunInfo:
    id: int
    trigger: str
    worker: str
    status: str
    options: dict[str, Any]
    counts: dict[str, Any]
    started_at: dt.datetime
    finished_at: dt.datetime | None
    results: list[ResultInfo]


def _info(run: Any, results: list[Any]) -> RunInfo:
    return RunInfo(
        run.id, run.trigger, run.worker, run.status, dict(run.options), dict(run.counts),
        run.started_at, run.finished_at,
        [ResultInfo(r.venue_slug, r.platform_type, r.status, dict(r.steps), r.error_type,
                    r.error_message, r.duration_ms, r.finished_at) for r in results],
    )  # fmt: skip


def list_runs(store: Store, limit: int = 20) -> list[RunInfo]:
    from sqlmodel import col, select

    from prima_cli.store.sync_tables import SyncRun

    if not 1 <= limit <= 1000:
        raise InvalidInput("--limit must be between 1 and 1000")
    with store.session() as session:
        runs = session.exec(select(SyncRun).order_by(col(SyncRun.id).desc()).limit(limit)).all()
        return [_info(r, []) for r in runs]


def show_run(store: Store, run_id: str) -> RunInfo:
    from sqlmodel import col, select

    from prima_cli.store.sync_tables import SyncResult, SyncRun

    if not (run_id.isascii() and run_id.strip().isdigit()):
        raise InvalidInput(f"RUN must be a run id (a number), not {run_id!r}")
    with store.session() as session:
        number = as_id(run_id)
        run = session.get(SyncRun, number) if number is not None else None
        if run is None:
            raise NotFound(f"no sync run {run_id}", hint="see `prima platforms history`")
        results = session.exec(
            select(SyncResult)
            .where(SyncResult.run_id == run.id)
            .order_by(col(SyncResult.venue_slug), col(SyncResult.platform_type))
        ).all()
        return _info(run, list(results))
