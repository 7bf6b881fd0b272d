"""prima's jobs on the engine: queues, task names, locks, the backoff and what a worker's
tasks share. The tasks themselves are declared in ``tasks``.

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
    import httpx
    from procrastinate import JobContext

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
    #: the process's one HTTP client (its pool sized to the worker's concurrency), open
    #: while the worker runs: a client per job would build a TLS context per job
    client: httpx.AsyncClient | None = None

    def http_client(self) -> httpx.AsyncClient:
        assert self.client is not None, "the worker opens the client before it takes jobs"
        return self.client


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
