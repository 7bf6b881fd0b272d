"""prima's tasks on the job engine: names, queues, locks, retries, and their registration.

Locks (the engine's ``lock``: one job at a time; ``queueing_lock``: one job waiting):

- a connection's sync: both ``sync:<connection>``, so at most one waits and one runs per
  connection; a window that finds one waiting skips that connection (recorded in its run);
- a booking's push and reconcile: ``booking:<id>`` and their own queueing locks. Their
  retries are scheduled in the future, and a future job blocks the ready jobs sharing its
  lock: so no sync ever shares a lock with them, and a slow push never holds up a sync.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from prima_cli.core.http_options import HttpOptions

if TYPE_CHECKING:
    from procrastinate import App, JobContext

    from prima_cli.store.store import Store

SYNC_QUEUE, OUTBOX_QUEUE, MAINTENANCE_QUEUE = "sync", "outbox", "maintenance"
QUEUES = (SYNC_QUEUE, OUTBOX_QUEUE, MAINTENANCE_QUEUE)

FANOUT = "prima.sync_window"
SYNC = "prima.sync_connection"
PUSH = "prima.push_booking"
RECONCILE = "prima.reconcile_booking"
MAINTENANCE = "prima.maintenance"

#: a push or reconcile that could not reach the platform is tried again after 2, 4, 8...
#: seconds (capped by the attempts: about 17 minutes in all), never faster
BACKOFF_BASE, BACKOFF_ATTEMPTS = 2, 10
#: the maintenance task's schedule (stalled jobs, pruning, abandoned runs)
MAINTENANCE_SCHEDULE = "* * * * *"


class TryLater(Exception):
    """A job's work could not be done now for a reason that passes (a platform unavailable
    or rate limiting): the engine runs it again with exponential backoff."""


@dataclass
class Runtime:
    """What the tasks of one worker process share: the store, HTTP and sync settings, and
    how many jobs of each task this process ran (its report at exit)."""

    store: Store
    http: HttpOptions
    days: int = 7
    stalled_after: float = 30.0
    done: Counter[str] = field(default_factory=Counter)


def runtime_of(context: JobContext) -> Runtime:
    runtime = (context.additional_context or {}).get("runtime")
    assert isinstance(runtime, Runtime), "tasks run only in `prima worker run`"
    return runtime


def sync_lock(connection_id: int) -> dict[str, Any]:
    name = f"sync:{connection_id}"
    return {"queue": SYNC_QUEUE, "lock": name, "queueing_lock": name}


def push_lock(booking_id: int) -> dict[str, Any]:
    return {
        "queue": OUTBOX_QUEUE,
        "lock": f"booking:{booking_id}",
        "queueing_lock": f"push:{booking_id}",
    }


def reconcile_lock(booking_id: int) -> dict[str, Any]:
    return {
        "queue": OUTBOX_QUEUE,
        "lock": f"booking:{booking_id}",
        "queueing_lock": f"reconcile:{booking_id}",
    }


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

    window_task = app.task(name=FANOUT, queue=SYNC_QUEUE, pass_context=True)(sync_window)
    if schedule:
        app.periodic(cron=schedule, periodic_id="sync")(window_task)
    app.task(name=SYNC, queue=SYNC_QUEUE, pass_context=True)(sync_connection)
    app.task(name=PUSH, queue=OUTBOX_QUEUE, pass_context=True, retry=backoff)(push_booking)
    app.task(name=RECONCILE, queue=OUTBOX_QUEUE, pass_context=True, retry=backoff)(
        reconcile_booking
    )
    maintenance_task = app.task(name=MAINTENANCE, queue=MAINTENANCE_QUEUE, pass_context=True)(
        housekeeping
    )
    if schedule:
        app.periodic(cron=MAINTENANCE_SCHEDULE, periodic_id="maintenance")(maintenance_task)
