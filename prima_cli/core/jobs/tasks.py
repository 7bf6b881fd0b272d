"""prima's tasks declared on the engine (names, queues and locks are in ``names``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from prima_cli.core.jobs.names import (
    BACKOFF_ATTEMPTS,
    BACKOFF_BASE,
    FANOUT,
    MAINTENANCE,
    MAINTENANCE_QUEUE,
    MAINTENANCE_SCHEDULE,
    OUTBOX_QUEUE,
    PUSH,
    RECONCILE,
    SYNC,
    SYNC_QUEUE,
    TryLater,
    runtime_of,
)

if TYPE_CHECKING:
    from procrastinate import App, JobContext


def register(app: App, schedule: str | None) -> None:
    """Declare the tasks on ``app``; the window fan-out is periodic on ``schedule`` (a cron
    expression, a 6th field for seconds) when given; maintenance runs every minute."""
    from procrastinate import RetryStrategy

    from prima_cli.core.jobs import fanout, maintenance, outbox_jobs, sync_job

    backoff = RetryStrategy(
        max_attempts=BACKOFF_ATTEMPTS, exponential_wait=BACKOFF_BASE, retry_exceptions=[TryLater]
    )

    async def sync_window(context: JobContext, timestamp: int | None = None) -> str:
        runtime = runtime_of(context)
        window = await fanout.open_window(app, runtime.store, days=runtime.days)
        runtime.done[FANOUT] += 1
        return f"run {window.run_id}: {len(window.queued)} queued, {len(window.skipped)} skipped"

    async def sync_connection(
        context: JobContext, run_id: int, connection_id: int, days: int = 7
    ) -> str:
        runtime = runtime_of(context)
        said = await sync_job.sync_job(app, runtime, run_id, connection_id, days)
        runtime.done[SYNC] += 1
        return said

    async def push_booking(
        context: JobContext, booking_id: int, connection_id: int | None = None
    ) -> str:
        runtime = runtime_of(context)
        runtime.done[PUSH] += 1
        return await outbox_jobs.push_job(app, runtime, booking_id, connection_id)

    async def reconcile_booking(context: JobContext, booking_id: int) -> str:
        runtime = runtime_of(context)
        runtime.done[RECONCILE] += 1
        return await outbox_jobs.reconcile_job(app, runtime, booking_id)

    async def housekeeping(context: JobContext, timestamp: int | None = None) -> str:
        runtime = runtime_of(context)
        runtime.done[MAINTENANCE] += 1
        return str(await maintenance.maintain(app, runtime.store, runtime.stalled_after))

    # periodic tasks with a queueing lock: with no worker on their queue, periods are
    # skipped instead of piling up jobs
    window_task = app.task(name=FANOUT, queue=SYNC_QUEUE, queueing_lock=FANOUT,
                           pass_context=True)(sync_window)  # fmt: skip
    if schedule:
        app.periodic(cron=schedule, periodic_id="sync")(window_task)
    app.task(name=SYNC, queue=SYNC_QUEUE, pass_context=True)(sync_connection)
    app.task(name=PUSH, queue=OUTBOX_QUEUE, pass_context=True, retry=backoff)(push_booking)
    app.task(name=RECONCILE, queue=OUTBOX_QUEUE, pass_context=True, retry=backoff)(
        reconcile_booking
    )
    maintenance_task = app.task(
        name=MAINTENANCE, queue=MAINTENANCE_QUEUE, queueing_lock=MAINTENANCE, pass_context=True
    )(housekeeping)
    if schedule:
        app.periodic(cron=MAINTENANCE_SCHEDULE, periodic_id="maintenance")(maintenance_task)
