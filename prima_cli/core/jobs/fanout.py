"""A sync window: a run opened and one sync job queued per enabled connection.

At most one sync job of a connection waits and one runs (the engine's queueing lock and
lock); a connection whose job from an earlier window still waits is skipped in this one,
and the skip is a result of the run, so a slow connection skips windows instead of piling
them up.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from prima_cli.core.db_retry import when_free
from prima_cli.core.jobs import job_runs
from prima_cli.core.jobs import names as tasks
from prima_cli.core.result import OperationResult
from prima_cli.core.sync_records import start_run
from prima_cli.core.sync_targets import all_targets
from prima_cli.core.sync_values import SyncOptions

if TYPE_CHECKING:
    from procrastinate import App

    from prima_cli.store.store import Store

STILL_QUEUED = "its sync from an earlier window has not started yet: skipped in this window"


@dataclass(frozen=True)
class Window:
    """The run a window opened; the connections it queued and skipped ("venue/type")."""

    run_id: int
    queued: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


async def open_window(
    app: App, store: Store, *, days: int = 7, options: SyncOptions | None = None
) -> Window:
    """Open a run and queue its connections' sync jobs (``options`` select them)."""
    from procrastinate.exceptions import AlreadyEnqueued

    from prima_cli.core.sync_statuses import expire_queued

    options = options or SyncOptions(days=days, trigger="worker")
    options.check()
    when_free(expire_queued, store)  # once per window, as a local run does
    targets = all_targets(store, options)
    run_id = when_free(start_run, store, options, worker=True)
    when_free(job_runs.set_expected, store, run_id, len(targets))
    window = Window(run_id)
    skipped = []
    for target in targets:
        name = f"{target.venue_slug}/{target.platform_type}"
        try:
            await app.configure_task(
                tasks.SYNC, **tasks.sync_lock(target.connection_id)
            ).defer_async(run_id=run_id, days=options.days, connection_id=target.connection_id)
        except AlreadyEnqueued:
            skipped.append((target, STILL_QUEUED))
            window.skipped.append(name)
        else:
            window.queued.append(name)
    when_free(job_runs.record_skips, store, run_id, skipped)
    when_free(job_runs.close_if_complete, store, run_id)  # nothing queued: it ends now
    return window


def enqueue(store: Store, options: SyncOptions) -> OperationResult[Window]:
    """`prima platforms sync --enqueue`: one window, for cron-only deployments that run
    `prima worker run --one-shot` on each machine."""
    from prima_cli.core.jobs.engine import build_app
    from prima_cli.core.platform_calls import run

    app = build_app(store)

    async def go() -> Window:
        async with app.open_async():
            return await open_window(app, store, options=options)

    return OperationResult.ok(run(go()))
