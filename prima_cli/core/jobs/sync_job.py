"""One connection's sync as a job: the same per-connection sync `prima platforms sync` runs
(``core.sync.sync_connection``: the same steps, written to the same run tables), with the
outbox handed to push jobs instead of pushed inline, so a slow push never holds up a sync.
Recorded once per run even when the engine runs the job again after a stall."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from prima_cli.core import targets as targets_core
from prima_cli.core.db_retry import when_free
from prima_cli.core.jobs import job_runs
from prima_cli.core.sync_values import SyncOptions

if TYPE_CHECKING:
    from procrastinate import App

    from prima_cli.core.jobs.names import Runtime

T = TypeVar("T")

GONE = "the connection was removed or disabled after the window queued it"


async def sync_job(app: App, runtime: Runtime, run_id: int, connection_id: int, days: int) -> str:
    """Sync the connection for run ``run_id``; what happened, in a few words."""
    from prima_cli.core.jobs.outbox_jobs import enqueue_push
    from prima_cli.core.sync import sync_connection
    from prima_cli.core.sync_targets import one_target

    store = runtime.store

    async def off_loop(fn: Callable[..., T], *args: Any) -> T:
        return await asyncio.to_thread(when_free, fn, *args)

    if await off_loop(job_runs.recorded, store, run_id, connection_id):
        await off_loop(job_runs.close_if_complete, store, run_id)
        return "already recorded in this run"
    target = await off_loop(one_target, store, connection_id)
    if target is None:
        await off_loop(job_runs.record_gone, store, run_id, connection_id, GONE)
        await off_loop(job_runs.close_if_complete, store, run_id)
        return GONE

    async def hand_off(booking_id: int, only: targets_core.Target | None) -> bool:
        return await enqueue_push(app, booking_id, only.connection_id if only else None)

    options = SyncOptions(days=days, trigger="worker")
    outcome = await sync_connection(store, runtime.http_client(), options, target, hand_off)
    status = outcome.status
    if not await off_loop(job_runs.record_once, store, outcome, run_id):
        status = "already recorded in this run"
    await off_loop(job_runs.close_if_complete, store, run_id)
    return status
